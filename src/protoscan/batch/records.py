"""One document end to end (read → tag → findings) into JSON-ready result records.

A scan result holds two kinds of record, told apart by ``record``:

- ``"passage"``: one per passage, with the document's metadata, where the passage sits
  (section, voice, pages, offsets), its text, its labels and every label's score; in an
  explained scan (``explain=True``) also ``cues``, the words behind each of its labels;
- ``"document"``: one per document, with the metadata, the findings (labels that count in
  the document's voice, their passage counts), the complainant's allegations and the
  outcome.

``process_document`` is the unit of work of every runner: it takes a path and returns plain
dicts, so a local process pool and a distributed backend can both call it; ``scan_entry``
wraps it into the journal entry a runner sends back, and never raises for a bad document.

With a ``Pseudonymiser`` the records are pseudonymised where they are made, after tagging:
the classifier sees the real text, and no personal number or flagged name leaves the worker.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from protoscan.document import Document
from protoscan.errors import ProcessingLimitError, ProtoscanError
from protoscan.privacy import Pseudonymiser, person_name_words

__all__ = [
    "COLUMN_TYPES",
    "DOCUMENT_FIELDS",
    "EXPLAIN_FIELDS",
    "PASSAGE_FIELDS",
    "document_records",
    "explain_passages",
    "failure_entry",
    "process_document",
    "pseudonymise_records",
    "scan_entry",
]

_META_FIELDS = (
    "doc_id",
    "source",
    "sha256",
    "authority",
    "doc_type",
    "dnr",
    "decision_date",
    "year",
    "municipality",
    "body",
    "outcome",
    "law_version",
)
#: Keys of a passage record, in output order.
PASSAGE_FIELDS: tuple[str, ...] = (
    "record",
    *_META_FIELDS,
    "passage_id",
    "section",
    "section_kind",
    "voice",
    "page_numbers",
    "start_char",
    "end_char",
    "text",
    "labels",
    "scores",
)
#: Keys that passage records of an explained scan have after ``PASSAGE_FIELDS``: ``cues``
#: maps every label to the passage's cue words for it (strongest first; ``[]`` when no word
#: moves the score), ``None`` for labels the passage does not carry; ``None`` for a passage
#: without labels. Other scans leave the key out, so their results stay as they were.
EXPLAIN_FIELDS: tuple[str, ...] = ("cues",)
#: Keys of a document record, in output order.
DOCUMENT_FIELDS: tuple[str, ...] = (
    "record",
    *_META_FIELDS,
    "engine",
    "n_pages",
    "n_passages",
    "labels",
    "label_counts",
    "alleged_counts",
)
#: Every column of a result table and its value type (for Parquet and CSV round trips).
COLUMN_TYPES: dict[str, str] = {
    **{name: "str" for name in (*PASSAGE_FIELDS, *DOCUMENT_FIELDS)},
    "cues": "map_list_str",
    "year": "int",
    "n_pages": "int",
    "n_passages": "int",
    "start_char": "int",
    "end_char": "int",
    "page_numbers": "list_int",
    "labels": "list_str",
    "scores": "map_float",
    "label_counts": "map_int",
    "alleged_counts": "map_int",
}

#: Record fields that never hold free text, so pseudonymisation leaves them alone.
_NOT_TEXT = frozenset(
    {"record", "sha256", "doc_id", "passage_id", "authority", "doc_type", "decision_date",
     "outcome", "law_version", "section_kind", "voice", "engine"}
)  # fmt: skip

_MODELS: dict[str, Any] = {}


def _metadata(doc: Document, source: str) -> dict[str, Any]:
    meta = doc.metadata
    return {
        "doc_id": doc.doc_id,
        "source": source,
        "sha256": doc.sha256,
        "authority": meta.authority,
        "doc_type": meta.doc_type,
        "dnr": meta.dnr,
        "decision_date": meta.decision_date,
        "year": meta.year,
        "municipality": meta.municipality,
        "body": meta.body,
        "outcome": meta.outcome,
        "law_version": meta.law_version,
    }


def document_records(
    doc: Document,
    labels: tuple[str, ...],
    *,
    source: str,
    cues: dict[str, dict[str, list[str]]] | None = None,
) -> list[dict]:
    """Result records of a tagged document: its document record, then one per passage.

    Args:
        doc: A document whose passages carry labels and scores (``tag_documents``).
        labels: The model's label ids; every count and score map lists all of them.
        source: The path to record as the document's source.
        cues: Passage id → label → cue words (``explain_passages``); given, every passage
            record gets a ``cues`` field (``EXPLAIN_FIELDS``).

    Returns:
        JSON-ready dicts with the keys of ``DOCUMENT_FIELDS`` and ``PASSAGE_FIELDS``.
    """
    from protoscan.findings import document_findings, voice_of

    meta = _metadata(doc, source)
    findings = document_findings(doc)
    records: list[dict] = [
        {
            "record": "document",
            **meta,
            "engine": doc.engine,
            "n_pages": len(doc.pages),
            "n_passages": len(doc.passages),
            "labels": [label for label in labels if label in findings.labels],
            "label_counts": {label: findings.labels.get(label, 0) for label in labels},
            "alleged_counts": {label: findings.alleged.get(label, 0) for label in labels},
        }
    ]
    for passage in doc.passages:
        scores = {s.label: s.score for s in passage.scores}
        records.append(
            {
                "record": "passage",
                **meta,
                "passage_id": passage.id,
                "section": passage.section,
                "section_kind": passage.section_kind,
                "voice": voice_of(doc.metadata.authority, passage.section_kind),
                "page_numbers": list(passage.page_numbers),
                "start_char": passage.start_char,
                "end_char": passage.end_char,
                "text": passage.text,
                "labels": list(passage.labels),
                "scores": {label: scores.get(label) for label in labels},
            }
        )
        if cues is not None:
            words = cues.get(passage.id)
            records[-1]["cues"] = {label: words.get(label) for label in labels} if words else None
    return records


def explain_passages(doc: Document, classifier: Any) -> dict[str, dict[str, list[str]]]:
    """The cue words of every labelled passage of a tagged document (word occlusion, one
    model call per passage; ``protoscan.classify.explain``).

    Returns:
        Passage id → label → cue words, strongest first, for the passages with labels.
    """
    from protoscan.classify.explain import cue_words

    return {
        passage.id: cue_words(classifier, passage.text, passage.labels)
        for passage in doc.passages
        if passage.labels
    }


def pseudonymise_records(
    records: list[dict[str, Any]], pseudonymiser: Pseudonymiser, text: str
) -> list[dict[str, Any]]:
    """Pseudonymise every free-text field of a document's result records.

    Personal numbers are replaced wherever they occur; names are those that
    ``find_person_names`` flags anywhere in ``text`` (the whole document), replaced in every
    passage, so a name introduced on page 1 is also replaced where it recurs alone. Offsets
    stay valid, as pseudonyms keep the length of what they replace.

    Args:
        records: The document's records (``document_records``).
        pseudonymiser: Holds the run's key.
        text: The document's full text.

    Returns:
        New records; ``records`` is not changed.
    """
    names = person_name_words(text)

    def clean(key: str, value: Any) -> Any:
        if key == "cues" and value:  # single words, each may be a name or personal number
            return {
                label: None
                if words is None
                else [pseudonymiser.pseudonymise(w, names) for w in words]
                for label, words in value.items()
            }
        if key in _NOT_TEXT or not isinstance(value, str):
            return value
        return pseudonymiser.pseudonymise(value, names)

    return [{key: clean(key, value) for key, value in record.items()} for record in records]


class _Timeout(BaseException):
    """Raised by the alarm inside the document's work; a BaseException so that library
    ``except Exception`` blocks cannot swallow it."""


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with ``_Timeout`` (main thread, POSIX only)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _deadline_paused() -> Iterator[None]:
    """Stop the clock of an enclosing ``_deadline`` for the block, then let it run on."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _prepare_sentence_splitter(text: str) -> None:
    """Build spaCy's sentence splitter, off the document's clock, when ``text`` has a
    paragraph long enough to be split into sentence windows and it is not built yet.

    Workers load spaCy (seconds) only when a document needs it; that one-time set-up is not
    the document's time. The check is on raw paragraphs, which are never shorter than the
    segmenter's, so a document that needs the splitter always finds it ready.
    """
    from protoscan.structure.segment import SegmentConfig, get_nlp, split_paragraphs

    if get_nlp.cache_info().currsize:
        return
    limit = SegmentConfig().max_chars
    if any(end - start > limit for start, end in split_paragraphs(text)):
        with _deadline_paused():
            get_nlp()


