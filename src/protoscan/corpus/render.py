"""Render plain-text corpus documents to PDF, DOCX or TXT for demos, tests and benchmarks.

Source documents (``corpora/documents/*.txt``) are plain UTF-8 text in blocks separated by
blank lines:

- a block of several lines keeps its line breaks (the header block, addresses, signatures,
  lists);
- a one-line block without closing punctuation is a heading (``Anmälan``, ``JO:s bedömning``)
  or the title line, and is set in bold;
- any other one-line block is a paragraph, wrapped to the page width.

PDFs are A4 with a running header line and a ``Sid N (M)`` footer, like the decisions they
imitate. ``hyphenate=True`` breaks long words at line ends with a hyphen so that the ingest
cleaner has real hyphenation to undo.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from protoscan.errors import DataError

__all__ = [
    "FORMATS",
    "Block",
    "render_corpus",
    "render_docx",
    "render_pdf",
    "render_txt",
    "split_blocks",
]

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("pdf", "docx", "txt")
#: The creation date written into every rendered PDF.
RENDER_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

#: Page geometry in millimetres (A4, margins of a typical Swedish authority letter).
_MARGIN_LEFT = 25.0
_MARGIN_RIGHT = 20.0
_MARGIN_TOP = 22.0
_MARGIN_BOTTOM = 22.0
_BODY_SIZE = 11.0
_LINE_HEIGHT = 5.6
_HEADING_SIZE = 12.0
_FONT = "DejaVu"

_CLOSING_PUNCTUATION = (".", ":", ";", ",", "!", "?", "”", '"', "–")
_VOWELS = set("aeiouyåäöéAEIOUYÅÄÖÉ")

BlockKind = Literal["lines", "heading", "paragraph"]


@dataclass(frozen=True, slots=True)
class Block:
    """One blank-line separated block of a source document."""

    kind: BlockKind
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def split_blocks(text: str) -> list[Block]:
    """Split source text into header/line blocks, headings and paragraphs.

    Args:
        text: The document as written in ``corpora/documents``.

    Returns:
        Blocks in document order.

    Example:
        >>> text = "BESLUT\\nDatum 2019-05-03\\n\\nAnmälan\\n\\nAA klagade."
        >>> [block.kind for block in split_blocks(text)]
        ['lines', 'heading', 'paragraph']
    """
    blocks: list[Block] = []
    for raw in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n")):
        lines = tuple(line.rstrip() for line in raw.split("\n") if line.strip())
        if not lines:
            continue
        if len(lines) > 1:
            blocks.append(Block("lines", lines))
        elif _is_heading(lines[0]):
            blocks.append(Block("heading", lines))
        else:
            blocks.append(Block("paragraph", lines))
    return blocks


def _is_heading(line: str) -> bool:
    line = line.strip()
    # Lagrum lines ("11 kap. 1 § socialtjänstlagen (2001:453)") start with a digit: not headings.
    return (
        len(line) <= 250
        and not line.endswith(_CLOSING_PUNCTUATION)
        and not line[0].isdigit()
        and not line.startswith(("–", "-", "”", '"'))
    )


# --------------------------------------------------------------------------- PDF


def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return ttf / "DejaVuSans.ttf", ttf / "DejaVuSans-Bold.ttf"


def _split_word(pdf: Any, word: str, room: float) -> tuple[str, str] | None:
    """Split ``word`` so that ``head + '-'`` fits in ``room`` mm, at a syllable-like break."""
    match = re.fullmatch(r"([A-Za-zÅÄÖåäöÉé]+)(\W*)", word)
    if match is None or len(match.group(1)) < 8:
        return None
    stem = match.group(1)
    best: int | None = None
    for k in range(3, len(stem) - 2):
        if pdf.get_string_width(stem[:k] + "-") > room:
            break
        # Break before a consonant that starts a new syllable (consonant followed by a vowel).
        if stem[k] not in _VOWELS and stem[k + 1] in _VOWELS and stem[k - 1] != stem[k]:
            best = k
        elif stem[k - 1] == stem[k] and stem[k] not in _VOWELS:
            best = k  # between double consonants: "kom-mun"
    if best is None:
        return None
    return stem[:best] + "-", word[best:]


def _wrap(pdf: Any, text: str, width: float, *, hyphenate: bool) -> list[str]:
    """Greedy line breaking with the current font; optional hyphenation at line ends."""
    lines: list[str] = []
    current = ""
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        candidate = f"{current} {word}" if current else word
        if pdf.get_string_width(candidate) <= width:
            current = candidate
            i += 1
            continue
        if hyphenate and current:
            room = width - pdf.get_string_width(current + " ")
            parts = _split_word(pdf, word, room)
            if parts is not None:
                lines.append(f"{current} {parts[0]}")
                current = ""
                words[i] = parts[1]
                continue
        if current:
            lines.append(current)
            current = ""
        else:  # a single word wider than the line: let it overflow rather than loop
            lines.append(word)
            i += 1
    if current:
        lines.append(current)
    return lines


def _make_pdf(header: str | None, footer_pages: bool) -> Any:
    from fpdf import FPDF

    class _DecisionPDF(FPDF):
        def header(self) -> None:
            if not header:
                return
            self.set_font(_FONT, "", 8)
            self.set_text_color(90, 90, 90)
            self.set_xy(_MARGIN_LEFT, 10)
            self.cell(self.epw, 4, header, align="L")
            self.set_draw_color(150, 150, 150)
            self.line(_MARGIN_LEFT, 15, self.w - _MARGIN_RIGHT, 15)
            self.set_text_color(0, 0, 0)
            self.set_y(_MARGIN_TOP)

        def footer(self) -> None:
            if not footer_pages:
                return
            self.set_y(-14)
            self.set_font(_FONT, "", 9)
            self.set_text_color(60, 60, 60)
            self.cell(0, 5, f"Sid {self.page_no()} ({{nb}})", align="R")
            self.set_text_color(0, 0, 0)

    regular, bold = _font_paths()
    pdf = _DecisionPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN_BOTTOM)
    pdf.add_font(_FONT, "", str(regular))
    pdf.add_font(_FONT, "B", str(bold))
    pdf.set_creator("protoscan corpus renderer")
    # A fixed date keeps renders byte-identical, so document ids (content hashes) and the
    # demo's outputs do not change from one render to the next.
    pdf.set_creation_date(RENDER_DATE)
    return pdf


def render_pdf(
    text: str,
    path: Path | str,
    *,
    header: str | None = None,
    footer_pages: bool = True,
    hyphenate: bool = False,
) -> Path:
    """Render a source document to an A4 PDF with a text layer.

    Args:
        text: Source text (blocks separated by blank lines, see the module docstring).
        path: Where to write the PDF; parent folders are created.
        header: Running header printed on every page (e.g. ``"Dnr 1234-2019"``); none if None.
        footer_pages: Print ``Sid N (M)`` at the foot of every page.
        hyphenate: Break long words at line ends with a hyphen, as typeset decisions do.

    Returns:
        The written path.

    Example:
        >>> text = "BESLUT\\nDatum 2019-05-03\\n\\nAnmälan\\n\\nAA klagade."
        >>> render_pdf(text, "beslut.pdf", header="Dnr 1234-2019")  # doctest: +SKIP
        PosixPath('beslut.pdf')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = _make_pdf(header, footer_pages)
    pdf.add_page()
    width = pdf.epw
    first_heading = True
    for block in split_blocks(text):
        if block.kind == "heading":
            size = _HEADING_SIZE + (1.0 if first_heading else 0.0)
            first_heading = False
            pdf.set_font(_FONT, "B", size)
            wrapped = _wrap(pdf, block.lines[0], width, hyphenate=False)
            # Keep a heading together with at least two lines of what follows.
            needed = (len(wrapped) + 3) * _LINE_HEIGHT
            if pdf.get_y() + needed > pdf.page_break_trigger:
                pdf.add_page()
            pdf.ln(1.5)
            for line in wrapped:
                pdf.cell(width, _LINE_HEIGHT + 0.6, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.2)
            continue
        pdf.set_font(_FONT, "", _BODY_SIZE)
        for source_line in block.lines:
            for line in _wrap(pdf, source_line, width, hyphenate=hyphenate):
                pdf.cell(width, _LINE_HEIGHT, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(_LINE_HEIGHT * 0.7)
    pdf.output(str(path))
    return path


# --------------------------------------------------------------------------- DOCX


def render_docx(text: str, path: Path | str, *, header: str | None = None) -> Path:
    """Render a source document to DOCX; headings become ``Heading 2`` paragraphs.

    Args:
        text: Source text (see the module docstring).
        path: Where to write the file; parent folders are created.
        header: Optional text for the page header of the document section.

    Returns:
        The written path.
    """
    import docx
    from docx.shared import Mm, Pt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin, section.right_margin = Mm(_MARGIN_LEFT), Mm(_MARGIN_RIGHT)
    section.top_margin, section.bottom_margin = Mm(_MARGIN_TOP), Mm(_MARGIN_BOTTOM)
    if header:
        section.header.paragraphs[0].text = header
    document.styles["Normal"].font.size = Pt(_BODY_SIZE)
    for block in split_blocks(text):
        if block.kind == "heading":
            document.add_heading(block.lines[0], level=2)
        else:
            for line in block.lines:
                paragraph = document.add_paragraph(line)
                if block.kind == "lines":
                    paragraph.paragraph_format.space_after = Pt(0)
    properties = document.core_properties
    properties.created = properties.modified = RENDER_DATE.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_fixed_zip_times(buffer.getvalue()))
    return path


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every member dated ``RENDER_DATE`` (zipfile stamps the current time)."""
    stamp = RENDER_DATE.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def render_txt(text: str, path: Path | str) -> Path:
    """Write the source text unchanged as UTF-8 (the ``txt`` render format)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- corpus


