"""Scan runners: a local process pool (or a dask cluster) over the work list, writing
through the journal.

Each worker loads the model once (pool initializer) and runs ``process_document`` on one
file at a time; it returns a journal entry (document records or a failure) and never
raises. The parent is the only writer of the journal. Workers announce each file they
start on a queue, so the parent knows which file runs where and since when, and can
enforce the time limit even when a worker is stuck in native code: the soft limit is
``SIGALRM`` inside the worker, the hard limit kills the worker. A worker that dies
(segfault, out of memory) breaks the pool; the files it might have been reading are then
retried one at a time, so only the file that really kills a worker is recorded as failed.

``ScanOptions(backend="dask")`` sends the same per-document work to a dask.distributed
cluster instead (``protoscan.batch.distributed``); the parent stays the journal's only
writer, so both backends give byte-identical result files. What the two backends share (the
options and limits, the per-document ``Task``, the model fingerprint, the worker warm-up) is
in ``protoscan.batch.task``; the runner picks the backend and the backend never imports it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protoscan.batch.records import failure_entry, scan_entry
from protoscan.batch.store import (
    Journal,
    journal_path,
    manifest_path,
    remove_stale_temporaries,
    result_format,
    write_atomic,
    write_results,
)
from protoscan.batch.task import ScanOptions, Task, hard_limit, model_fingerprint, warm_up
from protoscan.batch.worklist import SkippedPath, collect_work, file_sha256
from protoscan.errors import (
    ConfigError,
    IngestError,
    NotAFileError,
    ProcessingLimitError,
    ProtoscanError,
)
from protoscan.fork_server import start_fork_server, worker_context
from protoscan.ingest.archive import is_member_path, member_sha256

__all__ = ["ScanProgress", "ScanSummary", "run_scan"]

logger = logging.getLogger(__name__)

#: Tasks in flight per worker: one running and one queued, so no worker waits for the parent.
_QUEUED_PER_WORKER = 2
#: How often the parent wakes up to check deadlines and worker start messages (seconds).
_POLL = 0.25


@dataclass(frozen=True)
class ScanProgress:
    """Sent to ``on_progress`` at the start and after every finished file."""

    total: int
    completed: int
    failed: int
    path: str | None = None


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did; ``failures`` covers every input that has failed, in this run or an
    earlier one."""

    results: Path
    journal: Path
    manifest: Path
    inputs: int
    documents: int
    records: int
    processed: int
    skipped: int
    duplicates: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    documents_per_second: float | None = None
    discarded_bytes: int = 0
    compacted_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


# -- worker side ---------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(
    model_dir: str,
    threads: int,
    started: Any,
    max_bytes: int | None = None,
    pseudonym_key: bytes | None = None,
    explain: bool = False,
) -> None:
    """Pool initializer: load the model once and cap math-library threads."""
    from protoscan.privacy import Pseudonymiser

    _WORKER["started"] = started
    _WORKER["max_bytes"] = max_bytes
    _WORKER["explain"] = explain
    _WORKER["pseudonymiser"] = Pseudonymiser(pseudonym_key) if pseudonym_key else None
    try:
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(threads)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass
    try:
        from protoscan.classify.base import set_model_threads
        from protoscan.classify.model_dir import load_classifier

        _WORKER["model"] = load_classifier(model_dir)
    except Exception as error:  # reported per task: a failed initializer breaks the pool
        _WORKER["error"] = error
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    set_model_threads(_WORKER["model"], threads)
    warm_up(_WORKER["model"])


def _work(path: str, sha256: str, engine: str, max_pages: int | None, timeout: float | None):
    """One task: a journal entry for ``path``; never raises for a bad document."""
    if "error" in _WORKER:
        return {"kind": "fatal", "message": str(_WORKER["error"])}
    _WORKER["started"].put((sha256, os.getpid()))
    return scan_entry(
        path,
        sha256,
        engine=engine,
        model=_WORKER["model"],
        max_pages=max_pages,
        max_bytes=_WORKER.get("max_bytes"),
        timeout=timeout,
        pseudonymiser=_WORKER.get("pseudonymiser"),
        explain=_WORKER.get("explain", False),
    )


