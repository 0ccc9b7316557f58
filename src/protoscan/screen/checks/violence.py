"""Violence and risk: when a draft mentions violence against the child, is the risk assessed
(or an investigation opened)?

May import: ``labels`` and ``screen.checks.base``.
"""

from __future__ import annotations

from protoscan.labels import get_label
from protoscan.screen.checks.base import Check, Context, Outcome, compile_patterns, outcome

__all__ = [
    "CHECKS",
]

_VIOLENCE = compile_patterns((
    r"\bvåld\w*\b",
    r"\b(?:slagit|slagen|slaget|slagna|slogs|slog|sparkat|sparkade|sparkats|örfil\w*|luggat"
    r"|knuffat|knuffade|strypt\w*|nypt|nöp)\b",
    r"\bmisshand\w*\b",
    r"\bbevittna\w*\b",
    r"\b(?:hot|hotet|hoten|hotat|hotade|hotats|hotelse\w*|dödshot\w*|hotfull\w*)\b",
    r"\b(?:sexuella\s+)?övergrepp\w*\b",
    r"\bhedersrelaterat?\b",
    r"\bkränkning\w*\s+i\s+nära\s+relation\w*",
))  # fmt: skip
_VIOLENCE_ASSESSMENT = compile_patterns((
    r"\briskbedömning\w*\b",
    r"\briskanalys\w*\b",
    r"\bbedömning\s+av\s+risk\w*\b",
    r"\brisk(?:en|erna|er)?\s+för\s+(?:fortsatt|upprepat|nytt|framtida|ytterligare)\s+våld\b",
    r"\bskyddsbedömning\w*\b",
    r"\bskyddsbehov\w*\b",
    r"\bbehov\s+av\s+(?:omedelbart\s+)?skydd\b",
    r"\bskyddsplan\w*\b",
    r"\b(?:FREDA|SARA|PATRIARK|Barnahus)\b",
    r"\butredning\s+(?:enligt\s+[^.]{0,40}\s+)?(?:inleds|har\s+inletts|inleddes|ska\s+inledas)\b",
    r"\binled(?:a|er|de|s)\s+(?:en\s+)?utredning\b",
    r"\bbeslut\w*\s+(?:om\s+)?att\s+inleda\s+(?:en\s+)?utredning\b",
))  # fmt: skip


def _check_violence(ctx: Context) -> Outcome:
    mentions = [h for h in ctx.find(_VIOLENCE) if not h.rule and not h.negated]
    if not mentions:
        return "not_applicable", "Utkastet innehåller inga uppgifter om våld mot barnet.", []
    info = [ctx.evidence(h, "uppgift om våld", False) for h in mentions[:3]]
    words = ", ".join(dict.fromkeys(f"”{e.text}”" for e in info))
    status, summary, evidence = outcome(
        ctx,
        ctx.find(_VIOLENCE_ASSESSMENT),
        reason_counts=False,
        found=f"Utkastet nämner våld ({words}) och våldet har bedömts eller ska utredas",
        missing=f"Utkastet nämner våld ({words}) men innehåller ingen risk- eller "
        "skyddsbedömning och inget beslut om att inleda utredning.",
    )
    return status, summary, info + evidence


def _basis(label: str, extra: str = "") -> str:
    return get_label(label).legal_basis + (f"; {extra}" if extra else "")


CHECKS: tuple[Check, ...] = (
    Check(
        "violence_unassessed",
        "Våld utan risk- eller skyddsbedömning",
        "Risk- eller skyddsbedömning vid våld",
        "violence_investigation",
        _basis("violence_investigation"),
        "Om utkastet nämner våld (”våld”, ”slagit”, ”misshandel”, ”bevittnat”, ”hot”, "
        "”övergrepp”): en ”riskbedömning”, ”skyddsbedömning”, ”risken för fortsatt våld”, "
        "”behov av skydd”, ett strukturerat instrument (FREDA, SARA, PATRIARK) eller ett "
        "beslut om att inleda utredning. ”Ingen riskbedömning” och ”utredning inleds inte” "
        "räknas inte.",
        0.4,
        _check_violence,
    ),
)
