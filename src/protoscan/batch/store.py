"""The resumable result store: an append-only journal and the result files built from it.

The journal (``RESULTS.journal.jsonl``) is the only durable state of a scan. Its first line
is a header naming the model and engine; every later line is one finished file, written
with a single ``write`` and ``fsync``:

- ``{"kind": "document", "sha256", "path", "seconds", "records": [...]}``, or
- ``{"kind": "failure", "sha256", "path", "code", "type", "message"}``.

A file counts as done only when its line is complete and parses. On opening, a truncated
last line (a killed run) is cut off; the latest line for a file wins, so a retried failure
is simply appended, and lines superseded that way are compacted away the next time the
journal is opened (rewritten to a temporary file and renamed into place, so a kill during
compaction leaves the old journal). While a scan has the journal open it holds an exclusive
lock on ``.RESULTS.journal.jsonl.lock``, so a second scan of the same results is refused
instead of writing the same journal. The result file (``.jsonl``, ``.parquet`` or ``.csv``)
is rebuilt from the journal into a temporary file and renamed into place, sorted by sha256
and passage offset, so the same input gives byte-identical results.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protoscan.batch.records import COLUMN_TYPES, DOCUMENT_FIELDS, EXPLAIN_FIELDS, PASSAGE_FIELDS
from protoscan.errors import ConfigError, DataError

try:  # POSIX only; elsewhere the journal is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "RESULT_FORMATS",
    "Journal",
    "JournalEntry",
    "journal_path",
    "manifest_path",
    "read_results",
    "remove_stale_temporaries",
    "result_format",
    "write_atomic",
    "write_results",
]

logger = logging.getLogger(__name__)

#: Result file suffix → format name.
RESULT_FORMATS: dict[str, str] = {".jsonl": "jsonl", ".parquet": "parquet", ".csv": "csv"}
JOURNAL_VERSION = 1
#: Documents per Parquet row group (row groups are fixed so output stays byte-identical).
_PARQUET_DOCS_PER_GROUP = 500
_CSV_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((*PASSAGE_FIELDS, *DOCUMENT_FIELDS)))
#: The columns of an explained scan (``EXPLAIN_FIELDS`` after the passage fields).
_EXPLAINED_CSV_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys((*PASSAGE_FIELDS, *EXPLAIN_FIELDS, *DOCUMENT_FIELDS))
)


def result_format(path: Path) -> str:
    """The format of a result path, from its suffix; ``ConfigError`` for anything else."""
    try:
        return RESULT_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ConfigError(
            f"{path}: results must end in {', '.join(RESULT_FORMATS)}; got "
            f"{path.suffix or '(no suffix)'!r}"
        ) from None


def journal_path(results: Path) -> Path:
    """``RESULTS.journal.jsonl`` beside the result file."""
    return results.with_name(results.name + ".journal.jsonl")


def manifest_path(results: Path) -> Path:
    """``RESULTS.manifest.json`` beside the result file."""
    return results.with_name(results.name + ".manifest.json")


def _lock_path(journal: Path) -> Path:
    return journal.with_name(f".{journal.name}.lock")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What the journal knows about one file without holding its records."""

    kind: str  # "document" or "failure"
    sha256: str | None
    path: str
    offset: int
    failure: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return self.sha256 or f"path:{self.path}"


