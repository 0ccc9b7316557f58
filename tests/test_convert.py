"""Legacy Word (.doc), RTF and ODT through antiword and LibreOffice: files the tests make
with LibreOffice, the real .doc files, and the limits and typed errors around converters."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import fixtures_docs as docs
from conftest import realdata_file
from protoscan.batch.records import _deadline, scan_entry
from protoscan.errors import (
    ConversionError,
    ConverterMissingError,
    FileTooLargeError,
    ProcessingLimitError,
    UnsupportedFormatError,
)
from protoscan.ingest import convert as convert_module
from protoscan.ingest import extract_text
from protoscan.pipeline import read_document

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)"
)
DOCX_TEXT = (
    "Beslut om insats",
    "Socialnämnden beviljar barnet kontaktfamilj enligt 4 kap. 1 § SoL.",
    "Dnr: SN 2024/17",
    "Beslutsdatum: 2024-03-03",
    "Barnets åsikt har inhämtats vid ett samtal den 1 mars.",
)


def _one_line(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture DOCX saved by LibreOffice as .doc, .rtf and .odt."""
    if SOFFICE is None:
        pytest.skip("LibreOffice not installed (apt-get install libreoffice-writer-nogui)")
    folder = tmp_path_factory.mktemp("converted")
    source = docs.build_docx(folder / "beslut.docx")
    profile = folder / "profile"
    filters = {"doc": "doc:MS Word 97", "rtf": "rtf", "odt": "odt"}
    for target in filters.values():
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", target, "--outdir", str(folder), str(source)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    paths = {kind: folder / f"beslut.{kind}" for kind in filters}
    assert all(path.is_file() for path in paths.values())
    return paths


@needs_libreoffice
@pytest.mark.parametrize("kind", ["doc", "rtf", "odt"])
def test_converted_formats_read_like_the_docx(converted: dict[str, Path], kind: str) -> None:
    result = extract_text(converted[kind])
    assert result.format == kind
    antiword = kind == "doc" and shutil.which("antiword")
    assert result.engine == ("antiword" if antiword else "libreoffice")
    paragraphs = result.text.split("\n\n")
    for expected in DOCX_TEXT:
        assert expected in paragraphs  # table rows stay one paragraph each
    assert result.pages[0].start_char == 0 and result.pages[-1].end_char == len(result.text)
    assert docs.HEADER not in result.text  # the running header is not body text


