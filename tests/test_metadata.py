"""Metadata from invented fixtures and from two real JO decisions (skipped without realdata)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from protoscan.document import Document, Page
from protoscan.ingest import ExtractedText, extract_text
from protoscan.structure import build_document
from protoscan.structure.metadata import (
    detect_authority,
    detect_doc_type,
    detect_outcome,
    extract_metadata,
    find_body,
    find_decision_date,
    find_dnr,
    find_municipality,
)
from protoscan.structure.municipalities import (
    MUNICIPALITIES,
    MUNICIPALITIES_BY_COUNTY,
    NAMES_ENDING_IN_S,
    normalise_municipality,
)
from structure_texts import FORHANDSBEDOMNING, IVO_DECISION, JO_DECISION, LEX_SARAH

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
JO_DIR = SHARED / "realdata" / "staffanm-ferenda" / "jo"


def _fields(text: str) -> dict:
    data = extract_metadata(text).to_dict()
    data.pop("legal_refs")
    return data


def test_jo_decision_metadata() -> None:
    assert _fields(JO_DECISION) == {
        "authority": "JO",
        "doc_type": "jo_beslut",
        "dnr": "1234-2018",
        "decision_date": "2019-05-03",
        "municipality": "Gnesta",
        "body": "Socialnämnden i Gnesta kommun",
        "outcome": "allvarlig_kritik",
        "law_version": "SoL2001",
        "title": "Allvarlig kritik mot Socialnämnden i Gnesta kommun för att en utredning om ett "
        "barn inleddes först efter fem månader",
    }
    refs = extract_metadata(JO_DECISION).legal_refs
    assert [(r.law, r.chapter, r.section, r.sfs) for r in refs] == [
        ("SoL", "11", "1", "2001:453"),
        ("SoL", "11", "1 a", None),
    ]


def test_ivo_decision_metadata() -> None:
    assert _fields(IVO_DECISION) == {
        "authority": "IVO",
        "doc_type": "ivo_beslut",
        "dnr": "8.5-29206/2014",
        "decision_date": "2015-02-10",
        "municipality": "Borås",
        "body": "Socialnämnden i Borås kommun",
        "outcome": "brister_konstaterade",
        "law_version": "SoL2001",
        "title": "Tillsyn av socialnämndens uppföljning av barn som är placerade i familjehem",
    }


def test_municipal_forhandsbedomning_metadata() -> None:
    assert _fields(FORHANDSBEDOMNING) == {
        "authority": "municipality",
        "doc_type": "forhandsbedomning",
        "dnr": "SN 2026/0132",
        "decision_date": "2026-01-14",
        "municipality": "Västerås",
        "body": "Socialnämnden i Västerås stad",
        "outcome": None,
        "law_version": "SoL2025",
        "title": "FÖRHANDSBEDÖMNING",
    }


def test_lex_sarah_metadata() -> None:
    assert _fields(LEX_SARAH) == {
        "authority": "municipality",
        "doc_type": "lex_sarah",
        "dnr": "VON 2023/45",
        "decision_date": "2023-09-28",
        "municipality": "Mönsterås",
        "body": None,
        "outcome": None,
        "law_version": "SoL2001",  # no SFS number cited; all handling dates before July 2025
        "title": "Utredning enligt lex Sarah",
    }


# --- municipalities -----------------------------------------------------------------------


def test_there_are_290_municipalities_in_21_counties() -> None:
    assert len(MUNICIPALITIES) == 290
    assert sum(len(v) for v in MUNICIPALITIES_BY_COUNTY.values()) == 290
    assert len(MUNICIPALITIES_BY_COUNTY) == 21
    assert {"Borås", "Vännäs", "Mönsterås", "Västerås", "Alingsås", "Bollnäs"} <= NAMES_ENDING_IN_S
    # No name is another name plus a genitive -s, so stripping -s is never ambiguous.
    assert not {n for n in MUNICIPALITIES if n + "s" in MUNICIPALITIES}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Gnesta", "Gnesta"),
        ("Gnestas", "Gnesta"),
        ("Borås", "Borås"),
        ("Vännäs", "Vännäs"),
        ("Mönsterås", "Mönsterås"),
        ("Västerås", "Västerås"),
        ("Stockholms", "Stockholm"),
        ("Upplands Väsby", "Upplands Väsby"),
        ("Upplands  Väsbys", "Upplands Väsby"),
        ("Dals-Eds", "Dals-Ed"),
        ("Kils", "Kil"),
        ("göteborg", "Göteborg"),
        ("Varje", None),
        ("Stockholms läns", None),
    ],
)
def test_normalise_municipality(raw: str, expected: str | None) -> None:
    assert normalise_municipality(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kritik mot Gnesta kommuns socialnämnd.", "Gnesta"),
        ("Yttrande från Borås stad om placeringen.", "Borås"),
        ("Socialtjänsten i Vännäs kommun fick en anmälan.", "Vännäs"),
        ("Mönsterås kommun har yttrat sig.", "Mönsterås"),
        ("Västerås stads socialförvaltning svarade.", "Västerås"),
        ("Barnet bodde i Upplands Väsby kommun.", "Upplands Väsby"),
        ("Vid Gnesta kommun fanns ingen rutin.", "Gnesta"),
        ("Varje kommun ska ha en rutin.", None),
        ("Ärendet gällde Stockholms läns landsting.", None),
    ],
)
def test_find_municipality(text: str, expected: str | None) -> None:
    assert find_municipality(text) == expected


def test_municipality_follows_the_nämnd_over_frequency() -> None:
    text = "AA flyttade från Borås kommun till Borås stad och sedan Gnesta. " * 2
    body = "Socialnämnden i Gnesta kommun"
    assert find_municipality(text) == "Borås"
    assert find_municipality(text, body=body) == "Gnesta"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kritik mot Socialnämnden i Gnesta kommun.", "Socialnämnden i Gnesta kommun"),
        ("Individ- och familjenämnden i Borås kommun svarade.",
         "Individ- och familjenämnden i Borås kommun"),
        ("social- och arbetsmarknadsnämnden i Vännäs kommun",
         "Social- och arbetsmarknadsnämnden i Vännäs kommun"),
        ("Kommunstyrelsen i Mönsterås kommun", "Kommunstyrelsen i Mönsterås kommun"),
        ("Gnesta kommun, Socialnämnden\nBox 1", "Socialnämnden i Gnesta kommun"),
        ("Kritik mot Rinkeby-Kista stadsdelsnämnd i Stockholms stad",
         "Rinkeby-Kista stadsdelsnämnd"),
        ("Socialnämnden i Göteborgs stad", "Socialnämnden i Göteborgs stad"),
        ("Socialnämnden i Varje kommun", None),
        ("Nämnden svarade.", None),
    ],
)  # fmt: skip
def test_find_body(text: str, expected: str | None) -> None:
    assert find_body(text) == expected


# --- dnr, date, authority, type, outcome -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "authority", "expected"),
    [
        ("Dnr 1234-2019", "JO", "1234-2019"),
        ("Dnr\n6356-2012\n6488-2012", "JO", "6356-2012"),
        ("Anmälan från AA (JO:s ärende dnr 512-2020)", "JO", "512-2020"),
        ("verksamheten 2014-2015 granskades", "JO", None),  # a year range is no dnr
        ("Dnr 8.5-29206/2014", "IVO", "8.5-29206/2014"),
        ("Diarienummer 3.5.1-12345/2023", "IVO", "3.5.1-12345/2023"),
        ("Diarienummer: SCN-2015-0180\nHandläggare", "municipality", "SCN-2015-0180"),
        ("Dnr: SN 2015/0132", "municipality", "SN 2015/0132"),
        ("Tjänsteskrivelse\nIFN 2021/77", "municipality", "IFN 2021/77"),
        ("Mål nr 1234-19", "court", "1234-19"),
    ],
)
def test_find_dnr(text: str, authority: str, expected: str | None) -> None:
    assert find_dnr(text, authority) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BESLUT\nDatum 2019-05-03\n\nDen 1 april 2018 kom en anmälan.", "2019-05-03"),
        ("Beslutsdatum: 3 maj 2019", "2019-05-03"),
        ("Datum\n2014-03-28\nDnr 6356-2012", "2014-03-28"),
        ("Anmälan kom den 2 mars 2004.\n\nI sitt beslut den 17 november 2004 anförde JO AA.",
         "2004-11-17"),
        ("BESLUT\n2015-02-10\nDnr 8.5-29206/2014", "2015-02-10"),
        ("Nämnden fattade beslut.\n\nGnesta den 4 juni 2021\n\nAA\nOrdförande", "2021-06-04"),
        ("Rubrik " + "utan datum " * 80 + "men den 18 oktober 2012 hände något. " + "text " * 300,
         None),
    ],
)  # fmt: skip
def test_find_decision_date(text: str, expected: str | None) -> None:
    assert find_decision_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BESLUT\n\nJustitieombudsmannen AA\n\nKritik mot nämnden", "JO"),
        ("Riksdagens ombudsmän\nBox 16327", "JO"),
        ("Ett ärende.\n\nI sitt beslut den 17 november 2004 anförde JO AA följande.", "JO"),
        ("BESLUT\nDnr 8.5-29206/2014\n\nTillsyn av socialnämnden", "IVO"),
        ("Inspektionen för vård och omsorg\n\nBeslut", "IVO"),
        ("FÖRVALTNINGSRÄTTEN I STOCKHOLM\nDOM\nMål nr 1234-19", "court"),
        ("Svensk författningssamling\nSocialtjänstlag (2025:400)", "other"),
        ("Tjänsteskrivelse\nSocialnämnden i Gnesta kommun\nHandläggare: AA", "municipality"),
        ("Anmälan till IVO enligt lex Sarah\nSocialnämnden i Gnesta kommun", "municipality"),
        ("Ett brev om väder och vind.", "other"),
    ],
)
def test_detect_authority(text: str, expected: str) -> None:
    assert detect_authority(text) == expected


def test_a_municipal_text_mentioning_ivo_stays_municipal() -> None:
    assert detect_authority(LEX_SARAH, header=LEX_SARAH[:110]) == "municipality"


@pytest.mark.parametrize(
    ("authority", "header", "headings", "expected"),
    [
        ("JO", "BESLUT\nKritik mot nämnden", (), "jo_beslut"),
        ("JO", "PROTOKOLL\nInspektion av Socialnämnden i X kommun", (), "jo_protokoll"),
        ("IVO", "BESLUT\nTillsyn", (), "ivo_beslut"),
        ("IVO", "Återföringsrapport från nationell tillsyn", (), "ivo_rapport"),
        ("court", "DOM", (), "court_ruling"),
        ("other", "Svensk författningssamling", (), "statute"),
        ("municipality", "Tjänsteskrivelse\nSocialnämnden", (), "tjansteskrivelse"),
        ("municipality", "Utredning enligt lex Sarah", (), "lex_sarah"),
        ("municipality", "Socialtjänsten", ("Aktualisering", "Förhandsbedömning", "Beslut"),
         "forhandsbedomning"),
        ("municipality", "Socialtjänsten", ("Barnets behov", "Föräldrarnas förmåga", "Bedömning"),
         "utredning"),
        ("municipality", "Delegationsbeslut\nBeslut om placering", (), "beslut"),
        ("other", "Ett brev", (), "other"),
    ],
)  # fmt: skip
def test_detect_doc_type(authority: str, header: str, headings: tuple, expected: str) -> None:
    assert detect_doc_type(authority, header, headings) == expected


@pytest.mark.parametrize(
    ("authority", "regions", "expected"),
    [
        ("JO", ["Allvarlig kritik mot Socialnämnden i X kommun"], "allvarlig_kritik"),
        ("JO", ["JO riktar allvarlig kritik mot nämnden."], "allvarlig_kritik"),
        ("JO", ["Kritik mot Socialnämnden i X kommun för en sen utredning"], "kritik"),
        ("JO", ["Nämnden kan inte undgå kritik för detta."], "kritik"),
        ("JO", ["Med den kritik som ligger i det anförda avslutas ärendet."], "kritik"),
        ("JO", ["Nämnden förtjänar kritik.", "Jag finner inte skäl att kritisera AA."], "kritik"),
        ("JO", ["Jag vill dock framhålla vikten av att barnet hörs. Ärendet avslutas."],
         "uttalande_utan_kritik"),
        ("JO", ["Det finns inte anledning för JO att kritisera nämnden. Ärendet avslutas."],
         "ingen_kritik"),
        ("JO", ["JO finner inte skäl att rikta kritik mot nämnden."], "ingen_kritik"),
        ("JO", ["Anmälan föranleder ingen åtgärd från min sida."], "ej_utrett"),
        ("JO", ["Ärendet avslutas."], None),
        ("IVO", ["IVO har i tillsynen funnit brister i nämndens handläggning."],
         "brister_konstaterade"),
        ("IVO", ["Nämnden ska säkerställa att barnet får samtal. IVO avslutar ärendet."],
         "brister_konstaterade"),
        ("IVO", ["IVO har inte funnit några brister. Ärendet avslutas."], "inga_brister"),
        ("IVO", ["Nämnden har följt gällande bestämmelser."], "inga_brister"),
        ("IVO", ["IVO avslutar ärendet."], "avslutat"),
        ("municipality", ["Nämnden får kritik."], None),
    ],
)  # fmt: skip
def test_detect_outcome(authority: str, regions: list[str], expected: str | None) -> None:
    assert detect_outcome(authority, regions) == expected


def test_body_sentences_are_not_titles() -> None:
    text = "AA klagade på nämnden i en anmälan.\n\nBakgrund\n\nText."
    assert extract_metadata(text).title is None
    text = "Fråga om socialnämndens utredning av ett barns behov\n\nBakgrund\n\nText."
    assert extract_metadata(text).title == "Fråga om socialnämndens utredning av ett barns behov"


def test_outcome_ignores_criticism_quoted_outside_title_summary_and_closing() -> None:
    quoted = "Anmälan\n\nAA skrev att nämnden förtjänar allvarlig kritik. " + "Text. " * 300
    text = "BESLUT\n\nJustitieombudsmannen BB\n\nFråga om en utredning\n\n" + quoted
    text += "\n\nBedömning\n\nJag finner inte skäl att kritisera nämnden.\n\nÄrendet avslutas.\n"
    assert extract_metadata(text).outcome == "ingen_kritik"


# --- real JO decisions ----------------------------------------------------------------------


def _layout_text(path: Path) -> tuple[str, tuple[Page, ...]]:
    """Text of the pdftohtml XML of the original PDF, one line per text box, pages kept."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "lxml-xml")
    text, pages = "", []
    for number, page in enumerate(soup.find_all("page"), start=1):
        start = len(text)
        lines = (" ".join(box.get_text(" ").split()) for box in page.find_all("text"))
        text += "\n".join(line for line in lines if line) + "\n\n"
        pages.append(Page(number, start, len(text)))
    return text, tuple(pages)