# -- parent side ---------------------------------------------------------------------------


class _Pool:
    """A process pool plus the queue on which workers announce the task they start."""

    def __init__(self, n_workers: int, options: ScanOptions, key: bytes | None) -> None:
        context = worker_context(options.model)
        # A SimpleQueue writes synchronously, so a start message is not lost when the
        # worker dies right after sending it.
        self.started: Any = context.SimpleQueue()
        threads = max(1, (os.cpu_count() or 1) // n_workers)
        self.executor = ProcessPoolExecutor(
            max_workers=n_workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(
                str(options.model),
                threads,
                self.started,
                options.max_bytes,
                key,
                options.explain,
            ),
        )
        self.pids: dict[str, int] = {}

    def submit(self, task: Task, options: ScanOptions) -> Future:
        return self.executor.submit(
            _work, str(task.path), task.sha256, options.engine, options.max_pages, options.timeout
        )

    def drain_started(self, tasks: dict[str, Task]) -> None:
        while True:
            try:
                if self.started.empty():
                    return
                sha256, pid = self.started.get()
            except (OSError, ValueError, EOFError):
                return
            if sha256 in tasks and tasks[sha256].started is None:
                tasks[sha256].started = time.monotonic()
                self.pids[sha256] = pid

    def kill(self, sha256: str) -> None:
        pid = self.pids.get(sha256)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def close(self, *, wait_for: bool = True) -> None:
        self.executor.shutdown(wait=wait_for, cancel_futures=True)
        self.started.close()


def _hash_inputs(
    inputs: Sequence[Path], journal: Journal, skipped: Sequence[SkippedPath] = ()
) -> tuple[list[tuple[Path, str]], list[dict[str, str]], list[str]]:
    """Unique (path, sha256) pairs in input order, duplicates, and keys of unreadable files
    and skipped paths (their failures are written to the journal here)."""
    unique: list[tuple[Path, str]] = []
    first_path: dict[str, Path] = {}
    duplicates: list[dict[str, str]] = []
    unreadable: list[str] = []
    for item in skipped:
        unreadable.append(f"path:{item.path}")
        if journal.get(None, item.path) is None:
            journal.append(failure_entry(item.path, None, item.error, code=item.code))
    for path in inputs:
        try:
            if is_member_path(path):  # archive.zip!/member: the member's unpacked bytes
                sha256 = member_sha256(path)
            elif not path.is_file():  # a FIFO or device would block the parent on open()
                raise NotAFileError(path)
            else:
                sha256 = file_sha256(path)
        except (OSError, IngestError) as error:
            unreadable.append(f"path:{path}")
            if journal.get(None, path) is None:
                if isinstance(error, OSError):
                    reason = error.strerror or str(error)
                    error = IngestError(path, f"cannot be read ({reason}); check permissions")
                journal.append(failure_entry(path, None, error))
            continue
        if sha256 in first_path:
            duplicates.append({"path": str(path), "same_as": str(first_path[sha256])})
            continue
        first_path[sha256] = path
        unique.append((path, sha256))
    return unique, duplicates, unreadable


def run_scan(
    paths: Sequence[Path | str],
    out: Path | str,
    options: ScanOptions | None = None,
    *,
    on_progress: Callable[[ScanProgress], None] | None = None,
) -> ScanSummary:
    """Tag every document under ``paths`` and write the results to ``out``.

    Finished files are appended to ``out``'s journal as they complete, so a killed scan
    resumes where it stopped when run again with the same ``out``; files already done (by
    content hash) are skipped, as are recorded failures unless ``options.retry_failed``.
    At the end the result file and ``OUT.manifest.json`` are written. The result file holds
    the documents of this run's inputs (a file whose content appears twice is read once,
    under its first path); the journal may hold more.

    Args:
        paths: Files and folders (searched recursively).
        out: Result file, ``.jsonl``, ``.parquet`` or ``.csv``.
        options: Model, engine, workers, limits, backend, pseudonymisation.
        on_progress: Called with a ``ScanProgress`` at the start and after every file.

    Returns:
        Counts, timings and the failures (every input that failed, now or before).

    Raises:
        InputNotFoundError, IngestError: A path is missing or no documents were found.
        ConfigError: Bad options, the journal belongs to another model or engine, or
            another scan is writing the same results now.
        ModelLoadError: The model directory cannot be loaded.

    Example:
        >>> summary = run_scan(["arkiv/"], "resultat.parquet")  # doctest: +SKIP
        >>> summary.documents, len(summary.failures)  # doctest: +SKIP
        (1243, 7)
    """
    options = options or ScanOptions()
    out = Path(out)
    fmt = result_format(out)
    started_wall = time.time()
    started = time.monotonic()
    work = collect_work(paths, glob=options.glob)
    inputs = work.files
    if inputs and options.backend == "local":
        start_fork_server(options.model)  # at once, if the launcher has not started it yet
    model = model_fingerprint(options.model)
    header: dict[str, Any] = {
        "engine": options.engine,
        "model": {k: model[k] for k in ("backend", "labels", "fingerprint")},
    }
    if options.explain:  # results with cue words must not mix with results without
        header["explain"] = True
    if options.pseudonymize:
        # A fresh key for a new journal; a resumed scan keeps the journal's own key.
        header["privacy"] = {"pseudonymize": True, "key": secrets.token_hex(32)}
    with Journal(journal_path(out), header) as journal:
        key = _pseudonym_key(journal)
        for target in (out, manifest_path(out)):
            remove_stale_temporaries(target)  # safe: the journal lock is ours
        unique, duplicates, unreadable = _hash_inputs(inputs, journal, work.skipped)

        todo: list[Task] = []
        for path, sha256 in unique:
            entry = journal.get(sha256, path)
            if entry is None or (entry.kind == "failure" and options.retry_failed):
                todo.append(Task(path, sha256))
        skipped = len(unique) - len(todo)
        progress = ScanProgress(total=len(todo), completed=0, failed=0)
        if on_progress:
            on_progress(progress)

        processing_started = time.monotonic()
        # Read while the workers work: the parent is idle then, and after the last document
        # this would be on the way to the command's exit.
        background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="protoscan-versions")
        versions = background.submit(_recorded_versions)
        background.shutdown(wait=False)  # the one task still runs; its result is read below
        finisher = _Finisher(journal, progress.total, on_progress)
        if todo and options.backend == "dask":
            from protoscan.batch.distributed import process_on_dask

            process_on_dask(todo, options, model, finisher.finish, key)
        elif todo:
            _process(todo, options, finisher.finish, key)
        processed = finisher.completed
        processing_seconds = time.monotonic() - processing_started
        timing = {"processing_seconds": round(processing_seconds, 3)}
        if finisher.first_done is not None:
            # Starting the workers (imports, model) is paid once; the rate after the first
            # file is what a large archive will see.
            startup = finisher.first_done - processing_started
            timing["first_document_seconds"] = round(startup, 3)
            if processed > 1 and processing_seconds > startup:
                timing["documents_per_second_after_first"] = round(
                    (processed - 1) / (processing_seconds - startup), 3
                )

        documents = []
        failures = []
        for path, sha256 in unique:
            entry = journal.get(sha256, path)
            if entry is None:  # pragma: no cover - every task ends in an entry
                continue
            if entry.kind == "document":
                documents.append(entry)
            else:
                failures.append(entry.failure)
        failures += [journal.entries[key_].failure for key_ in unreadable]
        failures.sort(key=lambda f: f["path"])
        documents.sort(key=lambda e: e.sha256)
        n_records = write_results(
            (journal.read_records(entry) for entry in documents),
            out,
            model["labels"],
            explain=options.explain,
        )
        if key is not None:
            failures, duplicates = _pseudonymise_report(key, failures, duplicates)
        seconds = time.monotonic() - started
        summary = ScanSummary(
            results=out,
            journal=journal.path,
            manifest=manifest_path(out),
            inputs=len(inputs) + len(work.skipped),
            documents=len(documents),
            records=n_records,
            processed=processed,
            skipped=skipped,
            duplicates=len(duplicates),
            failures=failures,
            seconds=round(seconds, 3),
            documents_per_second=(
                round(processed / processing_seconds, 3)
                if processed and processing_seconds
                else None
            ),
            discarded_bytes=journal.discarded_bytes,
            compacted_lines=journal.compacted_lines,
        )
        _write_manifest(
            summary, options, model, fmt, duplicates, started_wall, timing, versions.result()
        )
    return summary


