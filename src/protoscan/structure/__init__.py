"""Clean text → ``Document``: sections, passages and metadata.

``build_document(extracted)`` is the entry point. Headings are found first (they are not
passage text), then the text is cut into passages (paragraphs, long ones into sentence
windows), each passage gets its pages and section, and the metadata is read from the text.
"""

from __future__ import annotations

from protoscan.document import Document, Passage
from protoscan.ingest import ExtractedText
from protoscan.structure.legal_refs import detect_law_version, find_legal_refs
from protoscan.structure.metadata import extract_metadata
from protoscan.structure.sections import detect_sections, find_headings
from protoscan.structure.segment import SegmentConfig, split_passages

__all__ = [
    "SegmentConfig",
    "build_document",
    "detect_law_version",
    "detect_sections",
    "extract_metadata",
    "find_headings",
    "find_legal_refs",
    "split_passages",
]

DOC_ID_CHARS = 16


def build_document(extracted: ExtractedText, *, config: SegmentConfig | None = None) -> Document:
    """Turn extracted text into a ``Document`` with sections, passages and metadata.

    Passage ids are ``f"{doc_id}:{n:04d}"`` with ``n`` counting from 0 in text order, so
    ``doc.passages[n].id`` ends in ``n``. Every passage's ``text`` equals
    ``doc.text[start_char:end_char]``.

    Args:
        extracted: The output of ingestion.
        config: Passage window sizes; defaults to ``SegmentConfig()``.

    Returns:
        The document, ``doc_id`` being the first 16 hex characters of its sha256.

    Example:
        >>> from protoscan.document import Page
        >>> text = "Anmälan\\n\\nAA klagade på nämnden.\\n\\nBedömning\\n\\nNämnden får kritik."
        >>> doc = build_document(ExtractedText(text, (Page(1, 0, len(text)),), "txt", "text",
        ...                                    "ab" * 32, None))
        >>> [(p.id, p.section_kind) for p in doc.passages]
        [('abababababababab:0000', 'complaint'), ('abababababababab:0001', 'assessment')]
    """
    text = extracted.text
    headings = find_headings(text)
    sections = detect_sections(text, headings)
    metadata = extract_metadata(text, sections, extracted.stated)
    doc_id = extracted.sha256[:DOC_ID_CHARS]
    document = Document(
        doc_id=doc_id,
        source=extracted.source,
        sha256=extracted.sha256,
        doc_type=metadata.doc_type or "other",
        text=text,
        pages=extracted.pages,
        metadata=metadata,
        sections=sections,
        engine=extracted.engine,
    )
    spans = split_passages(text, [(h.start_char, h.end_char) for h in headings], config)
    passages = []
    for n, (start, end) in enumerate(spans):
        section = document.section_at(start)
        passages.append(
            Passage(
                id=f"{doc_id}:{n:04d}",
                text=text[start:end],
                start_char=start,
                end_char=end,
                page_numbers=document.pages_for_span(start, end),
                section=(section.title or None) if section else None,
                section_kind=section.kind if section else None,
            )
        )
    return document.with_passages(tuple(passages))