def _real_document(rel: str) -> Document:
    return build_document(extract_text(JO_DIR / "parsed" / f"{rel}.xhtml"))


needs_realdata = pytest.mark.skipif(not JO_DIR.exists(), reason="shared realdata not available")


@needs_realdata
def test_real_jo_1000_2004() -> None:
    # The lagen.nu XHTML holds the decision body only: no letterhead, so the dnr is not in
    # the text but in the head's RDFa (rpubl:diarienummer), and so are the date
    # (rpubl:avgorandedatum) and the title; the outcome is in "U.O. kan inte undgå allvarlig
    # kritik".
    doc = _real_document("2004/1000")
    meta = doc.metadata
    assert meta.authority == "JO"
    assert meta.doc_type == "jo_beslut"
    assert meta.decision_date == "2004-11-17"
    assert meta.outcome == "allvarlig_kritik"
    assert meta.municipality is None  # Försäkringskassan, not a kommun
    assert meta.body is None
    assert meta.dnr == "1000-2004"  # stated, not in the text
    assert meta.title == (
        "Ett ärende om en socialförsäkringsnämndsledamots agerande efter ett sammanträde"
    )
    assert meta.law_version == "unknown"
    for passage in doc.passages:
        assert passage.text == doc.text[passage.start_char : passage.end_char]


