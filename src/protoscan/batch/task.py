"""What every scan backend shares: options and limits, the per-document task, the model
fingerprint and the worker warm-up.

``runner`` (the local process pool and the scan loop) and ``distributed`` (the dask backend)
both import this module and never each other, except that the runner picks the backend.

May import: ``errors``, ``batch.worklist`` and, lazily, ``classify.model_dir``, ``pipeline``,
``findings``, ``ingest`` and ``structure`` (the pipeline a worker warms up).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protoscan.batch.worklist import file_sha256
from protoscan.errors import ConfigError

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_TIMEOUT",
    "HARD_LIMIT_GRACE",
    "ScanOptions",
    "Task",
    "hard_limit",
    "model_fingerprint",
    "warm_up",
]

logger = logging.getLogger(__name__)

#: Model-directory files (and the training report folder) that do not change predictions:
#: left out of the fingerprint.
_NOT_FINGERPRINTED = frozenset({"metrics.json", "MODEL_CARD.md", "README.md", "report"})

#: Archive-scale limits per document. Decisions run to tens of pages; a PDF of more than
#: 500 pages is a bound volume or a scan gone wrong, and one document taking two minutes
#: (typically 0.1–2 s) is stuck. 25 MiB holds any text decision with room to spare (a
#: 100-page text PDF is about 1 MB) while keeping a worker's memory bounded.
DEFAULT_MAX_PAGES = 500
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
#: Where the documents are processed: this machine's process pool, or a dask cluster.
BACKENDS: tuple[str, ...] = ("local", "dask")


@dataclass(frozen=True)
class ScanOptions:
    """How to scan; validated on construction.

    The limits default to ``DEFAULT_MAX_PAGES``, ``DEFAULT_TIMEOUT`` and
    ``DEFAULT_MAX_BYTES``; ``None`` turns a limit off.

    Args:
        model: Model directory (``config.json`` plus weights).
        engine: PDF text engine, ``"pdfplumber"`` or ``"pdfium"``.
        workers: Worker processes; ``None`` means ``os.cpu_count()``. With the dask backend
            and no ``scheduler``: the workers of the local cluster started for the scan.
        max_pages: Refuse PDFs with more pages.
        timeout: Seconds allowed per document.
        max_bytes: Refuse larger files (checked before a file is read).
        retry_failed: Process files the journal records as failed again.
        glob: Keep only files (found in folders) whose name matches this pattern.
        backend: ``"local"`` (a process pool) or ``"dask"`` (dask.distributed).
        scheduler: Address of a running dask scheduler (``tcp://host:8786``); ``None``
            starts a local cluster. Only with ``backend="dask"``.
        pseudonymize: Replace personal numbers and flagged names in every output with
            pseudonyms that are stable within the scan (the key is kept in the journal).
        explain: Store the cue words of every labelled passage (word occlusion: one model
            call per labelled passage, scoring one variant per word; off by default).
    """

    model: Path = Path("models/default")
    engine: str = "pdfplumber"
    workers: int | None = None
    max_pages: int | None = DEFAULT_MAX_PAGES
    timeout: float | None = DEFAULT_TIMEOUT
    max_bytes: int | None = DEFAULT_MAX_BYTES
    retry_failed: bool = False
    glob: str | None = None
    backend: str = "local"
    scheduler: str | None = None
    pseudonymize: bool = False
    explain: bool = False

    def __post_init__(self) -> None:
        from protoscan.pipeline import ENGINES

        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}; got {self.engine!r}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"workers must be an integer ≥ 1; got {self.workers}")
        if self.max_pages is not None and self.max_pages < 1:
            raise ConfigError(f"max_pages must be an integer ≥ 1; got {self.max_pages}")
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigError(f"timeout must be a number of seconds > 0; got {self.timeout}")
        if self.max_bytes is not None and self.max_bytes < 1:
            raise ConfigError(f"max_bytes must be an integer ≥ 1; got {self.max_bytes}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got {self.backend!r}")
        if self.scheduler is not None and self.backend != "dask":
            raise ConfigError(
                f"a scheduler address ({self.scheduler}) needs the dask backend; add --backend dask"
            )

    @property
    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass
class Task:
    """One file to scan, and where the parent stands with it."""

    path: Path
    sha256: str
    quarantined: bool = False
    started: float | None = None


# -- model identity ------------------------------------------------------------------------


def model_fingerprint(model_dir: Path) -> dict[str, Any]:
    """Identify a model directory: backend, labels, thresholds, training data hash and a
    SHA-256 over the files that determine its predictions, sub-directories included.

    Raises:
        ModelLoadError: The directory is not a protoscan model.
    """
    from protoscan.classify.model_dir import read_config

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    digest = hashlib.sha256()
    # Sub-directories count too (an ensemble's members, a transformer's tokenizer); a file
    # at the top is named as before, so a flat directory keeps its fingerprint.
    files = sorted(
        (path.relative_to(model_dir).as_posix(), path)
        for path in model_dir.rglob("*")
        if path.is_file() and _NOT_FINGERPRINTED.isdisjoint(path.relative_to(model_dir).parts)
    )
    for name, path in files:
        digest.update(name.encode() + b"\0" + file_sha256(path).encode() + b"\0")
    training = config.get("training") or {}
    return {
        "dir": str(model_dir),
        "backend": config["backend"],
        "labels": list(config["labels"]),
        "thresholds": config["thresholds"],
        "data_sha256": training.get("data_sha256"),
        "recipe": config.get("recipe"),
        "fingerprint": digest.hexdigest(),
    }


#: Extra seconds past ``--timeout`` before the parent kills a worker that did not stop.
HARD_LIMIT_GRACE = 5.0


def hard_limit(timeout: float) -> float:
    """When the parent kills a worker that ignores the soft limit (stuck in native code)."""
    return timeout + max(HARD_LIMIT_GRACE, 0.5 * timeout)


# -- worker side ---------------------------------------------------------------------------


def warm_up(model: Any) -> None:
    """Run a tiny document through the pipeline, so that lazy set-up (the model's first
    call, the reading and structure code) is not charged to the first real document's time
    limit. spaCy is not loaded here: only paragraphs too long to be one passage need it, and
    a worker imports it when its first such document comes."""
    from protoscan.document import Page
    from protoscan.findings import tag_documents
    from protoscan.ingest import ExtractedText
    from protoscan.structure import build_document

    text = "Bedömning\n\nNämnden har inte talat med barnet. Beslutet saknar motivering."
    try:
        extracted = ExtractedText(text, (Page(1, 0, len(text)),), "txt", "text", "0" * 64, None)
        tag_documents([build_document(extracted)], model)
    except Exception:  # only a warm-up: real documents report their own errors
        logger.debug("worker warm-up failed", exc_info=True)
