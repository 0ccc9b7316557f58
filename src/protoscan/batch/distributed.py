"""The dask backend: the scan's per-document work on a dask.distributed cluster.

Every worker runs ``scan_task``, which is ``process_document`` wrapped into a journal entry
(the same function the local pool runs), and sends the entry back; the parent stays the
only writer of the journal, so a scan on a cluster resumes, fails and writes results exactly
as a local one does, and gives a byte-identical result file.

Without a scheduler address a ``LocalCluster`` (one single-threaded worker process per
``--workers``) is started for the scan and closed after it. With ``tcp://host:8786`` the
scan connects to a running cluster, started for example with ``dask scheduler`` on one
machine and ``dask worker tcp://host:8786 --nthreads 1`` on each of the others. Every
worker needs protoscan installed (the same version) and must see the model directory and
the input files at the same absolute paths as the machine running ``protoscan scan`` (a
shared file system, or identical copies); a worker whose model differs is refused.

Dask runs tasks in worker threads, where the per-document ``SIGALRM`` limit cannot work; the
parent enforces the time limit instead, counting from when it hands a document to the
cluster (it never hands out more documents than the cluster has threads), records the
document as failed and restarts the worker that is stuck on it. The model is loaded on
every worker before the first document; a worker that joins later (or was restarted) loads
it during its first document, which the default limit of 120 s leaves room for.

With ``--pseudonymize`` the key travels to the workers with each task: on a network you do
not trust, run the cluster with TLS (dask's ``tls://`` addresses).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protoscan.batch.records import failure_entry, scan_entry
from protoscan.batch.task import ScanOptions, Task, hard_limit, model_fingerprint, warm_up
from protoscan.errors import ConfigError, ModelLoadError, ProcessingLimitError, ProtoscanError

if TYPE_CHECKING:
    from protoscan.privacy import Pseudonymiser

__all__ = ["prepare_worker", "process_on_dask", "scan_task"]

logger = logging.getLogger(__name__)

#: How often the parent wakes up to collect results and check deadlines (seconds).
_POLL = 0.25
#: Seconds to wait for a scheduler, and for a cluster without workers to get one.
CONNECT_TIMEOUT = 30.0
NO_WORKERS_TIMEOUT = 120.0
_INSTALL_HINT = 'install it with `pip install "protoscan[distributed]"`'

_PSEUDONYMISERS: dict[str, Pseudonymiser] = {}


# -- worker side ---------------------------------------------------------------------------


def prepare_worker(model: str) -> str:
    """Load the model into this worker's cache and warm the pipeline up.

    Returns:
        The fingerprint of the model directory as this worker sees it.
    """
    from protoscan.batch.records import _classifier

    fingerprint = model_fingerprint(Path(model))["fingerprint"]
    warm_up(_classifier(model))
    return fingerprint


def scan_task(
    path: str,
    source: str,
    sha256: str,
    *,
    model: str,
    engine: str,
    max_pages: int | None,
    max_bytes: int | None,
    timeout: float | None,
    pseudonym_key: str | None,
    explain: bool = False,
) -> dict[str, Any]:
    """One document on a worker: its journal entry; never raises for a bad document.

    Args:
        path: The file as this worker reads it (absolute).
        source: The path as the scan records it (as found on the command line).
        sha256: The file's content hash, from the parent.
        model: Model directory (absolute); loaded once per worker process.
        engine, max_pages, max_bytes, timeout: As for ``process_document``.
        pseudonym_key: Hex key of the scan's pseudonyms, or ``None``.
        explain: Add the cue words of labelled passages (``process_document``).
    """
    pseudonymiser = None
    if pseudonym_key is not None:
        from protoscan.privacy import Pseudonymiser

        pseudonymiser = _PSEUDONYMISERS.setdefault(
            pseudonym_key, Pseudonymiser(bytes.fromhex(pseudonym_key))
        )
    entry = scan_entry(
        path,
        sha256,
        model=model,
        engine=engine,
        max_pages=max_pages,
        max_bytes=max_bytes,
        timeout=timeout,
        source=source,
        pseudonymiser=pseudonymiser,
        explain=explain,
    )
    if entry["kind"] == "failure" and path != source:
        # Name the file as the scan knows it, as the local backend does.
        entry["message"] = entry["message"].replace(path, source)
    return entry


# -- parent side ---------------------------------------------------------------------------


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"--backend dask needs dask.distributed; {_INSTALL_HINT}") from None
    return distributed


@contextlib.contextmanager
def _client(options: ScanOptions) -> Any:
    """A client of the given scheduler, or of a local cluster started (and closed) here."""
    distributed = _distributed()
    cluster = None
    try:
        if options.scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=options.n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",  # no fixed port, not on the network
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
        else:
            try:
                client = distributed.Client(options.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as error:
                raise ConfigError(
                    f"cannot reach the dask scheduler at {options.scheduler} ({error}); "
                    "check the address and that `dask scheduler` is running there"
                ) from None
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _prepare(client: Any, model: str, fingerprint: str) -> None:
    """Load the model on every worker now; refuse workers that see another model."""
    workers = list(_wait_for_workers(client))
    futures = [
        client.submit(prepare_worker, model, workers=[w], allow_other_workers=False, pure=False)
        for w in workers
    ]
    for worker, future in zip(workers, futures, strict=True):
        try:
            seen = future.result()
        except ProtoscanError as error:
            raise ModelLoadError(f"dask worker {worker}: {error}") from None
        except Exception as error:
            raise ModelLoadError(
                f"dask worker {worker} cannot load the model {model} "
                f"({type(error).__name__}: {error}); every worker needs protoscan and the "
                "model directory at the same path"
            ) from None
        if seen != fingerprint:
            raise ModelLoadError(
                f"dask worker {worker} has a different model at {model} than this machine; "
                "copy the same model directory to every worker (or use a shared file system)"
            )


def _wait_for_workers(client: Any) -> dict[str, int]:
    deadline = time.monotonic() + NO_WORKERS_TIMEOUT
    while True:
        threads = client.nthreads()
        if threads:
            return threads
        if time.monotonic() > deadline:
            raise ProtoscanError(
                f"the dask cluster has had no workers for {NO_WORKERS_TIMEOUT:g} s; start "
                "workers with `dask worker SCHEDULER_ADDRESS`"
            )
        time.sleep(_POLL)


def _outcome(future: Any, task: Task) -> dict[str, Any]:
    """The journal entry of a finished future."""
    from distributed import KilledWorker

    if future.status == "finished":
        return future.result()
    if future.status == "cancelled":
        raise ProtoscanError(
            f"the dask cluster lost the task for {task.path} (scheduler restarted or "
            "disconnected); finished documents are in the journal, run the scan again"
        )
    error = future.exception()
    if isinstance(error, KilledWorker):
        return failure_entry(
            task.path,
            task.sha256,
            code="worker_crashed",
            type="WorkerCrashed",
            message=f"{task.path}: dask workers died while reading it, several times "
            "(a crash in a native library, or out of memory)",
        )
    return failure_entry(task.path, task.sha256, error)


def _stop(client: Any, future: Any) -> None:
    """Cancel a stuck task and restart the worker running it (its thread cannot be
    interrupted); other tasks on that worker are rescheduled by dask."""
    running_on = [w for w, keys in client.processing().items() if future.key in keys]
    future.cancel()
    if running_on:
        try:
            client.restart_workers(running_on)
        except Exception:  # no nanny (restart impossible): the thread runs on
            logger.warning("could not restart dask worker(s) %s", running_on, exc_info=True)


def process_on_dask(
    todo: Sequence[Task],
    options: ScanOptions,
    model: dict[str, Any],
    finish: Callable[[dict[str, Any]], None],
    key: bytes | None,
) -> None:
    """Process ``todo`` on a dask cluster, passing each journal entry to ``finish``.

    Args:
        todo: The files to process (path and sha256).
        options: The scan options (``scheduler``, ``workers``, limits, engine).
        model: ``model_fingerprint`` of the model directory, as the parent sees it.
        finish: Called in the parent with each file's entry, in completion order.
        key: The pseudonymisation key, or ``None``.

    Raises:
        ConfigError: dask.distributed is missing or the scheduler cannot be reached.
        ModelLoadError: A worker cannot load the model, or sees a different one.
        ProtoscanError: The cluster lost tasks or has no workers.
    """
    distributed = _distributed()
    model_dir = str(Path(options.model).resolve())
    limit = hard_limit(options.timeout) if options.timeout is not None else None
    arguments = {
        "model": model_dir,
        "engine": options.engine,
        "max_pages": options.max_pages,
        "max_bytes": options.max_bytes,
        "timeout": options.timeout,
        "pseudonym_key": key.hex() if key is not None else None,
        "explain": options.explain,
    }
    with _client(options) as client:
        _prepare(client, model_dir, model["fingerprint"])
        pending: deque[Task] = deque(todo)
        in_flight: dict[Any, tuple[Task, float]] = {}
        while pending or in_flight:
            # No more documents out than threads, so a document starts when it is sent and
            # the time limit can be counted from then.
            capacity = sum(_wait_for_workers(client).values())
            while pending and len(in_flight) < capacity:
                task = pending.popleft()
                future = client.submit(
                    scan_task,
                    str(task.path.resolve()),
                    str(task.path),
                    task.sha256,
                    **arguments,
                    pure=False,
                )
                in_flight[future] = (task, time.monotonic())
            with contextlib.suppress(TimeoutError):
                distributed.wait(list(in_flight), timeout=_POLL, return_when="FIRST_COMPLETED")
            for future in [f for f in in_flight if f.done()]:
                task, _ = in_flight.pop(future)
                finish(_outcome(future, task))
            if limit is None:
                continue
            now = time.monotonic()
            for future, (task, sent) in list(in_flight.items()):
                if now - sent <= limit:
                    continue
                del in_flight[future]
                _stop(client, future)
                finish(
                    failure_entry(
                        task.path,
                        task.sha256,
                        ProcessingLimitError(
                            task.path,
                            f"did not finish within the {options.timeout:g} s limit on the "
                            "dask cluster, so it was stopped; raise --timeout",
                        ),
                    )
                )