def _classifier(model: Any) -> Any:
    if not isinstance(model, (str, Path)):
        return model
    key = str(Path(model).resolve())
    if key not in _MODELS:
        from protoscan.classify.model_dir import load_classifier

        _MODELS[key] = load_classifier(model)
    return _MODELS[key]


def process_document(
    path: Path | str,
    *,
    engine: str = "pdfplumber",
    model: Any,
    max_pages: int | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    source: str | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """Read, tag and summarise one file into result records.

    Args:
        path: The document file.
        engine: PDF text engine (``"pdfplumber"`` or ``"pdfium"``).
        model: A fitted classifier, or a model directory (loaded once per process).
        max_pages: Refuse PDFs with more pages (``ProcessingLimitError``).
        max_bytes: Refuse larger files (``FileTooLargeError``), before reading them.
        timeout: Give up after this many seconds (``ProcessingLimitError``); enforced with
            ``SIGALRM`` when called on a process's main thread, as pool workers are.
        source: Path to record as the source; defaults to ``str(path)``.
        pseudonymiser: Pseudonymise the records' text (``pseudonymise_records``).
        explain: Add the cue words of every labelled passage (``explain_passages``).

    Returns:
        ``{"sha256", "records", "seconds"}``: the file's hash, its document record followed
        by its passage records, and the wall time spent.

    Raises:
        ProtoscanError: The file could not be read (the subclass says why) or took too long.

    Example:
        >>> result = process_document("beslut.pdf", model="models/default")  # doctest: +SKIP
        >>> result["records"][0]["labels"]  # doctest: +SKIP
        ['child_perspective', 'delay']
    """
    from protoscan.findings import tag_documents
    from protoscan.ingest import extract_text
    from protoscan.structure import build_document

    started = time.perf_counter()
    classifier = _classifier(model)
    try:
        with _deadline(timeout):
            # pipeline.read_document in two steps, to set up spaCy between them if needed
            extracted = extract_text(
                Path(path), engine=engine, max_pages=max_pages, max_bytes=max_bytes
            )
            _prepare_sentence_splitter(extracted.text)
            (tagged,) = tag_documents([build_document(extracted)], classifier)
            records = document_records(
                tagged,
                tuple(classifier.labels_),
                source=source or str(path),
                cues=explain_passages(tagged, classifier) if explain else None,
            )
            if pseudonymiser is not None:
                records = pseudonymise_records(records, pseudonymiser, tagged.text)
    except _Timeout:
        raise ProcessingLimitError(
            path, f"took longer than the {timeout:g} s limit per document; raise --timeout"
        ) from None
    return {
        "sha256": tagged.sha256,
        "records": records,
        "seconds": round(time.perf_counter() - started, 4),
    }


def scan_entry(path: Path | str, sha256: str, **options: Any) -> dict[str, Any]:
    """The journal entry for one file: its records, or its failure; never raises for a bad
    document (only ``BaseException`` such as ``KeyboardInterrupt`` gets through).

    Args:
        path: The file.
        sha256: Its content hash (computed by the parent).
        **options: Passed to ``process_document`` (``model``, ``engine``, limits,
            ``source``, ``pseudonymiser``).

    Returns:
        ``{"kind": "document", "sha256", "path", "seconds", "records"}`` or a
        ``failure_entry``; an unexpected error also carries its ``traceback``.
    """
    source = options.get("source") or str(path)
    try:
        result = process_document(path, **options)
    except Exception as error:
        entry = failure_entry(source, sha256, error)
        if entry["code"] == "internal_error":
            import traceback

            entry["traceback"] = traceback.format_exc(limit=-8)
        return entry
    return {
        "kind": "document",
        "sha256": sha256,
        "path": source,
        "seconds": result["seconds"],
        "records": result["records"],
    }


def failure_entry(
    path: Path | str, sha256: str | None, error: BaseException | None = None, **fields: Any
) -> dict[str, Any]:
    """A journal entry for a file that could not be processed.

    Args:
        path: The file.
        sha256: Its content hash, ``None`` if it could not be read.
        error: The exception; its ``code`` (``ProtoscanError``) or ``internal_error``, its
            class name and its message are recorded.
        **fields: ``code``, ``type`` and ``message`` to use instead of the error's.
    """
    code = error.code if isinstance(error, ProtoscanError) else "internal_error"
    entry = {
        "kind": "failure",
        "sha256": sha256,
        "path": str(path),
        "code": code,
        "type": type(error).__name__ if error is not None else None,
        "message": str(error) if error is not None else "",
    }
    entry.update(fields)
    return entry
