"""Builders for generated test documents (PDF, DOCX, HTML, TXT) with known Swedish text.

Every builder writes one file and returns its path, so tests in any module can make the
documents they need in a temporary folder. The PDF lines are placed one by one (no automatic
wrapping) so the raw line breaks, and therefore the cleaned text, are known exactly.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

__all__ = [
    "DOCX_PARAGRAPHS",
    "HEADER",
    "HTML_DOCUMENT",
    "SWEDISH_PAGES",
    "build_docx",
    "build_encrypted_pdf",
    "build_html",
    "build_pdf",
    "build_swedish_pdf",
    "build_textless_pdf",
    "build_truncated_pdf",
    "build_zip_bomb_docx",
    "find_unicode_font",
    "write_text_file",
]

#: Running header printed on every page that has text.
HEADER = "Socialnämnden i Gnesta kommun"

#: Raw lines per page of the Swedish fixture PDF; ``None`` is an image-only page and ``""``
#: a vertical gap between paragraphs. The footer ``Sid N (M)`` is added by the builder.
SWEDISH_PAGES: tuple[tuple[str, ...] | None, ...] = (
    (
        "BBeesslluutt",
        "",
        "Socialnämnden har den 3 mars 2024 beslutat att inleda en utredning enligt 11",
        "kap. 1 § socialtjänstlagen om barnets behov av skydd och stöd. Under utred-",
        "ningen har nämnden haft kontakt med skolan, barnets vårdnadshavare och",
        "andra myndigheter, bl.a. polisen och vården.",
        "",
        "Bakgrund",
        "",
        "Den 12 januari 2024 kom en orosanmälan från skolan och förvaltningen gjorde",
        "därefter en anmälan till Inspektionen för vård och omsorg som inledde en IVO-",
        "tillsyn. Resultatet av den interna utredningen enligt lex Sarah ska gå till barn-",
        "och ungdomsnämnden. Förvaltningen har också påbörjat en Lex Sarah-",
        "utredning som ska vara klar i juni.",
    ),
    None,
    (
        "Bedömning",
        "",
        "Nämnden bedömer att barnet är i behov av insatser från socialtjänsten. Det",
        "\ufb01nns dock inga uppgifter om att barnet eller vårdnadshavarna har fått yttra",
        "sig innan beslutet fattades.",
    ),
    (
        "Hur man överklagar",
        "",
        "Beslutet kan överklagas hos förvaltningsrätten inom tre veckor från den dag",
        "då ni fick del av beslutet. Skriv till nämnden och ange vilket beslut det är.",
        "",
        "Nämnden skickar överklagandet till domstolen om beslutet inte ändras.",
    ),
)

#: Paragraphs of the DOCX fixture, in document order, as (style, text); "table" rows are
#: lists of cell texts.
DOCX_PARAGRAPHS: tuple[tuple[str, object], ...] = (
    ("Heading 1", "Beslut om insats"),
    ("Normal", "Socialnämnden beviljar barnet kontaktfamilj enligt 4 kap. 1 § SoL."),
    ("table", [["Dnr:", "SN 2024/17"], ["Beslutsdatum:", "2024-03-03"]]),
    ("Heading 2", "Skäl för beslutet"),
    ("Normal", "Barnets åsikt har inhämtats vid ett samtal den 1 mars."),
)

_LINE_HEIGHT_MM = 6.0
_GAP_MM = 4.0


def find_unicode_font() -> Path:
    """Return a TTF font that covers å, ä, ö and the ﬁ ligature.

    matplotlib ships DejaVuSans, so this works without system fonts; ``fc-list`` is the
    fallback.
    """
    try:
        import matplotlib

        candidate = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if candidate.is_file():
            return candidate
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    if shutil.which("fc-list"):  # pragma: no cover - fallback only
        out = subprocess.run(
            ["fc-list", ":lang=sv", "file"], capture_output=True, text=True, check=False
        ).stdout
        for line in out.splitlines():
            path = Path(line.split(":")[0].strip())
            if path.suffix.lower() == ".ttf" and "Sans" in path.name:
                return path
    raise RuntimeError("no TTF font with Swedish letters found")  # pragma: no cover


def _new_pdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_compression(True)
    pdf.add_font("DejaVu", "", str(find_unicode_font()))
    pdf.set_font("DejaVu", size=11)
    return pdf


def _noise_png(seed: int = 7) -> bytes:
    from PIL import Image

    pixels = bytes((seed * i * i) % 251 for i in range(120 * 160))
    image = Image.frombytes("L", (120, 160), pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image_page(pdf) -> None:
    pdf.add_page()
    pdf.image(io.BytesIO(_noise_png()), x=20, y=20, w=120)


def build_swedish_pdf(path: Path) -> Path:
    """Write the four-page fixture PDF of ``SWEDISH_PAGES``.

    Pages with text get the running header ``HEADER`` at the top and ``Sid N (M)`` at the
    bottom; page 2 holds only an image (a scanned attachment).
    """
    pdf = _new_pdf()
    total = len(SWEDISH_PAGES)
    for number, lines in enumerate(SWEDISH_PAGES, start=1):
        if lines is None:
            _image_page(pdf)
            continue
        pdf.add_page()
        pdf.set_xy(20, 12)
        pdf.cell(0, _LINE_HEIGHT_MM, HEADER)
        y = 30.0
        for line in lines:
            if not line:
                y += _GAP_MM
                continue
            pdf.set_xy(20, y)
            pdf.cell(0, _LINE_HEIGHT_MM, line)
            y += _LINE_HEIGHT_MM
        pdf.set_xy(20, 280)
        pdf.cell(170, _LINE_HEIGHT_MM, f"Sid {number} ({total})", align="C")
    pdf.output(str(path))
    return path


def build_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Write a simple PDF with the given lines per page (no header or footer)."""
    pdf = _new_pdf()
    for lines in pages:
        pdf.add_page()
        for row, line in enumerate(lines):
            pdf.set_xy(20, 30 + row * _LINE_HEIGHT_MM)
            pdf.cell(0, _LINE_HEIGHT_MM, line)
    pdf.output(str(path))
    return path


