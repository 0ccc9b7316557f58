"""Kommunicering and party information: before a decision goes against a party, the party
saw the material and could answer (förvaltningslagen 25 §), unless the decision was urgent.

May import: ``screen.checks.base`` and ``screen.checks.decision``.
"""

from __future__ import annotations

import re

from protoscan.screen.checks.base import Check, Context, Outcome, compile_patterns, outcome
from protoscan.screen.checks.decision import adverse_hits

__all__ = [
    "CHECKS",
]

_I = re.IGNORECASE
#: Traces that the party saw the material and could answer before the decision (FL 25 §).
_KOMMUNICERING = compile_patterns((
    r"\bkommunicer\w*\b",
    r"\b(?:fått|få|fick|getts|gavs|ges|givits|erbjudits|erbjöds|beretts|bereddes|bereds)\s+"
    r"(?:\w+\s+){0,3}(?:möjlighet|tillfälle)"
    r"\s+att\s+(?:yttra\s+sig|lämna\s+synpunkter|komma\s+in\s+med|inkomma\s+med|ta\s+del)",
    r"\b(?:fått|få|fick|har\s+tagit|tog)\s+(?:ta\s+)?del\s+av\s+(?:\w+\s+){0,3}(?:utredning\w*"
    r"|underlag\w*|förslag\w*|material\w*|beslutsunderlag\w*|utredningsmaterial\w*)",
    r"\bhar\s+yttrat\s+sig\b",
    r"\byttrande\s+(?:har\s+)?(?:inkommit|kommit\s+in)\b",
    r"\b(?:delgivits|delgetts|skickats|sänts|översänts)\b[^.]{0,80}\b(?:utredning\w*|förslag\w*"
    r"|underlag\w*|synpunkter|yttrande)",
    r"\blämnat\s+(?:\w+\s+){0,2}synpunkter\s+på\s+(?:\w+\s+){0,2}(?:utredning\w*|förslag\w*"
    r"|underlag\w*)",
))  # fmt: skip
#: Urgent decisions where kommunicering may wait (FL 25 § andra stycket, LVU 6 §).
_URGENT = re.compile(r"\bomedelbart\s+omhänd\w*|\b6\s+§\s+(?:LVU|lagen\s+\(1990:52\))", _I)


def _check_kommunicering(ctx: Context) -> Outcome:
    adverse, where = adverse_hits(ctx)
    if not adverse:
        return (
            "not_applicable",
            "Beslutet går inte någon part emot; kommunicering krävs inte.",
            [],
        )
    units, _ = ctx.decision_units()
    if any(_URGENT.search(ctx.sentence(u)) for u in units):
        return (
            "not_applicable",
            "Ett brådskande beslut (omedelbart omhändertagande) får fattas före kommunicering.",
            [],
        )
    decision = [
        ctx.evidence(h, f"beslut som går en part emot ({where})", False) for h in adverse[:2]
    ]
    status, summary, evidence = outcome(
        ctx,
        ctx.find(_KOMMUNICERING),
        reason_counts=True,
        found="Parten har fått del av underlaget före beslutet",
        missing=f"Beslutet går en part emot (”{decision[0].text}”) men utkastet säger inte att "
        "utredningen eller förslaget till beslut har kommunicerats med parten, eller varför det "
        "inte behövdes.",
    )
    return status, summary, decision + evidence


CHECKS: tuple[Check, ...] = (
    Check(
        "kommunicering_missing",
        "Kommunicering före beslutet saknas",
        "Kommunicering",
        "party_information",
        "förvaltningslagen (2017:900) 25 §; SoL (2001:453) 11 kap. 8 §",
        "Om beslutet går en part emot (avslag, placering, flyttning, umgängesbegränsning, "
        "flyttningsförbud …): att utredningen eller förslaget till beslut har kommunicerats, att "
        "parten har fått ta del av underlaget eller getts tillfälle att yttra sig, eller ett "
        "yttrande från parten. Ett nekande omnämnande räknas om det anger skäl (”kommunicering "
        "har inte kunnat ske eftersom beslutet inte kan skjutas upp”). Omedelbara "
        "omhändertaganden kontrolleras inte.",
        0.45,
        _check_kommunicering,
    ),
)
