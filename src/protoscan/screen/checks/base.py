"""The ``Check`` contract, its results, and the ``Context`` every check reads.

A check is a ``Check``: ids and Swedish texts for the report, a confidence, and a ``run``
function from a ``Context`` (the draft's sentences, from ``protoscan.structure.segment``,
cut at line breaks, with their sections and clause breaks) to an ``Outcome``: a status, a
Swedish summary and the ``Evidence`` it looked at. ``Context.find`` gives every match of a
check's cue patterns with whether its clause negates it, gives a reason, or only restates a
rule; ``outcome`` turns such hits into the usual pass/fail.

May import: ``document``, ``structure.segment`` and ``screen.checks.negation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from protoscan.document import Document, Section
from protoscan.screen.checks.negation import WORDS, negated
from protoscan.structure.segment import split_clauses

__all__ = [
    "NOTE_EXCUSED",
    "NOTE_EXTENDED",
    "NOTE_NEGATED",
    "STATUSES",
    "Check",
    "CheckResult",
    "Context",
    "Evidence",
    "Hit",
    "Outcome",
    "Unit",
    "compile_patterns",
    "outcome",
    "shorten",
]

_I = re.IGNORECASE

STATUSES: tuple[str, ...] = ("passed", "failed", "not_applicable")
#: The note on evidence whose clause denies the requirement ("ingen riskbedömning har gjorts").
NOTE_NEGATED = "nekande omnämnande"
#: The note on a denial the text itself excuses with a reason the law accepts ("kommunicering
#: har inte kunnat ske eftersom beslutet inte kan skjutas upp"): the requirement is met.
NOTE_EXCUSED = "nekande, men med skäl"
#: The note on a recorded extension of a time limit (or synnerliga skäl for exceeding it).
NOTE_EXTENDED = "förlängning eller synnerliga skäl"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A place in the text that a check looked at.

    Attributes:
        start_char: Offset of the matched words in ``Document.text``.
        end_char: Offset after them.
        text: The matched words.
        sentence: The sentence they stand in (for context in reports).
        note: What the match is, in Swedish (``"nekande, med skäl"``, ``"datum för anmälan"``).
        counts: Whether the match satisfies what the check requires.
        section: The heading of the section the match stands under (``""`` before the first
            heading); ``run_checks`` fills it in.
    """

    start_char: int
    end_char: int
    text: str
    sentence: str
    note: str
    counts: bool
    section: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_char": self.start_char,
            "end_char": self.end_char,
            "text": self.text,
            "sentence": self.sentence,
            "note": self.note,
            "counts": self.counts,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one absence check on one document.

    Attributes:
        id: The check id (``child_views_missing`` …).
        name_sv: Short Swedish name of the deficiency the check infers.
        requirement_sv: What the draft should contain, in Swedish (``Barnets synpunkter``).
        status: ``"passed"``, ``"failed"`` or ``"not_applicable"``.
        label: The taxonomy label the deficiency belongs to.
        legal_basis: The requirement behind the check.
        looked_for: What the check searched for, in plain Swedish.
        summary: What it found or did not find, in plain Swedish.
        confidence: How sure the inference is when it fails (always below passage findings).
        evidence: The matches it looked at.
        inferred: Always ``True``: the result comes from an absence, not a statement.
    """

    id: str
    name_sv: str
    requirement_sv: str
    status: str
    label: str
    legal_basis: str
    looked_for: str
    summary: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    inferred: bool = True

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name_sv": self.name_sv,
            "requirement_sv": self.requirement_sv,
            "status": self.status,
            "label": self.label,
            "legal_basis": self.legal_basis,
            "looked_for": self.looked_for,
            "summary": self.summary,
            "confidence": self.confidence,
            "inferred": self.inferred,
            "evidence": [e.to_dict() for e in self.evidence],
        }


#: What a check's ``run`` returns: status, Swedish summary, the evidence it looked at.
Outcome = tuple[str, str, list[Evidence]]


@dataclass(frozen=True, slots=True)
class Check:
    """One absence check: its id, what it infers, and the function that runs it.

    ``run`` reads the draft through a ``Context`` and returns an ``Outcome``; ``run_checks``
    wraps it into a ``CheckResult`` with the texts here.
    """

    id: str
    name_sv: str
    requirement_sv: str
    label: str
    legal_basis: str
    looked_for: str
    confidence: float
    run: Callable[[Context], Outcome] = field(repr=False)


#: Matches that are themselves a decision, so an assessment verb before a negation does not
#: make the negation an assessment result ("bedöms inte finnas skäl att inleda utredning").
_DECISION_CONCEPT = re.compile(r"utredning|inled", _I)
#: Why something was not done: makes a negated mention a considered one.
_REASON = re.compile(
    r"\b(?:kunnat|kunde|kan|velat|ville|vill|möjligt|möjlighet|lämpligt|olämpligt|ålder|"
    r"för\s+(?:ung|liten|litet|små)|spädbarn|månader\s+gammal|eftersom|med\s+hänsyn\s+till|"
    r"på\s+grund\s+av|p\.g\.a\.|pga|avböj\w*|vägra\w*|motsatt\w*|hänsyn|bedömdes|bedöms|"
    r"avstått|avstod|ont\s+i|sjuk\w*|tolk|"
    # An age given as the reason: "har inte hörts då hon endast är två år".
    r"(?:\d{1,2}|ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva)\s+(?:år|månader|veckor)"
    r"(?:\s+gammal|\s+gamla)?)\b",
    _I,
)
#: Statements of the rule ("Enligt 11 kap. 10 § SoL ska barnet …") are not traces of the case.
_RULE_SOURCE = re.compile(
    r"§|\b(?:SOSFS|HSLF-FS|socialtjänstlagen|förvaltningslagen|barnkonventionen|föräldrabalken"
    r"|lagen|LVU|SoL|FL|artikel|art\.)\b"
)
_RULE_MODAL = re.compile(r"\b(?:ska|skall|får|måste|bör)\b", _I)
_RULE_TIME_LIMIT = re.compile(r"\b(?:får|kan)\s+(?:endast\s+|bara\s+)?förläng", _I)
#: Sentences that decide, where a draft has no decision section.
_DECIDES = re.compile(
    r"\b(?:beslutar|beslutas|beslutat\s+att|beslut\s*:|förslag\s+till\s+beslut\s*:)"
    r"|\butredning\s+(?:enligt\s+[^.]{0,40}\s+)?inleds\b|\bansökan\s+(?:avslås|beviljas)\b",
    _I,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence of the draft, with its section, whether it is a bare heading line, and
    its clause breaks (offsets into the sentence)."""

    start: int
    end: int
    section: Section | None
    heading_like: bool
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A cue found in a sentence, and how its clause reads it."""

    start: int
    end: int
    unit: Unit
    negated: bool
    reasoned: bool
    rule: bool
    heading: bool


class Context:
    """The parts of a document the checks read, built once per document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self.units: list[Unit] = []
        spans = [(p.start_char, p.end_char) for p in doc.passages] or [(0, len(doc.text))]
        for start, end in spans:
            section = doc.section_at(start)
            if section is not None and section.kind == "law":
                continue
            # The sentences of structure.segment, and each line of a list or table alone.
            for sentence in split_clauses(doc.text, start, end, line_breaks=True):
                s, e = sentence.start_char, sentence.end_char
                piece = doc.text[s:e]
                heading_like = (
                    len(WORDS.findall(piece)) <= 6
                    and not piece.rstrip().endswith((".", "!", "?", ":"))
                    and piece[:1].isupper()
                )
                breaks = tuple((b - s, b_end - s) for b, b_end in sentence.breaks)
                self.units.append(Unit(s, e, section, heading_like, breaks))

    # -- searching -----------------------------------------------------------------------
    def sentence(self, unit: Unit) -> str:
        return self.text[unit.start : unit.end]

    def next_unit(self, unit: Unit) -> Unit | None:
        index = self.units.index(unit)
        return self.units[index + 1] if index + 1 < len(self.units) else None

    def find(
        self,
        patterns: Sequence[re.Pattern[str]],
        units: Iterable[Unit] | None = None,
        *,
        after_words: int = 6,
    ) -> list[Hit]:
        """Every match of ``patterns`` in the units (default: all non-statute sentences).

        ``after_words`` is how far after a match a negation still negates it.
        """
        hits: list[Hit] = []
        for unit in self.units if units is None else units:
            sentence = self.sentence(unit)
            taken: list[tuple[int, int]] = []
            for pattern in patterns:
                for match in pattern.finditer(sentence):
                    if any(s < match.end() and match.start() < e for s, e in taken):
                        continue
                    taken.append(match.span())
                    hits.append(self._hit(unit, sentence, match.start(), match.end(), after_words))
        hits.sort(key=lambda h: h.start)
        return hits

    def _hit(self, unit: Unit, sentence: str, start: int, end: int, after_words: int = 6) -> Hit:
        judged_unit, judged, m_start, m_end = unit, sentence, start, end
        if unit.heading_like:
            # A heading-like line ("Riskbedömning") is judged by the sentence under it.
            following = self.next_unit(unit)
            if following is not None:
                judged_unit, judged = following, self.sentence(following)
                m_start, m_end = 0, 0
        # "bedöms det inte finnas skäl att inleda utredning" negates the decision itself.
        decided = not _DECISION_CONCEPT.search(sentence[start:end])
        is_negated = negated(
            judged, judged_unit.breaks, m_start, m_end, outcome_ok=decided, after_words=after_words
        )
        rule = bool(_RULE_SOURCE.search(judged) and _RULE_MODAL.search(judged)) or bool(
            _RULE_TIME_LIMIT.search(judged)
        )
        return Hit(
            start=unit.start + start,
            end=unit.start + end,
            unit=judged_unit,
            negated=is_negated,
            reasoned=bool(_REASON.search(judged)),
            rule=rule,
            heading=unit.heading_like,
        )

    def evidence(self, hit: Hit, note: str, counts: bool) -> Evidence:
        return Evidence(
            hit.start,
            hit.end,
            self.text[hit.start : hit.end],
            shorten(self.sentence(hit.unit)),
            note,
            counts,
        )

    # -- structure -----------------------------------------------------------------------
    def sections(self, *kinds: str) -> list[Section]:
        return [s for s in self.doc.sections if s.kind in kinds]

    def units_in(self, sections: Iterable[Section]) -> list[Unit]:
        chosen = list(sections)
        return [u for u in self.units if any(s.start_char <= u.start < s.end_char for s in chosen)]

    def decision_units(self) -> tuple[list[Unit], str]:
        """Sentences of the decision: decision sections, else sentences that decide."""
        sections = self.sections("decision")
        units = [u for u in self.units_in(sections) if not u.heading_like]
        if units:
            return units, "beslutsavsnittet"
        deciding = [u for u in self.units if _DECIDES.search(self.sentence(u))]
        return deciding, "meningar som fattar beslut"


