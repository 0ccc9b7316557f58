"""Tests for the corpus renderer and the synthetic document corpus it renders."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pdfplumber
import pytest

from protoscan.corpus.render import (
    render_corpus,
    render_docx,
    render_pdf,
    render_txt,
    split_blocks,
)
from protoscan.corpus.schema import GENRES
from protoscan.errors import DataError

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = REPO / "corpora" / "documents"
MANIFEST = DOCUMENTS / "manifest.jsonl"

MANIFEST_KEYS = {
    "genre",
    "doc_id",
    "file",
    "authority",
    "doc_type",
    "decision_date",
    "dnr",
    "municipality",
    "outcome",
    "law_version",
    "expected_labels",
    "expected_absence",
    "clean",
    "render",
}
LABEL_IDS = {
    "child_perspective",
    "reasoning",
    "documentation",
    "violence_investigation",
    "delay",
    "placement_follow_up",
    "party_information",
}
ABSENCE_IDS = {
    "child_views_missing",
    "best_interests_missing",
    "reasons_missing",
    "legal_basis_missing",
    "violence_unassessed",
    "preliminary_assessment_overdue",
    "investigation_overdue",
    "appeal_notice_missing",
}
OUTCOMES = {
    "JO": {"allvarlig_kritik", "kritik", "uttalande_utan_kritik", "ingen_kritik", "ej_utrett"},
    "IVO": {"brister_konstaterade", "inga_brister", "avslutat"},
    "municipality": {None},
}

PUBLIC_GENRES = {"press_release", "news"}
REPORTED_OUTCOMES = {None} | OUTCOMES["JO"] | OUTCOMES["IVO"]

_DRAFT_TYPES = {
    "forhandsbedomning",
    "utredning",
    "umgangesbegransning",
    "placeringsbeslut",
    "bistandsbeslut",
}

KNOWN_SENTENCE = "Nämnden kan inte undgå kritik för sin hantering av uppgifterna om våld."

SAMPLE = """SOCIALNÄMNDEN I TRANÅS KOMMUN
BESLUT
Datum 2019-05-03
Dnr 1234-2019

Kritik mot Socialnämnden i Tranås kommun för en förhandsbedömning

Anmälan

AA anmälde nämnden och anförde bl.a. att förhandsbedömningen tog för lång tid.

JO:s bedömning

{body}

Lagrum

11 kap. 1 a § socialtjänstlagen (2001:453)

Ärendet avslutas.

