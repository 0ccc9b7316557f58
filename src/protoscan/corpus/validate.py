"""Corpus checks: schema, label ids, stance rules, duplicates and near-duplicates, split
leakage. Near-duplicates count only across units (documents, sentence groups): a contrast
group may tell one matter twice in different stances on purpose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from protoscan.corpus.schema import (
    EVIDENCE,
    GENRES,
    POSITIVE_STANCES,
    SENTENCE_KEYS,
    SPLITS,
    STANCES,
    VOICES,
    CorpusPassage,
    corpus_files,
    iter_jsonl,
)
from protoscan.labels import validate_labels

__all__ = [
    "ValidationReport",
    "cross_unit_pairs",
    "is_boilerplate",
    "near_duplicate_pairs",
    "repeated_texts",
    "validate_corpus",
    "validate_records",
]

SCHEMA_KEYS = frozenset(
    {"id", "text", "labels", "voice", "evidence", "authority", "doc_id", "section", "split"}
)
OPTIONAL_KEYS = frozenset({"source"})
AUTHORITIES = ("JO", "IVO", "municipality", "other")
SENTENCE_AUTHORITIES = ("JO", "IVO", "municipality", "news", "other")
#: Cosine similarity of character 3–5-gram TF-IDF vectors above which two texts count as
#: near-duplicates (same sentence with a name or a date changed).
NEAR_DUPLICATE_THRESHOLD = 0.9
#: Longest label-free line that may repeat across documents: structural lines such as
#: "Bedömning", "Beslut" or "Ärendet avslutas." recur verbatim in real decisions, and a
#: repeat of one teaches nothing that could leak between splits.
BOILERPLATE_MAX_WORDS = 4


@dataclass
class ValidationReport:
    n: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def near_duplicate_pairs(
    texts: Sequence[str],
    others: Sequence[str] | None = None,
    *,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> list[tuple[int, int, float]]:
    """Index pairs ``(i, j, similarity)`` of near-duplicate texts.

    Within ``texts`` when ``others`` is None (``i < j``), otherwise between ``texts[i]`` and
    ``others[j]``.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts or (others is not None and not others):
        return []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
    base = list(texts) + list(others or [])
    matrix = vectorizer.fit_transform(base)
    left = matrix[: len(texts)]
    right = matrix[len(texts) :] if others is not None else left
    pairs: list[tuple[int, int, float]] = []
    # Blocks of rows keep the dense similarity slices small.
    for start in range(0, left.shape[0], 512):
        block = (left[start : start + 512] @ right.T).toarray()
        rows, cols = np.nonzero(block >= threshold)
        for r, c in zip(rows, cols, strict=True):
            i = start + int(r)
            if others is None and c <= i:
                continue
            pairs.append((i, int(c), float(block[r, c])))
    return pairs


def validate_records(records: list[tuple[str, dict]], report: ValidationReport) -> None:
    """Schema checks on raw JSON objects, each with a ``file:line`` location. A row with a
    ``stance`` is a sentence row, any other a passage row."""
    for where, obj in records:
        keys = set(obj)
        sentence = "stance" in obj
        expected, optional = (
            (frozenset(SENTENCE_KEYS), frozenset()) if sentence else (SCHEMA_KEYS, OPTIONAL_KEYS)
        )
        if missing := expected - keys:
            report.errors.append(f"{where}: missing key(s) {sorted(missing)}")
        if extra := keys - expected - optional:
            report.errors.append(f"{where}: unexpected key(s) {sorted(extra)}")
        if not isinstance(obj.get("text"), str) or not obj.get("text", "").strip():
            report.errors.append(f"{where}: 'text' must be a non-empty string")
        labels = obj.get("labels")
        if not isinstance(labels, list):
            report.errors.append(f"{where}: 'labels' must be a list")
        else:
            if unknown := validate_labels(labels):
                report.errors.append(f"{where}: unknown label(s) {unknown}")
            if len(set(labels)) != len(labels):
                report.errors.append(f"{where}: repeated label in {labels}")
        for key, allowed in (
            ("voice", VOICES),
            ("evidence", EVIDENCE),
            ("authority", SENTENCE_AUTHORITIES if sentence else AUTHORITIES),
            ("split", SPLITS),
            ("stance", STANCES),
            ("genre", GENRES),
        ):
            if key in obj and obj[key] not in allowed:
                report.errors.append(f"{where}: {key}={obj[key]!r} not in {list(allowed)}")
        if obj.get("evidence") == "alleged" and obj.get("labels"):
            report.errors.append(f"{where}: an allegation (evidence=alleged) must have no labels")
        if sentence and isinstance(labels, list) and obj["stance"] in STANCES:
            positive = obj["stance"] in POSITIVE_STANCES
            if positive != bool(labels):
                report.errors.append(
                    f"{where}: stance {obj['stance']!r} "
                    + ("needs at least one label" if positive else "must have no labels")
                )


