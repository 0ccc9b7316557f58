"""The corpus records and their JSONL loading.

Two kinds of row share one record type, ``CorpusPassage``:

- a **passage** (``corpora/passages``): a paragraph or window of sentences from an imagined
  document, with ``voice``, ``evidence``, ``authority``, ``doc_id`` and ``section``;
- a **sentence** (``corpora/sentences``): one sentence, heading or metadata line, with its
  ``stance`` (what the sentence does: states a finding, quotes a rule, reports a claim …),
  ``voice``, ``authority``, ``genre`` and contrast ``group``.

Splits are kept per *unit*: a passage's document, a sentence's group. Loading reports bad
lines as ``file:line`` (``DataError``). The same loader reads evaluation files that carry only
``id``, ``text`` and ``labels`` (plus an optional ``ambiguous`` flag, whose rows are skipped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from protoscan.errors import DataError
from protoscan.labels import ALL_LABELS, validate_labels

__all__ = [
    "EVIDENCE",
    "GENRES",
    "NEGATIVE_STANCES",
    "POSITIVE_STANCES",
    "SENTENCE_KEYS",
    "SPLITS",
    "STANCES",
    "VOICES",
    "CorpusPassage",
    "corpus_files",
    "iter_jsonl",
    "label_matrix",
    "load_passages",
    "normalise_whitespace",
    "write_passages",
]

VOICES = ("supervisor", "municipality", "complainant", "record", "law", "journalist")
EVIDENCE = ("explicit_finding", "factual", "alleged", "none")
#: Stances of a sentence that says the handling fell short: these carry labels.
POSITIVE_STANCES = ("finding", "demand", "fact_showing_breach", "heading")
#: Stances that never carry a label (see corpora/GUIDELINE.md, "Stance").
NEGATIVE_STANCES = (
    "other_deficiency",
    "allegation",
    "rule",
    "principle",
    "policy",
    "neutral_fact",
    "compliance",
    "measure",
)
STANCES = POSITIVE_STANCES + NEGATIVE_STANCES
GENRES = (
    "decision",
    "inspection_protocol",
    "tillsyn_report",
    "press_release",
    "news",
    "lex_sarah",
    "municipal_decision",
    "municipal_reply",
    "policy",
)
#: The keys of a sentence row, in the order they are written.
SENTENCE_KEYS = ("id", "text", "labels", "stance", "voice", "authority", "genre", "group", "split")
#: What a passage's ``evidence`` says about its stance (``none`` says nothing definite).
_EVIDENCE_STANCE = {
    "explicit_finding": "finding",
    "factual": "fact_showing_breach",
    "alleged": "allegation",
}
SPLITS = ("train", "dev", "test")
REQUIRED_KEYS = ("id", "text", "labels")
_WHITESPACE = re.compile(r"\s+")


def normalise_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class CorpusPassage:
    id: str
    text: str
    labels: tuple[str, ...]
    voice: str | None = None
    evidence: str | None = None
    authority: str | None = None
    doc_id: str | None = None
    section: str | None = None
    split: str | None = None
    source: str | None = None
    stance: str | None = None
    genre: str | None = None
    group: str | None = None

    @property
    def is_sentence(self) -> bool:
        return self.stance is not None

    @property
    def unit(self) -> str | None:
        """What a split keeps together: the passage's document or the sentence's group."""
        return self.doc_id or self.group

    @property
    def stance_or_evidence(self) -> str | None:
        """The sentence's stance, or the stance a passage's evidence and voice imply (None
        where they say nothing definite)."""
        if self.stance is not None:
            return self.stance
        if self.evidence in _EVIDENCE_STANCE:
            return _EVIDENCE_STANCE[self.evidence]
        if self.voice == "law":
            return "rule"
        return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        if self.is_sentence:
            return {key: data[key] for key in SENTENCE_KEYS}
        for key in ("source", "stance", "genre", "group"):
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CorpusPassage:
        fields = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        fields["labels"] = tuple(data["labels"])
        fields["text"] = normalise_whitespace(data["text"])
        return cls(**fields)


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; ``DataError`` on bad JSON."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: invalid JSON ({error.msg})") from None
            if not isinstance(obj, dict):
                raise DataError(
                    f"{path}:{number}: expected a JSON object, got {type(obj).__name__}"
                )
            yield number, obj


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DataError(f"{path}: no *.jsonl files in this directory")
        return files
    if not path.exists():
        raise DataError(f"{path}: no such data file")
    return [path]


def corpus_files(paths: Path | str | Sequence[Path | str]) -> list[Path]:
    """The JSONL files of one path or several (a directory gives its ``*.jsonl``, sorted)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return [file for path in paths for file in _files(Path(path))]


def load_passages(
    path: Path | str | Sequence[Path | str],
    *,
    split: str | None = None,
    include_ambiguous: bool = False,
) -> list[CorpusPassage]:
    """Load labelled passages and sentences from JSONL files or directories of them.

    Args:
        path: A ``.jsonl`` file, a directory (all ``*.jsonl`` inside, sorted), or several.
        split: Keep only records of this split.
        include_ambiguous: Keep rows flagged ``"ambiguous": true`` (skipped by default).

    Raises:
        DataError: A line is not JSON, lacks ``id``/``text``/``labels`` or names unknown labels.
    """
    passages: list[CorpusPassage] = []
    for file in corpus_files(path):
        for number, obj in iter_jsonl(file):
            missing = [key for key in REQUIRED_KEYS if key not in obj]
            if missing:
                raise DataError(f"{file}:{number}: missing key(s) {', '.join(missing)}")
            if not isinstance(obj["labels"], list):
                raise DataError(f"{file}:{number}: 'labels' must be a list")
            unknown = validate_labels(obj["labels"])
            if unknown:
                raise DataError(
                    f"{file}:{number}: unknown label(s) {unknown}; valid: {', '.join(ALL_LABELS)}"
                )
            if obj.get("ambiguous") and not include_ambiguous:
                continue
            passage = CorpusPassage.from_dict(obj)
            if split is None or passage.split == split:
                passages.append(passage)
    return passages


def write_passages(passages: Iterable[CorpusPassage], path: Path) -> None:
    """Write passages as JSONL atomically (temporary file, then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    tmp.replace(path)


def label_matrix(passages: Iterable[CorpusPassage], labels: tuple[str, ...] = ALL_LABELS) -> Any:
    """Binary indicator matrix ``(n, len(labels))`` as ``numpy.ndarray``."""
    import numpy as np

    items = list(passages)
    matrix = np.zeros((len(items), len(labels)), dtype=np.int8)
    index = {label: i for i, label in enumerate(labels)}
    for row, passage in enumerate(items):
        for label in passage.labels:
            matrix[row, index[label]] = 1
    return matrix
