"""The operating point for whole documents: one offset added to every dev-tuned threshold.

Per-label thresholds are tuned on the whole dev split, which mixes files written to teach one
kind of sentence (most of them positive) with whole documents at the base rate of real texts
(about one sentence in six a finding). ``protoscan scan`` tags whole documents, and where
findings are rarer the F1-best threshold sits higher. Tuning seven thresholds on the
documents' dev rows alone would be noisy (a few dozen positives per label), so a recipe's
``operating_data`` (the whole-document files) moves them all by one shared offset: the one on
:data:`OFFSET_GRID` with the best core macro-F1 on those files' dev rows, the smallest
offset in absolute value on ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from protoscan.corpus.schema import CorpusPassage, label_matrix
from protoscan.errors import ConfigError
from protoscan.labels import CORE_LABELS

__all__ = ["OFFSET_GRID", "operating_rows", "set_operating_point", "tune_offset"]

#: Offsets tried: steps of the threshold grid (0.025), from a little lower to much higher.
OFFSET_GRID = np.round(np.arange(-0.10, 0.301, 0.025), 3)


def tune_offset(
    probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray, columns: Sequence[int]
) -> tuple[float, float]:
    """The offset with the best macro-F1 over ``columns`` and that F1.

    Args:
        probs: Scores ``(n, labels)``; gold: boolean ``(n, labels)``.
        thresholds: The dev-tuned thresholds the offset is added to.
        columns: The labels whose macro-F1 counts; those without a positive in ``gold``
            are left out.

    Example:
        >>> probs = np.array([[0.9], [0.62], [0.55], [0.2]])
        >>> gold = np.array([[True], [True], [False], [False]])
        >>> tune_offset(probs, gold, np.array([0.5]), [0])
        (0.075, 1.0)
    """
    from protoscan.training.evaluate import f1_scores

    supported = [j for j in columns if gold[:, j].any()]
    if not supported:
        return 0.0, float("nan")
    best, best_f1 = 0.0, -1.0
    for offset in sorted(OFFSET_GRID, key=abs):
        pred = probs >= np.clip(thresholds + offset, 0.0, 1.0)
        f1 = float(f1_scores(pred, gold)[supported].mean())
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(offset), f1
    return best, best_f1


def operating_rows(patterns: Sequence[str]) -> list[CorpusPassage]:
    """The dev rows of the files ``patterns`` name (paths or globs, relative ones to the
    current directory).

    Raises:
        ConfigError: A pattern matches no file, or the files hold no dev row.
    """
    from protoscan.corpus.schema import load_passages
    from protoscan.training.train_copies import match_files

    rows = load_passages(match_files(patterns, "operating_data"), split="dev")
    if not rows:
        raise ConfigError(f"operating_data: no dev rows in {', '.join(patterns)}")
    return rows


def set_operating_point(classifier: Any, rows: Sequence[CorpusPassage]) -> dict[str, Any]:
    """Add the tuned offset to ``classifier.thresholds_`` and describe what was done."""
    labels = list(classifier.labels_)
    gold = label_matrix(rows, labels)
    probs = np.asarray(classifier.predict_proba([p.text for p in rows]))
    columns = [j for j, label in enumerate(labels) if label in CORE_LABELS]
    before = np.asarray(classifier.thresholds_, dtype=np.float64)
    offset, f1 = tune_offset(probs, gold, before, columns)
    classifier.thresholds_ = np.clip(before + offset, 0.0, 1.0)
    return {
        "threshold_offset": offset,
        "rows": len(rows),
        "positive_rows": int(gold.any(axis=1).sum()),
        "core_macro_f1": round(f1, 4),
    }
