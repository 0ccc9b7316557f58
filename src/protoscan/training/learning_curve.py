"""Learning curves: how test core macro-F1 grows with the amount of training data.

For each fraction and seed the training split is subsampled by document (a seed's
subsamples are nested: the 40 % sample holds the 20 % one), the recipe's classifier is fit
on it with thresholds tuned on the full dev split, and core macro-F1 is measured on the
test and dev splits. Nothing is written under ``models/runs``.

Written splits say how a recipe learns the corpus, not whether more corpus of the same kind
transfers: given a labelled evaluation set (real decisions' sentences, say), every fit is
also scored on it in the figures the real-text goals are written in (finding AP, label-free
rows given a label, any-label recall). The set is only scored, never trained or tuned on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.corpus.schema import CorpusPassage, load_passages
from protoscan.errors import ConfigError
from protoscan.training.evaluate import FINDING_FIGURES

__all__ = [
    "CurvePoint",
    "LearningCurve",
    "learning_curve",
    "plot_learning_curve",
    "subsample_documents",
    "write_learning_curve",
]

DEFAULT_FRACTIONS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass
class CurvePoint:
    """One fraction of the training documents, measured once per seed."""

    fraction: float
    n_documents: list[int] = field(default_factory=list)
    n_train: list[int] = field(default_factory=list)
    test_macro_f1: list[float] = field(default_factory=list)
    dev_macro_f1: list[float] = field(default_factory=list)
    #: Per seed, the finding figures on the evaluation set (empty without one).
    evaluation: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def stats(values: list[float]) -> dict[str, float | None]:
            # nanmean: a figure a sample cannot have (AP without a labelled row) is NaN
            finite = [v for v in values if not math.isnan(v)]
            if not finite:
                return {"mean": None, "std": None}
            return {"mean": float(np.mean(finite)), "std": float(np.std(finite))}

        data: dict[str, Any] = {
            "fraction": self.fraction,
            "n_documents": self.n_documents,
            "n_train": self.n_train,
            "n_train_mean": float(np.mean(self.n_train)),
            "test_core_macro_f1": self.test_macro_f1,
            "dev_core_macro_f1": self.dev_macro_f1,
            "test": stats(self.test_macro_f1),
            "dev": stats(self.dev_macro_f1),
        }
        if self.evaluation:
            data["evaluation"] = {
                name: {
                    "per_seed": [None if math.isnan(f[name]) else f[name] for f in self.evaluation],
                    **stats([f[name] for f in self.evaluation]),
                }
                for name in FINDING_FIGURES
            }
        return data


@dataclass
class LearningCurve:
    recipe: str
    backend: str
    data: str
    seeds: list[int]
    n_train_total: int
    n_dev: int
    n_test: int
    points: list[CurvePoint]
    #: The evaluation set's name and size, when one was scored.
    evaluation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "backend": self.backend,
            "data": self.data,
            "seeds": self.seeds,
            "n_train_total": self.n_train_total,
            "n_dev": self.n_dev,
            "n_test": self.n_test,
            "metric": "core macro-F1",
            "note": "thresholds are tuned on the full dev split, so dev scores are optimistic",
            "evaluation": self.evaluation,
            "points": [p.to_dict() for p in self.points],
        }


def _doc(passage: CorpusPassage) -> str:
    return passage.doc_id or passage.id


def subsample_documents(
    passages: Sequence[CorpusPassage],
    fraction: float,
    seed: int,
    *,
    labels: Sequence[str] = (),
) -> list[CorpusPassage]:
    """The passages of a seeded random ``fraction`` of the documents.

    The documents are shuffled once per seed and the first ``ceil(fraction · n)`` kept, so a
    seed's samples are nested. When ``labels`` is given and the sample lacks a positive for
    one of them, the next shuffled documents holding that label are added (a classifier
    cannot be fit without positives).

    Example:
        >>> from protoscan.corpus.schema import CorpusPassage
        >>> ps = [CorpusPassage(id=str(i), text="t", labels=(), doc_id=f"d{i}") for i in range(10)]
        >>> len(subsample_documents(ps, 0.3, seed=0))
        3
    """
    if not 0 < fraction <= 1:
        raise ConfigError(f"fractions must be in (0, 1]; got {fraction}")
    documents = sorted({_doc(p) for p in passages})
    order = [documents[i] for i in np.random.default_rng(seed).permutation(len(documents))]
    keep = set(order[: max(1, math.ceil(fraction * len(documents)))])
    labels_of: dict[str, set[str]] = {}
    for passage in passages:
        labels_of.setdefault(_doc(passage), set()).update(passage.labels)
    for label in labels:
        if any(label in labels_of[d] for d in keep):
            continue
        extra = next((d for d in order if label in labels_of[d]), None)
        if extra is not None:
            keep.add(extra)
    return [p for p in passages if _doc(p) in keep]


def learning_curve(
    config: Any,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seeds: int = 3,
    passages: list[CorpusPassage] | None = None,
    evaluation: Sequence[CorpusPassage] = (),
    evaluation_name: str = "evaluation",
    on_progress: Callable[[float, int, float], None] | None = None,
) -> LearningCurve:
    """Fit the recipe on growing document subsamples of the training split.

    Args:
        config: A ``TrainConfig`` (``protoscan.training.train.load_config``).
        fractions: Shares of the training documents, each in (0, 1].
        seeds: Number of seeds (0 … seeds − 1) per fraction.
        passages: Use these instead of reading ``config.data``.
        evaluation: A labelled set every fit is also scored on (finding AP, label-free
            rows given a label, any-label recall); scored only, never used to fit or tune.
        evaluation_name: What the evaluation set is called in the curve's data and plot.
        on_progress: Called with ``(fraction, seed, test macro-F1)`` after each fit.

    Returns:
        Per fraction: documents, passages and test/dev core macro-F1 for every seed, and
        the finding figures on ``evaluation`` when it is given.

    Raises:
        ConfigError: A fraction outside (0, 1], fewer than one seed, or no train/test data.

    Example:
        >>> from protoscan.training.train import load_config
        >>> curve = learning_curve(load_config("training/linear.toml"))  # doctest: +SKIP
    """
    from protoscan.classify.model_dir import classifier_class
    from protoscan.corpus.schema import label_matrix
    from protoscan.training.evaluate import evaluate_predictions, finding_figures

    if seeds < 1:
        raise ConfigError(f"seeds must be at least 1; got {seeds}")
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ConfigError(f"fractions must be in (0, 1]; got {list(fractions)}")
    corpus = passages if passages is not None else load_passages(config.data)
    splits = {s: [p for p in corpus if p.split == s] for s in ("train", "dev", "test")}
    if not splits["train"] or not splits["test"]:
        raise ConfigError(f"{config.data}: a learning curve needs train and test splits")
    cls = classifier_class(config.backend)
    labels = cls(**config.params).labels

    def core_f1(classifier: Any, items: list[CorpusPassage]) -> float:
        if not items:
            return float("nan")
        probs = classifier.predict_proba([p.text for p in items])
        result = evaluate_predictions(items, probs, classifier.thresholds_, classifier.labels_)
        return float(result.core["macro_f1"])

    def evaluation_figures(classifier: Any) -> dict[str, float]:
        gold = label_matrix(evaluation, classifier.labels_).astype(bool)
        probs = classifier.predict_proba([p.text for p in evaluation])
        return finding_figures(gold, probs, probs >= np.asarray(classifier.thresholds_))

    cache: dict[frozenset[str], tuple[float, float, dict[str, float]]] = {}
    points = []
    for fraction in sorted(fractions):
        point = CurvePoint(fraction=fraction)
        for seed in range(seeds):
            sample = subsample_documents(splits["train"], fraction, seed, labels=labels)
            key = frozenset(p.id for p in sample)
            if key not in cache:
                try:
                    classifier = cls(**config.params)
                except TypeError as error:
                    raise ConfigError(
                        f"{config.source}: invalid [params] for {config.backend}: {error}"
                    ) from None
                classifier.fit(sample, splits["dev"] or None)
                cache[key] = (
                    core_f1(classifier, splits["test"]),
                    core_f1(classifier, splits["dev"]),
                    evaluation_figures(classifier) if evaluation else {},
                )
            test_f1, dev_f1, figures = cache[key]
            point.n_documents.append(len({_doc(p) for p in sample}))
            point.n_train.append(len(sample))
            point.test_macro_f1.append(test_f1)
            point.dev_macro_f1.append(dev_f1)
            if figures:
                point.evaluation.append(figures)
            if on_progress is not None:
                on_progress(fraction, seed, test_f1)
        points.append(point)
    return LearningCurve(
        recipe=config.name,
        backend=config.backend,
        data=str(config.data),
        seeds=list(range(seeds)),
        n_train_total=len(splits["train"]),
        n_dev=len(splits["dev"]),
        n_test=len(splits["test"]),
        points=points,
        evaluation=(
            {
                "name": evaluation_name,
                "n": len(evaluation),
                "n_labelled": sum(1 for p in evaluation if p.labels),
            }
            if evaluation
            else None
        ),
    )


def plot_learning_curve(curve: LearningCurve, path: Path) -> Path:
    """Mean ± std of test (and dev) core macro-F1 against training passages, and the
    evaluation set's finding AP when one was scored, as PNG/SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = [p.to_dict() for p in curve.points]
    x = np.array([d["n_train_mean"] for d in data])

    def values(stats: list[dict[str, float | None]], key: str) -> np.ndarray:
        # a figure no sample could have (no dev split, say) is None: left out of the line
        return np.array([np.nan if s[key] is None else s[key] for s in stats], dtype=float)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for split, colour in (("test", "tab:blue"), ("dev", "tab:orange")):
        mean, std = (values([d[split] for d in data], k) for k in ("mean", "std"))
        ax.plot(x, mean, marker="o", color=colour, label=f"{split} split")
        ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.2)
    if curve.evaluation is not None:
        ap = [d["evaluation"]["finding_ap"] for d in data]
        mean, std = (values(ap, k) for k in ("mean", "std"))
        name = curve.evaluation["name"]
        ax.plot(x, mean, marker="s", color="tab:green", label=f"{name}: finding AP")
        ax.fill_between(x, mean - std, mean + std, color="tab:green", alpha=0.2)
    for d, xi in zip(data, x, strict=True):
        ax.annotate(
            f"{d['fraction']:.0%}",
            (xi, d["test"]["mean"]),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=8,
        )
    ax.set(
        xlabel="training passages",
        ylabel="core macro-F1" + (" / finding AP" if curve.evaluation else ""),
        title=(
            f"Learning curve: {curve.recipe}"
            + (f" ({curve.backend})" if curve.backend != curve.recipe else "")
            + f", mean ± std over {len(curve.seeds)} seed(s)"
        ),
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_learning_curve(curve: LearningCurve, path: Path) -> tuple[Path, Path]:
    """The plot at ``path`` and its data beside it as ``<path>.json`` (same stem)."""
    image = plot_learning_curve(curve, path)
    data = Path(path).with_suffix(".json")
    data.write_text(json.dumps(curve.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return image, data