def _load_manifest(
    manifest: Path | str | Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], Path | None]:
    if not isinstance(manifest, (str, Path)):
        return [dict(entry) for entry in manifest], None
    manifest_path = Path(manifest)
    entries = []
    with manifest_path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise DataError(f"{manifest_path}:{number}: not valid JSON ({error.msg})") from None
    return entries, manifest_path.parent


def _running_header(entry: Mapping[str, Any]) -> str:
    authority = {
        "JO": "Riksdagens ombudsmän, JO",
        "IVO": "Inspektionen för vård och omsorg",
    }.get(entry.get("authority", ""), entry.get("municipality") or "")
    dnr = entry.get("dnr")
    return f"{authority} · Dnr {dnr}" if dnr else str(authority)


def render_corpus(
    manifest: Path | str | Iterable[Mapping[str, Any]],
    out_dir: Path | str,
    *,
    formats: Sequence[str] | None = None,
    source_dir: Path | str | None = None,
    hyphenate: bool = False,
) -> list[Path]:
    """Render every manifest document into ``out_dir``.

    Args:
        manifest: Path to ``manifest.jsonl`` or the parsed entries.
        out_dir: Output folder; files are named ``<doc_id>.<format>``.
        formats: Formats to write for every document. ``None`` (or ``"own"`` inside the
            sequence) means the entry's own ``render`` format; ``("own", "pdf")`` adds a PDF
            of every document as well.
        source_dir: Folder holding the ``file`` entries; defaults to the manifest's folder.
        hyphenate: Hyphenate PDF line ends.

    Returns:
        The written paths, in manifest order.

    Raises:
        DataError: A manifest line is not JSON, names an unknown format, or its source file
            is missing.
    """
    entries, manifest_dir = _load_manifest(manifest)
    base = Path(source_dir) if source_dir is not None else manifest_dir
    if base is None:
        raise DataError("render_corpus: pass source_dir when the manifest is not a file path")
    out = Path(out_dir)
    wanted = tuple(formats) if formats is not None else ("own",)
    written: list[Path] = []
    for entry in entries:
        source = base / entry["file"]
        if not source.is_file():
            raise DataError(f"{source}: source of document {entry['doc_id']!r} is missing")
        text = source.read_text(encoding="utf-8")
        targets: list[str] = []
        for fmt in wanted:
            fmt = entry.get("render", "pdf") if fmt == "own" else fmt
            if fmt not in FORMATS:
                raise DataError(
                    f"document {entry['doc_id']!r}: unknown render format {fmt!r}; "
                    f"use one of {', '.join(FORMATS)}"
                )
            if fmt not in targets:
                targets.append(fmt)
        for fmt in targets:
            target = out / f"{entry['doc_id']}.{fmt}"
            if fmt == "pdf":
                render_pdf(text, target, header=_running_header(entry), hyphenate=hyphenate)
            elif fmt == "docx":
                render_docx(text, target, header=_running_header(entry))
            else:
                render_txt(text, target)
            logger.debug("rendered %s", target)
            written.append(target)
    return written