def shorten(sentence: str, limit: int = 240) -> str:
    """The sentence on one line, cut to ``limit`` characters for reports."""
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Case-insensitive cue patterns."""
    return tuple(re.compile(p, _I) for p in patterns)


def outcome(
    ctx: Context,
    hits: list[Hit],
    *,
    reason_counts: bool,
    found: str,
    missing: str,
) -> Outcome:
    """Pass when any hit counts; otherwise fail, quoting the negated mentions."""
    evidence: list[Evidence] = []
    for hit in hits:
        if hit.rule:
            evidence.append(ctx.evidence(hit, "regeln återges, inte tillämpad", False))
        elif hit.negated and reason_counts and hit.reasoned:
            evidence.append(ctx.evidence(hit, NOTE_EXCUSED, True))
        elif hit.negated:
            evidence.append(ctx.evidence(hit, NOTE_NEGATED, False))
        else:
            evidence.append(ctx.evidence(hit, "rubrik" if hit.heading else "spår", True))
    counted = [e for e in evidence if e.counts]
    if counted:
        quoted = ", ".join(f"”{e.text}”" for e in counted[:3])
        return "passed", f"{found}: {quoted}.", evidence
    if evidence:
        quoted = ", ".join(f"”{e.text}” ({e.note})" for e in evidence[:3])
        return "failed", f"{missing} Hittade bara {quoted}.", evidence
    return "failed", f"{missing} Inget av detta förekommer i utkastet.", evidence
