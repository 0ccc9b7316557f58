"""Metadata the file states (HTML ``<meta>``, RDFa) wins over the text; courts get
``authority = court`` and their name as ``body``. Small fixtures written here, plus the JO
XHTML decisions and the court files of ``shared/realdata``."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REALDATA, realdata_file
from protoscan.ingest import StatedMetadata, extract_text
from protoscan.ingest.convert import find_converter
from protoscan.pipeline import read_document
from protoscan.structure.metadata import (
    extract_metadata,
    find_court,
    find_dnr,
    stated_authority,
)

MUNICIPAL_BODY = """
<p>Socialnämnden i Gnesta kommun</p>
<p>Datum 2020-01-02</p>
<p>Dnr SN 2020/1</p>
<h2>Beslut</h2>
<p>Socialnämnden beslutar att inleda utredning om barnets behov enligt socialtjänstlagen.</p>
<p>Handläggaren har talat med socialsekreteraren om förhandsbedömningen.</p>
"""


def _html(tmp_path: Path, head: str, body: str = MUNICIPAL_BODY, name: str = "a.html") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def test_meta_names_win_over_the_text(tmp_path: Path) -> None:
    path = _html(
        tmp_path,
        '<meta name="dnr" content="IVO 8.5-1234/2023">'
        '<meta name="DC.date.issued" content="2023-05-04">'
        '<meta name="DC.publisher" content="Inspektionen för vård och omsorg">'
        '<meta name="dcterms.title" content="Tillsyn av socialnämnden i Gnesta kommun">'
        "<title>Startsida – Webbplats</title>",
    )
    extracted = extract_text(path)
    assert extracted.stated == StatedMetadata(
        dnr="IVO 8.5-1234/2023",
        decision_date="2023-05-04",
        publishers=("Inspektionen för vård och omsorg",),
        title="Tillsyn av socialnämnden i Gnesta kommun",
    )
    meta = read_document(path).metadata
    assert (meta.authority, meta.doc_type) == ("IVO", "ivo_beslut")
    assert (meta.dnr, meta.decision_date) == ("IVO 8.5-1234/2023", "2023-05-04")
    assert meta.title == "Tillsyn av socialnämnden i Gnesta kommun"
    assert "Webbplats" not in extracted.text and "2023-05-04" not in extracted.text


def test_text_heuristics_remain_when_nothing_is_stated(tmp_path: Path) -> None:
    meta = read_document(_html(tmp_path, "")).metadata
    assert (meta.authority, meta.dnr, meta.decision_date) == (
        "municipality",
        "SN 2020/1",
        "2020-01-02",
    )
    assert extract_text(_html(tmp_path, "", name="b.html")).stated == StatedMetadata()


def test_rdfa_publisher_resource_names_a_court(tmp_path: Path) -> None:
    head = (
        '<link rel="dcterms:publisher" href="https://example.org/org/kr-gbg"/>'
        '<meta property="foaf:name" about="https://example.org/org/kr-gbg" '
        'content="Kammarrätten i Göteborg"/>'
        '<meta property="rpubl:avgorandedatum" content="2021-06-30" datatype="xsd:date"/>'
    )
    body = '<p property="rpubl:malnummer">1234-21</p>' + MUNICIPAL_BODY
    meta = read_document(_html(tmp_path, head, body)).metadata
    assert (meta.authority, meta.doc_type) == ("court", "court_ruling")
    assert (meta.body, meta.dnr, meta.decision_date) == (
        "Kammarrätten i Göteborg",
        "1234-21",
        "2021-06-30",
    )


def test_unknown_publisher_and_bad_date_leave_the_text_to_decide(tmp_path: Path) -> None:
    head = (
        '<meta name="publisher" content="Exempelförlaget AB">'
        '<meta property="dcterms:issued" content="okänt datum">'
    )
    meta = read_document(_html(tmp_path, head)).metadata
    assert (meta.authority, meta.decision_date) == ("municipality", "2020-01-02")


def test_stated_values_are_bounded(tmp_path: Path) -> None:
    head = f'<meta name="diarienummer" content="{"1" * 500}">'
    meta = read_document(_html(tmp_path, head)).metadata
    assert meta.dnr == "SN 2020/1"  # an implausible stated number is ignored


@pytest.mark.parametrize(
    ("text", "court"),
    [
        ("HÖGSTA DOMSTOLENS\n\nDOM\n\nMål nr T 170-08", "Högsta domstolen"),
        ("Högsta domstolen NJA 2007 s. 227 (NJA 2007:32)\n\nMålnummer: B86-05", "Högsta domstolen"),
        ("FÖRVALTNINGSRÄTTEN I STOCKHOLM\nDOM\nMål nr 1234-19", "Förvaltningsrätten i Stockholm"),
        ("KAMMARRÄTTEN I SUNDSVALL\nAvdelning 2", "Kammarrätten i Sundsvall"),
        ("KAMMARRÄTTEN I SUNDSVALL Avdelning 2 DOM", "Kammarrätten i Sundsvall"),
        ("Högsta Domstolens dom\n\nMeddelad i Stockholm", "Högsta domstolen"),
        ("Högsta domstolen har i ett beslut", None),
        ("Göteborgs tingsrätt\nAvdelning 4\nDOM", "Göteborgs tingsrätt"),
        ("MALMÖ TINGSRÄTT\nDOM", "Malmö tingsrätt"),
        ("Svea hovrätt\nDOM", "Svea hovrätt"),
        ("HOVRÄTTEN FÖR VÄSTRA SVERIGE\nDOM", "Hovrätten för Västra Sverige"),
        ("Hovrätten över Skåne och Blekinge\nDOM", "Hovrätten över Skåne och Blekinge"),
        ("Arbetsdomstolen AD 2013 nr 63\n\nDomsnummer: 2013-63", "Arbetsdomstolen"),
        ("Migrationsöverdomstolen\nMIG 2013:4", "Migrationsöverdomstolen"),
        ("HÖGSTA FÖRVALTNINGSDOMSTOLEN\nDOM", "Högsta förvaltningsdomstolen"),
        ("Beslut\n\nDatum 2024-01-02\n\nBeslutet kan överklagas till förvaltningsrätten i Malmö.",
         None),
        ("Socialnämnden i Gnesta kommun\n\nFörvaltningsrätten i Malmö har avslagit", None),
    ],
)  # fmt: skip
def test_court_letterheads(text: str, court: str | None) -> None:
    assert find_court(text) == court
    meta = extract_metadata(text)
    if court is not None:
        assert (meta.authority, meta.body, meta.doc_type) == ("court", court, "court_ruling")
    else:
        assert meta.authority != "court"


@pytest.mark.parametrize(
    ("text", "dnr"),
    [
        ("DOM\n\nMål nr T 170-08", "T 170-08"),
        ("DOM\n\nMålnummer: B-114-2012 Avdelning: 2", "B-114-2012"),
        ("DOM\n\nMål nr meddelad i Stockholm den 4 november 2009 T 170-08", "T 170-08"),
        ("DOM\n\nMål nr meddelad den 2009-11-04", None),
        ("DOM\n\nMål nr\n\nT 170-08", "T 170-08"),
    ],
)
def test_court_case_numbers(text: str, dnr: str | None) -> None:
    assert find_dnr(text, "court") == dnr


def test_stated_publishers() -> None:
    assert stated_authority(["Justitieombudsmannen"]) == ("JO", None)
    assert stated_authority(["Domstolsverket", "Regeringsrätten"]) == ("court", "Regeringsrätten")
    assert stated_authority(["Socialstyrelsen"]) is None


# --- real files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "dnr", "date", "title_start"),
    [
        ("2004/1000", "1000-2004", "2004-11-17", "Ett ärende om en socialförsäkringsnämnds"),
        ("2012/6356", "6356-2012", "2014-03-28", "Kritik mot ordföranden i Utbildningsstyrelsen"),
    ],
)  # fmt: skip
def test_real_jo_xhtml(relative: str, dnr: str, date: str, title_start: str) -> None:
    path = realdata_file(f"staffanm-ferenda/jo/parsed/{relative}.xhtml")
    meta = read_document(path).metadata
    assert (meta.authority, meta.doc_type, meta.dnr, meta.decision_date) == (
        "JO",
        "jo_beslut",
        dnr,
        date,
    )
    assert meta.title is not None and meta.title.startswith(title_start)


_COURTS = {
    "ADO": "Arbetsdomstolen",
    "HDO": "Högsta domstolen",
    "HFD": "Högsta förvaltningsdomstolen",
    "MIG": "Migrationsöverdomstolen",
    "REG": "Regeringsrätten",
}


def test_real_court_xhtml_referat() -> None:
    folder = REALDATA / "staffanm-ferenda/dv/parsed"
    if not folder.is_dir():
        pytest.skip("real data not available")
    paths = sorted(folder.glob("*/*.xhtml"))
    assert len(paths) >= 20
    for path in paths:
        meta = read_document(path).metadata
        assert (meta.authority, meta.body) == ("court", _COURTS[path.parent.name]), path
        assert meta.dnr and meta.decision_date, path
        stem = unicodedata.normalize("NFC", path.stem.split("_")[0])
        if path.parent.name in ("HDO", "MIG") and "not" not in path.stem:
            assert meta.dnr == stem, path  # the case number is the file's name


@pytest.mark.parametrize(
    ("relative", "body", "dnr", "date"),
    [
        ("staffanm-ferenda/dv/original/ADO/2013-63.docx", "Arbetsdomstolen", "B-114-2012",
         "2013-08-21"),
        ("staffanm-ferenda/dv/original/HDO/T3592-13.docx", "Högsta domstolen", "T3592-13",
         "2014-06-26"),
        ("staffanm-ferenda/dv/original/HDO/B86-05.doc", "Högsta domstolen", "B86-05",
         "2007-04-04"),
        ("rinfo-rdl/Domslut/HD/2009/T_170-08.xhtml", "Högsta domstolen", "T 170-08",
         "2009-11-04"),
        ("rinfo-rdl/Domslut/HD/2009/T_170-08.pdf", "Högsta domstolen", "T 170-08",
         "2009-11-04"),
    ],
)  # fmt: skip
def test_real_court_files(relative: str, body: str, dnr: str | None, date: str) -> None:
    path = realdata_file(relative)
    if path.suffix == ".doc" and not find_converter("doc"):
        pytest.skip("no .doc converter installed (apt-get install antiword)")
    meta = read_document(path).metadata
    assert (meta.authority, meta.doc_type, meta.body) == ("court", "court_ruling", body)
    assert (meta.dnr, meta.decision_date) == (dnr, date)


def test_extract_cli_shows_stated_metadata_and_body() -> None:
    from protoscan.cli import app

    path = realdata_file("staffanm-ferenda/jo/parsed/2004/1000.xhtml")
    result = CliRunner().invoke(app, ["extract", str(path), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "authority=JO" in result.output and "dnr=1000-2004" in result.output
    court = realdata_file("staffanm-ferenda/dv/parsed/MIG/UM7533-12.xhtml")
    result = CliRunner().invoke(app, ["extract", str(court), "--format", "text"])
    assert "authority=court" in result.output and "body=Migrationsöverdomstolen" in result.output
