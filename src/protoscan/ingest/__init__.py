"""File → clean text with a char→page map.

``extract_text(path, engine=...)`` is the entry point; it dispatches on the file's content
(magic bytes) and extension to the PDF, office, HTML and text readers, then runs the shared
cleanup in ``clean.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from protoscan.document import Page

__all__ = ["ExtractedText"]


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """Cleaned text of one file and where each page lies in it."""

    text: str
    pages: tuple[Page, ...]
    format: str  # "pdf", "docx", "html", "txt"
    engine: str  # "pdfplumber", "pdfium", "python-docx", "html", "text"
    sha256: str
    source: str | None
