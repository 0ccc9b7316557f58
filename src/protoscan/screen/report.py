"""Screen a draft decision before it is issued: passage findings, absence checks, readability.

``screen_document(doc, classifier)`` returns a ``ScreenReport``: every passage the model tags
(with the words that drove the score and the requirement behind the label), the absence
checks of ``protoscan.screen.checks`` (inferred, lower confidence) and readability advice. Statute
sections, passages of fewer than four words and passages that are only context (letterhead,
metadata lines, headings, signatures; ``protoscan.structure.context``) are never scored;
passages in a complaint section are allegations, not findings, and a tag the draft itself
answers (the case's narrative under "Bakgrund", or a passage that shows the requirement met)
is set aside with its reason (``protoscan.screen.set_aside``).
Personal identity numbers are masked in everything the report holds unless asked otherwise;
masking keeps every offset valid.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from protoscan.classify.explain import (
    MAX_CUES,
    occlusion_contributions,
    strongest_words,
    word_units,
)
from protoscan.document import Document, Metadata, Page, Passage, Section
from protoscan.errors import EmptyDocumentError
from protoscan.findings import SUPERVISORY_AUTHORITIES, counts_as_finding, voice_of
from protoscan.labels import get_label
from protoscan.privacy import find_personal_numbers, mask_personal_numbers
from protoscan.screen.checks import CheckResult, checks_apply, run_checks
from protoscan.screen.readability import ReadabilityReport, assess_readability
from protoscan.screen.set_aside import set_aside_reason
from protoscan.structure.context import context_passages

__all__ = [
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "MIN_PASSAGE_WORDS",
    "SCHEMA",
    "Cue",
    "PassageFinding",
    "ScreenReport",
    "document_from_text",
    "explain_passage",
    "group_findings",
    "mask_document",
    "screen_document",
    "sections_with_passages",
]

#: Name and version of the JSON layout written by ``ScreenReport.to_dict``.
SCHEMA = "protoscan.screen/1"
EXIT_CLEAN = 0
EXIT_FINDINGS = 3
#: Passages with fewer words are headings or letterhead fields ("BESLUT", "Datum …"), not
#: statements that could hold a finding; they are not scored.
MIN_PASSAGE_WORDS = 4
_UNIT = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Cue:
    """A word that pushed a passage's score up, with its span in ``Document.text``."""

    start_char: int
    end_char: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_char": self.start_char,
            "end_char": self.end_char,
            "text": self.text,
            "weight": round(self.weight, 4),
        }


_SET_ASIDE_SV = {
    "narrative": "Bakgrund i ärendet, inte ett fynd",
    "requirement_met": "Kravet uppfyllt i stycket, inte ett fynd",
}


@dataclass(frozen=True, slots=True)
class PassageFinding:
    """One label the model gave one passage, with what a reader needs to judge it.

    ``allegation`` is ``True`` for passages in a complaint section: what a complainant says,
    shown for context but never counted as a finding. ``set_aside`` says why a tag is not a
    finding although the passage is the author's own (``narrative`` or ``requirement_met``,
    see ``protoscan.screen.set_aside``), with the reason in Swedish in ``set_aside_reason``.
    ``section`` is the heading the passage stands under: where the finding sits.
    """

    passage_id: str
    label: str
    name_sv: str
    score: float
    threshold: float
    start_char: int
    end_char: int
    text: str
    page_numbers: tuple[int, ...]
    section: str | None
    section_kind: str | None
    voice: str
    allegation: bool
    legal_basis: str
    definition: str
    cues: tuple[Cue, ...]
    cue_source: str
    set_aside: str | None = None
    set_aside_reason: str = ""

    @property
    def counted(self) -> bool:
        """Whether the tag counts against the draft (neither an allegation nor set aside)."""
        return not self.allegation and self.set_aside is None

    @property
    def kind_sv(self) -> str:
        """What the tag is, in Swedish: a finding, an allegation, or why it is not a finding."""
        if self.allegation:
            return "Påstående i anmälan"
        return _SET_ASIDE_SV.get(self.set_aside or "", "Fynd")

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "label": self.label,
            "name_sv": self.name_sv,
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "start_char": self.start_char,
            "end_char": self.end_char,
            "text": self.text,
            "page_numbers": list(self.page_numbers),
            "section": self.section,
            "section_kind": self.section_kind,
            "voice": self.voice,
            "allegation": self.allegation,
            "set_aside": self.set_aside,
            "set_aside_reason": self.set_aside_reason,
            "legal_basis": self.legal_basis,
            "definition": self.definition,
            "cue_source": self.cue_source,
            "cues": [c.to_dict() for c in self.cues],
        }


