"""Self-describing model directories: ``config.json``, safe weights, metrics and a card.

A directory is refused when ``config.json`` is missing or names an unknown backend, when a
file the backend needs is missing, or when it holds files the backend does not write (a
stray ``*.pkl`` is never loaded, it stops the load).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protoscan.errors import ModelLoadError

if TYPE_CHECKING:
    from protoscan.classify.base import Classifier

__all__ = [
    "CARD_NAME",
    "CLASSIFIERS",
    "CONFIG_NAME",
    "METRICS_NAME",
    "check_file_suffixes",
    "check_model_dir",
    "library_versions",
    "load_classifier",
    "load_skops_model",
    "read_config",
    "save_skops_model",
    "write_config",
]

#: The shipped model every command uses unless told otherwise (relative to the working directory).
DEFAULT_MODEL = Path("models/default")
CONFIG_NAME = "config.json"
METRICS_NAME = "metrics.json"
CARD_NAME = "MODEL_CARD.md"
#: Files any model directory may hold besides the backend's own weights.
COMMON_FILES = frozenset({CONFIG_NAME, METRICS_NAME, CARD_NAME, "recipe.toml", "report"})

#: Backend name → "module:Class"; imported lazily so ``import protoscan`` stays light.
CLASSIFIERS: dict[str, str] = {
    "linear": "protoscan.classify.linear:LinearClassifier",
    "transformer": "protoscan.classify.transformer:TransformerClassifier",
    "embedding": "protoscan.classify.embedding:EmbeddingClassifier",
    "cascade": "protoscan.classify.cascade:CascadeClassifier",
    "onnx": "protoscan.classify.onnx_backend:OnnxClassifier",
    "ensemble": "protoscan.classify.ensemble:EnsembleClassifier",
}

_VERSIONED = (
    "protoscan",
    "numpy",
    "scikit-learn",
    "skops",
    "torch",
    "transformers",
    "tokenizers",
    "onnxruntime",
)


def library_versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Python's version and those of the installed libraries a model depends on, plus
    ``extra`` (libraries that are not installed are left out)."""
    # Imported here: only saving a model needs it, and every process that loads one (a scan's
    # fork server, classify, screen) would otherwise pay for it on the way to its first result.
    from importlib import metadata as importlib_metadata

    versions = {"python": platform.python_version()}
    for name in (*_VERSIONED, *extra):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def classifier_class(backend: str) -> type[Classifier]:
    try:
        target = CLASSIFIERS[backend]
    except KeyError:
        raise ModelLoadError(
            f"unknown backend {backend!r}; known: {', '.join(sorted(CLASSIFIERS))}"
        ) from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def write_config(path: Path, classifier: Any, **extra: Any) -> dict[str, Any]:
    """Write ``config.json`` for a fitted classifier and return it."""
    config = {
        "backend": classifier.backend,
        "labels": list(classifier.labels_),
        "thresholds": [round(float(t), 4) for t in classifier.thresholds_],
        "hyperparameters": classifier.hyperparameters(),
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "versions": library_versions(),
        **getattr(classifier, "info_", {}),
        **extra,
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG_NAME).write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n")
    return config


def read_config(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_dir():
        raise ModelLoadError(f"{path}: not a model directory (train one with `make train`)")
    config_file = path / CONFIG_NAME
    if not config_file.is_file():
        raise ModelLoadError(f"{path}: missing {CONFIG_NAME}; is this a protoscan model directory?")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"{config_file}: invalid JSON ({error.msg})") from None
    for key in ("backend", "labels", "thresholds"):
        if key not in config:
            raise ModelLoadError(f"{config_file}: missing key {key!r}")
    if len(config["labels"]) != len(config["thresholds"]):
        raise ModelLoadError(
            f"{config_file}: {len(config['labels'])} labels but "
            f"{len(config['thresholds'])} thresholds"
        )
    return config


def check_model_dir(path: Path, required: set[str], optional: set[str] = frozenset()) -> None:
    """Refuse a directory that lacks ``required`` files or holds unexpected ones."""
    present = {p.name for p in path.iterdir()}
    missing = sorted(required - present)
    if missing:
        raise ModelLoadError(f"{path}: missing {', '.join(missing)}; retrain or re-copy the model")
    unexpected = sorted(present - required - optional - COMMON_FILES)
    if unexpected:
        raise ModelLoadError(
            f"{path}: unexpected file(s) {', '.join(unexpected)}; a model directory holds only "
            "what protoscan wrote (refusing to load unknown content)"
        )


def check_file_suffixes(folder: Path, suffixes: tuple[str, ...], allowed: str) -> None:
    """Refuse a sub-directory holding files other than ``suffixes`` (``allowed`` says
    in words what may be there)."""
    unsafe = [p.name for p in folder.iterdir() if not p.name.endswith(suffixes)]
    if unsafe:
        raise ModelLoadError(f"{folder}: unexpected file(s) {unsafe}; only {allowed} are loaded")


def load_classifier(path: Path | str) -> Classifier:
    """Load any protoscan model directory, dispatching on ``config.json``'s backend."""
    path = Path(path)
    config = read_config(path)
    return classifier_class(config["backend"]).load(path)


#: Module prefixes whose types a protoscan skops file may contain.
SKOPS_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.", "collections.")
#: protoscan's own scikit-learn estimators, trusted by exact name only.
SKOPS_TRUSTED_NAMES = frozenset({"protoscan.classify.features.CachedCharTfidfVectorizer"})


def dump_skops(obj: Any, file: Path) -> None:
    """Save a scikit-learn object with skops (compressed; never pickle)."""
    import zipfile

    import skops.io as sio

    sio.dump(obj, file, compression=zipfile.ZIP_DEFLATED)


def load_skops(file: Path) -> Any:
    """Load a skops file after checking every type in it is a scikit-learn/numpy/scipy type
    (or one of protoscan's own named estimators)."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as error:  # skops raises several types for corrupt files
        raise ModelLoadError(f"{file}: unreadable skops file ({error})") from None
    foreign = [
        t
        for t in untrusted
        if not t.startswith(SKOPS_TRUSTED_PREFIXES) and t not in SKOPS_TRUSTED_NAMES
    ]
    if foreign:
        raise ModelLoadError(f"{file}: refusing to load untrusted types {foreign}")
    return sio.load(file, trusted=untrusted)


def save_skops_model(path: Path, classifier: Any, obj: Any, file_name: str) -> None:
    """Write a model directory whose weights are one scikit-learn object in a skops file."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    dump_skops(obj, path / file_name)
    write_config(path, classifier)


def load_skops_model(cls: type[Any], path: Path, file_name: str) -> tuple[Any, Any]:
    """A model built from a directory's ``config.json``, and the object in its skops file."""
    path = Path(path)
    config = read_config(path)
    check_model_dir(path, required={file_name})
    obj = load_skops(path / file_name)
    return cls.from_config(config), obj
