"""Labelled passages → document findings.

The model judges a passage alone; who is speaking comes from the section it sits in. In JO
and IVO decisions only the supervisor's own text (summary, assessment, decision, demands)
counts as a finding: complaints are allegations and statute quotations are rules. In
municipal documents and lex Sarah investigations the municipality's own text counts (it is
the object under review or an admission), statute sections never do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from protoscan.document import Document, LabelScore, Passage

__all__ = [
    "DocumentFindings",
    "counts_as_finding",
    "document_findings",
    "tag_documents",
    "voice_of",
]

#: Section kind → voice in supervisory (JO/IVO) decisions.
_SUPERVISOR_VOICES = {
    "preamble": "record",  # letterhead, addressee and title lines
    "complaint": "complainant",
    "law": "law",
    "investigation": "municipality",
    "background": "record",
    "incident": "municipality",
    "causes": "municipality",
    "measures": "municipality",
    "child_views": "record",
}
SUPERVISORY_AUTHORITIES = frozenset({"JO", "IVO"})


def voice_of(authority: str, section_kind: str | None) -> str:
    """The voice a passage speaks in, from the document's authority and its section kind."""
    kind = section_kind or "other"
    if kind == "law":
        return "law"
    if authority in SUPERVISORY_AUTHORITIES:
        return _SUPERVISOR_VOICES.get(kind, "supervisor")
    if authority == "municipality":
        return "complainant" if kind == "complaint" else "municipality"
    return "record"


def counts_as_finding(authority: str, voice: str) -> bool:
    """Whether a tagged passage in this voice is a finding about the handling."""
    if authority in SUPERVISORY_AUTHORITIES:
        return voice == "supervisor"
    if authority == "municipality":
        return voice in ("municipality", "record")
    return voice == "supervisor"


def tag_documents(
    docs: Sequence[Document], classifier: Any, *, batch_size: int = 512
) -> list[Document]:
    """Score every passage of ``docs`` in large batches; returns new Documents."""
    texts = [p.text for doc in docs for p in doc.passages]
    probs = np.zeros((0, len(classifier.labels_)), dtype=np.float32)
    if texts:
        probs = np.concatenate(
            [
                classifier.predict_proba(texts[i : i + batch_size])
                for i in range(0, len(texts), batch_size)
            ]
        )
    decisions = classifier.decide(probs) if texts else []
    tagged, row = [], 0
    for doc in docs:
        passages: list[Passage] = []
        for passage in doc.passages:
            scores = tuple(
                LabelScore(label, round(float(p), 4))
                for label, p in zip(classifier.labels_, probs[row], strict=True)
            )
            passages.append(passage.with_predictions(decisions[row], scores))
            row += 1
        tagged.append(doc.with_passages(tuple(passages)))
    return tagged


@dataclass(frozen=True)
class DocumentFindings:
    """Document-level labels: the union of passage findings that count, with counts."""

    labels: dict[str, int]
    alleged: dict[str, int]
    outcome: str | None
    finding_passages: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": sorted(self.labels),
            "label_counts": dict(self.labels),
            "alleged_counts": dict(self.alleged),
            "outcome": self.outcome,
        }


def document_findings(doc: Document) -> DocumentFindings:
    authority = doc.metadata.authority
    counts: Counter[str] = Counter()
    alleged: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for passage in doc.passages:
        voice = voice_of(authority, passage.section_kind)
        for label in passage.labels:
            if counts_as_finding(authority, voice):
                counts[label] += 1
                where.setdefault(label, []).append(passage.id)
            elif voice == "complainant":
                alleged[label] += 1
    return DocumentFindings(dict(counts), dict(alleged), doc.metadata.outcome, where)