@needs_libreoffice
def test_doc_goes_to_libreoffice_when_antiword_is_missing(
    converted: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = convert_module._which
    monkeypatch.setattr(
        convert_module, "_which", lambda names: None if "antiword" in names else real_which(names)
    )
    result = extract_text(converted["doc"])
    assert (result.format, result.engine) == ("doc", "libreoffice")
    assert "Dnr: SN 2024/17" in result.text.split("\n\n")


@needs_libreoffice
def test_same_file_converts_to_the_same_text(converted: dict[str, Path]) -> None:
    first, second = extract_text(converted["rtf"]), extract_text(converted["rtf"])
    assert first == second


@pytest.mark.parametrize(
    ("name", "data", "package"),
    [
        ("gammal.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "antiword"),
        ("brev.rtf", b"{\\rtf1\\ansi Hej}", "libreoffice-writer-nogui"),
        ("utkast.odt", None, "libreoffice-writer-nogui"),
    ],
)
def test_missing_converter_is_a_typed_error_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes | None, package: str
) -> None:
    path = tmp_path / name
    if data is None:  # a minimal ODT package: the mimetype member says what it is
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
    else:
        path.write_bytes(data)
    monkeypatch.setattr(convert_module, "_which", lambda names: None)
    with pytest.raises(ConverterMissingError) as error:
        extract_text(path)
    assert isinstance(error.value, UnsupportedFormatError)
    assert error.value.code == "converter_missing"
    message = _one_line(error, path)
    assert package in message and "apt-get install" in message


def test_batch_goes_on_without_a_converter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    monkeypatch.setattr(convert_module, "_which", lambda names: None)
    rtf = tmp_path / "brev.rtf"
    rtf.write_bytes(b"{\\rtf1\\ansi Socialn\\'e4mnden beslutar.}")
    entry = scan_entry(rtf, "0" * 64, model=model_dir)
    assert entry["kind"] == "failure" and entry["code"] == "converter_missing"
    text = tmp_path / "beslut.txt"
    text.write_text("Socialnämnden beslutade att inleda utredning.\n", encoding="utf-8")
    assert scan_entry(text, "1" * 64, model=model_dir)["kind"] == "document"


def _fake_converter(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)


def test_converter_time_limit_kills_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    pid_file = tmp_path / "pid"
    sleep = shutil.which("sleep")
    _fake_converter(bin_dir, "antiword", f"echo $$ > {pid_file}\nexec {sleep} 60")
    monkeypatch.setenv("PATH", str(bin_dir))  # no LibreOffice, no coreutils timeout
    path = tmp_path / "seg.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(ProcessingLimitError) as error:
        extract_text(path, timeout=1)
    assert "did not finish within 1 s" in _one_line(error, path)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # the converter is gone


def test_converter_obeys_the_documents_alarm(tmp_path: Path) -> None:
    assert convert_module._time_limit(None) == convert_module.CONVERT_TIMEOUT
    with _deadline(3):
        assert convert_module._time_limit(None) <= 4
        assert convert_module._time_limit(100) <= 4
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_converter_output_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    _fake_converter(bin_dir, "antiword", "yes 'Socialnämnden beslutar.' | head -n 1000")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(convert_module, "MAX_CONVERTED_BYTES", 1000)
    path = tmp_path / "stor.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(FileTooLargeError) as error:
        extract_text(path)
    assert "larger than the limit" in _one_line(error, path)


def test_corrupt_doc_is_a_conversion_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    _fake_converter(bin_dir, "antiword", "echo 'not a Word document' >&2\nexit 1")
    monkeypatch.setenv("PATH", str(bin_dir))
    path = tmp_path / "trasig.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(ConversionError) as error:
        extract_text(path)
    assert error.value.code == "conversion_failed"
    assert "not a Word document" in _one_line(error, path)


def test_antiword_tables_and_wrapped_cells_become_paragraphs() -> None:
    def cell(text: str) -> str:  # a one-cell table row 40 characters wide
        return "|" + text.ljust(40) + "|"

    text = "\n".join(
        [
            "Högsta domstolen |NJA 2007 s. 1 | |",
            "|Målnummer:   |B1-07     |Avdelning: |2   |",
            "|Rubrik:      |Fråga om en lång       |   |    |",
            "|             |rubrik.                |   |    |",
            "",
            cell("Nämnden har i sitt beslut inte redovisat"),
            cell("skälen."),
            cell("Ny paragraf."),
            "",
            "Vanlig text.",
        ]
    )
    assert convert_module._antiword_paragraphs(text) == [
        "Högsta domstolen NJA 2007 s. 1",
        "Målnummer: B1-07 Avdelning: 2",
        "Rubrik: Fråga om en lång rubrik.",
        "Nämnden har i sitt beslut inte redovisat\nskälen.",
        "Ny paragraf.",
        "Vanlig text.",
    ]


# --- real .doc files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dnr", "date"),
    [
        ("B86-05.doc", "B86-05", "2007-04-04"),
        ("Ö2668-07.doc", "Ö2668-07", "2007-10-05"),
        ("Ö4503-04.doc", "Ö4503-04", "2007-05-16"),
    ],
)
def test_real_doc_files(name: str, dnr: str, date: str) -> None:
    import unicodedata

    folder = realdata_file("staffanm-ferenda/dv/original/HDO/B86-05.doc").parent
    path = next(p for p in folder.iterdir() if unicodedata.normalize("NFC", p.name) == name)
    if not convert_module.find_converter("doc"):
        pytest.skip("no .doc converter installed (apt-get install antiword)")
    doc = read_document(path)
    assert doc.engine in ("antiword", "libreoffice") and len(doc.text) > 4000
    assert "Målnummer:" in doc.text and "|" not in doc.text
    meta = doc.metadata
    assert (meta.authority, meta.body) == ("court", "Högsta domstolen")
    assert (meta.dnr, meta.decision_date) == (unicodedata.normalize("NFC", dnr), date)
    for passage in doc.passages:
        assert doc.text[passage.start_char : passage.end_char] == passage.text
