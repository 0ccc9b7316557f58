"""Two or more trained models voting together: their label scores, averaged.

The linear model reads character n-grams and stance cue words; the fine-tuned transformer
reads the sentence as a whole. Their errors differ, so an average of their scores ranks
findings better than either alone. ``fusion = "mean"`` takes the weighted arithmetic mean;
``"geometric"`` the weighted geometric mean, which a passage reaches only when every member
gives it some weight, so one member's confident mistake counts for less. The ensemble's own
thresholds are tuned on the dev split (the members' thresholds are not used), like any other
backend's.

An ensemble directory is self-contained: ``config.json`` plus one sub-directory per member
(``member-0``, ``member-1`` …), copied in by ``save``. Members are loaded from model
directories and must already be trained; an ensemble never trains them.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import (
    BaseClassifier,
    Classifier,
    set_model_threads,
    tune_thresholds,
)
from protoscan.classify.model_dir import (
    CONFIG_NAME,
    check_model_dir,
    classifier_class,
    read_config,
    write_config,
)
from protoscan.corpus.schema import CorpusPassage, label_matrix
from protoscan.errors import ConfigError, ModelLoadError

__all__ = ["EnsembleClassifier"]

#: Member sub-directory names inside an ensemble directory.
MEMBER_PREFIX = "member-"
#: How member scores are combined.
FUSIONS = ("mean", "geometric")
#: Scores are clipped here before logarithms (a member's exact 0 would veto every label).
_FLOOR = 1e-6


def _member_dir(index: int) -> str:
    return f"{MEMBER_PREFIX}{index}"


class EnsembleClassifier(BaseClassifier):
    """The weighted mean of trained models' label scores, with thresholds of its own.

    Args:
        members: Model directories of trained models (any backend but an ensemble).
        weights: One weight per member (default: equal); normalised to sum to 1.
        fusion: ``"mean"`` (weighted arithmetic mean) or ``"geometric"``.
        labels, threshold: As for every classifier; the labels come from the first member.

    Example:
        >>> model = EnsembleClassifier(  # doctest: +SKIP
        ...     members=["models/linear", "models/runs/transformer-e5-small-onnx-int8"]
        ... ).fit([], dev)
    """

    backend: ClassVar[str] = "ensemble"

    def __init__(
        self,
        *,
        members: Sequence[str | Path] = (),
        weights: Sequence[float] | None = None,
        fusion: str = "mean",
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.members = [str(member) for member in members]
        if weights is not None and len(weights) != len(self.members):
            raise ConfigError(
                f"ensemble: {len(weights)} weight(s) for {len(self.members)} member(s)"
            )
        if weights is not None and (min(weights) < 0 or sum(weights) <= 0):
            raise ConfigError(
                f"ensemble: weights must be non-negative with a positive sum; got {list(weights)}"
            )
        self.weights = [float(w) for w in weights] if weights is not None else None
        if fusion not in FUSIONS:
            raise ConfigError(
                f"ensemble: fusion must be one of {', '.join(FUSIONS)}; got {fusion!r}"
            )
        self.fusion = fusion

    # -- members ----------------------------------------------------------------------------
    def _set_members(self, models: list[Classifier], sources: list[Path]) -> None:
        if len(models) < 2:
            raise ConfigError("ensemble: name at least two member model directories")
        self.models_, self.sources_ = models, sources
        self.labels_ = tuple(models[0].labels_)
        columns = []
        for model, source in zip(models, sources, strict=True):
            missing = set(self.labels_) - set(model.labels_)
            if missing:
                raise ConfigError(
                    f"ensemble: member {source} lacks label(s) {', '.join(sorted(missing))}; "
                    "train every member on the same taxonomy"
                )
            columns.append(np.array([list(model.labels_).index(x) for x in self.labels_]))
        self.columns_ = columns
        weights = np.asarray(self.weights or [1.0] * len(models), dtype=np.float64)
        self.weights_ = weights / weights.sum()

    def set_threads(self, threads: int) -> None:
        """Pass a thread budget on to members that manage their own threads."""
        for model in self.models_:
            set_model_threads(model, threads)

    # -- training ---------------------------------------------------------------------------
    def fit(
        self, passages: Sequence[CorpusPassage], dev: Sequence[CorpusPassage] | None = None
    ) -> EnsembleClassifier:
        """Load the members and tune the ensemble's thresholds on ``dev`` (on ``passages``
        when there is no dev split: then the thresholds are optimistic)."""
        models, sources = [], []
        for member in self.members:
            model, source = _load_member(Path(member))
            models.append(model)
            sources.append(source)
        self._set_members(models, sources)
        tuning = list(dev) if dev else list(passages)
        if not tuning:
            raise ValueError("ensemble: no passages to tune the thresholds on")
        # ``predict_proba`` refuses an unfitted model; thresholds are what is being fitted.
        probs = self._predict_proba([p.text for p in tuning])
        self.thresholds_ = tune_thresholds(
            probs, label_matrix(tuning, self.labels_), self.threshold
        )
        return self

    # -- inference --------------------------------------------------------------------------
    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        """The weighted (arithmetic or geometric) mean of the members' scores."""
        geometric = self.fusion == "geometric"
        total = np.zeros((len(texts), len(self.labels_)), dtype=np.float64)
        for model, columns, weight in zip(self.models_, self.columns_, self.weights_, strict=True):
            scores = np.asarray(model.predict_proba(texts), dtype=np.float64)[:, columns]
            total += weight * (np.log(np.clip(scores, _FLOOR, 1.0)) if geometric else scores)
        return (np.exp(total) if geometric else total).astype(np.float32)

    # -- persistence ------------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "weights": self.weights, "fusion": self.fusion}

    def save(self, path: Path) -> None:
        """Write ``config.json`` and a copy of every member into ``path/member-<i>``."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        names = []
        for index, source in enumerate(self.sources_):
            target = path / _member_dir(index)
            if source.resolve() != target.resolve():
                # Members are always loaded from a model directory: copy it whole.
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(source, target)
            names.append(target.name)
        write_config(path, self, members=names, member_sources=[str(s) for s in self.sources_])

    @classmethod
    def load(cls, path: Path) -> EnsembleClassifier:
        """Load an ensemble directory and every member inside it.

        Raises:
            ModelLoadError: ``config.json`` is invalid, or a member is missing or unreadable.
        """
        path = Path(path)
        config = read_config(path)
        names = config.get("members")
        if (
            not isinstance(names, list)
            or len(names) < 2
            or not all(isinstance(n, str) and n == _member_dir(i) for i, n in enumerate(names))
        ):
            raise ModelLoadError(
                f"{path / CONFIG_NAME}: 'members' must list the member directories "
                "member-0, member-1 …"
            )
        check_model_dir(path, required={CONFIG_NAME, *names})
        hyper = dict(config.get("hyperparameters", {}))
        hyper.pop("labels", None)
        model = cls(members=[path / n for n in names], **hyper)
        loaded = [_load_member(path / n) for n in names]
        model._set_members([m for m, _ in loaded], [s for _, s in loaded])
        if list(model.labels_) != list(config["labels"]):
            raise ModelLoadError(
                f"{path / CONFIG_NAME}: labels {config['labels']} differ from the first "
                f"member's {list(model.labels_)}"
            )
        model.thresholds_ = np.asarray(config["thresholds"], dtype=np.float64)
        model.info_ = {k: config[k] for k in ("training", "recipe") if k in config}
        return model


def _load_member(directory: Path) -> tuple[Classifier, Path]:
    if not (directory / CONFIG_NAME).is_file():
        raise ModelLoadError(f"ensemble member not found at {directory.resolve()}")
    backend = read_config(directory)["backend"]
    if backend == "ensemble":
        raise ModelLoadError(f"ensemble member {directory} is itself an ensemble")
    return classifier_class(backend).load(directory), directory
