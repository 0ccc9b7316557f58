"""DOCX to paragraphs with python-docx (the only module importing it).

Body paragraphs and table cells come out in document order; running headers, footers and
footnotes are left out. The zip's declared sizes are checked before anything is inflated,
so a zip bomb is refused without being unpacked.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from protoscan.errors import FileTooLargeError, IngestError, UnsupportedFormatError

__all__ = ["MAX_UNCOMPRESSED_BYTES", "MAX_ZIP_MEMBERS", "check_zip", "read_docx"]

logger = logging.getLogger(__name__)

#: Refuse a DOCX whose members unpack to more than this many bytes in total.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
#: Refuse a DOCX with more zip members than this.
MAX_ZIP_MEMBERS = 10_000

_OTHER_PACKAGES = {
    "xl/workbook.xml": "an Excel workbook",
    "ppt/presentation.xml": "a PowerPoint presentation",
    "content.xml": "an OpenDocument file",
}


def check_zip(data: bytes | Path, path: Path, max_uncompressed: int | None = None) -> list[str]:
    """Check a zip's declared member sizes and return its member names.

    The declared sizes are a safe bound: ``zipfile`` never inflates a member past its
    declared size (it stops and reports a CRC error), so a lying header cannot get around it.

    Args:
        data: The zip file's bytes, or its path (an archive is not read into memory).
        path: The file's path, for messages.
        max_uncompressed: Limit on the total unpacked size; ``MAX_UNCOMPRESSED_BYTES`` if None.

    Raises:
        IngestError: The zip is corrupt.
        FileTooLargeError: The members would unpack to more than the limit.
    """
    limit = MAX_UNCOMPRESSED_BYTES if max_uncompressed is None else max_uncompressed
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise IngestError(
            path, f"is not a readable zip/DOCX file ({error}); it may be corrupt"
        ) from error
    total = sum(info.file_size for info in infos)
    if len(infos) > MAX_ZIP_MEMBERS or total > limit:
        raise FileTooLargeError(
            path,
            f"would unpack to {total} bytes in {len(infos)} parts, more than the limit of "
            f"{limit} bytes (a zip bomb?); refusing to open it",
        )
    return [info.filename for info in infos]


def _cell_blocks(cell: Any) -> list[str]:
    return list(_blocks(cell))


def _table_blocks(table: Any) -> Iterator[str]:
    seen: set[int] = set()
    keep: list[Any] = []  # holds the cell elements so their ids stay unique while in ``seen``
    for row in table.rows:
        cells = []
        for cell in row.cells:
            # Merged cells are repeated per grid column (and per row when merged vertically).
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            keep.append(cell._tc)
            cells.append([text for text in _cell_blocks(cell) if text.strip()])
        if all(len(texts) <= 1 for texts in cells):
            line = " ".join(texts[0] for texts in cells if texts)
            if line.strip():
                yield line  # a label/value row such as "Dnr: SN 2024/17" stays one paragraph
        else:
            for texts in cells:
                yield from texts


def _blocks(container: Any) -> Iterator[str]:
    from docx.text.paragraph import Paragraph

    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item.text
        else:
            yield from _table_blocks(item)


def read_docx(data: bytes, path: Path) -> list[str]:
    """Return the paragraphs of a DOCX body in order, table rows included.

    A table row whose cells each hold at most one paragraph becomes one paragraph with the
    cell texts separated by spaces; other cells give their paragraphs one by one.

    Raises:
        FileTooLargeError: The zip would unpack to more than ``MAX_UNCOMPRESSED_BYTES``.
        UnsupportedFormatError: The zip is another kind of package (xlsx, pptx, odt …).
        IngestError: The file is not a readable DOCX.
    """
    names = set(check_zip(data, path))
    if "word/document.xml" not in names:
        kind = next((what for name, what in _OTHER_PACKAGES.items() if name in names), None)
        what = kind or "a zip archive without word/document.xml"
        raise UnsupportedFormatError(
            path, f"unsupported format: {what}, not a Word document; save it as .docx or PDF"
        )
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        return list(_blocks(document))
    except Exception as error:
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise IngestError(
            path, f"could not read the DOCX ({type(error).__name__}: {detail}); it may be corrupt"
        ) from error
