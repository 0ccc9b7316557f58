"""The scan's fork server: what it imports before forking workers, and starting it early.

Kept apart from ``protoscan.batch`` so that the console script can start the fork server
(``protoscan.launch``) without importing the batch package first: the server's imports then
begin a few tens of milliseconds sooner, on the path to a scan's first result.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from protoscan.errors import ProtoscanError

__all__ = ["BACKEND_PRELOAD", "PRELOAD", "preload_modules", "start_fork_server", "worker_context"]

#: Modules the fork server imports once, so workers start without re-importing them: what
#: every document needs (reading, structure, findings, the result records). What only some
#: documents need is imported by a worker when its first such document comes: spaCy (only
#: paragraphs longer than ``SegmentConfig.max_chars`` are split into sentences) and the PDF
#: and office libraries. Importing them here would put seconds on the path to every scan's
#: first result, since the fork server finishes its imports before it starts any worker.
PRELOAD = [
    "protoscan.batch.runner",
    "protoscan.batch.records",
    "protoscan.pipeline",
    "protoscan.findings",
]
#: Backend → the modules it loads a model with (an ensemble: its members' backends).
BACKEND_PRELOAD = {
    "linear": ["protoscan.classify.linear", "protoscan.classify.linear_arrays"],
    "onnx": ["protoscan.classify.onnx_backend", "onnxruntime", "tokenizers"],
    "transformer": ["protoscan.classify.transformer", "torch", "transformers"],
    "ensemble": ["protoscan.classify.ensemble"],
}


def preload_modules(model_dir: Path) -> list[str]:
    """What the fork server imports for a model directory: ``PRELOAD`` plus its backend's
    modules (for an ensemble, its own and every member's)."""
    from protoscan.classify.model_dir import read_config

    modules = list(PRELOAD)
    try:
        config = read_config(model_dir)
        backends = [config["backend"]]
        if config["backend"] == "ensemble":
            backends += [read_config(model_dir / name)["backend"] for name in config["members"]]
    except (ProtoscanError, KeyError, TypeError):  # a bad model is reported by the workers
        return modules
    for backend in backends:
        modules += [m for m in BACKEND_PRELOAD.get(backend, []) if m not in modules]
    return modules


def worker_context(model_dir: Path) -> multiprocessing.context.BaseContext:
    """Fork server where there is one (the preload only applies when it first starts)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(preload_modules(model_dir))
        return context
    return multiprocessing.get_context("spawn")


def start_fork_server(model_dir: Path) -> None:
    """Start the fork server now, so that its imports run while the parent hashes the inputs
    and reads the journal, not after; workers are forked from it on the first submit."""
    context = worker_context(model_dir)
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
