"""Suggest passages to label next: the ones whose labels would teach the model most.

The passages of a scan result (``protoscan scan … --out RESULTS``) are ranked by one of
three strategies:

- ``uncertainty``: scores closest to the model's thresholds first, i.e. the smallest
  ``min over labels of |score − threshold|``;
- ``disagreement``: a second model re-scores the passages; the most labels decided
  differently first, then the largest score distance on any label;
- ``diverse``: round-robin over the predicted labels (and "no label"), within a label
  round-robin over documents, most uncertain first.

Every strategy skips very short passages, headings and statute and complaint sections, caps
the picks per document, and leaves out passages already in the corpus, near-duplicates of
corpus passages and near-duplicates of earlier picks. The picks are ``CorpusPassage`` records whose
labels are pre-filled with the model's predictions, written for Label Studio (``.json``) or
Prodigy (``.jsonl``) and read back by ``protoscan corpus import``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.corpus.schema import VOICES, CorpusPassage, load_passages, normalise_whitespace
from protoscan.corpus.validate import near_duplicate_pairs
from protoscan.errors import ConfigError, DataError

__all__ = [
    "MIN_WORDS",
    "PER_DOCUMENT",
    "SKIPPED_SECTION_KINDS",
    "STRATEGIES",
    "Suggestion",
    "SuggestionReport",
    "scan_thresholds",
    "suggest_passages",
    "uncertainty_margins",
    "write_suggestions",
]

logger = logging.getLogger(__name__)

STRATEGIES = ("uncertainty", "disagreement", "diverse")
#: Passages with fewer words are headings, signatures and list stubs: nothing to learn.
MIN_WORDS = 5
#: Statute text states the rule and complaints are allegations: both are label-free by the
#: guideline, so labelling them teaches little.
SKIPPED_SECTION_KINDS = frozenset({"law", "complaint"})
#: A passage this short that does not end like a sentence is a heading or a title line.
HEADING_WORDS = 12
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", ")")
PER_DOCUMENT = 5
_AUTHORITIES = frozenset({"JO", "IVO", "municipality"})
_NO_LABEL = "(none)"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One passage to label, with why it was picked.

    Attributes:
        passage: The passage as a corpus record (labels = the model's predictions).
        rank: 1 for the first pick.
        margin: ``min over labels of |score − threshold|`` under the scan's model.
        scores: The scan's score per label.
        disagreement: Labels the second model decides differently (``disagreement`` only).
        score_distance: Largest score difference between the models on any label.
        context: Where the passage sits (source file, pages, section kind).
    """

    passage: CorpusPassage
    rank: int
    margin: float
    scores: dict[str, float]
    disagreement: int | None = None
    score_distance: float | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.passage.id,
            "doc_id": self.passage.doc_id,
            "predicted": list(self.passage.labels),
            "margin": round(self.margin, 4),
            "disagreement": self.disagreement,
            "score_distance": None
            if self.score_distance is None
            else round(self.score_distance, 4),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            **self.context,
            "text": self.passage.text,
        }


@dataclass
class SuggestionReport:
    """The picks and what was passed over on the way (reason → count)."""

    strategy: str
    suggestions: list[Suggestion]
    passages: int
    candidates: int
    skipped: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "passages": self.passages,
            "candidates": self.candidates,
            "skipped": self.skipped,
            "suggestions": [s.to_dict() for s in self.suggestions],
        }


def scan_thresholds(results: Path, model: Path | None = None) -> tuple[tuple[str, ...], np.ndarray]:
    """The labels and thresholds of the model that scored ``results``.

    Read from ``model``'s ``config.json`` when given, else from the scan manifest beside
    the results (``RESULTS.manifest.json``), else from the model directory it names.

    Raises:
        ConfigError: Neither a model nor a manifest says what the thresholds are.
    """
    from protoscan.batch.store import manifest_path
    from protoscan.classify.model_dir import read_config

    if model is not None:
        config = read_config(model)
        return tuple(config["labels"]), np.asarray(config["thresholds"], dtype=float)
    manifest = manifest_path(Path(results))
    if manifest.is_file():
        try:
            info = json.loads(manifest.read_text(encoding="utf-8")).get("model") or {}
        except json.JSONDecodeError as error:
            raise DataError(f"{manifest}: invalid JSON ({error.msg})") from None
        if info.get("labels") and info.get("thresholds"):
            return tuple(info["labels"]), np.asarray(info["thresholds"], dtype=float)
        if info.get("dir") and Path(info["dir"]).is_dir():
            return scan_thresholds(results, Path(info["dir"]))
    raise ConfigError(
        f"{results}: no scan manifest names the model's thresholds; pass --model with the "
        "model directory that scanned it"
    )


