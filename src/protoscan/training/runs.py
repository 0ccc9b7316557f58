"""The run registry: every training run under ``models/runs/``, and promotion to the default.

A run is a model directory written by ``protoscan train`` (``config.json``, weights,
``metrics.json``). Every fit adds one, so pruning keeps the newest few of each recipe and
removes the rest (never a run that is the default, never a directory a recipe names, such
as the ensemble's members). Promotion copies a run over ``models/default`` only when, on the
test split, its core macro-F1 is not lower and its label-free share (label-free passages given
a label) not higher than the current default's: a gain in F1 bought with more false findings
is what fails on real text. The stored metrics are trusted only when both models were
evaluated on the same corpus (the same ``data_sha256``); otherwise both are re-evaluated on
the current test split.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protoscan.classify.model_dir import CONFIG_NAME, DEFAULT_MODEL, METRICS_NAME, read_config
from protoscan.errors import ModelLoadError, ProtoscanError

if TYPE_CHECKING:
    from protoscan.corpus.schema import CorpusPassage

__all__ = [
    "DEFAULT_MODEL",
    "RUNS_DIR",
    "Promotion",
    "PrunedRun",
    "RunInfo",
    "check_promotion",
    "directory_bytes",
    "list_runs",
    "present_data",
    "promote_run",
    "prune_runs",
    "read_run",
    "resolve_run",
    "same_model",
]

logger = logging.getLogger(__name__)

RUNS_DIR = Path("models/runs")
#: The corpus a model is trained and tested on: passages and single sentences.
DEFAULT_DATA = (Path("corpora/passages"), Path("corpora/sentences"))
#: Differences smaller than this count as equal (floating-point noise in re-evaluation).
_TOLERANCE = 1e-9
#: The names ``protoscan train`` gives its runs: ``<YYYYmmdd-HHMMSS>-<recipe>``. Directories
#: named otherwise were placed there on purpose (a recipe's ``output``) and are never pruned.
_STAMPED = re.compile(r"^(\d{8}-\d{6})-(.+)$")


@dataclass(frozen=True)
class RunInfo:
    """What a run directory says about itself.

    Attributes:
        name: The directory name, e.g. ``20261122-223646-linear``.
        path: The directory.
        backend: ``linear``, ``embedding`` or ``transformer``.
        recipe: The recipe name.
        created: ISO time the model was written (from ``config.json``).
        data_sha256: Hash of the corpus it was trained and evaluated on.
        n_train: Training passages.
        test_core_macro_f1: Core macro-F1 on the test split, from ``metrics.json``.
        test_label_free_rate: Share of label-free test passages given a label.
        jo_ivo_dev_fp_rate: Share of label-free real JO/IVO sentences given a label.
    """

    name: str
    path: Path
    backend: str
    recipe: str | None
    created: str | None
    data_sha256: str | None
    n_train: int | None
    test_core_macro_f1: float | None
    test_label_free_rate: float | None
    jo_ivo_dev_fp_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def _metrics(path: Path) -> dict[str, Any]:
    file = path / METRICS_NAME
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"{file}: invalid JSON ({error.msg})") from None


def read_run(path: Path) -> RunInfo:
    """Summarise one model directory.

    Raises:
        ModelLoadError: ``path`` is not a protoscan model directory.
    """
    path = Path(path)
    config = read_config(path)
    metrics = _metrics(path)
    training = config.get("training") or {}
    test = metrics.get("test") or {}
    real = metrics.get("jo_ivo_dev") or {}
    return RunInfo(
        name=path.name,
        path=path,
        backend=config["backend"],
        recipe=config.get("recipe") or metrics.get("recipe"),
        created=config.get("created"),
        data_sha256=training.get("data_sha256"),
        n_train=training.get("n_train"),
        test_core_macro_f1=(test.get("core") or {}).get("macro_f1"),
        test_label_free_rate=test.get("negatives_false_positive_rate"),
        jo_ivo_dev_fp_rate=real.get("negatives_false_positive_rate"),
    )


def list_runs(runs_dir: Path = RUNS_DIR) -> list[RunInfo]:
    """Every run under ``runs_dir``, oldest first; directories that are not models are
    skipped with a log message."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise ProtoscanError(f"{runs_dir}: no runs directory; train a model with `make train`")
    runs = []
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        try:
            runs.append(read_run(path))
        except ModelLoadError as error:
            logger.info("skipped %s: %s", path, error)
    return sorted(runs, key=lambda r: (r.created or "", r.name))


def resolve_run(run: str | Path, runs_dir: Path = RUNS_DIR) -> Path:
    """A run given as a path or as a name under ``runs_dir``.

    Raises:
        ProtoscanError: Neither exists.
    """
    path = Path(run)
    if path.is_dir():
        return path
    named = Path(runs_dir) / str(run)
    if named.is_dir():
        return named
    raise ProtoscanError(
        f"no run {str(run)!r}: not a directory and not in {runs_dir}; see `protoscan models list`"
    )