Maria Lindqvist
Justitieombudsman
"""

_FILLER = (
    "Förhandsbedömningen pågick i nästan fem veckor, och någon dokumenterad bedömning av "
    "synnerliga skäl för att förlänga tiden finns inte i akten. Socialförvaltningens "
    "handläggningsrutiner har därefter reviderats. "
)


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sample_text() -> str:
    body = "\n\n".join(_FILLER * 3 for _ in range(14)) + "\n\n" + KNOWN_SENTENCE
    return SAMPLE.format(body=body)


def _extract(path: Path) -> str:
    """Text of a rendered file: ``protoscan.ingest.extract_text`` when it exists."""
    try:
        from protoscan.ingest import extract_text
    except ImportError:
        extract_text = None
    if extract_text is not None:
        return extract_text(path).text
    if path.suffix == ".pdf":
        with pdfplumber.open(path) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    if path.suffix == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return path.read_text(encoding="utf-8")


def _raw_pdf_pages(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


@pytest.fixture(scope="module")
def manifest() -> list[dict]:
    with MANIFEST.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("render") / "sample.pdf"
    return render_pdf(_sample_text(), path, header="Riksdagens ombudsmän · Dnr 1234-2019")


# --------------------------------------------------------------------------- blocks


def test_split_blocks_classifies_header_headings_paragraphs_and_lagrum() -> None:
    blocks = split_blocks(_sample_text())

    def kind(prefix: str) -> str:
        return next(b.kind for b in blocks if b.text.startswith(prefix))

    assert blocks[0].kind == "lines"
    assert blocks[0].lines[0] == "SOCIALNÄMNDEN I TRANÅS KOMMUN"
    assert kind("Kritik mot Socialnämnden") == "heading"
    assert kind("Anmälan") == "heading"
    assert kind("JO:s bedömning") == "heading"
    assert kind("AA anmälde nämnden") == "paragraph"
    # A lagrum line starts with a digit and ends with ")": never a heading.
    assert kind("11 kap. 1 a §") == "paragraph"
    assert kind("Ärendet avslutas.") == "paragraph"
    assert kind("Maria Lindqvist") == "lines"


def test_split_blocks_handles_crlf_and_extra_blank_lines() -> None:
    blocks = split_blocks("Beslut\r\n\r\n\r\nUtredning inleds inte.\r\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Beslut"),
        ("paragraph", "Utredning inleds inte."),
    ]


# --------------------------------------------------------------------------- PDF


def test_render_pdf_has_several_pages_with_header_and_footer(sample_pdf: Path) -> None:
    pages = _raw_pdf_pages(sample_pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Sid {number} ({len(pages)})" in text
        assert "Riksdagens ombudsmän · Dnr 1234-2019" in text
    with pdfplumber.open(sample_pdf) as pdf:
        assert pdf.pages[0].width == pytest.approx(595.3, abs=1)  # A4 in points
        bold = {c["text"] for c in pdf.pages[0].chars if "Bold" in c["fontname"]}
        plain = {c["fontname"] for c in pdf.pages[0].chars if "Bold" not in c["fontname"]}
    assert set("Anmälan") <= bold
    assert plain


def test_render_pdf_text_contains_headings_and_known_sentence(sample_pdf: Path) -> None:
    text = _normalise(_extract(sample_pdf))
    for heading in ("Anmälan", "JO:s bedömning", "Lagrum", "Kritik mot Socialnämnden i Tranås"):
        assert heading in text
    assert KNOWN_SENTENCE in text
    assert "11 kap. 1 a § socialtjänstlagen (2001:453)" in text


def test_render_pdf_without_header_or_footer(tmp_path: Path) -> None:
    path = render_pdf("Beslut\n\nUtredning inleds inte.", tmp_path / "a.pdf", footer_pages=False)
    (page,) = _raw_pdf_pages(path)
    assert "Sid" not in page
    assert _normalise(page) == "Beslut Utredning inleds inte."


def test_renders_are_byte_identical(tmp_path: Path) -> None:
    """Document ids are content hashes: rendering the same source twice must not change them."""
    text = "Beslut\n\nUtredning inleds inte."
    for render in (render_pdf, render_docx):
        suffix = ".pdf" if render is render_pdf else ".docx"
        first = render(text, tmp_path / f"a{suffix}").read_bytes()
        time.sleep(1.1)  # the PDF creation date has a resolution of one second
        assert render(text, tmp_path / f"b{suffix}").read_bytes() == first


def test_hyphenate_breaks_long_words_at_line_ends(tmp_path: Path) -> None:
    text = _sample_text()
    plain = "\n".join(_raw_pdf_pages(render_pdf(text, tmp_path / "plain.pdf")))
    hyphenated = "\n".join(_raw_pdf_pages(render_pdf(text, tmp_path / "hyph.pdf", hyphenate=True)))
    assert not re.search(r"[a-zåäö]-\n", plain)
    breaks = re.findall(r"([A-Za-zÅÄÖåäö]+)-\n([a-zåäö]+)", hyphenated)
    assert breaks, "expected at least one hyphenated line end"
    source_words = set(re.findall(r"[A-Za-zÅÄÖåäö]+", text))
    for head, tail in breaks:
        assert head + tail in source_words


# --------------------------------------------------------------------------- DOCX / TXT


def test_render_docx_uses_heading_2_and_keeps_text(tmp_path: Path) -> None:
    import docx

    path = render_docx(_sample_text(), tmp_path / "sample.docx", header="Dnr 1234-2019")
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert "Anmälan" in headings
    assert "JO:s bedömning" in headings
    assert document.sections[0].header.paragraphs[0].text == "Dnr 1234-2019"
    assert KNOWN_SENTENCE in _normalise(_extract(path))


def test_render_txt_writes_source_unchanged(tmp_path: Path) -> None:
    text = _sample_text()
    assert render_txt(text, tmp_path / "s.txt").read_text(encoding="utf-8") == text


# --------------------------------------------------------------------------- corpus


def test_render_corpus_writes_each_documents_own_format(tmp_path: Path, manifest: list) -> None:
    picked = [next(e for e in manifest if e["render"] == fmt) for fmt in ("pdf", "docx", "txt")]
    written = render_corpus(picked, tmp_path, source_dir=DOCUMENTS)
    assert [p.name for p in written] == [f"{e['doc_id']}.{e['render']}" for e in picked]
    assert all(p.stat().st_size > 0 for p in written)


def test_render_corpus_can_add_a_pdf_of_every_document(tmp_path: Path, manifest: list) -> None:
    picked = [e for e in manifest if e["render"] != "pdf"][:2]
    written = render_corpus(picked, tmp_path, formats=("own", "pdf"), source_dir=DOCUMENTS)
    assert sorted(p.suffix for p in written) == sorted(
        [".pdf", ".pdf"] + [f".{e['render']}" for e in picked]
    )


def test_render_corpus_reads_a_manifest_path(tmp_path: Path, manifest: list) -> None:
    entry = manifest[0]
    path = tmp_path / "manifest.jsonl"
    path.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / entry["file"]).write_text(
        (DOCUMENTS / entry["file"]).read_text(encoding="utf-8"), encoding="utf-8"
    )
    (written,) = render_corpus(path, tmp_path / "out", formats=("txt",))
    assert written.read_text(encoding="utf-8").startswith("JUSTITIEOMBUDSMANNEN")


def test_render_corpus_rejects_unknown_format_and_missing_source(tmp_path: Path) -> None:
    entry = {"doc_id": "x", "file": "x.txt", "render": "pdf"}
    with pytest.raises(DataError, match="missing"):
        render_corpus([entry], tmp_path, source_dir=tmp_path)
    (tmp_path / "x.txt").write_text("Beslut\n\nText.", encoding="utf-8")
    with pytest.raises(DataError, match="unknown render format 'odt'"):
        render_corpus([entry], tmp_path, formats=("odt",), source_dir=tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:2"):
        render_corpus(bad, tmp_path)


# --------------------------------------------------------------------------- the corpus itself


def test_manifest_entries_are_valid_and_match_their_sources(manifest: list) -> None:
    assert len(manifest) >= 44
    assert len({e["doc_id"] for e in manifest}) == len(manifest)
    for entry in manifest:
        where = entry["doc_id"]
        assert set(entry) == MANIFEST_KEYS, where
        text = (DOCUMENTS / entry["file"]).read_text(encoding="utf-8")
        assert entry["genre"] in GENRES, where
        if entry["genre"] in PUBLIC_GENRES:
            # Press releases and news articles are shorter, carry no "Datum"/"Dnr" head of
            # their own, and report the outcome of the decision they are about.
            assert 300 <= len(text.split()) <= 2000, where
            assert entry["outcome"] in REPORTED_OUTCOMES, where
        else:
            assert 500 <= len(text.split()) <= 2000, where
            assert f"Datum {entry['decision_date']}" in text, where
            assert f"Dnr {entry['dnr']}" in text, where
            assert entry["outcome"] in OUTCOMES[entry["authority"]], where
        assert set(entry["expected_labels"]) <= LABEL_IDS, where
        assert set(entry["expected_absence"]) <= ABSENCE_IDS, where
        is_draft = entry["doc_type"] in _DRAFT_TYPES
        assert is_draft == (entry["genre"] == "municipal_decision"), where
        assert is_draft or not entry["expected_absence"], where
        assert entry["clean"] == (not entry["expected_labels"] and not entry["expected_absence"])
        assert entry["law_version"] in {"SoL2001", "SoL2025"}, where
        if entry["law_version"] == "SoL2025":
            assert "(2025:400)" in text, where
        assert entry["render"] in {"pdf", "docx", "txt"}, where


def test_corpus_mix_covers_authorities_outcomes_and_checks(manifest: list) -> None:
    by_authority = {a: [e for e in manifest if e["authority"] == a] for a in OUTCOMES}
    assert len(by_authority["JO"]) >= 12
    assert len(by_authority["IVO"]) >= 10
    drafts = [e for e in manifest if e["doc_type"] in _DRAFT_TYPES]
    assert len(drafts) >= 16
    assert {e["outcome"] for e in by_authority["JO"]} == OUTCOMES["JO"]
    assert {a for e in drafts for a in e["expected_absence"]} == ABSENCE_IDS
    assert {lab for e in manifest for lab in e["expected_labels"]} == LABEL_IDS
    assert any(e["clean"] for e in drafts) and any(not e["clean"] for e in drafts)
    years = {int(e["decision_date"][:4]) for e in manifest}
    assert min(years) <= 2013 and max(years) >= 2026


def test_absence_drafts_really_lack_what_they_are_said_to_lack(manifest: list) -> None:
    cues = {
        "child_views_missing": r"barnets inställning",
        "appeal_notice_missing": r"överklag",
        "legal_basis_missing": r"^Lagrum$",
        "best_interests_missing": r"barnets bästa|bäst för",
    }
    for entry in manifest:
        text = (DOCUMENTS / entry["file"]).read_text(encoding="utf-8")
        for check, pattern in cues.items():
            if check in entry["expected_absence"]:
                assert not re.search(pattern, text, re.I | re.M), (entry["doc_id"], check)
            elif (
                entry["clean"]
                and entry["doc_type"] in _DRAFT_TYPES
                and check != ("appeal_notice_missing")
            ):
                assert re.search(pattern, text, re.I | re.M), (entry["doc_id"], check)


@pytest.mark.parametrize("doc_id", ["doc-jo-01", "doc-ivo-05", "doc-mun-12"])
def test_corpus_documents_round_trip_through_pdf(tmp_path: Path, doc_id: str) -> None:
    source = (DOCUMENTS / f"{doc_id}.txt").read_text(encoding="utf-8")
    path = render_pdf(source, tmp_path / f"{doc_id}.pdf", header="Dnr test", hyphenate=True)
    text = _normalise(_extract(path))
    for block in split_blocks(source):
        if block.kind == "heading":
            assert _normalise(block.text) in text, block.text
