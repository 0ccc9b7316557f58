"""Corpus checks: schema, label ids, stance rules, duplicates and near-duplicates, split
leakage, and leaks into held-out sets. Near-duplicates count only across units (documents,
sentence groups): a contrast group may tell one matter twice in different stances on purpose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

__all__ = [
    "ValidationReport",
    "cross_unit_pairs",
    "held_out_leaks",
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
_BLOCK_ROWS = 512
_DOT_CHUNK = 32768
#: Margin for float rounding in the pruning bound of ``near_duplicate_pairs``.
_ROUNDING = 1e-9


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
    """Index pairs ``(i, j, similarity)`` of near-duplicate texts, sorted.

    Within ``texts`` when ``others`` is None (``i < j``), otherwise between ``texts[i]`` and
    ``others[j]``.

    Exact, though the sparse product leaves out the most common n-grams, which nearly every
    pair shares: over them two rows score at most the product of their norms there
    (Cauchy–Schwarz), so a pair sharing no rarer n-gram can reach ``threshold`` only when both
    rows are made mostly of common n-grams, and those few rows are compared in full.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts or (others is not None and not others):
        return []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
    matrix = vectorizer.fit_transform(list(texts) + list(others or [])).tocsr()
    within = others is None
    left = matrix[: len(texts)]
    right = left if within else matrix[len(texts) :]
    common = _common_ngrams(left, right, threshold)
    left_parts = _split_columns(left, common)
    right_parts = left_parts if within else _split_columns(right, common)
    # Rows whose common n-grams alone could reach the threshold with some row of the other side.
    heavy_left = left_parts.norm * right_parts.norm.max() >= threshold - _ROUNDING
    heavy_right = right_parts.norm * left_parts.norm.max() >= threshold - _ROUNDING
    rows, cols, sims = _light_pairs(
        left_parts, right_parts, (heavy_left, heavy_right), threshold, within
    )
    heavy_rows, heavy_cols, heavy_sims = _heavy_pairs(
        left, right, np.flatnonzero(heavy_left), np.flatnonzero(heavy_right), threshold, within
    )
    rows, cols = np.concatenate([rows, heavy_rows]), np.concatenate([cols, heavy_cols])
    sims = np.concatenate([sims, heavy_sims])
    order = np.lexsort((cols, rows))
    return [
        (int(i), int(j), float(s))
        for i, j, s in zip(rows[order], cols[order], sims[order], strict=True)
    ]


@dataclass(frozen=True)
class _Columns:
    """TF-IDF rows split into the rarer and the common n-grams; ``norm`` is the common part's."""

    rare: csr_matrix
    common: csr_matrix
    norm: np.ndarray


def _split_columns(matrix: csr_matrix, common: np.ndarray) -> _Columns:
    from scipy.sparse.linalg import norm

    part = matrix[:, common]
    return _Columns(matrix[:, ~common], part, norm(part, axis=1))


def _common_ngrams(left: csr_matrix, right: csr_matrix, threshold: float) -> np.ndarray:
    """Mask of the n-grams to leave out of the sparse product: the k shared by most row
    pairs, k chosen to minimise the estimated work (products over the other n-grams, plus
    full products among the rows made mostly of the k)."""
    n_features = left.shape[1]
    work = np.bincount(left.indices, minlength=n_features).astype(float)
    work *= np.bincount(right.indices, minlength=n_features)
    rank = np.empty(n_features, dtype=np.int64)
    rank[np.argsort(-work, kind="stable")] = np.arange(n_features)
    ks = np.unique(np.append(np.geomspace(1, n_features, 24).astype(np.int64), 0))
    below = (rank[:, None] < ks[None, :]).astype(float)

    def heavy_share(side: csr_matrix) -> np.ndarray:
        return (side.multiply(side) @ below >= threshold**2).mean(axis=0)

    cost = work.sum() - work @ below + work.sum() * heavy_share(left) * heavy_share(right)
    return rank < ks[np.argmin(cost)]