def same_model(a: Path, b: Path) -> bool:
    """Whether two model directories hold the same model (identical ``config.json``)."""
    fa, fb = Path(a) / CONFIG_NAME, Path(b) / CONFIG_NAME
    return fa.is_file() and fb.is_file() and fa.read_bytes() == fb.read_bytes()


@dataclass(frozen=True)
class Promotion:
    """The comparison behind a promotion.

    Attributes:
        run: The candidate.
        default: The current default, ``None`` when there is none.
        run_f1: The candidate's test core macro-F1.
        default_f1: The default's, ``None`` when there is none.
        reevaluated: Both were re-scored on the current test split (their corpora differ).
        n_test: Test passages behind re-evaluated numbers.
        promoted: Whether the run was copied.
        run_label_free: The candidate's share of label-free test passages given a label
            (``None`` when its metrics lack it and nothing was re-evaluated).
        default_label_free: The default's.
    """

    run: RunInfo
    default: RunInfo | None
    run_f1: float
    default_f1: float | None
    reevaluated: bool
    n_test: int | None = None
    promoted: bool = False
    run_label_free: float | None = None
    default_label_free: float | None = None

    @property
    def f1_not_worse(self) -> bool:
        return self.default_f1 is None or self.run_f1 >= self.default_f1 - _TOLERANCE

    @property
    def label_free_not_worse(self) -> bool:
        if self.run_label_free is None or self.default_label_free is None:
            return True
        return self.run_label_free <= self.default_label_free + _TOLERANCE

    @property
    def not_worse(self) -> bool:
        return self.f1_not_worse and self.label_free_not_worse

    def shortfalls(self) -> list[str]:
        """What makes the run worse than the default, one phrase per figure."""
        found = []
        if not self.f1_not_worse:
            found.append(
                f"test core macro-F1 {self.run_f1:.4f} is lower than the default's "
                f"{self.default_f1:.4f}"
            )
        if not self.label_free_not_worse:
            found.append(
                f"label-free test passages given a label {self.run_label_free:.2%} is higher "
                f"than the default's {self.default_label_free:.2%}"
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.to_dict(),
            "default": self.default.to_dict() if self.default else None,
            "run_f1": self.run_f1,
            "default_f1": self.default_f1,
            "run_label_free": self.run_label_free,
            "default_label_free": self.default_label_free,
            "reevaluated": self.reevaluated,
            "n_test": self.n_test,
            "promoted": self.promoted,
        }


def _test_figures(model_dir: Path, passages: Sequence[CorpusPassage]) -> tuple[float, float]:
    """Core macro-F1 and label-free share (0 without label-free passages, as ``metrics.json``
    stores it) of the model on ``passages``."""
    from protoscan.classify.model_dir import load_classifier
    from protoscan.training.evaluate import evaluate_predictions

    classifier = load_classifier(model_dir)
    probs = classifier.predict_proba([p.text for p in passages])
    evaluation = evaluate_predictions(passages, probs, classifier.thresholds_, classifier.labels_)
    return float(evaluation.core["macro_f1"]), evaluation.negatives_false_positive_rate


def present_data() -> list[Path]:
    """The parts of :data:`DEFAULT_DATA` that exist here (all of it when none does, so that
    the error names what is missing)."""
    return [path for path in DEFAULT_DATA if path.exists()] or list(DEFAULT_DATA)


def check_promotion(run_dir: Path, default_dir: Path, *, data: Path | Sequence[Path]) -> Promotion:
    """Compare a run with the default on test core macro-F1 and label-free share.

    The stored numbers are used when both ``metrics.json`` files have them and both models
    share a ``data_sha256``; otherwise both models are evaluated on ``data``'s test split.
    """
    run = read_run(run_dir)
    default = read_run(default_dir) if (Path(default_dir) / CONFIG_NAME).is_file() else None
    if default is None:
        return Promotion(
            run,
            None,
            run.test_core_macro_f1 or 0.0,
            None,
            reevaluated=False,
            run_label_free=run.test_label_free_rate,
        )
    comparable = (
        run.data_sha256 is not None
        and run.data_sha256 == default.data_sha256
        and run.test_core_macro_f1 is not None
        and default.test_core_macro_f1 is not None
        and run.test_label_free_rate is not None
        and default.test_label_free_rate is not None
    )
    if comparable:
        return Promotion(
            run,
            default,
            run.test_core_macro_f1,
            default.test_core_macro_f1,
            reevaluated=False,
            run_label_free=run.test_label_free_rate,
            default_label_free=default.test_label_free_rate,
        )
    from protoscan.corpus.schema import load_passages

    names = str(data) if isinstance(data, str | Path) else ", ".join(map(str, data))
    logger.info("test data differ (or metrics missing): re-evaluating both on %s", names)
    # Loaded once: both models are scored on the same rows.
    passages = load_passages(data, split="test")
    if not passages:
        raise ProtoscanError(f"{names}: no test passages to compare the models on")
    run_f1, run_free = _test_figures(run.path, passages)
    default_f1, default_free = _test_figures(default.path, passages)
    return Promotion(
        run,
        default,
        run_f1,
        default_f1,
        reevaluated=True,
        n_test=len(passages),
        run_label_free=run_free,
        default_label_free=default_free,
    )


