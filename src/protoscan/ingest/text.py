"""Plain-text files: detect the encoding and split pages on form feeds.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are recognised directly; UTF-16
without a BOM is recognised from its zero bytes; anything else is decoded with the best
single-byte Western encoding that charset-normalizer finds (cp1252 when in doubt).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from protoscan.errors import IngestError

__all__ = ["decode_text", "split_pages"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy encodings Swedish text files come in; limiting the candidates keeps
# charset-normalizer from picking an exotic code page for a short text.
_LEGACY_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "cp850"]


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if half and odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if half and even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_like_text(text: str) -> bool:
    """At least 95 % of the characters are printable or whitespace."""
    if not text:
        return False
    sample = text[:20_000]
    readable = sum(1 for c in sample if c.isprintable() or c.isspace())
    return readable >= 0.95 * len(sample)


def _binary(path: Path) -> IngestError:
    return IngestError(path, "looks like a binary file, not text; check the file type")


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a text file's bytes.

    Returns:
        The text and the name of the encoding used.

    Raises:
        IngestError: The bytes are binary: zero bytes that are not UTF-16, or mostly
            unprintable characters once decoded.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise IngestError(
                    path, f"has a {encoding} BOM but is not valid {encoding}"
                ) from error
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            text = ""
        if _looks_like_text(text):
            return text, utf16
    if b"\x00" in data:
        raise _binary(path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    encoding = best.encoding if best is not None else "cp1252"
    text = data.decode(encoding, errors="replace")
    if not _looks_like_text(text):
        raise _binary(path)
    return text, encoding


def split_pages(text: str) -> list[str]:
    """Split on form feeds (as ``pdftotext`` writes them); a trailing one ends the last page."""
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    return pages