@dataclass(frozen=True)
class ScreenReport:
    """Everything ``protoscan screen`` shows about one draft.

    Attributes:
        document: The screened document (masked unless personal data was asked for).
        findings: Passage findings at or above the threshold, in text order.
        allegations: Tagged complaint-section passages (context, not findings).
        set_aside: Tagged passages that the draft itself shows are not findings (the case's
            narrative, or the requirement met in the passage), with the reason.
        checks: Absence checks, one per check id.
        checks_applicable: Whether absence checks could run on this document.
        checks_reason: Why or why not (Swedish).
        readability: LIX, long sentences, unexplained abbreviations (advice only).
        threshold: The global threshold given, or ``None`` for the model's per-label ones.
        thresholds: The threshold used for each label.
        model: Backend name and, if known, the model's path.
        personal_data_masked: Whether personal identity numbers were masked.
        personal_numbers: How many personal identity numbers the text contains.
        context: Passage id → context kind (``letterhead``, ``metadata``, ``signature``,
            ``heading``) for the passages that were not scored because they are context.
    """

    document: Document
    findings: tuple[PassageFinding, ...]
    allegations: tuple[PassageFinding, ...]
    checks: tuple[CheckResult, ...]
    checks_applicable: bool
    checks_reason: str
    readability: ReadabilityReport
    threshold: float | None
    thresholds: dict[str, float]
    model: dict[str, Any]
    personal_data_masked: bool
    personal_numbers: int
    context: dict[str, str] = field(default_factory=dict)
    set_aside: tuple[PassageFinding, ...] = ()

    @property
    def tagged(self) -> tuple[PassageFinding, ...]:
        """Every tag shown in the text: findings, allegations and set-aside tags."""
        return (*self.findings, *self.allegations, *self.set_aside)

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.failed)

    @property
    def has_findings(self) -> bool:
        """Whether anything counts against the draft: a passage finding or a failed check."""
        return bool(self.findings or self.failed_checks)

    @property
    def exit_code(self) -> int:
        """``EXIT_FINDINGS`` (3) when the draft has findings, else ``EXIT_CLEAN`` (0)."""
        return EXIT_FINDINGS if self.has_findings else EXIT_CLEAN

    def counts(self) -> dict[str, int]:
        return {
            "findings": len(self.findings),
            "finding_passages": len({f.passage_id for f in self.findings}),
            "allegations": len(self.allegations),
            "set_aside": len(self.set_aside),
            "checks_failed": len(self.failed_checks),
            "checks_passed": sum(c.status == "passed" for c in self.checks),
            "checks_not_applicable": sum(c.status == "not_applicable" for c in self.checks),
            "long_sentences": len(self.readability.long_sentences),
            "unexplained_abbreviations": len(self.readability.abbreviations),
        }

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON layout (``SCHEMA``) for document systems."""
        doc = self.document
        return {
            "schema": SCHEMA,
            "exit_code": self.exit_code,
            "has_findings": self.has_findings,
            "counts": self.counts(),
            "document": {
                "doc_id": doc.doc_id,
                "source": doc.source,
                "sha256": doc.sha256,
                "doc_type": doc.doc_type,
                "metadata": doc.metadata.to_dict(),
                "pages": len(doc.pages),
                "sections": [s.to_dict() for s in doc.sections],
                "context": [
                    {
                        "passage_id": p.id,
                        "kind": self.context[p.id],
                        "start_char": p.start_char,
                        "end_char": p.end_char,
                    }
                    for p in doc.passages
                    if p.id in self.context
                ],
                "text": doc.text,
            },
            "model": dict(self.model),
            "threshold": self.threshold,
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "personal_data_masked": self.personal_data_masked,
            "personal_numbers": self.personal_numbers,
            "findings": [f.to_dict() for f in self.findings],
            "allegations": [f.to_dict() for f in self.allegations],
            "set_aside": [f.to_dict() for f in self.set_aside],
            "absence_checks": {
                "applicable": self.checks_applicable,
                "reason": self.checks_reason,
                "inferred": True,
                "results": [c.to_dict() for c in self.checks],
            },
            "readability": self.readability.to_dict(),
        }


# --------------------------------------------------------------------------- input


def document_from_text(text: str, source: str = "-") -> Document:
    """Build a Document from pasted text, as if it were a ``.txt`` file.

    Args:
        text: The draft's text (form feeds separate pages).
        source: What to call its origin in reports.

    Raises:
        EmptyDocumentError: The text is blank.

    Example:
        >>> doc = document_from_text("Beslut\\n\\nUtredning inleds inte.")
        >>> [(s.kind, s.title) for s in doc.sections]
        [('decision', 'Beslut')]
    """
    from protoscan.ingest import PAGE_SEPARATOR, ExtractedText
    from protoscan.ingest.clean import clean_pages
    from protoscan.ingest.text import split_pages
    from protoscan.structure import build_document

    pages = split_pages(text)
    cleaned = clean_pages(pages, remove_running=len(pages) > 1)
    parts, spans, offset = [], [], 0
    for number, page in enumerate(cleaned, start=1):
        if page and parts:
            offset += len(PAGE_SEPARATOR)
        spans.append(Page(number, offset, offset + len(page)))
        if page:
            parts.append(page)
            offset += len(page)
    joined = PAGE_SEPARATOR.join(parts)
    if not joined.strip():
        raise EmptyDocumentError(source, "the pasted text is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    extracted = ExtractedText(joined, tuple(spans), "txt", "text", digest, source)
    return build_document(extracted)


def mask_document(doc: Document) -> Document:
    """Mask personal identity numbers everywhere in a Document; offsets stay valid.

    The text, every passage, section titles, the source path and the metadata strings are
    masked with same-length replacements (``140312-****``).
    """
    masked_text = mask_personal_numbers(doc.text)
    passages = tuple(
        dataclasses.replace(p, text=masked_text[p.start_char : p.end_char]) for p in doc.passages
    )
    sections = tuple(
        dataclasses.replace(s, title=mask_personal_numbers(s.title)) for s in doc.sections
    )
    meta = doc.metadata
    metadata = Metadata.from_dict(
        {
            key: mask_personal_numbers(value) if isinstance(value, str) else value
            for key, value in meta.to_dict().items()
        }
    )
    return dataclasses.replace(
        doc,
        text=masked_text,
        passages=passages,
        sections=sections,
        metadata=metadata,
        source=mask_personal_numbers(doc.source) if doc.source else doc.source,
    )


# --------------------------------------------------------------------------- cues


def _label_cue_spans(text: str, label: str) -> list[tuple[int, int]]:
    spans = []
    for cue in get_label(label).cues:
        for match in re.finditer(r"(?<!\w)" + re.escape(cue) + r"\w*", text, re.IGNORECASE):
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def explain_passage(
    classifier: Any, text: str, label: str, *, offset: int = 0
) -> tuple[tuple[Cue, ...], str]:
    """The words that drove a label's score for one passage.

    For any backend these are the words whose removal lowers the label's score most (word
    occlusion, ``"model"``); where no word matters (or the model cannot be asked), the
    label's cue phrases found in the passage (``"label_cues"``).

    Args:
        classifier: A fitted classifier.
        text: The passage text.
        label: The label id.
        offset: Added to every span (the passage's ``start_char``).

    Returns:
        The cues, strongest first, and where they came from.
    """
    try:
        label_index = list(classifier.labels_).index(label)
        contributions = occlusion_contributions(classifier, text, label_index)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        contributions = None
    strongest = strongest_words(contributions) if contributions is not None else []
    if strongest:
        units = word_units(text)
        cues = tuple(
            Cue(offset + units[i][0], offset + units[i][1], text[units[i][0] : units[i][1]],
                float(contributions[i]))
            for i in strongest
        )  # fmt: skip
        return cues, "model"
    spans = _label_cue_spans(text, label)[:MAX_CUES]
    return tuple(Cue(offset + s, offset + e, text[s:e], 0.0) for s, e in spans), "label_cues"


# --------------------------------------------------------------------------- screening


def _label_thresholds(classifier: Any, threshold: float | None) -> dict[str, float]:
    labels = list(classifier.labels_)
    if threshold is not None:
        return dict.fromkeys(labels, float(threshold))
    per_label = getattr(classifier, "thresholds_", None)
    if per_label is None:
        return dict.fromkeys(labels, float(getattr(classifier, "threshold", 0.5)))
    return {label: float(t) for label, t in zip(labels, per_label, strict=True)}


def _voice(authority: str, passage: Passage) -> tuple[str, bool, bool]:
    """``(voice, counts_as_finding, allegation)`` for a passage of a screened draft.

    A draft of unknown origin is read as the municipality's own text: that is what screening
    is for.
    """
    reader = authority if authority in SUPERVISORY_AUTHORITIES else "municipality"
    voice = voice_of(reader, passage.section_kind)
    counts = counts_as_finding(reader, voice)
    return voice, counts, voice == "complainant"


def screen_document(
    doc: Document,
    classifier: Any,
    threshold: float | None = None,
    *,
    show_personal_data: bool = False,
    model_path: str | None = None,
) -> ScreenReport:
    """Screen a draft: tag its passages, run the absence checks, assess readability.

    Args:
        doc: The draft, from ``protoscan.pipeline.read_document`` or ``document_from_text``.
        classifier: A fitted classifier (``protoscan.classify.load_classifier``).
        threshold: One threshold for every label; ``None`` uses the model's tuned ones.
        show_personal_data: Keep personal identity numbers readable (masked by default).
        model_path: Where the model came from, recorded in the report.

    Returns:
        The report; ``report.exit_code`` is 3 when it holds findings or failed checks.

    Example:
        >>> from protoscan.classify.model_dir import load_classifier  # doctest: +SKIP
        >>> from protoscan.pipeline import read_document  # doctest: +SKIP
        >>> report = screen_document(read_document("utkast.docx"),
        ...                          load_classifier("models/default"))  # doctest: +SKIP
        >>> report.exit_code, [c.id for c in report.failed_checks]  # doctest: +SKIP
        (3, ['appeal_notice_missing'])
    """
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1]; got {threshold}")
    personal_numbers = len(find_personal_numbers(doc.text))
    if not show_personal_data:
        doc = mask_document(doc)
    thresholds = _label_thresholds(classifier, threshold)
    labels = list(classifier.labels_)
    authority = doc.metadata.authority
    context = context_passages(doc)
    checks = run_checks(doc)
    scored = [
        p
        for p in doc.passages
        if p.section_kind != "law"
        and len(_UNIT.findall(p.text)) >= MIN_PASSAGE_WORDS
        and p.id not in context
    ]
    probs = (
        classifier.predict_proba([p.text for p in scored]) if scored else np.zeros((0, len(labels)))
    )
    findings: list[PassageFinding] = []
    allegations: list[PassageFinding] = []
    set_aside: list[PassageFinding] = []
    for passage, row in zip(scored, probs, strict=True):
        voice, counts, allegation = _voice(authority, passage)
        if not counts and not allegation:
            continue
        for j, label in enumerate(labels):
            score = float(row[j])
            if score < thresholds[label]:
                continue
            info = get_label(label)
            cues, source = explain_passage(
                classifier, passage.text, label, offset=passage.start_char
            )
            finding = PassageFinding(
                passage_id=passage.id,
                label=label,
                name_sv=info.name_sv,
                score=score,
                threshold=thresholds[label],
                start_char=passage.start_char,
                end_char=passage.end_char,
                text=passage.text,
                page_numbers=passage.page_numbers,
                section=passage.section,
                section_kind=passage.section_kind,
                voice=voice,
                allegation=allegation,
                legal_basis=info.legal_basis,
                definition=info.definition,
                cues=cues,
                cue_source=source,
            )
            reason = None if allegation else set_aside_reason(passage, label, checks)
            if allegation:
                allegations.append(finding)
            elif reason is not None:
                kind, why = reason
                set_aside.append(dataclasses.replace(finding, set_aside=kind, set_aside_reason=why))
            else:
                findings.append(finding)
    applicable, reason = checks_apply(doc)
    model_info: dict[str, Any] = {"backend": getattr(classifier, "backend", None)}
    if model_path is not None:
        model_info["path"] = model_path
    return ScreenReport(
        document=doc,
        findings=tuple(findings),
        allegations=tuple(allegations),
        checks=checks,
        checks_applicable=applicable,
        checks_reason=reason,
        readability=assess_readability(doc),
        threshold=threshold,
        thresholds=thresholds,
        model=model_info,
        personal_data_masked=not show_personal_data,
        personal_numbers=personal_numbers,
        context=context,
        set_aside=tuple(set_aside),
    )


def sections_with_passages(doc: Document) -> list[tuple[Section | None, list[Passage]]]:
    """The document's passages grouped by section, in text order (for renderers)."""
    groups: list[tuple[Section | None, list[Passage]]] = []
    for passage in doc.passages:
        section = doc.section_at(passage.start_char)
        if groups and groups[-1][0] == section:
            groups[-1][1].append(passage)
        else:
            groups.append((section, [passage]))
    return groups


def group_findings(findings: Sequence[PassageFinding]) -> dict[str, list[PassageFinding]]:
    """Findings keyed by passage id, in text order."""
    grouped: dict[str, list[PassageFinding]] = {}
    for finding in sorted(findings, key=lambda f: (f.start_char, -f.score)):
        grouped.setdefault(finding.passage_id, []).append(finding)
    return grouped