def promote_run(
    run: str | Path,
    *,
    default: Path = DEFAULT_MODEL,
    runs_dir: Path = RUNS_DIR,
    data: Path | Sequence[Path] | None = None,
    force: bool = False,
    rule: Path | None = None,
) -> Promotion:
    """Copy a run over the default model if it is not worse on the test split: core
    macro-F1 not lower and the label-free share not higher; with ``rule``, only if it also
    passes that rule for replacing the default (:mod:`protoscan.training.default_rule`).

    Args:
        run: A run directory or its name under ``runs_dir``.
        default: The default model directory (replaced atomically).
        runs_dir: Where named runs live.
        data: The corpus (one path or several) whose test split decides when the stored
            metrics can't be compared (default: :func:`present_data`).
        force: Promote even when the run is worse.
        rule: A rule file the run must also pass (``training/rules/default.toml``).

    Returns:
        The comparison, with ``promoted=True``.

    Raises:
        ProtoscanError: The run is worse than the default (and ``force`` is off), or it is
            the default already.

    Example:
        >>> promote_run("20261122-223646-linear")  # doctest: +SKIP
    """
    from protoscan.training.train import replace_directory

    run_dir = resolve_run(run, runs_dir)
    default = Path(default)
    if default.exists() and run_dir.resolve() == default.resolve():
        raise ProtoscanError(f"{run_dir} is the default model directory itself")
    check = check_promotion(run_dir, default, data=present_data() if data is None else data)
    if not check.not_worse and not force:
        how = "re-evaluated on the current test split" if check.reevaluated else "stored metrics"
        raise ProtoscanError(
            f"{run_dir.name} is worse than the default: {'; '.join(check.shortfalls())} "
            f"({how}); not promoted (--force promotes anyway)"
        )
    if rule is not None and default.exists() and not force:
        from protoscan.training.default_rule import check_rule, load_rule

        verdict = check_rule(run_dir, default, load_rule(rule))
        if not verdict.passed:
            raise ProtoscanError(
                f"{run_dir.name} fails {rule}: {'; '.join(verdict.shortfalls())}; not promoted "
                "(--force promotes anyway)"
            )
    replace_directory(run_dir, default)
    return replace(check, promoted=True)


@dataclass(frozen=True)
class PrunedRun:
    """A run that pruning removed (or, in a dry run, would remove)."""

    name: str
    recipe: str
    size_bytes: int


def directory_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def prune_runs(
    runs_dir: Path = RUNS_DIR,
    *,
    keep: int = 3,
    default: Path = DEFAULT_MODEL,
    dry_run: bool = False,
) -> list[PrunedRun]:
    """Remove all but the newest ``keep`` timestamped runs of each recipe.

    Only directories named as ``protoscan train`` names a run (``<stamp>-<recipe>``) and
    holding a ``config.json`` are candidates; a run identical to ``default`` is always kept.
    Each run is renamed away before it is deleted, so an interrupted prune never leaves a
    half-deleted directory that still looks like a model.

    Args:
        runs_dir: The runs directory.
        keep: Runs to keep per recipe, newest first (at least 1).
        default: The default model directory, whose twin is never removed.
        dry_run: Only say what would be removed.

    Returns:
        The removed runs, oldest first.

    Raises:
        ProtoscanError: No runs directory, or ``keep`` below 1.

    Example:
        >>> prune_runs(Path("models/runs"), keep=2, dry_run=True)  # doctest: +SKIP
    """
    runs_dir = Path(runs_dir)
    if keep < 1:
        raise ProtoscanError(f"keep must be at least 1; got {keep}")
    if not runs_dir.is_dir():
        raise ProtoscanError(f"{runs_dir}: no runs directory")
    by_recipe: dict[str, list[Path]] = {}
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        stamped = _STAMPED.match(path.name)
        if stamped and (path / CONFIG_NAME).is_file():
            by_recipe.setdefault(stamped.group(2), []).append(path)
    pruned = []
    for leftover in sorted(runs_dir.glob(".pruning-*")):  # from an interrupted prune
        pruned.append(PrunedRun(leftover.name, "(interrupted prune)", directory_bytes(leftover)))
        if not dry_run:
            shutil.rmtree(leftover)
    for recipe, paths in sorted(by_recipe.items()):
        # names sort by their stamp: the newest are last
        for path in paths[: max(0, len(paths) - keep)]:
            if same_model(path, default):
                continue
            pruned.append(PrunedRun(path.name, recipe, directory_bytes(path)))
            if not dry_run:
                doomed = path.with_name(f".pruning-{path.name}")
                path.rename(doomed)
                shutil.rmtree(doomed)
    return sorted(pruned, key=lambda r: r.name)