def validate_passages(passages: Sequence[CorpusPassage], report: ValidationReport) -> None:
    """Duplicates, near-duplicates and leakage across splits."""
    seen_ids: dict[str, int] = {}
    unit_splits: dict[str, set[str]] = defaultdict(set)
    unit_kind: dict[str, str] = {}
    report.errors.extend(f"duplicate text in {a} and {b}" for a, b in repeated_texts(passages))
    for passage in passages:
        if passage.id in seen_ids:
            report.errors.append(f"duplicate id {passage.id}")
        seen_ids[passage.id] = 1
        if passage.unit and passage.split:
            unit_splits[passage.unit].add(passage.split)
            unit_kind[passage.unit] = "group" if passage.is_sentence else "document"
    for unit, splits in sorted(unit_splits.items()):
        if len(splits) > 1:
            report.errors.append(f"split leakage: {unit_kind[unit]} {unit} is in {sorted(splits)}")
    for i, j, similarity in cross_unit_pairs(passages):
        a, b = passages[i], passages[j]
        report.near_duplicates.append((a.id, b.id, similarity))
        if a.split and b.split and a.split != b.split:
            report.errors.append(
                f"split leakage: near-duplicates {a.id} ({a.split}) and {b.id} ({b.split}), "
                f"similarity {similarity:.2f}"
            )
        else:
            report.warnings.append(f"near-duplicates {a.id} and {b.id} ({similarity:.2f})")


def is_boilerplate(passage: CorpusPassage) -> bool:
    """A short label-free line (a structural heading or formula) that may recur."""
    return not passage.labels and len(passage.text.split()) <= BOILERPLATE_MAX_WORDS


def repeated_texts(passages: Sequence[CorpusPassage]) -> list[tuple[str, str]]:
    """``(first id, id)`` for every passage whose text (case aside) an earlier one has, unless
    both are boilerplate."""
    first: dict[str, CorpusPassage] = {}
    repeats = []
    for passage in passages:
        earlier = first.setdefault(passage.text.casefold(), passage)
        if earlier is not passage and not (is_boilerplate(earlier) and is_boilerplate(passage)):
            repeats.append((earlier.id, passage.id))
    return repeats


def cross_unit_pairs(
    passages: Sequence[CorpusPassage], *, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> list[tuple[int, int, float]]:
    """Near-duplicate pairs whose members belong to different documents or groups (two
    boilerplate lines are not a pair)."""
    pairs = near_duplicate_pairs([p.text for p in passages], threshold=threshold)
    return [
        (i, j, s)
        for i, j, s in pairs
        if (passages[i].unit is None or passages[i].unit != passages[j].unit)
        and not (is_boilerplate(passages[i]) and is_boilerplate(passages[j]))
    ]


def validate_corpus(path: Path | str | Sequence[Path | str]) -> ValidationReport:
    """Validate every ``*.jsonl`` file under ``path`` (a file, a directory, or several)."""
    files = corpus_files(path)
    report = ValidationReport()
    records: list[tuple[str, dict]] = []
    for file in files:
        records.extend((f"{file}:{number}", obj) for number, obj in iter_jsonl(file))
    report.n = len(records)
    validate_records(records, report)
    if report.errors:
        return report
    passages = [CorpusPassage.from_dict(obj) for _, obj in records]
    validate_passages(passages, report)
    return report


def drop_near_duplicates(
    passages: Sequence[CorpusPassage], *, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> tuple[list[CorpusPassage], list[tuple[str, str, float]]]:
    """Keep the first of every near-duplicate group; returns (kept, removed pairs)."""
    removed: dict[int, tuple[str, str, float]] = {}
    for i, j, similarity in cross_unit_pairs(passages, threshold=threshold):
        if i not in removed and j not in removed:
            removed[j] = (passages[i].id, passages[j].id, similarity)
    kept = [p for index, p in enumerate(passages) if index not in removed]
    return kept, list(removed.values())
