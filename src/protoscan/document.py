"""The data model that flows through the whole pipeline.

Offsets are 0-based and half-open, ``[start_char, end_char)``, into ``Document.text``; page
numbers start at 1. Every type is a frozen dataclass with ``to_dict``/``from_dict`` so a
``Document`` serialises to JSON and back without loss. Adding labels returns new objects
(``dataclasses.replace``); nothing is mutated.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = [
    "Document",
    "LabelScore",
    "LegalRef",
    "Metadata",
    "Page",
    "Passage",
    "Section",
]


@dataclass(frozen=True, slots=True)
class Page:
    """A page's span in the cleaned document text."""

    number: int
    start_char: int
    end_char: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Page:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of a document (``Anmälan``, ``JO:s bedömning``, ``Beslut`` …).

    ``kind`` is the normalised key (``complaint``, ``assessment``, ``law`` …) used by rules
    that care about where a passage sits; ``title`` is the heading as written.
    """

    title: str
    kind: str
    start_char: int
    end_char: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelScore:
        return cls(label=data["label"], score=float(data["score"]))


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph or sentence window of a document, with where it came from."""

    id: str
    text: str
    start_char: int
    end_char: int
    page_numbers: tuple[int, ...] = ()
    section: str | None = None
    section_kind: str | None = None
    labels: tuple[str, ...] = ()
    scores: tuple[LabelScore, ...] = ()

    def __post_init__(self) -> None:
        if self.end_char - self.start_char != len(self.text):
            raise ValueError(
                f"passage {self.id}: span [{self.start_char}, {self.end_char}) does not match "
                f"text length {len(self.text)}"
            )

    @property
    def page_number(self) -> int | None:
        """The page the passage starts on."""
        return self.page_numbers[0] if self.page_numbers else None

    def with_predictions(self, labels: tuple[str, ...], scores: tuple[LabelScore, ...]) -> Passage:
        return replace(self, labels=labels, scores=scores)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "page_numbers": list(self.page_numbers),
            "section": self.section,
            "section_kind": self.section_kind,
            "labels": list(self.labels),
            "scores": [s.to_dict() for s in self.scores],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(
            id=data["id"],
            text=data["text"],
            start_char=data["start_char"],
            end_char=data["end_char"],
            page_numbers=tuple(data.get("page_numbers", ())),
            section=data.get("section"),
            section_kind=data.get("section_kind"),
            labels=tuple(data.get("labels", ())),
            scores=tuple(LabelScore.from_dict(s) for s in data.get("scores", ())),
        )


@dataclass(frozen=True, slots=True)
class LegalRef:
    """One citation of a statute: ``11 kap. 1 a § SoL (2001:453)``."""

    law: str
    section: str
    chapter: str | None = None
    paragraph: str | None = None
    sfs: str | None = None
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LegalRef:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Metadata:
    """Document metadata (annotation guide §7); ``None`` where unknown."""

    authority: str = "other"
    doc_type: str | None = None
    dnr: str | None = None
    decision_date: str | None = None
    municipality: str | None = None
    body: str | None = None
    outcome: str | None = None
    legal_refs: tuple[LegalRef, ...] = ()
    law_version: str = "unknown"
    title: str | None = None

    @property
    def year(self) -> int | None:
        return int(self.decision_date[:4]) if self.decision_date else None

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "legal_refs"}
        data["legal_refs"] = [ref.to_dict() for ref in self.legal_refs]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metadata:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["legal_refs"] = tuple(LegalRef.from_dict(r) for r in data.get("legal_refs", ()))
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Document:
    """One decision file turned into clean, structured text."""

    doc_id: str
    source: str | None
    sha256: str
    doc_type: str
    text: str
    pages: tuple[Page, ...] = ()
    metadata: Metadata = field(default_factory=Metadata)
    sections: tuple[Section, ...] = ()
    passages: tuple[Passage, ...] = ()
    engine: str | None = None

    def pages_for_span(self, start_char: int, end_char: int) -> tuple[int, ...]:
        """Page numbers that the span ``[start_char, end_char)`` touches."""
        if not self.pages:
            return ()
        starts = [p.start_char for p in self.pages]
        first = max(bisect.bisect_right(starts, start_char) - 1, 0)
        last = max(bisect.bisect_right(starts, max(end_char - 1, start_char)) - 1, first)
        return tuple(p.number for p in self.pages[first : last + 1])

    def section_at(self, offset: int) -> Section | None:
        for section in self.sections:
            if section.start_char <= offset < section.end_char:
                return section
        return None

    def with_passages(self, passages: tuple[Passage, ...]) -> Document:
        return replace(self, passages=passages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "sha256": self.sha256,
            "doc_type": self.doc_type,
            "engine": self.engine,
            "metadata": self.metadata.to_dict(),
            "pages": [p.to_dict() for p in self.pages],
            "sections": [s.to_dict() for s in self.sections],
            "passages": [p.to_dict() for p in self.passages],
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            doc_id=data["doc_id"],
            source=data.get("source"),
            sha256=data["sha256"],
            doc_type=data["doc_type"],
            engine=data.get("engine"),
            text=data["text"],
            metadata=Metadata.from_dict(data.get("metadata", {})),
            pages=tuple(Page.from_dict(p) for p in data.get("pages", ())),
            sections=tuple(Section.from_dict(s) for s in data.get("sections", ())),
            passages=tuple(Passage.from_dict(p) for p in data.get("passages", ())),
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> Document:
        return cls.from_dict(json.loads(text))
