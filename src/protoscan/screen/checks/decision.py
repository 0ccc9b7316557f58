"""Whether a decision goes against a party (refusal, placement, restriction …): what the
appeal-notice and kommunicering checks both ask first.

May import: ``screen.checks.base`` and ``screen.checks.negation``.
"""

from __future__ import annotations

import re

from protoscan.screen.checks.base import Context, Hit, compile_patterns
from protoscan.screen.checks.negation import NEGATIONS

__all__ = [
    "adverse_hits",
]

_I = re.IGNORECASE
_ADVERSE = compile_patterns((
    r"\bavslag\w*\b",
    r"\bavslå\w*\b",
    r"\bbegräns\w*\b",
    r"\bumgängesbegränsning\w*\b",
    r"\bplacer\w*\b",
    r"\bomplacer\w*\b",
    r"\bflyttningsförbud\w*\b",
    r"\bupphör\w*\b",
    r"\bupphäv\w*\b",
    r"\bnekas\b",
    r"\bbeviljas\s+inte\b",
    r"\bomedelbart\s+omhänd\w*\b",
    r"\bvård\s+enligt\s+[23]\s+§\s+LVU\b",
    r"\båterkr\w*\b",
    r"\bavvisa\w*\b",
    r"\bflyttning\w*\b",
    r"\bomhändert\w*\b",
    r"\bska\s+(?:[^.]{0,40}\s)?vistas\s+(?:på|i)\b",
    r"\b14\s+§\s+(?:andra\s+stycket\s+)?(?:\d\s+)?(?:LVU|lagen\s+\(1990:52\))",
    r"\bska\s+flyttas\b",
    r"\b11\s+§\s+(?:första\s+stycket\s+)?(?:LVU|lagen\s+\(1990:52\))",
))  # fmt: skip
_STATES_RULE = re.compile(r"^\W*(?:enligt|av|i|som)\b", _I)
#: The title line of a decision ("Beslut om umgänge enligt 14 § LVU", "§ 41 Beslut om …")
#: says what is decided.
_DECISION_TITLE = re.compile(r"^(?:§\s*\d+\s+)?beslut\s+om\b", _I)
#: A decision that grants the application ("Ansökan beviljas") goes against no party, even
#: when what it grants is a placement.
_GRANTED = re.compile(r"\b(?:ansökan|ansökningen)\s+(?:\w+\s+){0,6}(?:beviljas|bifalls)\b", _I)
_REFUSED = re.compile(r"\b(?:avslå\w*|avslag\w*|delvis|inte\s+beviljas|nekas|avvisa\w*)\b", _I)


def adverse_hits(ctx: Context) -> tuple[list[Hit], str]:
    """Where the decision goes against a party (refusal, placement, restriction …), if it does.

    A decision that grants the application ("Ansökan beviljas") goes against no one.
    """
    units, where = ctx.decision_units()
    decided = " ".join(ctx.sentence(u) for u in units)
    if _GRANTED.search(decided) and not _REFUSED.search(decided):
        return [], where
    titles = [u for u in ctx.units if _DECISION_TITLE.match(ctx.sentence(u)) and u not in units]
    adverse = [
        h
        for h in ctx.find(_ADVERSE, [*titles, *units])
        # In the decision, "Vera ska flyttas …, 11 § LVU" decides; only "Enligt … ska …"
        # restates a rule.
        if not (h.rule and _STATES_RULE.match(ctx.sentence(h.unit)))
        and (not h.negated or NEGATIONS.search(ctx.text[h.start : h.end]))
    ]
    return adverse, where
