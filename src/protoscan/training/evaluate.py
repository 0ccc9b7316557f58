"""Metrics for a multi-label tagger: per-label P/R/F1, micro/macro over core and all labels,
confusion summary, worst errors, precision-recall curves and paired-bootstrap comparisons."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.corpus.schema import CorpusPassage, label_matrix
from protoscan.labels import CORE_LABELS, get_label

__all__ = [
    "FINDING_FIGURES",
    "Comparison",
    "Evaluation",
    "bootstrap_differences",
    "compare_predictions",
    "document_accuracy",
    "evaluate_predictions",
    "f1_scores",
    "finding_figures",
    "paired_bootstrap",
    "paired_bootstrap_findings",
    "real_accuracy",
    "write_real_accuracy",
]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def f1_scores(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-label F1 for boolean matrices ``(n, k)``."""
    pred, gold = pred.astype(bool), gold.astype(bool)
    tp = (pred & gold).sum(axis=0)
    denom = pred.sum(axis=0) + gold.sum(axis=0)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def _averages(pred: np.ndarray, gold: np.ndarray, columns: list[int]) -> dict[str, float]:
    p, g = pred[:, columns].astype(bool), gold[:, columns].astype(bool)
    tp, fp, fn = int((p & g).sum()), int((p & ~g).sum()), int((~p & g).sum())
    micro = _prf(tp, fp, fn)
    supported = [c for c in range(len(columns)) if g[:, c].any()]
    per_label = f1_scores(p, g)
    return {
        "micro_precision": micro[0],
        "micro_recall": micro[1],
        "micro_f1": micro[2],
        "macro_f1": float(per_label[supported].mean()) if supported else 0.0,
    }


@dataclass
class Evaluation:
    labels: tuple[str, ...]
    per_label: dict[str, dict[str, float]]
    core: dict[str, float]
    all: dict[str, float]
    n: int
    negatives_false_positive_rate: float
    confusion: dict[str, dict[str, int]]
    worst_errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "labels": list(self.labels),
            "per_label": self.per_label,
            "core": self.core,
            "all": self.all,
            "negatives_false_positive_rate": self.negatives_false_positive_rate,
            "confusion": self.confusion,
            "worst_errors": self.worst_errors,
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")


def evaluate_predictions(
    passages: Sequence[CorpusPassage],
    probs: np.ndarray,
    thresholds: np.ndarray,
    labels: tuple[str, ...],
    *,
    n_worst: int = 20,
) -> Evaluation:
    """Score thresholded predictions against gold labels."""
    gold = label_matrix(passages, labels).astype(bool)
    pred = probs >= thresholds[None, :]
    per_label: dict[str, dict[str, float]] = {}
    for j, label in enumerate(labels):
        tp = int((pred[:, j] & gold[:, j]).sum())
        fp = int((pred[:, j] & ~gold[:, j]).sum())
        fn = int((~pred[:, j] & gold[:, j]).sum())
        p, r, f = _prf(tp, fp, fn)
        per_label[label] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": int(gold[:, j].sum()),
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }
    core_cols = [j for j, label in enumerate(labels) if label in CORE_LABELS]
    negatives = ~gold.any(axis=1)
    fp_rate = float(pred[negatives].any(axis=1).mean()) if negatives.any() else 0.0
    confusion = {
        label: {
            other: int((gold[:, j] & pred[:, k] & ~gold[:, k]).sum())
            for k, other in enumerate(labels)
            if k != j and (gold[:, j] & pred[:, k] & ~gold[:, k]).any()
        }
        for j, label in enumerate(labels)
    }
    confusion["(no label)"] = {
        label: int((negatives & pred[:, k]).sum())
        for k, label in enumerate(labels)
        if (negatives & pred[:, k]).any()
    }
    # Worst errors: the largest distance between a wrong decision and its gold value.
    margin = np.where(pred != gold, np.abs(probs - gold.astype(float)), 0.0).max(axis=1)
    worst = [
        {
            "id": passages[i].id,
            "text": passages[i].text,
            "gold": sorted(passages[i].labels),
            "predicted": [labels[k] for k in np.flatnonzero(pred[i])],
            "scores": {labels[k]: round(float(probs[i, k]), 3) for k in range(len(labels))},
        }
        for i in np.argsort(-margin, kind="stable")[:n_worst]
        if margin[i] > 0
    ]
    return Evaluation(
        labels=labels,
        per_label=per_label,
        core=_averages(pred, gold, core_cols),
        all=_averages(pred, gold, list(range(len(labels)))),
        n=len(passages),
        negatives_false_positive_rate=fp_rate,
        confusion=confusion,
        worst_errors=worst,
    )