def _pseudonym_key(journal: Journal) -> bytes | None:
    """The pseudonymisation key kept in the journal's header, if the scan pseudonymises."""
    privacy = journal.stored_header.get("privacy") or {}
    if not privacy.get("pseudonymize"):
        return None
    try:
        return bytes.fromhex(privacy["key"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"{journal.path}: the journal header has no valid pseudonymisation key; "
            "use another --out"
        ) from None


def _pseudonymise_report(
    key: bytes, failures: list[dict[str, Any]], duplicates: list[dict[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Personal numbers out of the paths and messages shown in the manifest and summary."""
    from protoscan.privacy import Pseudonymiser

    pseudonymiser = Pseudonymiser(key)

    def clean(item: dict[str, Any]) -> dict[str, Any]:
        return {
            k: pseudonymiser.pseudonymise(v) if isinstance(v, str) and k != "sha256" else v
            for k, v in item.items()
        }

    return [clean(f) for f in failures], [clean(d) for d in duplicates]


class _Finisher:
    """Writes finished files to the journal and reports progress; shared by the runners."""

    def __init__(
        self,
        journal: Journal,
        total: int,
        on_progress: Callable[[ScanProgress], None] | None,
    ) -> None:
        self.journal = journal
        self.total = total
        self.on_progress = on_progress
        self.completed = 0
        self.failed = 0
        self.first_done: float | None = None

    def finish(self, entry: dict[str, Any]) -> None:
        self.journal.append(entry)
        self.completed += 1
        if self.first_done is None:
            self.first_done = time.monotonic()
        self.failed += entry["kind"] == "failure"
        if self.on_progress:
            self.on_progress(
                ScanProgress(self.total, self.completed, self.failed, entry.get("path"))
            )


def _process(
    todo: list[Task],
    options: ScanOptions,
    finish: Callable[[dict[str, Any]], None],
    key: bytes | None,
) -> None:
    """Run ``todo`` through local worker processes, passing each entry to ``finish``."""
    n_workers = min(options.n_workers, len(todo))
    pending: deque[Task] = deque(todo)
    suspects: deque[Task] = deque()
    in_flight: dict[Future, Task] = {}
    pool: _Pool | None = None
    empty_crashes = 0  # pools in a row that broke before any file started

    def break_pool(reason: str, culprits: frozenset[str] = frozenset()) -> None:
        """The pool is gone. After a timeout the other files were innocent and go back in
        the queue; after a crash each file that had started is a suspect, retried alone,
        and a file that kills a worker while alone is recorded as failed. Files that had
        not started go back in the queue."""
        nonlocal pool, empty_crashes
        if reason == "crash":
            if any(task.started is not None for task in in_flight.values()):
                empty_crashes = 0
            else:
                empty_crashes += 1
                if empty_crashes >= 2:
                    raise ProtoscanError(
                        "worker processes die before they start on a document; the "
                        "environment cannot run them (see the messages above), so no file "
                        "was marked as failed"
                    )
        for task in list(in_flight.values()):
            if task.sha256 in culprits:
                continue
            if reason == "timeout" or task.started is None:
                pending.appendleft(task)  # innocent, or never began: run it again
            elif task.quarantined:
                finish(
                    failure_entry(
                        task.path,
                        task.sha256,
                        code="worker_crashed",
                        type="WorkerCrashed",
                        message=f"{task.path}: the worker process died while reading it "
                        "(a crash in a native library, or out of memory)",
                    )
                )
            else:
                suspects.append(task)
            task.started = None
        in_flight.clear()
        if pool is not None:
            pool.close(wait_for=False)
        pool = None

    try:
        while pending or suspects or in_flight:
            if pool is None:
                pool = _Pool(n_workers, options, key)
            broken = False
            try:
                if suspects and not in_flight:
                    task = suspects[0]
                    task.quarantined = True
                    in_flight[pool.submit(task, options)] = task
                    suspects.popleft()
                while not suspects and pending and len(in_flight) < _QUEUED_PER_WORKER * n_workers:
                    future = pool.submit(pending[0], options)
                    in_flight[future] = pending.popleft()
            except BrokenProcessPool:
                # A worker died between two submits: the task that was not accepted is
                # still at the head of its queue, and the crash is handled as below, after
                # the results that did arrive are kept.
                broken = True
            done, _ = wait(
                list(in_flight), timeout=0 if broken else _POLL, return_when=FIRST_COMPLETED
            )
            for future in done:
                task = in_flight[future]
                try:
                    entry = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                except Exception as error:  # e.g. a result that could not be sent back
                    entry = failure_entry(task.path, task.sha256, error)
                del in_flight[future]
                if entry["kind"] == "fatal":
                    from protoscan.errors import ModelLoadError

                    raise ModelLoadError(f"{options.model}: {entry['message']}")
                finish(entry)
            if broken:
                pool.drain_started({task.sha256: task for task in in_flight.values()})
                break_pool("crash")
                continue
            by_sha = {task.sha256: task for task in in_flight.values()}
            pool.drain_started(by_sha)
            if options.timeout is None:
                continue
            now = time.monotonic()
            stuck = {
                task.sha256
                for task in in_flight.values()
                if task.started is not None and now - task.started > hard_limit(options.timeout)
            }
            if stuck:
                for sha256 in stuck:
                    pool.kill(sha256)
                    task = by_sha[sha256]
                    finish(
                        failure_entry(
                            task.path,
                            sha256,
                            ProcessingLimitError(
                                task.path,
                                f"did not finish within the {options.timeout:g} s limit and its "
                                "worker did not respond, so it was stopped; raise --timeout",
                            ),
                        )
                    )
                break_pool("timeout", frozenset(stuck))
    finally:
        if pool is not None:
            pool.close(wait_for=not in_flight)


def _recorded_versions() -> dict[str, str]:
    """The library versions a manifest records: a model's, plus the extraction stack's."""
    from protoscan.classify.model_dir import library_versions

    return library_versions(("pyarrow", "pdfplumber", "pypdfium2", "spacy"))


def _write_manifest(
    summary: ScanSummary,
    options: ScanOptions,
    model: dict[str, Any],
    fmt: str,
    duplicates: list[dict[str, str]],
    started_wall: float,
    timing: dict[str, float],
    versions: dict[str, str],
) -> None:
    import datetime as dt
    import json

    def stamp(seconds: float) -> str:
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")

    manifest = {
        "results": summary.results.name,
        "format": fmt,
        "journal": summary.journal.name,
        "model": model,
        "engine": options.engine,
        "max_pages": options.max_pages,
        "timeout": options.timeout,
        "max_bytes": options.max_bytes,
        "backend": options.backend,
        "scheduler": options.scheduler,
        "pseudonymized": options.pseudonymize,
        "explained": options.explain,
        "workers": options.n_workers,
        "glob": options.glob,
        "retry_failed": options.retry_failed,
        "versions": versions,
        "inputs": summary.inputs,
        "duplicates": duplicates,
        "done": summary.documents,
        "failed": len(summary.failures),
        "records": summary.records,
        "processed_this_run": summary.processed,
        "skipped_already_done": summary.skipped,
        "discarded_journal_bytes": summary.discarded_bytes,
        "compacted_journal_lines": summary.compacted_lines,
        "errors": summary.failures,
        "started": stamp(started_wall),
        "finished": stamp(started_wall + summary.seconds),
        "seconds": summary.seconds,
        **timing,
        "documents_per_second": summary.documents_per_second,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    write_atomic(summary.manifest, lambda tmp: tmp.write_text(text, encoding="utf-8"))