class Journal:
    """Append-only JSONL journal of finished files; the parent process is its only writer.

    Args:
        path: The journal file; created with ``header`` when missing.
        header: What the results depend on (model fingerprint, engine, pseudonymisation).
            An existing journal with a different header is refused, so results of two
            models never mix; ``stored_header`` is the header actually in the file.

    Raises:
        ConfigError: The journal was written for another model or engine, with a different
            pseudonymisation setting, or another scan is writing it now.
        DataError: The file is not a protoscan journal.
    """

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.header = {"kind": "header", "version": JOURNAL_VERSION, **header}
        self.stored_header: dict[str, Any] = self.header
        self.entries: dict[str, JournalEntry] = {}
        self.discarded_bytes = 0
        self.skipped_lines = 0
        self.compacted_lines = 0
        self._lock_fd: int | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            superseded = self._load()
            if superseded or self.skipped_lines:
                self._compact()
                self.compacted_lines = superseded + self.skipped_lines
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the journal's lock (a killed process releases it too)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        lock = _lock_path(self.path)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(
                f"{self.path}: another scan is writing this journal now; wait for it to "
                "finish, or use another --out"
            ) from None
        except OSError:  # a file system without locks: go on unlocked
            logger.debug("%s: journal not locked", self.path, exc_info=True)
        self._lock_fd = fd

    # -- reading --------------------------------------------------------------------------
    def _load(self) -> int:
        """Read the journal; returns how many entry lines a later line superseded."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            # Owner-only when the header holds the pseudonymisation key.
            mode = 0o600 if "privacy" in self.header else 0o666
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_dumps(self.header) + "\n")
            return 0
        good_end = 0
        superseded = 0
        found_header: dict[str, Any] | None = None
        with open(self.path, "rb") as handle:
            offset = 0
            for number, raw in enumerate(handle, start=1):
                start, offset = offset, offset + len(raw)
                if not raw.endswith(b"\n"):
                    break  # an unfinished last line: the run was killed while writing it
                try:
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("not an object")
                except ValueError:
                    self.skipped_lines += 1
                    logger.warning("%s:%d: unreadable journal line skipped", self.path, number)
                    good_end = offset
                    continue
                good_end = offset
                if number == 1:
                    if obj.get("kind") != "header":
                        raise DataError(f"{self.path}:1: not a protoscan scan journal")
                    found_header = obj
                    continue
                superseded += self._remember(obj, start)
        if found_header is None:
            raise DataError(f"{self.path}:1: not a protoscan scan journal (no header line)")
        self._check_header(found_header)
        self.stored_header = found_header
        size = self.path.stat().st_size
        if good_end < size:
            self.discarded_bytes = size - good_end
            logger.warning(
                "%s: discarding %d bytes of an unfinished last entry", self.path, size - good_end
            )
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
        return superseded

    def _compact(self) -> None:
        """Rewrite the journal with only the latest line per file (atomically)."""
        entries = sorted(self.entries.values(), key=lambda e: e.offset)

        def write(tmp: Path) -> None:
            with open(self.path, "rb") as source, open(tmp, "wb") as target:
                target.write(source.readline())  # the header
                for entry in entries:
                    source.seek(entry.offset)
                    target.write(source.readline())
            tmp.chmod(self.path.stat().st_mode & 0o777)

        write_atomic(self.path, write)
        logger.info("%s: compacted to %d entries", self.path, len(entries))
        self.entries = {}
        self.skipped_lines = 0
        self._load()

    def _check_header(self, found: dict[str, Any]) -> None:
        for key in ("version", "engine", "model"):
            if found.get(key) != self.header.get(key):
                what = "model" if key == "model" else key
                raise ConfigError(
                    f"{self.path}: this journal was written with a different {what} "
                    f"({_describe(found.get(key))} vs now {_describe(self.header.get(key))}); "
                    "use another --out, or delete the journal to start over"
                )
        if bool(found.get("explain")) != bool(self.header.get("explain")):
            raise ConfigError(
                f"{self.path}: this journal was written "
                + ("with" if found.get("explain") else "without")
                + " --explain and this scan is "
                + ("with" if self.header.get("explain") else "without")
                + " it; its documents would be reused "
                + ("without" if self.header.get("explain") else "with")
                + " cue words. Use another --out, or delete the journal to start over"
            )
        was, now = _pseudonymised(found), _pseudonymised(self.header)
        if was != now:
            raise ConfigError(
                f"{self.path}: this journal was written "
                + ("with" if was else "without")
                + " --pseudonymize and this scan is "
                + ("with" if now else "without")
                + " it; results would mix real and pseudonymised text. Use another --out"
            )

    def _remember(self, obj: dict[str, Any], offset: int) -> int:
        """Index one entry line; returns 1 when it supersedes an earlier line."""
        kind = obj.get("kind")
        if kind not in ("document", "failure"):
            return 0
        failure = None
        if kind == "failure":
            failure = {k: obj.get(k) for k in ("path", "sha256", "code", "type", "message")}
        entry = JournalEntry(kind, obj.get("sha256"), str(obj.get("path")), offset, failure)
        superseded = int(entry.key in self.entries)
        self.entries[entry.key] = entry
        return superseded

    def get(self, sha256: str | None, path: Path | str) -> JournalEntry | None:
        """The latest entry for a file, by content hash (or path when unreadable)."""
        return self.entries.get(sha256 or f"path:{path}")

    def read_records(self, entry: JournalEntry) -> list[dict[str, Any]]:
        """The result records stored for a document entry."""
        with open(self.path, "rb") as handle:
            handle.seek(entry.offset)
            return json.loads(handle.readline())["records"]

    # -- writing --------------------------------------------------------------------------
    def append(self, entry: dict[str, Any]) -> JournalEntry:
        """Write one finished file as one line, flushed to disk before returning."""
        line = (_dumps(entry) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            offset = os.fstat(fd).st_size
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._remember(entry, offset)
        return self.entries[entry.get("sha256") or f"path:{entry.get('path')}"]


def _pseudonymised(header: dict[str, Any]) -> bool:
    return bool((header.get("privacy") or {}).get("pseudonymize"))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if k in ("dir", "fingerprint"))
    return repr(value)


# -- result files -------------------------------------------------------------------------


def _sort_key(record: dict[str, Any]) -> tuple:
    start = -1 if record["record"] == "document" else record["start_char"]
    return (record["sha256"], start, record.get("passage_id") or "")


def _normalise(record: dict[str, Any], explained: bool | None = None) -> dict[str, Any]:
    """The record's fields in output order; a passage record has ``EXPLAIN_FIELDS`` when
    ``explained`` (``None``: when it has them already)."""
    if record.get("record") == "document":
        return {name: record.get(name) for name in DOCUMENT_FIELDS}
    if explained is None:
        explained = all(name in record for name in EXPLAIN_FIELDS)
    fields = (*PASSAGE_FIELDS, *EXPLAIN_FIELDS) if explained else PASSAGE_FIELDS
    return {name: record.get(name) for name in fields}


def write_atomic(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then rename the finished file onto ``path``.

    A process killed at any moment leaves either the old ``path`` or the new one, never a
    part; at worst a ``.NAME.PID.tmp`` file stays behind (``remove_stale_temporaries``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(path: Path) -> int:
    """Delete ``.NAME.*.tmp`` files that a killed ``write_atomic`` of ``path`` left behind.

    Call it only while holding the journal lock, so no live writer owns them.

    Returns:
        How many files were removed.
    """
    removed = 0
    for tmp in path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


def _glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped (``[`` → ``[[]``)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_results(
    documents: Iterable[Sequence[dict[str, Any]]],
    path: Path,
    labels: Sequence[str],
    *,
    explain: bool = False,
) -> int:
    """Write result records to ``path`` (format by suffix), atomically.

    Args:
        documents: Each document's records, already in output order (sha256, then offset).
        path: ``.jsonl``, ``.parquet`` or ``.csv``.
        labels: The model's label ids (the Parquet struct fields of the score/count maps).
        explain: The scan stored cue words: passage records get ``EXPLAIN_FIELDS`` (and the
            table its columns); without it the files are exactly as before.

    Returns:
        The number of records written.
    """
    fmt = result_format(path)
    counter = [0]

    def ordered() -> Iterator[list[dict[str, Any]]]:
        for records in documents:
            rows = sorted((_normalise(r, explain) for r in records), key=_sort_key)
            counter[0] += len(rows)
            yield rows

    writer = {"jsonl": _write_jsonl, "parquet": _write_parquet, "csv": _write_csv}[fmt]
    columns = _EXPLAINED_CSV_COLUMNS if explain else _CSV_COLUMNS
    write_atomic(path, lambda tmp: writer(ordered(), tmp, tuple(labels), columns))
    return counter[0]


def _write_jsonl(
    documents: Iterator[list[dict]], tmp: Path, labels: tuple[str, ...], columns: tuple[str, ...]
) -> None:
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        for rows in documents:
            for row in rows:
                handle.write(_dumps(row) + "\n")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("str", "int"):
        return str(value)
    return _dumps(value)


def _write_csv(
    documents: Iterator[list[dict]], tmp: Path, labels: tuple[str, ...], columns: tuple[str, ...]
) -> None:
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for rows in documents:
            for row in rows:
                writer.writerow(_csv_cell(row.get(name), COLUMN_TYPES[name]) for name in columns)


def _arrow_schema(labels: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "int": pa.int64(),
        "list_int": pa.list_(pa.int64()),
        "list_str": pa.list_(pa.string()),
        "map_float": pa.struct([(label, pa.float64()) for label in labels]),
        "map_int": pa.struct([(label, pa.int64()) for label in labels]),
        "map_list_str": pa.struct([(label, pa.list_(pa.string())) for label in labels]),
    }
    return pa.schema([(name, types[COLUMN_TYPES[name]]) for name in columns])


def _write_parquet(
    documents: Iterator[list[dict]], tmp: Path, labels: tuple[str, ...], columns: tuple[str, ...]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(labels, columns)
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        batch: list[dict] = []
        n_docs = 0
        for rows in documents:
            batch.extend(rows)
            n_docs += 1
            if n_docs % _PARQUET_DOCS_PER_GROUP == 0:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or n_docs == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


def read_results(path: Path | str, *, record: str | None = None) -> list[dict[str, Any]]:
    """Read a scan's result file (``.jsonl``, ``.parquet`` or ``.csv``) back into records.

    All three formats give the same list of dicts for the same scan.

    Args:
        path: The result file.
        record: Keep only ``"document"`` or ``"passage"`` records.

    Raises:
        DataError: The file is missing or not a scan result (the message names ``file:line``
            for JSONL and CSV).

    Example:
        >>> docs = read_results("resultat.parquet", record="document")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = result_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such result file; run `protoscan scan … --out {path}` first")
    if fmt == "parquet":
        rows_in = _read_parquet(path, record)
    else:
        rows_in = _read_jsonl(path) if fmt == "jsonl" else _read_csv(path)
    rows = []
    for row in rows_in:
        if row.get("record") not in ("document", "passage"):
            raise DataError(f"{path}: a row without record=document|passage; not a scan result")
        if record is None or row["record"] == record:
            rows.append(_normalise(row))
    return rows


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: invalid JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{number}: expected a JSON object")
            yield row


def _read_csv(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, raw in enumerate(reader, start=2):
            row: dict[str, Any] = {}
            try:
                for name, value in raw.items():
                    kind = COLUMN_TYPES.get(name or "")
                    if kind is None or value in ("", None):
                        row[name] = None if kind else value
                    elif kind == "str":
                        row[name] = value
                    elif kind == "int":
                        row[name] = int(value)
                    else:
                        row[name] = json.loads(value)
            except ValueError as error:
                raise DataError(f"{path}:{number}: bad value ({error})") from None
            yield row


def _read_parquet(path: Path, record: str | None) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, filters=[("record", "=", record)] if record else None)
    except Exception as error:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path}: unreadable Parquet file ({error})") from None
    for batch in table.to_batches():
        yield from batch.to_pylist()