def _light_pairs(
    left: _Columns,
    right: _Columns,
    heavy: tuple[np.ndarray, np.ndarray],
    threshold: float,
    within: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sharing a rarer n-gram, except heavy row with heavy row (``heavy``: row masks)."""
    rows, cols, sims = _thresholded_product(
        left.rare, right.rare, threshold - _ROUNDING, within, (left.norm, right.norm)
    )
    light = ~(heavy[0][rows] & heavy[1][cols])
    rows, cols = rows[light], cols[light]
    sims = sims[light] + _rowwise_dot(left.common, right.common, rows, cols)
    keep = sims >= threshold
    return rows[keep], cols[keep], sims[keep]


def _heavy_pairs(
    left: csr_matrix,
    right: csr_matrix,
    heavy_left: np.ndarray,
    heavy_right: np.ndarray,
    threshold: float,
    within: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of heavy rows (indices ``heavy_left``, ``heavy_right``), over all n-grams."""
    rows, cols, sims = _thresholded_product(left[heavy_left], right[heavy_right], threshold, within)
    return heavy_left[rows], heavy_right[cols], sims


def _thresholded_product(
    left: csr_matrix,
    right: csr_matrix,
    threshold: float,
    within: bool,
    slack: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries ``(i, j, value)`` of ``left @ right.T`` with ``value + slack[0][i] * slack[1][j]
    >= threshold``; only ``i < j`` when ``within`` (``left`` is ``right``)."""
    parts = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))]
    # Blocks of rows keep the product small; within, only columns from the block's first row.
    for start in range(0, left.shape[0], _BLOCK_ROWS):
        offset = start if within else 0
        block = (left[start : start + _BLOCK_ROWS] @ right[offset:].T).tocoo()
        rows, cols, values = block.row + start, block.col + offset, block.data
        score = values if slack is None else values + slack[0][rows] * slack[1][cols]
        keep = score >= threshold
        if within:
            keep &= cols > rows
        parts.append((rows[keep], cols[keep], values[keep]))
    rows, cols, values = (np.concatenate(column) for column in zip(*parts, strict=True))
    return rows, cols, values


def _rowwise_dot(
    left: csr_matrix, right: csr_matrix, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """``left[rows[k]] · right[cols[k]]`` for every k, in chunks of bounded size."""
    chunks = [
        left[rows[s : s + _DOT_CHUNK]].multiply(right[cols[s : s + _DOT_CHUNK]]).sum(axis=1)
        for s in range(0, len(rows), _DOT_CHUNK)
    ]
    return np.concatenate([np.zeros(0), *(np.asarray(c).ravel() for c in chunks)])


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


def _may_recur(a: CorpusPassage, b: CorpusPassage) -> bool:
    """Two boilerplate lines may repeat each other; any other pair may not."""
    return is_boilerplate(a) and is_boilerplate(b)


def repeated_texts(passages: Sequence[CorpusPassage]) -> list[tuple[str, str]]:
    """``(first id, id)`` for every passage whose text (case aside) an earlier one has, unless
    both are boilerplate."""
    first: dict[str, CorpusPassage] = {}
    repeats = []
    for passage in passages:
        earlier = first.setdefault(passage.text.casefold(), passage)
        if earlier is not passage and not _may_recur(earlier, passage):
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
        and not _may_recur(passages[i], passages[j])
    ]


def held_out_leaks(
    passages: Sequence[CorpusPassage], held_out: Sequence[CorpusPassage]
) -> list[str]:
    """An error for every row of ``passages`` that repeats or near-duplicates a held-out row
    (two boilerplate lines aside): a model trained on it would be scored on what it saw."""
    errors: list[str] = []
    held: dict[str, CorpusPassage] = {}
    for row in held_out:
        held.setdefault(row.text.casefold(), row)
    for row in passages:
        twin = held.get(row.text.casefold())
        if twin is not None and not _may_recur(row, twin):
            errors.append(f"held-out leak: {row.id} repeats the text of {twin.id}")
    pairs = near_duplicate_pairs([p.text for p in passages], [h.text for h in held_out])
    for i, j, similarity in pairs:
        row, twin = passages[i], held_out[j]
        if row.text.casefold() != twin.text.casefold() and not _may_recur(row, twin):
            errors.append(
                f"held-out leak: near-duplicates {row.id} and {twin.id} (held out), "
                f"similarity {similarity:.2f}"
            )
    return errors


def validate_corpus(
    path: Path | str | Sequence[Path | str],
    *,
    held_out: Path | str | Sequence[Path | str] = (),
) -> ValidationReport:
    """Validate every ``*.jsonl`` file under ``path`` (a file, a directory, or several).

    ``held_out``: sets kept out of training (such as ``corpora/held_out``). Their files are
    validated too, and a row of ``path`` that repeats or near-duplicates one of their rows is
    an error. A file that is under both counts as validated, not as held out.
    """
    files = corpus_files(path)
    validated = {file.resolve() for file in files}
    held_files = [file for file in corpus_files(held_out) if file.resolve() not in validated]
    report = ValidationReport()
    records = _records(files)
    held_records = _records(held_files)
    report.n = len(records)
    validate_records(records + held_records, report)
    if report.errors:
        return report
    passages = [CorpusPassage.from_dict(obj) for _, obj in records]
    validate_passages(passages, report)
    if held_records:
        held = [CorpusPassage.from_dict(obj) for _, obj in held_records]
        report.errors.extend(held_out_leaks(passages, held))
    return report


def _records(files: Sequence[Path]) -> list[tuple[str, dict]]:
    return [(f"{file}:{number}", obj) for file in files for number, obj in iter_jsonl(file)]


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
