"""Counts over the corpus: labels by split, voices, evidence, authorities, documents, and for
sentence rows stances, genres and labels by stance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from protoscan.corpus.schema import SPLITS, CorpusPassage
from protoscan.labels import ALL_LABELS, CORE_LABELS

__all__ = ["MIN_POSITIVES", "corpus_stats"]

#: Coverage the corpus must keep (issue: ≥ 150 per core label, ≥ 80 per domain label).
MIN_POSITIVES = {label: 150 if label in CORE_LABELS else 80 for label in ALL_LABELS}


def _labels_by_stance(passages: Sequence[CorpusPassage]) -> dict[str, Counter[str]]:
    table: dict[str, Counter[str]] = {}
    for passage in passages:
        if passage.is_sentence:
            table.setdefault(passage.stance, Counter()).update(passage.labels or ["(none)"])
    return table


def corpus_stats(passages: Sequence[CorpusPassage]) -> dict[str, Any]:
    by_split = {split: Counter() for split in (*SPLITS, None)}
    for passage in passages:
        by_split.setdefault(passage.split, Counter()).update(passage.labels or ["(none)"])
    totals = Counter(label for p in passages for label in p.labels)
    negatives = sum(1 for p in passages if not p.labels)
    return {
        "passages": len(passages),
        "documents": len({p.doc_id for p in passages if p.doc_id}),
        "groups": len({p.group for p in passages if p.group}),
        "negatives": negatives,
        "negative_share": negatives / len(passages) if passages else 0.0,
        "multi_label": sum(1 for p in passages if len(p.labels) > 1),
        "labels": {label: totals[label] for label in ALL_LABELS},
        "labels_by_split": {
            str(split): {label: counts[label] for label in (*ALL_LABELS, "(none)")}
            for split, counts in by_split.items()
            if counts
        },
        "test_share": {
            label: by_split["test"][label] / totals[label] if totals[label] else 0.0
            for label in ALL_LABELS
        },
        "split_sizes": dict(Counter(str(p.split) for p in passages)),
        "voices": dict(Counter(str(p.voice) for p in passages).most_common()),
        "evidence": dict(Counter(str(p.evidence) for p in passages).most_common()),
        "authorities": dict(Counter(str(p.authority) for p in passages).most_common()),
        "sections": dict(
            Counter(str(p.section) for p in passages if not p.is_sentence).most_common(15)
        ),
        "stances": dict(Counter(p.stance for p in passages if p.is_sentence).most_common()),
        "genres": dict(Counter(str(p.genre) for p in passages if p.is_sentence).most_common()),
        "labels_by_stance": {
            stance: {label: n for label, n in counts.items()}
            for stance, counts in _labels_by_stance(passages).items()
        },
        "below_minimum": {
            label: totals[label] for label in ALL_LABELS if totals[label] < MIN_POSITIVES[label]
        },
    }
