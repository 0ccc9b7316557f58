"""Tagged passages of a draft that are not findings, because of where they stand or what
they say.

The model scores a passage alone; the draft around it can show that a tag is not a finding
about the handling. Two readings, both tied to an absence check of the same label:

- *Requirement met* (``requirement_met``): the passage holds the very words by which a
  check found its requirement met (the kommunicering done, the risk assessed, the child
  heard, a correct appeal notice), and nothing after those words in their sentence negates
  them ("… med mamma men inte med pappa"). Only
  checks whose trace is itself compliance settle a passage (``SETTLING_CHECKS``); reasons,
  lagrum and barnets bästa are left out, because that a passage mentions them says nothing
  about their quality. Two traces settle a passage although they are worded as a denial or
  about time: a denial the passage excuses with a reason the law accepts ("kommunicering har
  inte kunnat ske eftersom beslutet inte kan skjutas upp", ``NOTE_EXCUSED``), and, for the
  time limits, the recorded extension itself ("beslutade … att förhandsbedömningen skulle
  förlängas … på grund av synnerliga skäl", ``NOTE_EXTENDED``); a mere date settles nothing.
- *Narrative* (``narrative``): the passage stands under a heading that tells the case's
  story ("Bakgrund", "Ärendet", "Utredning", "Samtal med barnet"; ``NARRATIVE_KINDS``),
  states no shortcoming (no negation, no criticism) and a check of the same label ran on
  the draft. "Alva har bevittnat våld" under "Bakgrund" is what happened; whether the
  nämnd then assessed the risk is what the check answers for the whole draft.

A passage that criticises the handling ("bristfällig", "för sent", "borde") or where a check
reads its requirement as denied ("ingen riskbedömning har gjorts") is never set aside.
Set-aside passages are shown in the report with the reason, and do not count.

May import: ``document``, ``structure.sections`` and ``screen.checks``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from protoscan.document import Passage
from protoscan.screen.checks import CheckResult, Evidence
from protoscan.screen.checks.base import NOTE_EXCUSED, NOTE_EXTENDED, NOTE_NEGATED
from protoscan.screen.checks.negation import NEGATIONS
from protoscan.structure.sections import NARRATIVE_KINDS

__all__ = [
    "NARRATIVE",
    "REQUIREMENT_MET",
    "SETTLING_CHECKS",
    "set_aside_reason",
]

NARRATIVE = "narrative"
REQUIREMENT_MET = "requirement_met"
#: Checks whose counted trace in a passage shows the requirement met in that passage.
SETTLING_CHECKS: frozenset[str] = frozenset(
    {"kommunicering_missing", "violence_unassessed", "child_views_missing", "appeal_notice_missing"}
)
#: Time-limit checks: only their recorded extensions settle a passage.
_EXTENSION_CHECKS: frozenset[str] = frozenset(
    {"preliminary_assessment_overdue", "investigation_overdue"}
)
_STATUS_SV = {"passed": "uppfyllt", "failed": "saknas"}
#: Words that criticise the handling: a passage with them keeps its finding.
_CRITICISM = re.compile(
    r"\b(?:brist\w*|otillräcklig\w*|ofullständig\w*|försen\w*|dröj\w*|för\s+sent|kritik\w*"
    r"|kritiser\w*|borde|skulle\s+ha|underlåt\w*|felaktig\w*|otydlig\w*|klander\w*)",
    re.IGNORECASE,
)


def _inside(passage: Passage, evidence: Evidence) -> bool:
    return passage.start_char <= evidence.start_char < passage.end_char


def _plain(evidence: Evidence) -> bool:
    """Whether the sentence negates nothing after the matched words (a negation before them
    in their clause already kept the check from counting them): "har kommunicerats med
    mamma men inte med pappa" does not show the requirement met."""
    sentence = " ".join(evidence.sentence.split())
    at = sentence.find(" ".join(evidence.text.split()))
    rest = sentence[at + len(evidence.text) :] if at >= 0 else sentence
    return not NEGATIONS.search(rest)


def _settles(check: CheckResult, evidence: Evidence) -> bool:
    if check.id in _EXTENSION_CHECKS:
        return evidence.note == NOTE_EXTENDED and _plain(evidence)
    if check.id not in SETTLING_CHECKS:
        return False
    return evidence.note == NOTE_EXCUSED or _plain(evidence)


def set_aside_reason(
    passage: Passage, label: str, checks: Sequence[CheckResult]
) -> tuple[str, str] | None:
    """Why a passage tagged with ``label`` is not a finding: ``(kind, Swedish reason)``, or None.

    Args:
        passage: The tagged passage (with its section).
        label: The label the model gave it.
        checks: The draft's absence check results.

    Example:
        >>> from protoscan.screen.checks.base import Evidence
        >>> passage = Passage("d:1", "Förslaget har kommunicerats med mamma.", 0, 38,
        ...                   section="Ärendet", section_kind="background")
        >>> met = Evidence(14, 27, "kommunicerats", passage.text, "spår", True)
        >>> check = CheckResult("kommunicering_missing", "…", "Kommunicering", "passed",
        ...                     "party_information", "FL 25 §", "…", "…", 0.45, (met,))
        >>> set_aside_reason(passage, "party_information", [check])[0]
        'requirement_met'
    """
    own = [c for c in checks if c.label == label]
    denied = any(e.note == NOTE_NEGATED and _inside(passage, e) for c in own for e in c.evidence)
    if denied or _CRITICISM.search(passage.text):
        return None
    for check in own:
        if check.status != "passed":
            continue
        met = [e for e in check.evidence if e.counts and _inside(passage, e) and _settles(check, e)]
        if met:
            return REQUIREMENT_MET, (
                f"Stycket visar själv att kravet är uppfyllt: {check.requirement_sv} "
                f"(”{met[0].text}”)."
            )
    ran = [c for c in own if c.status in _STATUS_SV]
    if passage.section_kind in NARRATIVE_KINDS and ran and not NEGATIONS.search(passage.text):
        answers = ", ".join(f"{c.requirement_sv}: {_STATUS_SV[c.status]}" for c in ran)
        return NARRATIVE, (
            f"Stycket står under ”{passage.section}” och berättar vad som hänt i ärendet. Om "
            f"kravet är uppfyllt avgör frånvarokontrollen för hela utkastet ({answers})."
        )
    return None
