"""The classifier contract shared by every backend, and the threshold logic they all use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from protoscan.corpus.schema import CorpusPassage, label_matrix
from protoscan.errors import NotFittedError
from protoscan.labels import ALL_LABELS

__all__ = ["BaseClassifier", "Classifier", "set_model_threads", "tune_thresholds"]

#: Thresholds are searched on this grid and clipped to it, so a tiny dev split can't push a
#: label to "always on" or "never on".
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


@runtime_checkable
class Classifier(Protocol):
    """What every backend provides (scikit-learn style: learned state ends in ``_``)."""

    backend: ClassVar[str]
    labels_: tuple[str, ...]
    thresholds_: np.ndarray

    def fit(
        self, passages: Sequence[CorpusPassage], dev: Sequence[CorpusPassage] | None = None
    ) -> Classifier: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str]) -> list[tuple[str, ...]]: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> Classifier: ...


def set_model_threads(model: Any, threads: int) -> None:
    """Give a thread budget to a model that manages its own threads (onnx, and the cascade
    and ensemble, which pass it on to their members); other models ignore it."""
    set_threads = getattr(model, "set_threads", None)
    if callable(set_threads):
        set_threads(threads)


def tune_thresholds(probs: np.ndarray, y: np.ndarray, default: float = 0.5) -> np.ndarray:
    """Per-label threshold maximising F1 on held-out data (``default`` where a label has no
    positives). Ties go to the threshold closest to ``default``."""
    thresholds = np.full(probs.shape[1], default)
    for j in range(probs.shape[1]):
        gold = y[:, j].astype(bool)
        if not gold.any():
            continue
        best, best_f1 = default, -1.0
        for t in sorted(THRESHOLD_GRID, key=lambda t: abs(t - default)):
            pred = probs[:, j] >= t
            tp = np.sum(pred & gold)
            f1 = 2 * tp / (pred.sum() + gold.sum()) if pred.sum() + gold.sum() else 0.0
            if f1 > best_f1 + 1e-9:
                best, best_f1 = float(t), f1
        thresholds[j] = best
    return thresholds


class BaseClassifier:
    """Shared behaviour: thresholds, ``predict``, fitted checks, config fields."""

    backend: ClassVar[str] = "base"

    labels_: tuple[str, ...]
    thresholds_: np.ndarray

    def __init__(self, *, labels: Sequence[str] = ALL_LABELS, threshold: float = 0.5) -> None:
        self.labels = tuple(labels)
        self.threshold = threshold

    # -- contract -------------------------------------------------------------------------
    def fit(
        self, passages: Sequence[CorpusPassage], dev: Sequence[CorpusPassage] | None = None
    ) -> BaseClassifier:
        if not passages:
            raise ValueError("cannot fit on an empty training set")
        self.labels_ = self.labels
        y = label_matrix(passages, self.labels_)
        self._fit(passages, y, dev)
        self.thresholds_ = np.full(len(self.labels_), self.threshold)
        if dev:
            dev_y = label_matrix(dev, self.labels_)
            self.thresholds_ = tune_thresholds(
                self.predict_proba([p.text for p in dev]), dev_y, self.threshold
            )
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        if isinstance(texts, str):
            raise TypeError("predict_proba expects a sequence of texts, not a single string")
        if len(texts) == 0:
            return np.zeros((0, len(self.labels_)), dtype=np.float32)
        return self._predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        return self.decide(self.predict_proba(texts))

    def decide(self, probs: np.ndarray) -> list[tuple[str, ...]]:
        """Apply the per-label thresholds to a probability matrix."""
        self._check_fitted()
        on = probs >= self.thresholds_[None, :]
        return [tuple(self.labels_[j] for j in np.flatnonzero(row)) for row in on]

    # -- for subclasses ---------------------------------------------------------------------
    def _fit(
        self, passages: Sequence[CorpusPassage], y: np.ndarray, dev: Sequence[CorpusPassage] | None
    ) -> None:
        raise NotImplementedError

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """Constructor arguments, as stored in ``config.json``."""
        return {"labels": list(self.labels), "threshold": self.threshold}

    @classmethod
    def from_config(cls, config: dict[str, Any], **overrides: Any) -> Any:
        """A model with the hyper-parameters, labels and thresholds of a ``config.json``;
        the backend's ``load`` then attaches the weights."""
        hyper = {k: v for k, v in config.get("hyperparameters", {}).items() if k != "labels"}
        model = cls(labels=config["labels"], **{**hyper, **overrides})
        model.labels_ = tuple(config["labels"])
        model.thresholds_ = np.asarray(config["thresholds"], dtype=np.float64)
        model.info_ = {k: config[k] for k in ("training", "recipe") if k in config}
        return model

    def is_fitted(self) -> bool:
        return hasattr(self, "thresholds_")

    def _check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call 'fit' with training "
                "passages or load a trained model with protoscan.classify.load_classifier"
            )