def plot_pr_curves(
    passages: Sequence[CorpusPassage], probs: np.ndarray, labels: tuple[str, ...], out_dir: Path
) -> list[Path]:
    """One precision-recall curve PNG per label with support; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve

    gold = label_matrix(passages, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for j, label in enumerate(labels):
        if not gold[:, j].any():
            continue
        precision, recall, _ = precision_recall_curve(gold[:, j], probs[:, j])
        ap = average_precision_score(gold[:, j], probs[:, j])
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.plot(recall, precision, drawstyle="steps-post")
        ax.set(
            xlabel="Recall",
            ylabel="Precision",
            xlim=(0, 1.02),
            ylim=(0, 1.02),
            title=f"{get_label(label).name_sv}\nAP = {ap:.3f} (n+ = {int(gold[:, j].sum())})",
        )
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = out_dir / f"pr_{label}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


#: The figures the real-text goals are written in (see :func:`finding_figures`).
FINDING_FIGURES = ("finding_ap", "label_free_fp", "any_label_recall")


def finding_figures(gold: np.ndarray, probs: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """The figures the real-text goals are written in, for boolean ``gold``/``pred`` and
    ``probs`` of shape ``(n, k)``. The finding score of a passage is its highest label score:

    - ``finding_ap``: average precision of that score at ranking passages with any label
      above label-free ones (NaN without both kinds);
    - ``label_free_fp``: share of label-free passages given a label;
    - ``any_label_recall``: share of labelled passages given at least one of their labels.
    """
    from sklearn.metrics import average_precision_score

    labelled = gold.any(axis=1)
    both = bool(labelled.any() and (~labelled).any())
    nan = float("nan")
    return {
        "finding_ap": (
            float(average_precision_score(labelled, probs.max(axis=1))) if both else nan
        ),
        "label_free_fp": float(pred[~labelled].any(axis=1).mean()) if (~labelled).any() else nan,
        "any_label_recall": (
            float((pred & gold)[labelled].any(axis=1).mean()) if labelled.any() else nan
        ),
    }


def bootstrap_differences(
    figures: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    n: int,
    *,
    n_resamples: int,
    seed: int,
) -> list[dict[str, float]]:
    """For each figure of ``figures(indices) -> (a, b)`` (arrays of equal length), B − A on
    all ``n`` rows with the 95 % interval over paired resamples (the same rows for A and B,
    one set of resamples for every figure); resamples where a figure is undefined are left
    out of its interval."""
    rng = np.random.default_rng(seed)
    a, b = figures(np.arange(n))
    diffs = np.empty((n_resamples, len(a)))
    for i in range(n_resamples):
        ra, rb = figures(rng.integers(0, n, n))
        diffs[i] = rb - ra
    results = []
    for j in range(len(a)):
        kept = diffs[:, j][~np.isnan(diffs[:, j])]
        low, high = np.percentile(kept, [2.5, 97.5]) if kept.size else (np.nan, np.nan)
        results.append(
            {
                "a": float(a[j]),
                "b": float(b[j]),
                "difference": float(b[j] - a[j]),
                "ci_low": float(low),
                "ci_high": float(high),
                "p_b_not_better": float((kept <= 0).mean()) if kept.size else float("nan"),
            }
        )
    return results


def paired_bootstrap(
    gold: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Difference in macro-F1 (B − A) with a 95 % paired-bootstrap confidence interval."""

    def macro(pred: np.ndarray, g: np.ndarray) -> np.ndarray:
        supported = g.any(axis=0)
        return np.array([f1_scores(pred, g)[supported].mean() if supported.any() else 0.0])

    [result] = bootstrap_differences(
        lambda idx: (macro(pred_a[idx], gold[idx]), macro(pred_b[idx], gold[idx])),
        len(gold),
        n_resamples=n_resamples,
        seed=seed,
    )
    return result


