"""Training driven by a TOML recipe: load the corpus, fit, tune thresholds on dev, evaluate on
test (and on the real JO/IVO development sentences when ``../shared`` is present), and write a
self-describing model directory under ``models/runs/<timestamp>-<recipe>/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.classify.model_dir import METRICS_NAME, classifier_class
from protoscan.corpus.schema import CorpusPassage, load_passages
from protoscan.errors import ConfigError
from protoscan.labels import ALL_LABELS
from protoscan.training.evaluate import Evaluation, evaluate_predictions
from protoscan.training.toml_files import read_toml
from protoscan.training.train_copies import parse_train_copies, with_copies

__all__ = [
    "TrainConfig",
    "TrainResult",
    "describe_model",
    "load_config",
    "real_dev_path",
    "score_real_sentences",
    "train",
]

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[3]


#: Set to 1 to leave the real sentences out of every run, export and ensemble (a trainer who
#: compares candidates on dev must not see their real figures before deciding).
SKIP_REAL_DEV_VARIABLE = "PROTOSCAN_SKIP_REAL_DEV"


def real_dev_path() -> Path | None:
    """The shared real JO/IVO development sentences, when they are beside the repository and
    ``PROTOSCAN_SKIP_REAL_DEV`` is not set to 1."""
    if os.environ.get(SKIP_REAL_DEV_VARIABLE) == "1":
        return None
    path = REPO_ROOT.parent / "shared" / "realdata" / "labelled" / "jo_ivo_dev.jsonl"
    return path if path.is_file() else None


@dataclass(frozen=True)
class TrainConfig:
    name: str
    backend: str
    #: One corpus path or several (passages and sentences).
    data: Path | tuple[Path, ...] = Path("corpora/passages")
    output: Path | None = None
    runs_dir: Path = Path("models/runs")
    params: dict[str, Any] = field(default_factory=dict)
    evaluate_real_dev: bool = True
    #: Whole-document corpus files (paths or globs) whose dev rows set one offset added to
    #: every tuned threshold (``protoscan.training.operating_point``); empty: no offset.
    operating_data: tuple[str, ...] = ()
    #: Corpus file pattern → how many times its train rows are seen per epoch
    #: (``protoscan.training.train_copies``); empty: each row once.
    train_copies: dict[str, int] = field(default_factory=dict)
    source: Path | None = None

    def __post_init__(self) -> None:
        classifier_class(self.backend)  # raises for unknown backends
        if not self.name or "/" in self.name:
            raise ConfigError(f"`name` must be a plain word; got {self.name!r}")


_KEYS = {
    "name",
    "backend",
    "data",
    "output",
    "runs_dir",
    "params",
    "evaluate_real_dev",
    "operating_data",
    "train_copies",
}


def load_config(path: Path | str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a recipe; unknown keys are an error (so typos don't silently use defaults)."""
    path = Path(path)
    raw = read_toml(path, "no such recipe; see training/*.toml")
    for key, value in (overrides or {}).items():
        target = raw
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(_KEYS)}")
    for key in ("name", "backend"):
        if key not in raw:
            raise ConfigError(f"{path}: missing required key `{key}`")
    return TrainConfig(
        name=raw["name"],
        backend=raw["backend"],
        data=_data_paths(raw.get("data", "corpora/passages")),
        output=Path(raw["output"]) if raw.get("output") else None,
        runs_dir=Path(raw.get("runs_dir", "models/runs")),
        params=dict(raw.get("params", {})),
        evaluate_real_dev=bool(raw.get("evaluate_real_dev", True)),
        operating_data=_patterns(raw.get("operating_data", []), path),
        train_copies=parse_train_copies(raw.get("train_copies", {}), path),
        source=path,
    )