def uncertainty_margins(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``min over labels of |score − threshold|`` per row: lower is more uncertain.

    Example:
        >>> uncertainty_margins(np.array([[0.1, 0.45]]), np.array([0.5, 0.5])).round(2)
        array([0.05])
    """
    if scores.shape[0] == 0:
        return np.zeros(0)
    return np.abs(scores - thresholds[None, :]).min(axis=1)


def _score_matrix(records: Sequence[dict[str, Any]], labels: tuple[str, ...]) -> np.ndarray:
    matrix = np.zeros((len(records), len(labels)))
    for i, record in enumerate(records):
        scores = record.get("scores") or {}
        for j, label in enumerate(labels):
            value = scores.get(label)
            matrix[i, j] = float(value) if value is not None else 0.0
    return matrix


def _tiebreak(record: dict[str, Any]) -> tuple:
    return (str(record.get("doc_id")), record.get("start_char") or 0, str(record["passage_id"]))


def _order_uncertainty(records: list[dict[str, Any]], margins: np.ndarray) -> list[int]:
    return sorted(range(len(records)), key=lambda i: (margins[i], _tiebreak(records[i])))


def _order_disagreement(
    records: list[dict[str, Any]], margins: np.ndarray, n_disagree: np.ndarray, distance: np.ndarray
) -> list[int]:
    return sorted(
        range(len(records)),
        key=lambda i: (-n_disagree[i], -distance[i], margins[i], _tiebreak(records[i])),
    )


def _order_diverse(
    records: list[dict[str, Any]], margins: np.ndarray, labels: tuple[str, ...]
) -> list[int]:
    """Round-robin over label buckets; inside a bucket round-robin over its documents."""
    by_uncertainty = _order_uncertainty(records, margins)
    buckets: dict[str, dict[str, list[int]]] = {key: {} for key in (*labels, _NO_LABEL)}
    for i in by_uncertainty:
        predicted = [label for label in records[i].get("labels") or [] if label in buckets]
        for key in predicted or [_NO_LABEL]:
            buckets[key].setdefault(str(records[i].get("doc_id")), []).append(i)

    def cycle(documents: dict[str, list[int]]) -> Iterator[int]:
        # Documents keep the order of their most uncertain passage (dicts keep insertion).
        depth = 0
        while True:
            found = False
            for items in documents.values():
                if depth < len(items):
                    found = True
                    yield items[depth]
            if not found:
                return
            depth += 1

    streams = [cycle(documents) for documents in buckets.values() if documents]
    order: list[int] = []
    emitted: set[int] = set()
    while streams:
        alive = []
        for stream in streams:
            for i in stream:
                if i not in emitted:
                    emitted.add(i)
                    order.append(i)
                    alive.append(stream)
                    break
        streams = alive
    return order


def _select(
    order: list[int],
    records: list[dict[str, Any]],
    corpus: Sequence[CorpusPassage],
    n: int,
    per_document: int,
) -> tuple[list[int], Counter]:
    """Walk ``order`` in windows, keeping candidates that pass every exclusion."""
    skipped: Counter = Counter()
    corpus_ids = {p.id for p in corpus}
    corpus_keys = {p.text.casefold() for p in corpus}
    corpus_texts = [p.text for p in corpus]
    picked: list[int] = []
    picked_keys: set[str] = set()
    per_doc: Counter = Counter()
    window = max(4 * n, 512)
    for start in range(0, len(order), window):
        if len(picked) >= n:
            break
        chunk = order[start : start + window]
        texts = [records[i]["text"] for i in chunk]
        near_corpus = {i for i, _, _ in near_duplicate_pairs(texts, corpus_texts)}
        picked_texts = [records[i]["text"] for i in picked]
        near_picked = {i for i, _, _ in near_duplicate_pairs(texts, picked_texts)}
        neighbours: dict[int, set[int]] = {}
        for i, j, _ in near_duplicate_pairs(texts):
            neighbours.setdefault(i, set()).add(j)
            neighbours.setdefault(j, set()).add(i)
        chosen: set[int] = set()
        for k, index in enumerate(chunk):
            if len(picked) >= n:
                break
            record = records[index]
            key = record["text"].casefold()
            doc_id = str(record.get("doc_id"))
            if str(record["passage_id"]) in corpus_ids:
                skipped["already in the corpus"] += 1
            elif key in corpus_keys:
                skipped["duplicate of a corpus passage"] += 1
            elif k in near_corpus:
                skipped["near-duplicate of a corpus passage"] += 1
            elif key in picked_keys or k in near_picked or neighbours.get(k, set()) & chosen:
                skipped["near-duplicate of another pick"] += 1
            elif per_doc[doc_id] >= per_document:
                skipped["per-document cap"] += 1
            else:
                picked.append(index)
                picked_keys.add(key)
                chosen.add(k)
                per_doc[doc_id] += 1
    return picked, skipped


def _corpus_passage(
    record: dict[str, Any], labels: tuple[str, ...], strategy: str
) -> CorpusPassage:
    authority = record.get("authority")
    voice = record.get("voice")
    predicted = set(record.get("labels") or [])
    return CorpusPassage(
        id=str(record["passage_id"]),
        text=normalise_whitespace(record["text"]),
        labels=tuple(label for label in labels if label in predicted),
        voice=voice if voice in VOICES else None,
        evidence=None,
        authority=(authority if authority in _AUTHORITIES else "other") if authority else None,
        doc_id=str(record["doc_id"]) if record.get("doc_id") is not None else None,
        section=record.get("section"),
        split=None,
        source=f"suggest:{strategy}",
    )


def _load_corpus(corpus: Path | Sequence[CorpusPassage] | None) -> list[CorpusPassage]:
    if corpus is None:
        return []
    if isinstance(corpus, (str, Path)):
        return load_passages(corpus, include_ambiguous=True)
    return list(corpus)


def suggest_passages(
    results: Path | str,
    *,
    n: int = 200,
    strategy: str = "uncertainty",
    model: Path | None = None,
    model_b: Any = None,
    corpus: Path | Sequence[CorpusPassage] | None = None,
    per_document: int = PER_DOCUMENT,
    min_words: int = MIN_WORDS,
    skip_section_kinds: frozenset[str] = SKIPPED_SECTION_KINDS,
) -> SuggestionReport:
    """Pick up to ``n`` passages of a scan result to label next.

    Args:
        results: A scan result (``.jsonl``, ``.parquet`` or ``.csv``).
        n: How many passages to pick.
        strategy: ``uncertainty``, ``disagreement`` or ``diverse``.
        model: The model directory that scanned ``results`` (default: the one the scan
            manifest names); only its thresholds are read.
        model_b: The second model for ``disagreement``: a model directory or a fitted
            classifier.
        corpus: The labelled corpus (directory, file or passages): its passages and their
            near-duplicates are never suggested.
        per_document: Most picks from one document.
        min_words: Skip passages with fewer words.
        skip_section_kinds: Skip passages in these section kinds.

    Returns:
        The picks in rank order and the counts of what was passed over.

    Raises:
        ConfigError: An unknown strategy, ``disagreement`` without ``model_b``, or a bad ``n``.
        DataError: ``results`` is not a scan result.

    Example:
        >>> report = suggest_passages("out/results.jsonl", n=100)  # doctest: +SKIP
        >>> write_suggestions(report, Path("batch.json"))  # doctest: +SKIP
    """
    from protoscan.batch.store import read_results

    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if n < 1 or per_document < 1:
        raise ConfigError(f"n and per_document must be at least 1; got {n} and {per_document}")
    if strategy == "disagreement" and model_b is None:
        raise ConfigError("the disagreement strategy needs a second model (--model-b DIR)")
    results = Path(results)
    labels, thresholds = scan_thresholds(results, model)
    everything = read_results(results, record="passage")
    skipped: Counter = Counter()
    records = []
    for record in everything:
        text = record.get("text") or ""
        words = len(text.split())
        if words < min_words:
            skipped[f"fewer than {min_words} words"] += 1
        elif words < HEADING_WORDS and not text.rstrip().endswith(_SENTENCE_END):
            skipped["heading"] += 1
        elif record.get("section_kind") in skip_section_kinds:
            skipped[f"{record['section_kind']} section"] += 1
        else:
            records.append(record)
    scores = _score_matrix(records, labels)
    margins = uncertainty_margins(scores, thresholds)
    n_disagree = distance = None
    if strategy == "uncertainty":
        order = _order_uncertainty(records, margins)
    elif strategy == "diverse":
        order = _order_diverse(records, margins, labels)
    else:
        n_disagree, distance = _disagreement(records, scores, thresholds, labels, model_b)
        order = _order_disagreement(records, margins, n_disagree, distance)
    picked, excluded = _select(order, records, _load_corpus(corpus), n, per_document)
    skipped.update(excluded)
    suggestions = [
        Suggestion(
            passage=_corpus_passage(records[i], labels, strategy),
            rank=rank,
            margin=float(margins[i]),
            scores={label: float(scores[i, j]) for j, label in enumerate(labels)},
            disagreement=None if n_disagree is None else int(n_disagree[i]),
            score_distance=None if distance is None else float(distance[i]),
            context={
                "source": records[i].get("source"),
                "page_numbers": records[i].get("page_numbers"),
                "section_kind": records[i].get("section_kind"),
            },
        )
        for rank, i in enumerate(picked, start=1)
    ]
    logger.info("%s: %d of %d candidate passages picked", results, len(picked), len(records))
    return SuggestionReport(strategy, suggestions, len(everything), len(records), dict(skipped))


def _disagreement(
    records: list[dict[str, Any]],
    scores: np.ndarray,
    thresholds: np.ndarray,
    labels: tuple[str, ...],
    model_b: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels decided differently by the second model, and the largest score distance."""
    if isinstance(model_b, (str, Path)):
        from protoscan.classify.model_dir import load_classifier

        model_b = load_classifier(model_b)
    common = [label for label in labels if label in model_b.labels_]
    if not common:
        raise ConfigError("the second model shares no label with the scan's model")
    a_cols = [labels.index(label) for label in common]
    b_cols = [list(model_b.labels_).index(label) for label in common]
    if not records:
        return np.zeros(0, dtype=int), np.zeros(0)
    probs = np.asarray(model_b.predict_proba([r["text"] for r in records]), dtype=float)
    a, b = scores[:, a_cols], probs[:, b_cols]
    decided_a = a >= thresholds[a_cols][None, :]
    decided_b = b >= np.asarray(model_b.thresholds_, dtype=float)[b_cols][None, :]
    return (decided_a != decided_b).sum(axis=1), np.abs(a - b).max(axis=1)


def write_suggestions(report: SuggestionReport, path: Path) -> Path:
    """Write the picks as Label Studio tasks (``.json``) or Prodigy tasks (``.jsonl``).

    Label Studio tasks also carry the scores and the reason for the pick under
    ``data.suggestion``, and a ``*.config.xml`` labelling interface is written beside them.

    Raises:
        ConfigError: ``path`` has another suffix.
    """
    from protoscan.corpus.exchange import write_label_studio, write_prodigy

    path = Path(path)
    passages = [s.passage for s in report.suggestions]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        extra = {
            s.passage.id: {
                "suggestion": {k: v for k, v in s.to_dict().items() if k not in ("id", "text")}
                | {"strategy": report.strategy}
            }
            for s in report.suggestions
        }
        write_label_studio(passages, path, extra=extra)
    elif path.suffix == ".jsonl":
        write_prodigy(passages, path)
    else:
        raise ConfigError(
            f"{path}: write suggestions as .json (Label Studio) or .jsonl (Prodigy); "
            f"got {path.suffix or '(no suffix)'!r}"
        )
    return path
