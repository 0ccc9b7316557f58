"""File → Document: ingestion followed by structure, the one call most callers need."""

from __future__ import annotations

from pathlib import Path

from protoscan.document import Document
from protoscan.ingest import extract_text
from protoscan.structure import build_document

__all__ = ["ENGINES", "read_document"]

#: Text-extraction engines for PDFs: pdfplumber is the careful default, pdfium the fast path.
ENGINES: tuple[str, ...] = ("pdfplumber", "pdfium")


def read_document(
    path: Path | str,
    *,
    engine: str = "pdfplumber",
    max_pages: int | None = None,
    max_bytes: int | None = None,
) -> Document:
    """Read a decision file into a structured ``Document``.

    Args:
        path: A PDF, DOCX, HTML/XHTML or TXT file.
        engine: ``"pdfplumber"`` or ``"pdfium"`` (PDFs only).
        max_pages: Refuse PDFs with more pages (``ProcessingLimitError``).
        max_bytes: Refuse larger files (``FileTooLargeError``).

    Example:
        >>> doc = read_document("beslut.pdf")  # doctest: +SKIP
        >>> doc.metadata.authority, len(doc.passages)  # doctest: +SKIP
        ('JO', 42)
    """
    extracted = extract_text(Path(path), engine=engine, max_pages=max_pages, max_bytes=max_bytes)
    return build_document(extracted)
