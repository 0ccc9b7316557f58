"""File → clean text with a char→page map.

``extract_text(path, engine=...)`` is the entry point; it dispatches on the file's content
(magic bytes) and extension to the PDF, office, HTML and text readers, or through an external
converter for legacy Word, RTF and OpenDocument text (``convert.py``), then runs the shared
cleanup in ``clean.py``. A zip member is read by its path, ``archive.zip!/member.docx``
(``archive.py``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from protoscan.document import Page
from protoscan.errors import (
    EmptyDocumentError,
    FileTooLargeError,
    IngestError,
    InputNotFoundError,
    NestedArchiveError,
    NotAFileError,
    NoTextLayerError,
    UnsupportedFormatError,
)
from protoscan.ingest.archive import ARCHIVE_SUFFIXES, read_member, split_member_path
from protoscan.ingest.clean import clean_pages, clean_paragraphs, normalize_chars
from protoscan.ingest.convert import CONVERTED_FORMATS, convert_document
from protoscan.ingest.html import StatedMetadata
from protoscan.ingest.pdf import PDF_ENGINES, check_engine, read_pdf_pages

__all__ = [
    "PAGE_SEPARATOR",
    "PDF_ENGINES",
    "ExtractedText",
    "StatedMetadata",
    "detect_format",
    "extract_text",
    "join_pages",
]

logger = logging.getLogger(__name__)

#: What separates two pages' text in ``ExtractedText.text``.
PAGE_SEPARATOR = "\n\n"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "txt",
    ".text": "txt",
    ".doc": "doc",
    ".rtf": "rtf",
    ".odt": "odt",
    ".zip": "zip",
}
_SAVE_AS = "save it as .docx or PDF and try again"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: Members that mark a zip as an office package rather than an archive of documents.
_PACKAGE_MARKERS = ("[Content_Types].xml", "mimetype", "META-INF/manifest.xml")
_LEGACY = {
    ".xls": "Excel",
    ".xlsx": "Excel",
    ".ppt": "PowerPoint",
    ".pptx": "PowerPoint",
}


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """Cleaned text of one file and where each page lies in it."""

    text: str
    pages: tuple[Page, ...]
    format: str  # "pdf", "docx", "html", "txt", "doc", "rtf", "odt"
    engine: str  # "pdfplumber", "pdfium", "python-docx", "html", "text", "antiword", "libreoffice"
    sha256: str
    source: str | None
    #: Metadata the file states about itself (HTML ``<meta>``/RDFa); wins over the text.
    stated: StatedMetadata = field(default_factory=StatedMetadata)


def _zip_kind(data: bytes, path: Path) -> str:
    """``odt`` for OpenDocument text, ``zip`` for a ``.zip`` archive of files, else ``docx``:
    the DOCX reader reads Word packages and names other packages and corrupt zips."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size < 200
                and archive.read("mimetype").strip() == _ODT_MIMETYPE
            ):
                return "odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return "docx"
    if "word/document.xml" in names or any(m in names for m in _PACKAGE_MARKERS):
        return "docx"
    return "zip" if path.suffix.lower() in ARCHIVE_SUFFIXES else "docx"


def detect_format(data: bytes, path: Path) -> str:
    """Decide how to read a file: magic bytes first, then the extension.

    Returns:
        ``"pdf"``, ``"docx"``, ``"html"``, ``"txt"``, ``"doc"``, ``"rtf"``, ``"odt"`` (read
        through a converter) or ``"zip"`` (an archive of documents).

    Raises:
        UnsupportedFormatError: Excel/PowerPoint, a password-protected Office file, other
            packages or an unknown extension.
        IngestError: The extension promises a PDF, DOCX, .doc, RTF, ODT or zip that the
            bytes are not.
    """
    head = data[:1024]
    if b"%PDF-" in head:  # the header may follow up to 1 KiB of junk
        return "pdf"
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, path)  # the DOCX reader rejects other packages by contents
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_OOXML in data:
            raise UnsupportedFormatError(
                path, "is a password-protected Office file; remove the password and try again"
            )
        if suffix in _LEGACY:
            raise UnsupportedFormatError(path, f"unsupported format: {_LEGACY[suffix]}; {_SAVE_AS}")
        return "doc"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or (
        start.startswith((b"<?xml", b"<!doctype")) and b"<html" in start
    ):
        return "html"
    kind = _EXTENSIONS.get(suffix)
    if kind == "pdf":
        raise IngestError(
            path, "is named .pdf but has no %PDF- header; the file is corrupt or not a PDF"
        )
    if kind in ("docx", "odt", "zip"):
        raise IngestError(path, f"is named {suffix} but is not a zip package; the file is corrupt")
    if kind in ("doc", "rtf"):
        raise IngestError(
            path, f"is named {suffix} but is not a {CONVERTED_FORMATS[kind]} file; it is corrupt"
        )
    if kind is not None:
        return kind
    if suffix in _LEGACY:
        raise UnsupportedFormatError(path, f"unsupported format: {_LEGACY[suffix]}; {_SAVE_AS}")
    raise UnsupportedFormatError(
        path,
        f"unsupported format {suffix or '(no extension)'!r}; "
        "protoscan reads PDF, DOCX, DOC, RTF, ODT, HTML/XHTML and TXT",
    )


