"""Tests for protoscan.ingest.extract_text: formats, engines, page map and bad inputs."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

import fixtures_docs as docs
from conftest import REALDATA, realdata_file
from protoscan.document import Document, Page
from protoscan.errors import (
    ConfigError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    IngestError,
    InputNotFoundError,
    NotAFileError,
    NoTextLayerError,
    ProcessingLimitError,
    UnsupportedFormatError,
)
from protoscan.ingest import ExtractedText, detect_format, extract_text, join_pages
from protoscan.ingest import office as office_module

ENGINES = ("pdfplumber", "pdfium")

#: The cleaned text of each page of ``docs.build_swedish_pdf``; page 2 is an image.
EXPECTED_PAGES = (
    "Beslut\n\n"
    "Socialnämnden har den 3 mars 2024 beslutat att inleda en utredning enligt 11 kap. 1 § "
    "socialtjänstlagen om barnets behov av skydd och stöd. Under utredningen har nämnden haft "
    "kontakt med skolan, barnets vårdnadshavare och andra myndigheter, bl.a. polisen och "
    "vården.\n\n"
    "Bakgrund\n\n"
    "Den 12 januari 2024 kom en orosanmälan från skolan och förvaltningen gjorde därefter en "
    "anmälan till Inspektionen för vård och omsorg som inledde en IVO-tillsyn. Resultatet av "
    "den interna utredningen enligt lex Sarah ska gå till barn- och ungdomsnämnden. "
    "Förvaltningen har också påbörjat en Lex Sarah-utredning som ska vara klar i juni.",
    "",
    "Bedömning\n\n"
    "Nämnden bedömer att barnet är i behov av insatser från socialtjänsten. Det finns dock "
    "inga uppgifter om att barnet eller vårdnadshavarna har fått yttra sig innan beslutet "
    "fattades.",
    "Hur man överklagar\n\n"
    "Beslutet kan överklagas hos förvaltningsrätten inom tre veckor från den dag då ni fick "
    "del av beslutet. Skriv till nämnden och ange vilket beslut det är.\n\n"
    "Nämnden skickar överklagandet till domstolen om beslutet inte ändras.",
)
EXPECTED_SPANS = (Page(1, 0, 622), Page(2, 624, 624), Page(3, 624, 815), Page(4, 817, 1061))


def _one_line(error: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# --- PDF -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_text_and_page_spans_are_exact(swedish_pdf: Path, engine: str) -> None:
    result = extract_text(swedish_pdf, engine=engine)
    assert result.text == "\n\n".join(page for page in EXPECTED_PAGES if page)
    assert result.pages == EXPECTED_SPANS
    for page, expected in zip(result.pages, EXPECTED_PAGES, strict=True):
        assert result.text[page.start_char : page.end_char] == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_cleanup_details(swedish_pdf: Path, engine: str) -> None:
    text = extract_text(swedish_pdf, engine=engine).text
    assert docs.HEADER not in text  # running header on 3 of 4 pages
    assert "Sid " not in text  # footers "Sid N (4)"
    assert text.startswith("Beslut\n\n")  # fake bold "BBeesslluutt" repaired
    assert "Under utredningen har" in text  # utred-/ningen joined
    assert "IVO-tillsyn" in text and "Lex Sarah-utredning" in text  # real hyphens kept
    assert "barn- och ungdomsnämnden" in text
    assert "Det finns dock" in text  # ligature ﬁ
    assert "det är.\n\nNämnden skickar" in text  # paragraph gap found from line positions
    assert "\n\n\n" not in text


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_metadata_fields(swedish_pdf: Path, engine: str) -> None:
    result = extract_text(str(swedish_pdf), engine=engine)
    assert isinstance(result, ExtractedText)
    assert (result.format, result.engine, result.source) == ("pdf", engine, str(swedish_pdf))
    assert result.sha256 == hashlib.sha256(swedish_pdf.read_bytes()).hexdigest()


def test_pdf_page_map_works_with_document_lookup(swedish_pdf: Path) -> None:
    result = extract_text(swedish_pdf)
    document = Document("d", result.source, result.sha256, "beslut", result.text, result.pages)
    start = result.text.index("Bedömning")
    assert document.pages_for_span(start, start + 9) == (3,)
    assert document.pages_for_span(0, len(result.text)) == (1, 2, 3, 4)
    assert document.pages_for_span(result.text.index("Nämnden skickar"), len(result.text)) == (4,)


def test_pdf_header_may_follow_leading_junk(docs_dir: Path, swedish_pdf: Path) -> None:
    path = docs_dir / "skräp-först.pdf"
    path.write_bytes(b"\r\n\r\n" + swedish_pdf.read_bytes())
    assert extract_text(path).text.startswith("Beslut")


def test_pdf_with_only_page_numbers_is_empty(docs_dir: Path) -> None:
    path = docs.build_pdf(docs_dir / "bara-sidnummer.pdf", [["Sid 1 (2)"], ["Sid 2 (2)"]])
    with pytest.raises(EmptyDocumentError) as error:
        extract_text(path)
    assert "no text remains" in _one_line(error, path)


# --- DOCX, HTML, TXT -------------------------------------------------------------------


def test_docx_paragraphs_tables_and_headings_in_order(docx_file: Path) -> None:
    result = extract_text(docx_file)
    expected = (
        "Beslut om insats\n\n"
        "Socialnämnden beviljar barnet kontaktfamilj enligt 4 kap. 1 § SoL.\n\n"
        "Dnr: SN 2024/17\n\n"
        "Beslutsdatum: 2024-03-03\n\n"
        "Skäl för beslutet\n\n"
        "Barnets åsikt har inhämtats vid ett samtal den 1 mars."
    )
    assert result.text == expected
    assert result.pages == (Page(1, 0, len(expected)),)
    assert (result.format, result.engine) == ("docx", "python-docx")
    assert docs.HEADER not in result.text


def test_docx_zip_bomb_is_refused_before_unpacking(
    docs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(office_module, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    path = docs.build_zip_bomb_docx(docs_dir / "bomb.docx", uncompressed_bytes=3_000_000)
    assert path.stat().st_size < 100_000
    with pytest.raises(FileTooLargeError) as error:
        extract_text(path)
    assert "zip bomb" in _one_line(error, path)


def test_other_zip_packages_are_unsupported(docs_dir: Path) -> None:
    path = docs_dir / "tabell.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFormatError) as error:
        extract_text(path)
    assert "Excel workbook" in _one_line(error, path)


def test_html_drops_head_script_style_and_keeps_blocks(html_file: Path) -> None:
    result = extract_text(html_file)
    assert result.text == (
        "Beslut från IVO\n\n"
        "Vårdnadshavaren anmälde att barnet inte fick komma till tals.\n\n"
        "Nämnden har brustit i sin utredning.\n\n"
        "Första punkten\n\n"
        "Andra punkten\n\n"
        "Dnr: 8.5-1234/2024"
    )
    assert (result.format, result.engine, result.pages) == ("html", "html", (Page(1, 0, 167),))


def test_xhtml_with_xml_declaration_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "beslut.data"  # unknown extension: the content decides
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="sv"><head>'
        '<meta property="dcterms:title" content="dold"/><title>Dold titel</title></head>'
        "<body><h1>JO:s bedömning</h1><p>Nämnden borde ha <em>hört</em> barnet.</p></body>"
        "</html>",
        encoding="utf-8",
    )
    result = extract_text(path)
    assert result.format == "html"
    assert result.text == "JO:s bedömning\n\nNämnden borde ha hört barnet."


TXT_TEXT = "Beslut\r\n\r\nNämnden har utrett åtgärder för\r\nbarnet och vårdnadshavarna.\r\n"
TXT_CLEAN = "Beslut\n\nNämnden har utrett åtgärder för barnet och vårdnadshavarna."


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", False), ("utf-8", True), ("utf-16", False), ("utf-16-le", False), ("cp1252", False)],
)
def test_txt_encodings(tmp_path: Path, encoding: str, bom: bool) -> None:
    path = docs.write_text_file(tmp_path / "beslut.txt", TXT_TEXT, encoding, bom=bom)
    result = extract_text(path)
    assert (result.text, result.format, result.engine) == (TXT_CLEAN, "txt", "text")


def test_txt_form_feeds_are_pages(tmp_path: Path) -> None:
    path = tmp_path / "sidor.txt"
    path.write_text("Gnesta kommun\nFörsta sidan.\n\fGnesta kommun\nAndra sidan.\n\f", "utf-8")
    result = extract_text(path)
    assert result.text == "Första sidan.\n\nAndra sidan."
    assert result.pages == (Page(1, 0, 13), Page(2, 15, 27))


def test_join_pages_places_empty_pages_at_the_next_page_start() -> None:
    text, pages = join_pages(["", "Ett.", "", "", "Två.", ""])
    assert text == "Ett.\n\nTvå."
    assert pages == (
        Page(1, 0, 0),
        Page(2, 0, 4),
        Page(3, 6, 6),
        Page(4, 6, 6),
        Page(5, 6, 10),
        Page(6, 10, 10),
    )


# --- bad inputs ------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "finns-inte.pdf"
    with pytest.raises(InputNotFoundError) as error:
        extract_text(path)
    assert "no such file" in _one_line(error, path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(NotAFileError) as error:
        extract_text(tmp_path)
    _one_line(error, tmp_path)


@pytest.mark.parametrize("name", ["tom.pdf", "tom.docx", "tom.txt", "tom.xyz"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError) as error:
        extract_text(path)
    assert "empty" in _one_line(error, path)


def test_whitespace_only_text_and_script_only_html(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n", encoding="utf-8")
    scripts = tmp_path / "skript.html"
    scripts.write_text("<html><script>x()</script><body> </body></html>", encoding="utf-8")
    for path in (blank, scripts):
        with pytest.raises(EmptyDocumentError) as error:
            extract_text(path)
        assert "contains no text" in _one_line(error, path)


@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_pdf(truncated_pdf: Path, engine: str) -> None:
    with pytest.raises(IngestError) as error:
        extract_text(truncated_pdf, engine=engine)
    assert type(error.value) is IngestError
    assert "truncated or corrupt" in _one_line(error, truncated_pdf)


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    path = tmp_path / "slump.pdf"
    path.write_bytes(bytes((i * 7919) % 256 for i in range(4096)))
    with pytest.raises(IngestError) as error:
        extract_text(path)
    assert "no %PDF- header" in _one_line(error, path)


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_header_with_garbage_body(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "trasig.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes((i * 31) % 256 for i in range(2048)))
    with pytest.raises(IngestError) as error:
        extract_text(path, engine=engine)
    assert "could not read the PDF" in _one_line(error, path)


@pytest.mark.parametrize("engine", ENGINES)
def test_encrypted_pdf(encrypted_pdf: Path, engine: str) -> None:
    with pytest.raises(EncryptedDocumentError) as error:
        extract_text(encrypted_pdf, engine=engine)
    assert "encrypted" in _one_line(error, encrypted_pdf)


@pytest.mark.parametrize("engine", ENGINES)
def test_textless_pdf(textless_pdf: Path, engine: str) -> None:
    with pytest.raises(NoTextLayerError) as error:
        extract_text(textless_pdf, engine=engine)
    assert error.value.pages == 2
    assert "OCR" in _one_line(error, textless_pdf)


@pytest.mark.parametrize("engine", ENGINES)
def test_page_limit(swedish_pdf: Path, engine: str) -> None:
    assert len(extract_text(swedish_pdf, engine=engine, max_pages=4).pages) == 4
    with pytest.raises(ProcessingLimitError) as error:
        extract_text(swedish_pdf, engine=engine, max_pages=3)
    assert "has 4 pages, more than the limit of 3" in _one_line(error, swedish_pdf)


def test_size_limit(swedish_pdf: Path) -> None:
    size = swedish_pdf.stat().st_size
    assert extract_text(swedish_pdf, max_bytes=size).text
    with pytest.raises(FileTooLargeError) as error:
        extract_text(swedish_pdf, max_bytes=size - 1)
    assert f"is {size} bytes" in _one_line(error, swedish_pdf)


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("tabell.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "Excel"),
        ("bild.xyz", b"GIF89a....", "unsupported format '.xyz'"),
        ("utan-filändelse", b"just some bytes", "(no extension)"),
    ],
)
def test_unsupported_formats(tmp_path: Path, name: str, data: bytes, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnsupportedFormatError) as error:
        extract_text(path)
    assert needle in _one_line(error, path)


def test_corrupt_docx_and_binary_txt(tmp_path: Path) -> None:
    docx_path = tmp_path / "trasig.docx"
    docx_path.write_text("inte en zip", encoding="utf-8")
    txt_path = tmp_path / "binär.txt"
    txt_path.write_bytes(b"ab\x00\x01\x02" * 50 + b"\x00" * 100)
    utf16_like = tmp_path / "binär2.txt"  # zero bytes in every other position, yet not text
    utf16_like.write_bytes(b"ab\x00\x01" * 100)
    control = tmp_path / "styrtecken.txt"
    control.write_bytes(bytes(range(1, 32)) * 20)
    for path in (docx_path, txt_path, utf16_like, control):
        with pytest.raises(IngestError) as error:
            extract_text(path)
        _one_line(error, path)


def test_unknown_engine(swedish_pdf: Path) -> None:
    with pytest.raises(ConfigError, match="engine must be one of pdfplumber, pdfium; got 'ocr'"):
        extract_text(swedish_pdf, engine="ocr")


def test_detect_format_prefers_content_over_extension(tmp_path: Path, swedish_pdf: Path) -> None:
    data = swedish_pdf.read_bytes()
    assert detect_format(data, tmp_path / "fel-namn.txt") == "pdf"
    assert detect_format(b"<!DOCTYPE html><p>x</p>", tmp_path / "a.txt") == "html"
    assert detect_format(b"PK\x03\x04rest", tmp_path / "a.bin") == "docx"
    assert detect_format(b"Vanlig text", tmp_path / "a.TXT") == "txt"


# --- real documents (skipped when shared/realdata is absent) ---------------------------

HD_PDF = "rinfo-rdl/Domslut/HD/2009/T_170-08.pdf"


@pytest.fixture(scope="module")
def hd_results() -> dict[str, ExtractedText]:
    path = realdata_file(HD_PDF)
    return {engine: extract_text(path, engine=engine) for engine in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
def test_real_pdf_pages_and_cleanup(hd_results: dict[str, ExtractedText], engine: str) -> None:
    result = hd_results[engine]
    assert len(result.pages) == 18
    assert result.pages[0].start_char == 0 and result.pages[-1].end_char == len(result.text)
    for before, after in zip(result.pages, result.pages[1:], strict=False):
        assert after.start_char == before.end_char + 2
        assert result.text[before.end_char : after.start_char] == "\n\n"
    assert all(page.end_char > page.start_char for page in result.pages)
    assert "Sid 2" not in result.text and "Sida 1" not in result.text  # page headers gone
    assert "\n\n\n" not in result.text and "\ufffe" not in result.text
    page_two = result.text[result.pages[1].start_char : result.pages[1].end_char]
    assert page_two.startswith("DOMSLUT\n\n")
    assert "sexhundratjugofemtusentrehundranittiofem" in page_two  # joined across lines
    for page in result.pages:  # words split over a page break are completed on the first page
        assert not result.text[page.start_char : page.end_char].endswith("-")


def test_real_pdf_engines_agree(hd_results: dict[str, ExtractedText]) -> None:
    plumber, pdfium = hd_results["pdfplumber"], hd_results["pdfium"]
    first = [result.text[: result.pages[0].end_char] for result in (plumber, pdfium)]
    # Page 1's letterhead comes in a different reading order, but with the same words.
    assert sorted(first[0].split()) == sorted(first[1].split())
    for a, b in zip(plumber.pages[1:], pdfium.pages[1:], strict=True):
        assert plumber.text[a.start_char : a.end_char] == pdfium.text[b.start_char : b.end_char]


@pytest.mark.parametrize("relative", ["ADO/2013-63.docx", "HDO/T3592-13.docx"])
def test_real_docx(relative: str) -> None:
    result = extract_text(realdata_file(f"staffanm-ferenda/dv/original/{relative}"))
    assert result.format == "docx" and len(result.text) > 10_000
    assert "Målnummer:" in result.text


def test_real_xhtml_files() -> None:
    if not REALDATA.is_dir():
        pytest.skip("real data not available")
    paths = sorted(REALDATA.glob("**/*.xhtml"))
    assert len(paths) >= 20
    for path in paths:
        result = extract_text(path)
        assert result.format == "html" and result.text.strip()
        assert "dcterms" not in result.text and "<" not in result.text[:200]