def build_textless_pdf(path: Path, pages: int = 2) -> Path:
    """Write a PDF whose pages hold only images, as a scan without OCR does."""
    pdf = _new_pdf()
    for _ in range(pages):
        _image_page(pdf)
    pdf.output(str(path))
    return path


def build_encrypted_pdf(path: Path, user_password: str = "hemligt") -> Path:
    """Write a one-page PDF that needs ``user_password`` to open."""
    pdf = _new_pdf()
    pdf.set_encryption(owner_password="ägare-123", user_password=user_password)
    pdf.add_page()
    pdf.set_xy(20, 30)
    pdf.cell(0, _LINE_HEIGHT_MM, "Sekretessbelagd utredning om barnet.")
    pdf.output(str(path))
    return path


def build_truncated_pdf(path: Path, source: Path) -> Path:
    """Write the first half of ``source``: a PDF cut off mid-file."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def build_docx(path: Path) -> Path:
    """Write the DOCX of ``DOCX_PARAGRAPHS``, with a running header that must be ignored."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    for style, content in DOCX_PARAGRAPHS:
        if style == "table":
            rows = content
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        elif style.startswith("Heading"):
            document.add_heading(str(content), level=int(style.split()[-1]))
        else:
            document.add_paragraph(str(content))
    document.save(str(path))
    return path


def build_zip_bomb_docx(path: Path, uncompressed_bytes: int) -> Path:
    """Write a DOCX-looking zip whose ``word/document.xml`` inflates to ``uncompressed_bytes``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            remaining = uncompressed_bytes
            while remaining > 0:
                member.write(chunk[: min(remaining, len(chunk))])
                remaining -= len(chunk)
    return path


HTML_DOCUMENT = """<!DOCTYPE html>
<html lang="sv">
<head>
  <meta charset="utf-8">
  <title>Ska inte synas</title>
  <style>p { color: red; }</style>
</head>
<body>
  <script>var hidden = "skript";</script>
  <h1>Beslut från IVO</h1>
  <p>Vårdnadshavaren anmälde att <b>barnet</b> inte fick
     komma till&nbsp;tals.</p>
  <div>Nämnden har brustit<br>i sin utredning.</div>
  <ul><li>Första punkten</li><li>Andra punkten</li></ul>
  <table><tr><td>Dnr:</td><td>8.5-1234/2024</td></tr></table>
  <noscript>Aktivera skript</noscript>
</body>
</html>
"""


def build_html(path: Path) -> Path:
    """Write a small HTML decision with head, script and style content that must be dropped."""
    path.write_text(HTML_DOCUMENT, encoding="utf-8")
    return path


def write_text_file(path: Path, text: str, encoding: str, *, bom: bool = False) -> Path:
    """Write ``text`` in ``encoding`` (``utf-16`` adds its own BOM; ``bom`` adds UTF-8's)."""
    data = text.encode(encoding)
    if bom and encoding.replace("-", "").lower() == "utf8":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path
