"""A cheap screening model in front of a precise one: the precise model sees few passages.

Every passage gets the screening model's scores (the linear model: thousands of passages per
second). Only passages whose highest screening score reaches the *gate* go on to the precise
model (a fine-tuned transformer), whose scores then replace the screening scores. Most
passages of a decision mention no deficiency at all, so the precise model runs on a fraction
of them.

Scores and thresholds. The cascade decides with the precise model's thresholds. A screened
out passage keeps its screening scores, and every one of them is below the gate; the gate
is never above the smallest precise threshold (``fit`` caps a tuned gate there and refuses a
configured one above it), so a screened-out passage can never be labelled, and the labels
on a routed passage are exactly the precise model's. Keeping the screening scores rather
than zeros keeps the low end of the score column ordered (a passage at 0.09 is closer to a
finding than one at 0.001), which ranking and precision-recall curves use; the two models'
scores are on different scales, so do not lower a threshold below the gate and expect the
screened scores to mean what the precise scores mean.

The gate is tuned on the dev split: the highest gate that keeps ``target_recall`` (0.98) of
the precise model's positive (passage, label) decisions, that is, the share of those
decisions that the cascade makes too.

A cascade directory holds only ``config.json``: it names the two member model directories
by paths relative to itself (members trained in memory are saved into ``screen/`` and
``precise/`` inside it). Loading refuses a member that is missing, which happens when a
cascade directory is moved without its members.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier, Classifier, set_model_threads
from protoscan.classify.model_dir import (
    CONFIG_NAME,
    check_model_dir,
    classifier_class,
    read_config,
    write_config,
)
from protoscan.corpus.schema import CorpusPassage
from protoscan.errors import ConfigError, ModelLoadError

__all__ = ["CascadeClassifier", "tune_gate"]

#: Sub-directories of a cascade directory that hold members trained in memory.
MEMBER_DIRS = ("screen", "precise")
#: Recall targets whose gate and routed share ``fit`` records beside the chosen one.
TRADE_OFF_TARGETS = (0.8, 0.9, 0.95, 0.98, 0.99, 1.0)

Member = str | Path | Classifier


def tune_gate(
    screen_max: np.ndarray, precise_on: np.ndarray, target_recall: float, ceiling: float
) -> tuple[float, float]:
    """The highest gate that keeps ``target_recall`` of the precise model's positives.

    Args:
        screen_max: Per passage, the highest screening score over the labels, shape ``(n,)``.
        precise_on: The precise model's decisions, boolean ``(n, n_labels)``.
        target_recall: Share of positive (passage, label) decisions that must pass the gate.
        ceiling: The gate is never above this (the smallest precise threshold).

    Returns:
        The gate (rounded down to 4 decimals) and the recall it keeps on these passages.
        Without any positive decision the gate is 0: every passage goes to the precise model.

    Example:
        >>> on = np.array([[True], [True], [False], [True]])
        >>> tune_gate(np.array([0.9, 0.3, 0.01, 0.5]), on, 0.9, 0.5)
        (0.3, 1.0)
    """
    weights = precise_on.sum(axis=1)  # positive decisions per passage
    total = int(weights.sum())
    if total == 0:
        return 0.0, 1.0
    order = np.argsort(screen_max, kind="stable")
    lost = np.cumsum(weights[order])  # decisions lost when the gate is just above order[i]
    allowed = (1.0 - target_recall) * total
    # The gate sits at the lowest positive passage we must keep: every passage below it may
    # be lost, as long as at most ``allowed`` decisions go with them.
    # ``lost`` ends at ``total`` > ``allowed``, so this index exists and holds a positive.
    keep_from = int(np.searchsorted(lost, allowed + 1e-9, side="right"))
    gate = min(float(screen_max[order[keep_from]]), ceiling)
    gate = float(np.floor(gate * 10_000) / 10_000)
    recall = float(weights[screen_max >= gate].sum() / total)
    return gate, recall


class CascadeClassifier(BaseClassifier):
    """Screening model → gate → precise model, behind the usual classifier contract.

    Args:
        screen: The screening model: a model directory or a classifier (fitted or not).
        precise: The precise model, likewise.
        gate: Route a passage to the precise model when its highest screening score is at
            least this; ``None`` tunes it on the dev split in ``fit``.
        target_recall: What the tuned gate keeps of the precise model's positives.
        quantize: Load a transformer precise member with int8 dynamic quantisation (CPU).
        labels, threshold: As for every classifier; the labels come from the members.

    Example:
        >>> cascade = CascadeClassifier(  # doctest: +SKIP
        ...     screen="models/default", precise="models/runs/transformer-e5-small"
        ... ).fit(train, dev)
        >>> cascade.save(Path("models/cascade"))  # doctest: +SKIP
    """

    backend: ClassVar[str] = "cascade"

    def __init__(
        self,
        *,
        screen: Member | None = None,
        precise: Member | None = None,
        gate: float | None = None,
        target_recall: float = 0.98,
        quantize: bool = False,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.screen = screen
        self.precise = precise
        self.gate = gate
        self.target_recall = target_recall
        self.quantize = quantize
        if gate is not None and not 0.0 <= gate <= 1.0:
            raise ConfigError(f"`gate` must be a float in [0, 1]; got {gate}")
        if not 0.0 < target_recall <= 1.0:
            raise ConfigError(f"`target_recall` must be a float in (0, 1]; got {target_recall}")

    # -- members ----------------------------------------------------------------------------
    def _member(self, role: str, spec: Member | None) -> tuple[Classifier, Path | None]:
        if spec is None:
            raise ConfigError(f"cascade: no `{role}` model; pass a model directory or classifier")
        if isinstance(spec, (str, Path)):
            return _load_member(Path(spec), role, quantize=self.quantize and role == "precise")
        return spec, None

    def _set_members(
        self,
        screen: tuple[Classifier, Path | None],
        precise: tuple[Classifier, Path | None],
    ) -> None:
        (self.screen_, self.screen_dir_), (self.precise_, self.precise_dir_) = screen, precise
        missing = set(self.precise_.labels_) - set(self.screen_.labels_)
        if missing:
            raise ConfigError(
                f"cascade: the screening model lacks label(s) {', '.join(sorted(missing))} "
                "that the precise model predicts; train both on the same taxonomy"
            )
        self.labels_ = tuple(self.precise_.labels_)
        # Screening columns in the precise model's label order.
        self.screen_columns_ = np.array([self.screen_.labels_.index(x) for x in self.labels_])

    @property
    def members(self) -> dict[str, Classifier]:
        """The fitted screening and precise models."""
        self._check_fitted()
        return {"screen": self.screen_, "precise": self.precise_}

    def set_threads(self, threads: int) -> None:
        """Pass a thread budget on to members that manage their own threads."""
        for member in self.members.values():
            set_model_threads(member, threads)

    # -- training ---------------------------------------------------------------------------
    def fit(
        self, passages: Sequence[CorpusPassage], dev: Sequence[CorpusPassage] | None = None
    ) -> CascadeClassifier:
        """Load (or fit, when given unfitted classifiers) both members, then tune the gate.

        Members given as directories or fitted classifiers are used as they are; an unfitted
        classifier is fitted on ``passages`` (with ``dev`` for its thresholds). The gate is
        tuned on ``dev`` (on ``passages`` when there is no dev split) unless ``gate`` is set.

        Raises:
            ConfigError: A member is not given, the screening model lacks a label of the
                precise model, or ``gate`` is above the smallest precise threshold.
            ModelLoadError: A member directory is missing, unreadable or itself a cascade.
        """
        members = []
        for role, spec in (("screen", self.screen), ("precise", self.precise)):
            model, source = self._member(role, spec)
            if not _is_fitted(model):
                if not passages:
                    raise ValueError("cannot fit on an empty training set")
                model = model.fit(passages, dev)
            members.append((model, source))
        self._set_members(*members)
        self.thresholds_ = np.asarray(self.precise_.thresholds_, dtype=np.float64)
        ceiling = float(self.thresholds_.min())
        if self.gate is not None:
            if self.gate > ceiling:
                raise ConfigError(
                    f"`gate` {self.gate} is above the precise model's smallest threshold "
                    f"{ceiling}; screened-out passages could then be labelled on screening "
                    "scores alone. Use a gate at or below it"
                )
            self.gate_ = float(self.gate)
            self.tuning_ = {"gate": self.gate_, "tuned": False}
            return self
        tuning = list(dev) if dev else list(passages)
        texts = [p.text for p in tuning]
        screen_max = self._screen_proba(texts).max(axis=1)
        precise_on = self.precise_.predict_proba(texts) >= self.thresholds_[None, :]
        self.gate_, recall = tune_gate(screen_max, precise_on, self.target_recall, ceiling)
        self.tuning_ = {
            "gate": self.gate_,
            "tuned": True,
            "on": "dev" if dev else "train",
            "passages": len(texts),
            "precise_positives": int(precise_on.sum()),
            "recall_of_precise_positives": round(recall, 4),
            "routed_share": round(float(np.mean(screen_max >= self.gate_)), 4),
            # What other targets would have cost: the share routed is the precise model's
            # share of the work, so it bounds the speed-up (1 / share at best).
            "trade_off": [
                {
                    "target_recall": target,
                    "gate": gate,
                    "recall": round(kept, 4),
                    "routed_share": round(float(np.mean(screen_max >= gate)), 4),
                }
                for target in TRADE_OFF_TARGETS
                for gate, kept in [tune_gate(screen_max, precise_on, target, ceiling)]
            ],
        }
        return self

    def is_fitted(self) -> bool:
        return hasattr(self, "gate_")

    # -- inference --------------------------------------------------------------------------
    def _screen_proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.screen_.predict_proba(texts), dtype=np.float32)[
            :, self.screen_columns_
        ]

    def route(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Screening scores (in ``labels_`` order) and which passages pass the gate."""
        self._check_fitted()
        screen = self._screen_proba(list(texts))
        return screen, screen.max(axis=1) >= self.gate_

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        scores, routed = self.route(texts)
        if routed.any():
            chosen = np.flatnonzero(routed)
            scores[chosen] = self.precise_.predict_proba([texts[i] for i in chosen])
        return scores

    # -- persistence ------------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            "gate": self.gate,
            "target_recall": self.target_recall,
            "quantize": self.quantize,
        }

    def save(self, path: Path) -> None:
        """Write ``config.json`` naming both members by paths relative to ``path``.

        A member loaded from a directory is referenced where it is; a member trained in
        memory is saved into ``path/screen`` or ``path/precise``.
        """
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        members = {}
        for role, model, source in (
            ("screen", self.screen_, self.screen_dir_),
            ("precise", self.precise_, self.precise_dir_),
        ):
            if source is None:
                source = path / role
                model.save(source)
            members[role] = Path(os.path.relpath(source.resolve(), path.resolve())).as_posix()
        write_config(path, self, members=members, gate=self.gate_, tuning=self.tuning_)

    @classmethod
    def load(cls, path: Path, *, quantize: bool | None = None) -> CascadeClassifier:
        """Load a cascade directory and both members it names.

        Args:
            path: The cascade directory.
            quantize: Override the saved ``quantize`` setting for a transformer precise model.

        Raises:
            ModelLoadError: ``config.json`` is invalid, or a member directory is missing,
                unreadable or itself a cascade.
        """
        path = Path(path)
        config = read_config(path)
        check_model_dir(path, required={CONFIG_NAME}, optional=set(MEMBER_DIRS))
        config_file = path / CONFIG_NAME
        members = config.get("members")
        if not isinstance(members, dict) or set(members) != {"screen", "precise"}:
            raise ModelLoadError(
                f"{config_file}: 'members' must name the 'screen' and 'precise' model directories"
            )
        if not isinstance(config.get("gate"), (int, float)):
            raise ModelLoadError(f"{config_file}: missing the tuned 'gate'")
        hyper = dict(config.get("hyperparameters", {}))
        hyper.pop("labels", None)
        if quantize is not None:
            hyper["quantize"] = quantize
        model = cls(**hyper)
        loaded = []
        for role in ("screen", "precise"):
            loaded.append(
                _load_member(
                    path / members[role],
                    role,
                    quantize=model.quantize and role == "precise",
                    cascade=path,
                    relative=members[role],
                )
            )
        model._set_members(*loaded)
        if list(model.labels_) != list(config["labels"]):
            raise ModelLoadError(
                f"{config_file}: labels {config['labels']} differ from the precise member's "
                f"{list(model.labels_)}; was a member retrained? Re-tune the cascade"
            )
        model.thresholds_ = np.asarray(config["thresholds"], dtype=np.float64)
        model.gate_ = float(config["gate"])
        model.tuning_ = config.get("tuning", {})
        model.info_ = {k: config[k] for k in ("training", "recipe") if k in config}
        return model


def _is_fitted(model: Any) -> bool:
    check = getattr(model, "is_fitted", None)
    return check() if callable(check) else hasattr(model, "thresholds_")


def _load_member(
    directory: Path,
    role: str,
    *,
    quantize: bool = False,
    cascade: Path | None = None,
    relative: str | None = None,
) -> tuple[Classifier, Path]:
    where = f"{cascade}: " if cascade is not None else ""
    named = f" ({relative!r} relative to the cascade directory)" if relative else ""
    if not (directory / CONFIG_NAME).is_file():
        raise ModelLoadError(
            f"{where}cascade member {role!r} not found at {directory.resolve()}{named}; "
            "restore the member model or re-tune the cascade"
        )
    config = read_config(directory)
    if config["backend"] == "cascade":
        raise ModelLoadError(f"{where}cascade member {role!r} at {directory} is itself a cascade")
    cls = classifier_class(config["backend"])
    options: dict[str, Any] = {}
    if quantize and "quantize" in inspect.signature(cls.load).parameters:
        options = {"quantize": True, "device": "cpu"}
    return cls.load(directory, **options), directory