def join_pages(texts: list[str]) -> tuple[str, tuple[Page, ...]]:
    """Join cleaned page texts and record each page's span in the result.

    Pages with text are separated by ``PAGE_SEPARATOR``; an empty page gets an empty span at
    the start of the next page with text (or at the end of the text), so offset lookups by
    ``bisect`` on the start offsets still land on the page that holds the text.

    Example:
        >>> text, pages = join_pages(["Ett.", "", "Två."])
        >>> text, [(p.number, p.start_char, p.end_char) for p in pages]
        ('Ett.\\n\\nTvå.', [(1, 0, 4), (2, 6, 6), (3, 6, 10)])
    """
    parts: list[str] = []
    spans: list[tuple[int, int] | None] = []
    offset = 0
    for text in texts:
        if not text:
            spans.append(None)
            continue
        if parts:
            offset += len(PAGE_SEPARATOR)
        spans.append((offset, offset + len(text)))
        parts.append(text)
        offset += len(text)
    full = PAGE_SEPARATOR.join(parts)
    pages: list[Page] = []
    next_start = len(full)
    for number in range(len(texts), 0, -1):  # backwards, so empty pages know the next start
        span = spans[number - 1]
        if span is None:
            pages.append(Page(number, next_start, next_start))
        else:
            pages.append(Page(number, *span))
            next_start = span[0]
    return full, tuple(reversed(pages))


def _read_bytes(path: Path, max_bytes: int | None) -> bytes:
    if not path.exists():
        raise InputNotFoundError(path)
    if not path.is_file():
        raise NotAFileError(path)
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise FileTooLargeError(
            path, f"is {size} bytes, more than the limit of {max_bytes}; raise the limit"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(
            path, f"cannot be read ({error.strerror or error}); check permissions"
        ) from error
    if not data:
        raise EmptyDocumentError(path)
    return data


def _read_member(path: Path, max_bytes: int | None) -> bytes:
    data = read_member(path, max_bytes)
    if not data:
        raise EmptyDocumentError(path)
    return data


def extract_text(
    path: Path | str,
    engine: str = "pdfplumber",
    *,
    max_pages: int | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> ExtractedText:
    """Read a PDF, DOCX, DOC, RTF, ODT, HTML/XHTML or TXT file into cleaned text with a
    page map.

    The format is detected from the file's first bytes, then its extension. PDF pages are
    cleaned together (running headers and footers, page numbers, hyphenation, fake bold,
    ligatures, line wrapping) and joined with a blank line; ``pages`` gives each page's
    ``[start_char, end_char)`` span in ``text``. DOCX, HTML and converted files give one
    page. ``path`` may name a zip member: ``archive.zip!/member.docx``.

    Args:
        path: The file to read.
        engine: PDF engine, ``"pdfplumber"`` or ``"pdfium"`` (faster); other formats ignore it.
        max_pages: Refuse PDFs with more pages than this.
        max_bytes: Refuse files (or zip members) larger than this many bytes.
        timeout: Seconds a converter (LibreOffice, antiword) may run; ``CONVERT_TIMEOUT``
            (or the time left on a running per-document alarm) if None.

    Returns:
        The cleaned text, page spans, format, engine used, SHA-256 of the file and its path.

    Raises:
        InputNotFoundError, NotAFileError, EmptyDocumentError, FileTooLargeError,
        ProcessingLimitError, EncryptedDocumentError, NoTextLayerError,
        UnsupportedFormatError, ConverterMissingError, NestedArchiveError, IngestError: see
        ``protoscan.errors``; every message is one line naming the file.
        ConfigError: ``engine`` is not one of ``PDF_ENGINES``.

    Example:
        >>> result = extract_text("beslut.pdf", engine="pdfium")  # doctest: +SKIP
        >>> page = result.pages[1]; result.text[page.start_char : page.end_char]  # doctest: +SKIP
    """
    path = Path(path)
    check_engine(engine)
    member = split_member_path(path) if not path.exists() else None
    data = _read_member(path, max_bytes) if member else _read_bytes(path, max_bytes)
    kind = detect_format(data, path)
    stated = StatedMetadata()
    if kind == "zip":
        if member:
            raise NestedArchiveError(
                path, "is an archive inside an archive; unpack it and scan its contents"
            )
        raise UnsupportedFormatError(
            path,
            "is a zip archive; `protoscan scan` reads the documents in it, or name one as "
            f"{path}!/MEMBER",
        )
    if kind == "pdf":
        raw = read_pdf_pages(data, path, engine, max_pages=max_pages)
        if not raw:
            raise EmptyDocumentError(path, "the PDF has no pages")
        if not any(normalize_chars(page).strip() for page in raw):
            raise NoTextLayerError(path, len(raw))
        texts = clean_pages(raw)
        used = engine
    elif kind == "docx":
        from protoscan.ingest.office import read_docx

        texts, used = [clean_paragraphs(read_docx(data, path))], "python-docx"
    elif kind == "html":
        from protoscan.ingest.html import read_html_document

        paragraphs, stated = read_html_document(data, path)
        texts, used = [clean_paragraphs(paragraphs)], "html"
    elif kind in CONVERTED_FORMATS:
        paragraphs, used = convert_document(data, path, kind, timeout=timeout)
        texts = [clean_paragraphs(paragraphs)]
    else:
        from protoscan.ingest.text import decode_text, split_pages

        decoded, encoding = decode_text(data, path)
        logger.debug("%s: decoded as %s", path, encoding)
        pages = split_pages(decoded)
        texts, used = clean_pages(pages, remove_running=len(pages) > 1), "text"
    text, spans = join_pages(texts)
    if not text:
        detail = (
            "no text remains after removing headers, footers and page numbers"
            if kind == "pdf"
            else "the document contains no text"
        )
        raise EmptyDocumentError(path, detail)
    empty = [page.number for page in spans if page.start_char == page.end_char]
    if empty:
        logger.info("%s: no text on page(s) %s (images only?)", path, ", ".join(map(str, empty)))
    return ExtractedText(
        text=text,
        pages=spans,
        format=kind,
        engine=used,
        sha256=hashlib.sha256(data).hexdigest(),
        source=str(path),
        stated=stated,
    )
