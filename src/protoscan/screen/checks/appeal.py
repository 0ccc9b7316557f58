"""Appeal notice: a decision that goes against a party says how to appeal it
(förvaltningslagen 33 §), or that it cannot be appealed.

May import: ``screen.checks.base`` and ``screen.checks.decision``.
"""

from __future__ import annotations

from protoscan.screen.checks.base import Check, Context, Evidence, Outcome, compile_patterns
from protoscan.screen.checks.decision import adverse_hits

__all__ = [
    "CHECKS",
]

_APPEAL = compile_patterns((
    r"\böverklagandehänvisning\w*\b",
    r"\bbesvärshänvisning\w*\b",
    r"\bhur\s+man\s+överklagar\b",
    r"\b(?:kan|får)\s+(?:inte\s+)?överklagas\b",
    r"\böverklaga\w*\s+(?:\w+\s+){0,6}(?:hos|till)\s+förvaltningsrätten\b",
    r"\böverklagande\w*\b",
    r"\böverklaga\b",
))  # fmt: skip


def _check_appeal(ctx: Context) -> Outcome:
    adverse, where = adverse_hits(ctx)
    if not adverse:
        return (
            "not_applicable",
            "Beslutet går inte någon part emot på ett sätt som kan överklagas (att inte inleda "
            "eller att avsluta en utredning kan inte överklagas; en beviljad ansökan går ingen "
            "emot).",
            [],
        )
    evidence = [
        ctx.evidence(h, f"beslut som går en part emot ({where})", False) for h in adverse[:2]
    ]
    notices: list[Evidence] = []
    for section in ctx.sections("appeal"):
        notices.append(Evidence(section.start_char, section.start_char + len(section.title),
                                section.title, section.title, "rubrik", True))  # fmt: skip
    for hit in ctx.find(_APPEAL):
        matched = ctx.text[hit.start : hit.end].casefold()
        if hit.rule:
            continue
        if hit.negated and "inte överklagas" not in matched:
            evidence.append(ctx.evidence(hit, "nekande omnämnande", False))
            continue
        note = "anger att beslutet inte kan överklagas" if "inte" in matched else "spår"
        notices.append(ctx.evidence(hit, note, True))
    if notices:
        quoted = ", ".join(f"”{e.text}”" for e in notices[:3])
        return "passed", f"Överklagandehänvisning finns: {quoted}.", evidence + notices
    return (
        "failed",
        f"Beslutet går en part emot (”{evidence[0].text}”) men utkastet säger inte hur det "
        "överklagas.",
        evidence,
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "appeal_notice_missing",
        "Överklagandehänvisning saknas",
        "Överklagandehänvisning",
        "reasoning",
        "förvaltningslagen 33 §",
        "Om beslutet går en part emot (”avslag”, ”avslås”, ”inleds inte”, ”begränsning”, "
        "”placering”, ”upphör” …): en överklagandehänvisning (”Hur man överklagar”, ”kan "
        "överklagas hos förvaltningsrätten”, ”överklagandet ska ha kommit in inom tre "
        "veckor”) eller ett besked om att beslutet inte kan överklagas.",
        0.5,
        _check_appeal,
    ),
)
