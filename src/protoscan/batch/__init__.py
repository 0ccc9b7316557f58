"""Batch scanning: the work list, the resumable result store and the runners.

``run_scan(paths, out, ScanOptions(...))`` tags a whole archive on local worker processes or
a dask cluster; ``process_document`` is the per-file unit of work every runner calls;
``read_results`` reads a scan's ``.jsonl``/``.parquet``/``.csv`` back into records.
"""

from __future__ import annotations

from protoscan.batch.records import (
    DOCUMENT_FIELDS,
    PASSAGE_FIELDS,
    document_records,
    process_document,
    pseudonymise_records,
    scan_entry,
)
from protoscan.batch.runner import ScanProgress, ScanSummary, run_scan
from protoscan.batch.store import RESULT_FORMATS, Journal, read_results, write_results
from protoscan.batch.task import (
    BACKENDS,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PAGES,
    DEFAULT_TIMEOUT,
    ScanOptions,
)
from protoscan.batch.worklist import (
    DOCUMENT_SUFFIXES,
    SkippedPath,
    WorkList,
    collect_inputs,
    collect_work,
    file_sha256,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_TIMEOUT",
    "DOCUMENT_FIELDS",
    "DOCUMENT_SUFFIXES",
    "PASSAGE_FIELDS",
    "RESULT_FORMATS",
    "Journal",
    "ScanOptions",
    "ScanProgress",
    "ScanSummary",
    "SkippedPath",
    "WorkList",
    "collect_inputs",
    "collect_work",
    "document_records",
    "file_sha256",
    "process_document",
    "pseudonymise_records",
    "read_results",
    "run_scan",
    "scan_entry",
    "write_results",
]
