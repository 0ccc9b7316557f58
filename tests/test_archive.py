"""Zip archives: members read as documents (``archive.zip!/member``), the zip-bomb, size and
count limits, nested archives refused, and scans that resume per member."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

import fixtures_docs as docs
from conftest import REALDATA
from protoscan.batch import ScanOptions, run_scan
from protoscan.batch.worklist import collect_work
from protoscan.errors import (
    EncryptedDocumentError,
    FileTooLargeError,
    IngestError,
    InputNotFoundError,
    NestedArchiveError,
    UnsupportedFormatError,
)
from protoscan.ingest import extract_text
from protoscan.ingest import office as office_module
from protoscan.ingest.archive import member_sha256, read_member, split_member_path

TEXT = "Socialnämnden beslutade den 3 mars 2024 att inleda utredning om barnets behov.\n"
TEXT_2 = "Nämnden har inte talat med barnet. Beslutet saknar motivering.\n"


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "arkiv"
    root.mkdir()
    docx = docs.build_docx(tmp_path / "beslut.docx").read_bytes()
    inner = _archive(tmp_path / "inre.zip", {"a.txt": TEXT.encode()}).read_bytes()
    _archive(
        root / "beslut.zip",
        {
            "beslut.docx": docx,
            "2024/notering.txt": TEXT.encode(),
            "2024/sida.html": docs.HTML_DOCUMENT.encode(),
            "inre.zip": inner,
            ".dold.txt": b"hidden",
            "__MACOSX/._beslut.docx": b"resource fork",
            "bild.png": b"\x89PNG",
        },
    )
    (root / "lös.txt").write_text(TEXT_2, encoding="utf-8")
    return root


def test_members_are_listed_in_archive_order_and_nested_archives_refused(folder: Path) -> None:
    work = collect_work([folder])
    archive = folder / "beslut.zip"
    assert work.files == [
        Path(f"{archive}!/beslut.docx"),
        Path(f"{archive}!/2024/notering.txt"),
        Path(f"{archive}!/2024/sida.html"),
        folder / "lös.txt",
    ]
    assert [(s.path, s.code) for s in work.skipped] == [
        (Path(f"{archive}!/inre.zip"), "nested_archive")
    ]
    assert isinstance(work.skipped[0].error, NestedArchiveError)
    assert "nested archives are not opened" in str(work.skipped[0].error)


def test_glob_selects_members(folder: Path) -> None:
    archive = folder / "beslut.zip"
    assert collect_work([folder], glob="*.txt").files == [
        Path(f"{archive}!/2024/notering.txt"),
        folder / "lös.txt",
    ]
    assert len(collect_work([folder], glob="beslut.zip").files) == 3  # the whole archive


def test_member_reads_like_the_file(folder: Path, tmp_path: Path) -> None:
    member = f"{folder / 'beslut.zip'}!/beslut.docx"
    result = extract_text(member)
    alone = extract_text(tmp_path / "beslut.docx")
    assert (result.text, result.pages, result.format) == (alone.text, alone.pages, "docx")
    assert result.source == member
    assert result.sha256 == alone.sha256 == member_sha256(member)
    assert split_member_path(member) == (folder / "beslut.zip", "beslut.docx")


def test_member_errors_are_typed(folder: Path, tmp_path: Path) -> None:
    archive = folder / "beslut.zip"
    with pytest.raises(NestedArchiveError):
        extract_text(f"{archive}!/inre.zip")
    with pytest.raises(InputNotFoundError):
        extract_text(f"{archive}!/saknas.txt")
    with pytest.raises(InputNotFoundError):
        extract_text(f"{folder / 'saknas.zip'}!/a.txt")
    with pytest.raises(FileTooLargeError) as error:
        extract_text(f"{archive}!/2024/notering.txt", max_bytes=10)
    assert "unpacked, more than the limit of 10" in str(error.value)
    with pytest.raises(UnsupportedFormatError) as error:
        extract_text(archive)
    assert "`protoscan scan` reads the documents in it" in str(error.value)


def test_zip_bomb_and_member_count_limits(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = docs.build_zip_bomb_docx(tmp_path / "bomb.zip", uncompressed_bytes=3_000_000)
    monkeypatch.setattr(office_module, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    work = collect_work([bomb])
    assert work.files == [] and [s.code for s in work.skipped] == ["too_large"]
    assert "zip bomb" in str(work.skipped[0].error)
    with pytest.raises(FileTooLargeError):
        read_member(f"{bomb}!/word/document.xml")
    monkeypatch.setattr(office_module, "MAX_UNCOMPRESSED_BYTES", 10**9)
    monkeypatch.setattr(office_module, "MAX_ZIP_MEMBERS", 3)
    work = collect_work([folder])
    assert [(s.path.name, s.code) for s in work.skipped] == [("beslut.zip", "too_large")]


def test_corrupt_and_unsafe_archives(tmp_path: Path) -> None:
    (tmp_path / "trasig.zip").write_bytes(b"PK\x03\x04 not really a zip")
    _archive(tmp_path / "farlig.zip", {"../utanför.txt": TEXT.encode(), "ok.txt": TEXT.encode()})
    work = collect_work([tmp_path])
    assert work.files == [Path(f"{tmp_path / 'farlig.zip'}!/ok.txt")]
    codes = {(s.path.name, s.code) for s in work.skipped}
    assert codes == {("trasig.zip", "ingest_error"), ("utanför.txt", "ingest_error")}
    with pytest.raises(IngestError):
        extract_text(f"{tmp_path / 'trasig.zip'}!/a.txt")


def test_encrypted_member_is_a_typed_error(tmp_path: Path) -> None:
    path = _archive(tmp_path / "låst.zip", {"beslut.txt": TEXT.encode()})
    data = bytearray(path.read_bytes())
    for header, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(header) + flag_offset
        data[at] |= 0x1  # the "encrypted" flag, in the local and the central header
    path.write_bytes(bytes(data))
    member = f"{path}!/beslut.txt"
    assert collect_work([path]).files == [Path(member)]
    with pytest.raises(EncryptedDocumentError) as error:
        extract_text(member)
    assert error.value.code == "encrypted" and "password-protected" in str(error.value)


def _manifest(out: Path) -> dict:
    return json.loads(out.with_name(out.name + ".manifest.json").read_text(encoding="utf-8"))


def test_scan_reads_members_resumes_per_member_and_is_byte_identical(
    folder: Path, tmp_path: Path, model_dir: Path
) -> None:
    options = ScanOptions(model=model_dir, workers=1)
    out = tmp_path / "a" / "r.jsonl"
    summary = run_scan([folder], out, options)
    archive = folder / "beslut.zip"
    assert (summary.inputs, summary.documents, summary.processed) == (5, 4, 4)
    assert [(f["path"], f["code"]) for f in summary.failures] == [
        (f"{archive}!/inre.zip", "nested_archive")
    ]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    sources = {r["source"] for r in records if r["record"] == "document"}
    assert f"{archive}!/beslut.docx" in sources and f"{archive}!/2024/sida.html" in sources
    member = read_member(f"{archive}!/2024/notering.txt")
    assert hashlib.sha256(member).hexdigest() in {r["sha256"] for r in records}

    again = run_scan([folder], out, options)
    assert (again.processed, again.skipped) == (0, 4)
    first = out.read_bytes()

    fresh = tmp_path / "b" / "r.jsonl"
    run_scan([folder], fresh, options)
    assert fresh.read_bytes() == first

    # One new member: only it is read; the others come from the journal.
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("2025/ny.txt", TEXT_2.replace("barnet", "barnen").encode())
    grown = run_scan([folder], out, options)
    assert (grown.processed, grown.skipped, grown.documents) == (1, 4, 5)
    assert _manifest(out)["done"] == 5


def test_real_zip_of_court_decisions() -> None:
    archive = REALDATA / "staffanm-ferenda/dv/original/source/referat-notis.zip"
    if not archive.is_file():
        pytest.skip("real data not available")
    work = collect_work([archive])
    assert [p.name for p in work.files] == [
        "HDO_2007_notis_001--083.doc",
        "HFD_2012_notis_017-044.docx",
    ]
    result = extract_text(work.files[1])
    assert result.format == "docx" and "HFD 2012 not 17" in result.text
    assert result.source == f"{archive}!/HFD_2012_notis_017-044.docx"
