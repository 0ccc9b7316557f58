"""Reasons and lagrum: does the decision give its reasons, and name the provisions applied
(förvaltningslagen 32 §)?

May import: ``structure.legal_refs`` and ``screen.checks.base``.
"""

from __future__ import annotations

import re

from protoscan.screen.checks.base import (
    WORDS,
    Check,
    Context,
    Evidence,
    Hit,
    Outcome,
    compile_patterns,
    shorten,
)
from protoscan.structure.legal_refs import find_legal_refs

__all__ = [
    "CHECKS",
]

_I = re.IGNORECASE
_CONCLUSION = re.compile(
    r"\b(?:beslut\w*|inleds|inledas|inleda|avslutas|avslås|avslår|avslag|beviljas|beviljar"
    r"|bifalls|bifaller|placeras|begränsas|upphör\w*|läggs\s+ned|lämnas\s+utan\s+åtgärd"
    r"|omedelbart\s+omhänd\w*|ansöka\s+hos\s+förvaltningsrätten|vård\s+enligt)\b",
    _I,
)
_REASON_MARKERS = compile_patterns((
    r"\beftersom\b",
    r"\bdå\s+(?:det|han|hon|barnet|pojken|flickan|föräldrarna|mamma|pappa|vårdnadshavar\w*)\b",
    r"\bmed\s+hänsyn\s+till\b",
    r"\bmot\s+(?:bakgrund\s+av|denna\s+bakgrund|den\s+bakgrunden)\b",
    r"\bpå\s+grund\s+av\b",
    r"\bskäl(?:en|et)?\s+(?:för|till)\b",
    r"\bmotiver\w*\b",
    r"\bgrundar\s+sig\b",
    r"\bbedöm(?:er|s|de|des|t|ningen\s+är)\b",
    r"\bav\s+utredningen\s+framgår\b",
    r"\bmed\s+anledning\s+av\b",
    r"\bdärför\b",
    r"\bframkommit\b",
    r"\bi\s+och\s+med\s+att\b",
    r"\btalar\s+(?:för|emot)\b",
    r"\bsammantaget\b",
    r"\btyder\s+på\b",
    r"\butifrån\b",
    r"\bvisar\s+att\b",
))  # fmt: skip
_ASSESSMENT_TITLES = re.compile(
    r"^(?!skydds)(?:\w+\s+)?(?:bedömning|motivering|skäl|analys|överväganden)", _I
)
_MIN_REASON_WORDS = 15


def _reason_negated(ctx: Context, hit: Hit) -> bool:
    """A conjunction ("inleds inte eftersom …") gives a reason whatever precedes it; only
    "motivering"/"skäl" can be negated ("beslutet motiveras inte", "saknar skäl")."""
    words = ctx.text[hit.start : hit.end].casefold()
    return hit.negated and words.startswith(("motiver", "skäl"))


def _check_reasons(ctx: Context) -> Outcome:
    units, where = ctx.decision_units()
    conclusions = [u for u in units if _CONCLUSION.search(ctx.sentence(u))]
    if not conclusions:
        return "not_applicable", "Hittade inget beslut med en slutsats.", []
    evidence: list[Evidence] = []
    for hit in ctx.find(_REASON_MARKERS, units):
        if not _reason_negated(ctx, hit):
            evidence.append(ctx.evidence(hit, f"skäl i {where}", True))
    for section in ctx.sections("assessment"):
        if not _ASSESSMENT_TITLES.match(section.title or ""):
            continue
        body = [u for u in ctx.units_in([section]) if not u.heading_like]
        words = sum(len(WORDS.findall(ctx.sentence(u))) for u in body)
        reasoning = [h for h in ctx.find(_REASON_MARKERS, body) if not _reason_negated(ctx, h)]
        if words >= _MIN_REASON_WORDS and reasoning:
            hit = reasoning[0]
            evidence.append(ctx.evidence(hit, f"skäl i avsnittet {section.title}", True))
    conclusion = conclusions[0]
    if evidence:
        quoted = ", ".join(f"”{e.text}” ({e.note})" for e in evidence[:3])
        return "passed", f"Beslutet har skäl: {quoted}.", evidence
    evidence.append(
        Evidence(conclusion.start, conclusion.end, ctx.sentence(conclusion),
                 shorten(ctx.sentence(conclusion)), "slutsats utan skäl", False)
    )  # fmt: skip
    return (
        "failed",
        f"Beslutet innehåller en slutsats (”{shorten(ctx.sentence(conclusion), 120)}”) men "
        "inga skäl, och det finns inget bedömningsavsnitt med resonemang.",
        evidence,
    )


def _check_legal_basis(ctx: Context) -> Outcome:
    units, where = ctx.decision_units()
    if not any(_CONCLUSION.search(ctx.sentence(u)) for u in units):
        return "not_applicable", "Hittade inget beslut med en slutsats.", []
    regions: list[tuple[int, int, str]] = [(u.start, u.end, where) for u in units]
    for section in ctx.doc.sections:
        if section.kind == "law":
            regions.append((section.start_char, section.end_char, f"avsnittet {section.title}"))
    decisions = ctx.sections("decision")
    if decisions:
        index = ctx.doc.sections.index(decisions[0])
        before = ctx.doc.sections[index - 1] if index > 0 else None
        if before is not None and before.kind == "assessment":
            regions.append((before.start_char, before.end_char, f"avsnittet {before.title}"))
    evidence: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for start, end, name in regions:
        chunk = ctx.text[start:end]
        for ref in find_legal_refs(chunk):
            offset = chunk.find(ref.raw)
            span = (start + max(offset, 0), start + max(offset, 0) + len(ref.raw))
            if span in seen:
                continue
            seen.add(span)
            evidence.append(Evidence(span[0], span[1], ref.raw, ref.raw, f"lagrum i {name}", True))
    if evidence:
        quoted = ", ".join(f"”{e.text}”" for e in evidence[:3])
        return "passed", f"Lagrum anges vid beslutet: {quoted}.", evidence
    return (
        "failed",
        "Inget lagrum (kapitel och paragraf eller SFS-nummer) anges i beslutet, i ett "
        "lagrumsavsnitt eller i bedömningen närmast före beslutet.",
        evidence,
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "reasons_missing",
        "Beslutet saknar motivering",
        "Motivering",
        "reasoning",
        "förvaltningslagen 32 §; SoL (2001:453) 11 kap. 1 och 1 a §§",
        "Skäl för beslutet: i beslutsavsnittet ord som ”eftersom”, ”mot bakgrund av”, ”med "
        "hänsyn till”, ”bedömer/bedöms”, ”skälen för”, eller ett avsnitt ”Bedömning”, "
        "”Motivering” eller ”Skäl” med ett resonemang på minst 15 ord.",
        0.4,
        _check_reasons,
    ),
    Check(
        "legal_basis_missing",
        "Lagrum saknas i beslutet",
        "Lagrum",
        "reasoning",
        "förvaltningslagen 32 § (de föreskrifter som tillämpats)",
        "En lagrumshänvisning med paragraf (”11 kap. 1 § SoL”, ”6 § LVU”, ”socialtjänstlagen "
        "(2001:453)”) i beslutsavsnittet, i ett lagrumsavsnitt eller i bedömningen närmast "
        "före beslutet.",
        0.5,
        _check_legal_basis,
    ),
)