@needs_realdata
def test_real_jo_6356_2012() -> None:
    doc = _real_document("2012/6356")
    meta = doc.metadata
    assert meta.authority == "JO"
    assert meta.doc_type == "jo_beslut"
    assert meta.dnr == "6356-2012"  # "JO:s ärende dnr 6356-2012"
    assert meta.outcome == "kritik"  # "får därför kritik"; closing "med den kritik som uttalats"
    assert meta.municipality == "Värmdö"
    assert meta.body == "Utbildningsstyrelsen i Värmdö kommun"
    assert meta.decision_date == "2014-03-28"  # stated in the head; the body names none
    assert meta.law_version == "unknown"
    assert {("KL", "6", "19 a"), ("RF", "1", "9")} <= {
        (r.law, r.chapter, r.section) for r in meta.legal_refs
    }
    kinds = [s.kind for s in doc.sections]
    assert "summary" in kinds and "assessment" in kinds
    for passage in doc.passages:
        assert passage.text == doc.text[passage.start_char : passage.end_char]


@needs_realdata
@pytest.mark.parametrize(
    ("rel", "dnr", "date", "outcome", "municipality", "title_start"),
    [
        ("2004/1000", "1000-2004", "2004-11-17", "allvarlig_kritik", None,
         "Ett ärende om en socialförsäkringsnämndsledamots agerande"),
        ("2012/6356", "6356-2012", "2014-03-28", "kritik", "Värmdö",
         "Kritik mot ordföranden i Utbildningsstyrelsen i Värmdö kommun"),
    ],
)  # fmt: skip
def test_real_jo_layout_text_with_letterhead(
    rel: str, dnr: str, date: str, outcome: str, municipality: str | None, title_start: str
) -> None:
    text, pages = _layout_text(JO_DIR / "intermediate" / rel / "index.xml")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    doc = build_document(ExtractedText(text, pages, "pdf", "pdftohtml", sha, rel))
    meta = doc.metadata
    assert (meta.authority, meta.dnr, meta.decision_date) == ("JO", dnr, date)
    assert (meta.outcome, meta.municipality) == (outcome, municipality)
    assert meta.title is not None and meta.title.startswith(title_start)
    assert "BESLUT" not in [s.title for s in doc.sections]
    assert doc.passages[-1].page_numbers == (len(pages),)