def paired_bootstrap_findings(
    gold: np.ndarray,
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    *,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Each of :func:`finding_figures` for models A and B (``(probs, pred)`` each), B − A and
    its 95 % paired-bootstrap interval. With a hundred labelled sentences these intervals are
    wide; a difference whose interval holds 0 is not evidence that B is better."""

    def figures(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def row(probs: np.ndarray, pred: np.ndarray) -> np.ndarray:
            values = finding_figures(gold[idx], probs[idx], pred[idx])
            return np.array([values[name] for name in FINDING_FIGURES])

        return row(*a), row(*b)

    results = bootstrap_differences(figures, len(gold), n_resamples=n_resamples, seed=seed)
    return dict(zip(FINDING_FIGURES, results, strict=True))


@dataclass
class Comparison:
    """Two models on the same passages: both evaluations, the paired-bootstrap differences
    (B − A) in core macro-F1 and in the finding figures, and the passages where their
    decisions differ."""

    labels: tuple[str, ...]
    a: Evaluation
    b: Evaluation
    bootstrap: dict[str, float]
    n_disagreements: int
    a_only_correct: int
    b_only_correct: int
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    findings: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "n": self.a.n,
            "per_label": {
                label: {
                    "a_f1": self.a.per_label[label]["f1"],
                    "b_f1": self.b.per_label[label]["f1"],
                    "difference": self.b.per_label[label]["f1"] - self.a.per_label[label]["f1"],
                    "support": self.a.per_label[label]["support"],
                }
                for label in self.labels
            },
            "core_macro_f1": {"a": self.a.core["macro_f1"], "b": self.b.core["macro_f1"]},
            "all_macro_f1": {"a": self.a.all["macro_f1"], "b": self.b.all["macro_f1"]},
            "negatives_false_positive_rate": {
                "a": self.a.negatives_false_positive_rate,
                "b": self.b.negatives_false_positive_rate,
            },
            "bootstrap_core_macro_f1": self.bootstrap,
            "bootstrap_findings": self.findings,
            "n_disagreements": self.n_disagreements,
            "a_only_correct": self.a_only_correct,
            "b_only_correct": self.b_only_correct,
            "disagreements": self.disagreements,
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
        }


def compare_predictions(
    passages: Sequence[CorpusPassage],
    probs_a: np.ndarray,
    thresholds_a: np.ndarray,
    probs_b: np.ndarray,
    thresholds_b: np.ndarray,
    labels: tuple[str, ...],
    *,
    max_disagreements: int = 30,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two models' thresholded predictions (same passages, same label order).

    The confidence intervals are the paired bootstrap over passages (the same resamples for
    A and B) of core macro-F1 and of each :func:`finding_figures` figure (B − A).
    Disagreements (any label decided differently) are listed up to ``max_disagreements``,
    those where exactly one model matches the gold labels first.

    Example:
        >>> cmp = compare_predictions(passages, pa, ta, pb, tb, labels)  # doctest: +SKIP
        >>> cmp.bootstrap["difference"]  # doctest: +SKIP
        0.012
    """
    a = evaluate_predictions(passages, probs_a, thresholds_a, labels, n_worst=0)
    b = evaluate_predictions(passages, probs_b, thresholds_b, labels, n_worst=0)
    gold = label_matrix(passages, labels).astype(bool)
    pred_a = probs_a >= thresholds_a[None, :]
    pred_b = probs_b >= thresholds_b[None, :]
    core = [j for j, label in enumerate(labels) if label in CORE_LABELS]
    bootstrap = paired_bootstrap(
        gold[:, core], pred_a[:, core], pred_b[:, core], n_resamples=n_resamples, seed=seed
    )
    findings = paired_bootstrap_findings(
        gold, (probs_a, pred_a), (probs_b, pred_b), n_resamples=n_resamples, seed=seed
    )
    differ = np.flatnonzero((pred_a != pred_b).any(axis=1))
    a_right = (pred_a == gold).all(axis=1)
    b_right = (pred_b == gold).all(axis=1)
    ranked = sorted(
        differ, key=lambda i: (a_right[i] == b_right[i], -int((pred_a[i] != pred_b[i]).sum()), i)
    )
    listed = [
        {
            "id": passages[i].id,
            "text": passages[i].text,
            "gold": sorted(passages[i].labels),
            "a": [labels[k] for k in np.flatnonzero(pred_a[i])],
            "b": [labels[k] for k in np.flatnonzero(pred_b[i])],
            "a_correct": bool(a_right[i]),
            "b_correct": bool(b_right[i]),
        }
        for i in ranked[:max_disagreements]
    ]
    return Comparison(
        labels=labels,
        a=a,
        b=b,
        bootstrap=bootstrap,
        n_disagreements=len(differ),
        a_only_correct=int((a_right & ~b_right)[differ].sum()),
        b_only_correct=int((b_right & ~a_right)[differ].sum()),
        disagreements=listed,
        findings=findings,
    )


def real_accuracy(
    passages: Sequence[CorpusPassage],
    probs: np.ndarray,
    thresholds: np.ndarray,
    labels: tuple[str, ...],
    *,
    method: str = "wilson",
) -> dict[str, Any]:
    """Per-label sensitivity and specificity at ``thresholds``, with 95 % intervals (Wilson or
    Clopper–Pearson) and counts: the ``real_accuracy`` block of a model's ``metrics.json``,
    which ``protoscan trends`` uses to correct rates for the model's errors."""
    from protoscan.analysis.correction import measure_accuracy

    gold = label_matrix(passages, labels).astype(bool)
    pred = probs >= thresholds[None, :]
    return _accuracy_block(
        "passage",
        len(passages),
        method,
        measure_accuracy(gold, pred, labels, method=method),
        thresholds={label: float(t) for label, t in zip(labels, thresholds, strict=True)},
    )


def document_accuracy(
    directory: Path, classifier: Any, *, method: str = "wilson"
) -> dict[str, Any]:
    """Document-level sensitivity and specificity per label on a corpus's whole documents:
    each document in ``directory/manifest.jsonl`` is read, tagged, and its findings (the
    labels ``protoscan scan`` gives the document) compared with its ``expected_labels``.

    Raises:
        DataError: No manifest, or a manifest line without ``file``/``expected_labels``.
    """
    from protoscan.analysis.correction import measure_accuracy
    from protoscan.corpus.schema import iter_jsonl
    from protoscan.errors import DataError
    from protoscan.findings import document_findings, tag_documents
    from protoscan.pipeline import read_document

    manifest = Path(directory) / "manifest.jsonl"
    if not manifest.is_file():
        raise DataError(f"{manifest}: no such file; --documents needs a corpus documents folder")
    rows = [obj for _, obj in iter_jsonl(manifest)]
    if not rows or any("file" not in r or "expected_labels" not in r for r in rows):
        raise DataError(f"{manifest}: every line needs 'file' and 'expected_labels'")
    labels = tuple(classifier.labels_)
    tagged = tag_documents([read_document(Path(directory) / r["file"]) for r in rows], classifier)
    pred = np.array([[lb in document_findings(d).labels for lb in labels] for d in tagged])
    gold = np.array([[lb in r["expected_labels"] for lb in labels] for r in rows])
    return _accuracy_block(
        "document", len(rows), method, measure_accuracy(gold, pred, labels, method=method)
    )


def _accuracy_block(
    unit: str, n: int, method: str, per_label: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A ``real_accuracy``/``document_accuracy`` block of ``metrics.json``: per-label
    sensitivity and specificity at the 95 % level, ``extra`` keys before ``per_label``."""
    return {
        "unit": unit,
        "n": n,
        "interval": method,
        "level": 0.95,
        **extra,
        "per_label": {label: acc.to_dict() for label, acc in per_label.items()},
    }


def write_real_accuracy(model_dir: Path, block: dict[str, Any], *, key: str | None = None) -> Path:
    """Store ``block`` as ``real_accuracy`` (or ``key``) in the model directory's
    ``metrics.json`` (other keys kept) and re-render its model card; returns the path."""
    from protoscan.analysis.correction import METRICS_KEY
    from protoscan.batch.store import write_atomic
    from protoscan.errors import DataError
    from protoscan.training.model_card import write_model_card

    path = Path(model_dir) / "metrics.json"
    metrics: dict[str, Any] = {}
    if path.is_file():
        try:
            metrics = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DataError(f"{path}: not readable JSON ({error}); fix or remove it") from error
    metrics[key or METRICS_KEY] = block
    text = json.dumps(metrics, ensure_ascii=False, indent=2) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_model_card(Path(model_dir))
    return path