def _patterns(value: Any, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{path}: `operating_data` must be a list of paths or globs")
    return tuple(value)


def _data_paths(value: str | list[str]) -> Path | tuple[Path, ...]:
    return Path(value) if isinstance(value, str) else tuple(Path(v) for v in value)


def data_description(data: Path | tuple[Path, ...]) -> str:
    return str(data) if isinstance(data, Path) else ", ".join(str(p) for p in data)


def data_hash(passages: list[CorpusPassage]) -> str:
    digest = hashlib.sha256()
    for passage in sorted(passages, key=lambda p: p.id):
        digest.update(json.dumps(passage.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class TrainResult:
    run_dir: Path
    output: Path | None
    seconds: float
    test: Evaluation
    dev: Evaluation
    real_dev: Evaluation | None
    metrics: dict[str, Any]

    def real_eval_dict(self) -> dict[str, Any] | None:
        return self.real_dev.to_dict() if self.real_dev else None


def _build(config: TrainConfig) -> Any:
    cls = classifier_class(config.backend)
    try:
        return cls(**config.params)
    except TypeError as error:
        raise ConfigError(
            f"{config.source}: invalid [params] for {config.backend}: {error}"
        ) from None


def train(
    config: TrainConfig,
    *,
    output: Path | None = None,
    passages: list[CorpusPassage] | None = None,
    run_dir: Path | None = None,
) -> TrainResult:
    """Fit the recipe's classifier and write its model directory.

    Args:
        config: The recipe.
        output: Copy the finished run here as well (overrides the recipe's ``output``).
        passages: Use these passages instead of reading ``config.data`` (tests, subsampling).
        run_dir: Write the run here instead of ``runs_dir/<timestamp>-<name>``.
    """
    from protoscan.training.model_card import write_model_card

    corpus = passages if passages is not None else load_passages(config.data)
    splits = {s: [p for p in corpus if p.split == s] for s in ("train", "dev", "test")}
    if not splits["train"]:
        raise ConfigError(f"{config.data}: no passages with split 'train'; assign splits first")
    copies = None
    if config.train_copies:
        splits["train"], added = with_copies(splits["train"], config.train_copies)
        copies = {"files": config.train_copies, "rows_added": added}
    classifier = _build(config)
    started = time.perf_counter()
    classifier.fit(splits["train"], splits["dev"] or None)
    operating_point = None
    if config.operating_data:
        from protoscan.training.operating_point import operating_rows, set_operating_point

        rows = operating_rows(config.operating_data)
        operating_point = {
            "data": list(config.operating_data),
            **set_operating_point(classifier, rows),
        }
    seconds = time.perf_counter() - started

    def score(items: list[CorpusPassage]) -> Evaluation:
        return score_passages(classifier, items)

    test_eval, dev_eval = score(splits["test"]), score(splits["dev"])
    real_path = real_dev_path() if config.evaluate_real_dev else None
    real_eval = score_real_sentences(classifier, real_path) if real_path else None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = run_dir or config.runs_dir / f"{stamp}-{config.name}"
    classifier.info_ = {
        "recipe": config.name,
        "training": {
            "data": data_description(config.data),
            "data_sha256": data_hash(corpus),
            "n_train": len(splits["train"]),
            "n_dev": len(splits["dev"]),
            "n_test": len(splits["test"]),
            "seconds": round(seconds, 2),
            "label_counts": {
                label: sum(label in p.labels for p in splits["train"]) for label in ALL_LABELS
            },
            **({"train_copies": copies} if copies else {}),
            **({"operating_point": operating_point} if operating_point else {}),
        },
    }
    classifier.save(run_dir)
    metrics = {
        "recipe": config.name,
        "backend": config.backend,
        "train_seconds": round(seconds, 2),
        "test": test_eval.to_dict(),
        "dev": dev_eval.to_dict(),
        "jo_ivo_dev": real_eval.to_dict() if real_eval else None,
        "history": getattr(classifier, "history_", []),
    }
    (run_dir / METRICS_NAME).write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    if config.source and config.source.is_file():
        shutil.copyfile(config.source, run_dir / "recipe.toml")
    write_model_card(run_dir)
    target = output or config.output
    if target is not None:
        replace_directory(run_dir, Path(target))
    return TrainResult(run_dir, target, seconds, test_eval, dev_eval, real_eval, metrics)


def score_passages(classifier: Any, items: list[CorpusPassage]) -> Evaluation:
    """Evaluate a fitted classifier on labelled passages at its own thresholds."""
    probs = (
        classifier.predict_proba([p.text for p in items])
        if items
        else np.zeros((0, len(classifier.labels_)))
    )
    return evaluate_predictions(items, probs, classifier.thresholds_, classifier.labels_)


def score_real_sentences(classifier: Any, path: Path) -> Evaluation:
    """Evaluate on the real labelled sentences, keeping their text out of the result: model
    directories are committed and read by corpus writers, who must never see real decisions'
    sentences. Worst errors keep their ids, labels and scores."""
    evaluation = score_passages(classifier, load_passages(path))
    evaluation.worst_errors = [
        {key: value for key, value in row.items() if key != "text"}
        for row in evaluation.worst_errors
    ]
    return evaluation


def describe_model(
    model_dir: Path, data: Path | tuple[Path, ...], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Measure a finished model directory (an export, say) the way ``train`` measures a run
    — test and dev splits of ``data``, and the real JO/IVO sentences when ``../shared`` is
    there (evaluation only) — and write its ``metrics.json`` and ``MODEL_CARD.md``."""
    from protoscan.classify.model_dir import load_classifier, read_config
    from protoscan.training.model_card import write_model_card

    model_dir = Path(model_dir)
    classifier = load_classifier(model_dir)
    corpus = load_passages(data)

    def score(items: list[CorpusPassage]) -> dict[str, Any] | None:
        return score_passages(classifier, items).to_dict() if items else None

    real_path = real_dev_path()
    metrics = {
        "recipe": read_config(model_dir).get("recipe"),
        "backend": classifier.backend,
        "test": score([p for p in corpus if p.split == "test"]),
        "dev": score([p for p in corpus if p.split == "dev"]),
        "jo_ivo_dev": score_real_sentences(classifier, real_path).to_dict() if real_path else None,
        **(extra or {}),
    }
    (model_dir / METRICS_NAME).write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    write_model_card(model_dir)
    return metrics


def replace_directory(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` so a reader never sees a half-written model."""
    staging = target.with_name(target.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    backup = target.with_name(target.name + ".previous")
    shutil.rmtree(backup, ignore_errors=True)
    if target.exists():
        target.rename(backup)
    staging.rename(target)
    shutil.rmtree(backup, ignore_errors=True)
