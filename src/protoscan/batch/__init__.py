"""Batch scanning: the work list, the resumable result store and the local runner.

``run_scan(paths, out, ScanOptions(...))`` tags a whole archive; ``process_document`` is the
per-file unit of work any runner (local pool, distributed) can call; ``read_results`` reads
a scan's ``.jsonl``/``.parquet``/``.csv`` back into records.
"""

from __future__ import annotations

from protoscan.batch.records import (
    DOCUMENT_FIELDS,
    PASSAGE_FIELDS,
    document_records,
    process_document,
)
from protoscan.batch.runner import ScanOptions, ScanProgress, ScanSummary, run_scan
from protoscan.batch.store import RESULT_FORMATS, Journal, read_results, write_results
from protoscan.batch.worklist import DOCUMENT_SUFFIXES, collect_inputs, file_sha256

__all__ = [
    "DOCUMENT_FIELDS",
    "DOCUMENT_SUFFIXES",
    "PASSAGE_FIELDS",
    "RESULT_FORMATS",
    "Journal",
    "ScanOptions",
    "ScanProgress",
    "ScanSummary",
    "collect_inputs",
    "document_records",
    "file_sha256",
    "process_document",
    "read_results",
    "run_scan",
    "write_results",
]
