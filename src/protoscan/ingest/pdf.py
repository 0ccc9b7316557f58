"""PDF pages to raw text with pdfplumber or pypdfium2 (the only module importing them).

Both engines return one raw string per page; ``clean.py`` does all cleanup, so the engines
differ only in how they read glyphs into lines. Library exceptions become ``IngestError``
subclasses that name the file.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from protoscan.errors import (
    ConfigError,
    EncryptedDocumentError,
    IngestError,
    ProcessingLimitError,
    ProtoscanError,
)

__all__ = ["PDF_ENGINES", "check_engine", "read_pdf_pages"]

logger = logging.getLogger(__name__)

#: Engine names accepted by ``read_pdf_pages``.
PDF_ENGINES: tuple[str, ...] = ("pdfplumber", "pdfium")

# pdfplumber's default x_tolerance (3) glues words in tightly set text ("HÖGSTADOMSTOLEN").
_X_TOLERANCE = 1.5
# A step down the page this much larger than the page's usual line pitch is a paragraph gap.
_GAP_FACTOR = 1.3


Line = tuple[str, float]  # a line's text and its top; ``top`` grows down the page


def _steps(lines: list[Line]) -> list[float]:
    return [b[1] - a[1] for a, b in itertools.pairwise(lines)]


def _pages_with_gaps(pages: list[list[Line]]) -> list[str]:
    """Join each page's lines, with a blank line where the vertical step shows a gap.

    The usual line pitch is the most common downward step (rounded to a point) over the whole
    document: a short page has too few steps of its own, and headers, headings and gaps make
    a median unreliable. A step above
    ``_GAP_FACTOR`` times that pitch, or a step back up the page (a new column or block),
    becomes a blank line, which the cleanup reads as a paragraph break.
    """
    rounded = Counter(round(step) for lines in pages for step in _steps(lines) if step >= 1)
    if not rounded:
        return ["\n".join(text for text, _ in lines) for lines in pages]
    pitch = rounded.most_common(1)[0][0]
    texts = []
    for lines in pages:
        out = [lines[0][0]] if lines else []
        for (text, _), step in zip(lines[1:], _steps(lines), strict=True):
            if step > _GAP_FACTOR * pitch or step < -0.5 * pitch:
                out.append("")
            out.append(text)
        texts.append("\n".join(out))
    return texts


def _describe(error: BaseException) -> str:
    """A one-line, bounded description of a library exception."""
    detail = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {detail[0]}" if detail else type(error).__name__
    return text[:200]


def _corrupt(path: Path, error: BaseException) -> IngestError:
    return IngestError(
        path, f"could not read the PDF ({_describe(error)}); it may be truncated or corrupt"
    )


def _check_page_limit(path: Path, count: int, max_pages: int | None) -> None:
    if max_pages is not None and count > max_pages:
        raise ProcessingLimitError(
            path,
            f"has {count} pages, more than the limit of {max_pages}; "
            "raise the page limit or split the file",
        )


def _pages_pdfplumber(data: bytes, path: Path, max_pages: int | None) -> list[str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as error:
        cause = error.args[0] if error.args else None
        if isinstance(cause, PDFEncryptionError):
            raise EncryptedDocumentError(path) from error
        raise _corrupt(path, cause if isinstance(cause, BaseException) else error) from error
    with pdf:
        try:
            pages = pdf.pages
            _check_page_limit(path, len(pages), max_pages)
            pages_lines: list[list[Line]] = []
            for page in pages:
                # No page.dedupe_chars(): it triples the run time, and clean.fix_doubled_chars
                # repairs the doubled words that fake-bold overprinting produces.
                found = page.extract_text_lines(x_tolerance=_X_TOLERANCE, return_chars=False)
                pages_lines.append([(line["text"], line["top"]) for line in found])
                page.close()
        except ProtoscanError:
            raise
        except Exception as error:
            cause = error.args[0] if error.args else None
            raise _corrupt(path, cause if isinstance(cause, BaseException) else error) from error
    return _pages_with_gaps(pages_lines)


def _pdfium_page_lines(textpage: Any) -> list[Line]:
    """A page's lines and their tops, from pdfium's text and character boxes.

    pdfium ends lines with ``\\r\\n``, or marks a line-end hyphen with U+FFFE and no break;
    both end a line here. When pdfium's text does not line up with its character list (rare),
    the page's lines all get the same top (no gap detection).
    """
    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():
        return [(line, 0.0) for line in text.replace("\ufffe", "-\n").splitlines()]
    lines: list[tuple[str, float]] = []
    start = 0
    for index, char in enumerate(text + "\n"):
        if char not in "\n\ufffe":
            continue
        segment = text[start:index].rstrip("\r")
        first = next((i for i, c in enumerate(segment) if not c.isspace()), None)
        if first is not None:
            top = textpage.get_charbox(start + first, loose=True)[3]  # PDF y grows upwards
            lines.append((segment + ("-" if char == "\ufffe" else ""), -top))
        start = index + 1
    return lines


def _pages_pdfium(data: bytes, path: Path, max_pages: int | None) -> list[str]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) in (
            pdfium_c.FPDF_ERR_PASSWORD,
            pdfium_c.FPDF_ERR_SECURITY,
        ):
            raise EncryptedDocumentError(path) from error
        raise _corrupt(path, error) from error
    try:
        _check_page_limit(path, len(document), max_pages)
        pages_lines: list[list[Line]] = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                pages_lines.append(_pdfium_page_lines(textpage))
            finally:
                textpage.close()
                page.close()
        return _pages_with_gaps(pages_lines)
    except ProtoscanError:
        raise
    except Exception as error:
        raise _corrupt(path, error) from error
    finally:
        document.close()


def check_engine(engine: str) -> None:
    """Raise ``ConfigError`` unless ``engine`` is one of ``PDF_ENGINES``."""
    if engine not in PDF_ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(PDF_ENGINES)}; got {engine!r}")


def read_pdf_pages(
    data: bytes, path: Path, engine: str = "pdfplumber", *, max_pages: int | None = None
) -> list[str]:
    """Return the raw text of every page of a PDF, in page order.

    Args:
        data: The file's bytes.
        path: The file's path, used in error messages only.
        engine: ``"pdfplumber"`` (pdfminer layout analysis, slower) or ``"pdfium"``
            (pypdfium2's text page, fast).
        max_pages: Refuse documents with more pages than this.

    Returns:
        One string per page; a page without a text layer gives ``""``.

    Raises:
        EncryptedDocumentError: The PDF needs a password.
        ProcessingLimitError: The PDF has more than ``max_pages`` pages.
        IngestError: The PDF is truncated, corrupt or not a PDF.
        ConfigError: ``engine`` is not one of ``PDF_ENGINES``.
    """
    check_engine(engine)
    if engine == "pdfium":
        return _pages_pdfium(data, path, max_pages)
    return _pages_pdfplumber(data, path, max_pages)
