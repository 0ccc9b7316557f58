"""Headings, sections that tile the text, and ``build_document`` passages with exact offsets."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from protoscan.document import Document, Page
from protoscan.ingest import ExtractedText
from protoscan.structure import build_document
from protoscan.structure.sections import (
    HEADING_KINDS,
    SECTION_KINDS,
    classify_heading,
    detect_sections,
    find_headings,
)
from structure_texts import ALL_TEXTS, FORHANDSBEDOMNING, IVO_DECISION, JO_DECISION, LEX_SARAH


def _extracted(text: str, n_pages: int = 2) -> ExtractedText:
    step = len(text) // n_pages
    pages = tuple(
        Page(i + 1, i * step, len(text) if i == n_pages - 1 else (i + 1) * step)
        for i in range(n_pages)
    )
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ExtractedText(text, pages, "txt", "text", sha, "fixture.txt")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Beslutet i korthet", ("Beslutet i korthet", "summary")),
        ("Beslutet i korthet:", ("Beslutet i korthet", "summary")),
        ("ANMÄLAN", ("ANMÄLAN", "complaint")),
        ("3. JO:s bedömning", ("JO:s bedömning", "assessment")),
        ("2.1 Rättslig reglering", ("Rättslig reglering", "law")),
        ("IVO:s beslut", ("IVO:s beslut", "decision")),
        ("Krav på åtgärder", ("Krav på åtgärder", "demands")),
        ("Skäl för beslutet", ("Skäl för beslutet", "assessment")),
        ("Ställningstagande", ("Ställningstagande", "position")),
        ("Orsaker", ("Orsaker", "causes")),
        ("Barnets inställning", ("Barnets inställning", "child_views")),
        ("Överklagandehänvisning", ("Överklagandehänvisning", "appeal")),
        ("Hur man överklagar", ("Hur man överklagar", "appeal")),
        ("Förslag till beslut", ("Förslag till beslut", "decision")),
        ("Utredning enligt 11 kap. 1 § SoL", ("Utredning enligt 11 kap. 1 § SoL", "investigation")),
        ("Kommunicering", ("Kommunicering", "investigation")),
        ("Riskbedömning", ("Riskbedömning", "assessment")),
        ("Riskbedömning enligt FREDA", ("Riskbedömning enligt FREDA", "assessment")),
        ("Kommunicering har inte kunnat ske före beslutet.", None),
        ("bedömning", None),  # headings are capitalised
        ("Bedömning av barnets behov gjordes i maj.", None),
        ("Nämnden gjorde en bedömning", None),
        ("", None),
    ],
)
def test_classify_heading(line: str, expected: tuple[str, str] | None) -> None:
    assert classify_heading(line) == expected


def test_qualified_heading_only_as_its_own_paragraph() -> None:
    assert classify_heading("Beslut om att inleda utredning", standalone=False) is None
    assert classify_heading("Beslut om att inleda utredning") == (
        "Beslut om att inleda utredning",
        "decision",
    )


def test_every_heading_maps_to_a_known_kind() -> None:
    assert set(HEADING_KINDS.values()) <= set(SECTION_KINDS)


def _layout(text: str) -> list[tuple[str, str]]:
    return [(s.title, s.kind) for s in detect_sections(text)]


def test_jo_sections() -> None:
    assert _layout(JO_DECISION) == [
        ("", "preamble"),
        ("Beslutet i korthet", "summary"),
        ("Anmälan", "complaint"),
        ("Utredning", "investigation"),
        ("Rättslig reglering", "law"),
        ("JO:s bedömning", "assessment"),
    ]
    sections = detect_sections(JO_DECISION)
    summary = sections[1]
    assert JO_DECISION[summary.start_char :].startswith("Beslutet i korthet: Socialnämnden fick")
    assert JO_DECISION[sections[5].start_char :].startswith("JO:s bedömning\n\nNämnden fattade")


def test_letterhead_label_is_not_a_heading() -> None:
    headings = find_headings(JO_DECISION)
    assert "BESLUT" not in [h.title for h in headings]
    assert headings[0].run_in
    assert JO_DECISION[headings[0].start_char : headings[0].end_char] == "Beslutet i korthet: "


def test_ivo_sections() -> None:
    assert _layout(IVO_DECISION) == [
        ("", "preamble"),
        ("Ärendet", "background"),
        ("IVO:s beslut", "decision"),
        ("IVO:s utredning", "investigation"),
        ("IVO:s bedömning", "assessment"),
        ("Krav på åtgärder", "demands"),
    ]


def test_municipal_sections() -> None:
    assert _layout(FORHANDSBEDOMNING) == [
        ("", "preamble"),
        ("Aktualisering", "background"),
        ("Skyddsbedömning", "assessment"),
        ("Förhandsbedömning", "assessment"),
        ("Bedömning", "assessment"),
        ("Beslut", "decision"),
    ]


def test_lex_sarah_sections_and_title_line_is_not_a_heading() -> None:
    assert _layout(LEX_SARAH) == [
        ("", "preamble"),
        ("Rapport", "incident"),
        ("Händelsen", "incident"),
        ("Orsaker", "causes"),
        ("Konsekvenser", "incident"),
        ("Åtgärder", "measures"),
        ("Ställningstagande", "position"),
    ]


@pytest.mark.parametrize("name", sorted(ALL_TEXTS))
def test_sections_tile_the_text(name: str) -> None:
    text = ALL_TEXTS[name]
    sections = detect_sections(text)
    assert sections[0].start_char == 0
    assert sections[-1].end_char == len(text)
    for before, after in itertools.pairwise(sections):
        assert before.end_char == after.start_char
        assert before.start_char < before.end_char


def test_text_without_headings_is_one_preamble() -> None:
    text = "Nämnden har inte utrett saken.\n\nÄrendet avslutas."
    assert detect_sections(text) == detect_sections(text, ())
    assert [(s.kind, s.start_char, s.end_char) for s in detect_sections(text)] == [
        ("preamble", 0, len(text))
    ]
    assert detect_sections("") == ()


def test_heading_at_offset_zero_has_no_preamble() -> None:
    text = "Anmälan\n\nAA klagade.\n\nBedömning\n\nNämnden får kritik."
    assert [(s.kind, s.start_char, s.end_char) for s in detect_sections(text)] == [
        ("complaint", 0, 22),
        ("assessment", 22, len(text)),
    ]


def test_heading_lines_inside_a_block_split_it() -> None:
    text = "Anmälan\nAA klagade på nämnden.\nBedömning\nNämnden får kritik."
    assert _layout(text) == [("Anmälan", "complaint"), ("Bedömning", "assessment")]


# --- build_document -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_TEXTS))
def test_passage_offsets_are_exact(name: str) -> None:
    text = ALL_TEXTS[name]
    doc = build_document(_extracted(text))
    assert doc.passages
    previous_end = 0
    for n, passage in enumerate(doc.passages):
        assert passage.id == f"{doc.doc_id}:{n:04d}"
        assert passage.text == doc.text[passage.start_char : passage.end_char]
        assert passage.text == passage.text.strip()
        assert passage.start_char >= previous_end
        previous_end = passage.end_char
        section = doc.section_at(passage.start_char)
        assert section is not None and section.kind == passage.section_kind
        assert passage.page_numbers == doc.pages_for_span(passage.start_char, passage.end_char)
    # Heading text never lands in a passage.
    for heading in find_headings(text):
        for passage in doc.passages:
            assert not passage.start_char <= heading.start_char < passage.end_char


def test_build_document_jo() -> None:
    extracted = _extracted(JO_DECISION)
    doc = build_document(extracted)
    assert doc.doc_id == extracted.sha256[:16]
    assert doc.sha256 == extracted.sha256
    assert doc.doc_type == "jo_beslut" == doc.metadata.doc_type
    assert doc.source == "fixture.txt" and doc.engine == "text"
    assert doc.pages == extracted.pages
    assert [(p.section_kind, p.text[:30]) for p in doc.passages] == [
        ("preamble", "BESLUT"),
        ("preamble", "Justitieombudsmannen Erik Nyma"),
        ("preamble", "Datum 2019-05-03\nDnr 1234-2018"),
        ("preamble", "Sid 1 (3)"),
        ("preamble", "Allvarlig kritik mot Socialnäm"),
        ("summary", "Socialnämnden fick i mars 2018"),
        ("complaint", "I en anmälan till JO klagade A"),
        ("investigation", "JO lånade in och granskade akt"),
        ("investigation", "Anmälan från skolan kom in den"),
        ("law", "Enligt 11 kap. 1 § socialtjäns"),
        ("assessment", "Nämnden fattade beslut om att "),
        ("assessment", "Vad AA i övrigt har anfört ger"),
        ("assessment", "Ärendet avslutas."),
    ]
    summary = doc.passages[5]
    assert summary.section == "Beslutet i korthet"
    assert summary.start_char == JO_DECISION.index("Socialnämnden fick i mars")
    assert summary.text.endswith("utan dröjsmål.")
    assert doc.passages[0].section is None
    last = doc.passages[-1]
    assert (last.start_char, last.end_char) == (len(JO_DECISION) - 18, len(JO_DECISION) - 1)
    assert last.page_numbers == (2,)
    assert doc.passages[8].page_numbers == (1, 2)


def test_build_document_splits_long_paragraphs_into_windows() -> None:
    sentence = "Nämnden har inte dokumenterat samtalet med barnet enligt 11 kap. 5 § SoL. "
    text = "Bedömning\n\n" + sentence * 20
    doc = build_document(_extracted(text.rstrip(), n_pages=1))
    assert len(doc.passages) == 5
    assert all(p.text.count("SoL.") == 4 for p in doc.passages)
    assert all(len(p.text) <= 600 for p in doc.passages)
    assert {p.section_kind for p in doc.passages} == {"assessment"}


def test_document_round_trips_through_json() -> None:
    doc = build_document(_extracted(IVO_DECISION))
    again = Document.from_json(doc.to_json())
    assert again.passages == doc.passages
    assert again.sections == doc.sections
    assert again.metadata == doc.metadata


def test_empty_text_builds_an_empty_document() -> None:
    doc = build_document(ExtractedText("", (), "txt", "text", "0" * 64, None))
    assert doc.passages == () and doc.sections == ()
    assert doc.metadata.authority == "other"
