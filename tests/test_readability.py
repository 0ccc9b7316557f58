"""Readability advice: LIX and its bands, long sentences, unexplained abbreviations."""

from __future__ import annotations

import pytest

from protoscan.screen import document_from_text
from protoscan.screen.readability import (
    LONG_SENTENCE_WORDS,
    assess_readability,
    find_unexplained_abbreviations,
    lix,
    lix_band,
)


def test_lix_formula() -> None:
    # 8 words, 2 sentences, 2 long words (> 6 letters): 8/2 + 100*2/8 = 29.0
    words = ["Barnet", "bor", "hos", "mamma", "Socialtjänsten", "har", "utrett", "familjen"]
    assert lix(words, 2) == 29.0
    assert lix([], 0) is None


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (12.0, "mycket lättläst"),
        (25.0, "lättläst"),
        (33.0, "medelsvår"),
        (40.0, "svår"),
        (49.9, "svår"),
        (50.0, "mycket svår"),
        (75.0, "mycket svår"),
    ],
)
def test_lix_bands(value: float, band: str) -> None:
    assert lix_band(value)[0] == band


def test_abbreviations_explained_or_not() -> None:
    text = (
        "Emma placeras på ett hem för vård eller boende (HVB) enligt LVU. Beslutet fattas "
        "med stöd av socialtjänstlagen och 6 § LVU. Kontakt finns med BUP. Enligt 4 kap. 1 § "
        "SoL beviljas stöd. Utredningen följer BBIC (Barns behov i centrum)."
    )
    found = {a.abbreviation: a for a in find_unexplained_abbreviations(text)}
    assert set(found) == {"LVU", "BUP"}
    assert found["LVU"].count == 2
    assert found["LVU"].first_char == text.index("LVU")
    assert found["BUP"].expansion.startswith("barn- och ungdomspsykiatri")


def test_sfs_number_in_parentheses_is_no_explanation() -> None:
    assert [a.abbreviation for a in find_unexplained_abbreviations("Enligt SoL (2001:453).")] == [
        "SoL"
    ]


def test_assess_readability_skips_statute_and_letterhead() -> None:
    long_sentence = " ".join(["ord"] * (LONG_SENTENCE_WORDS + 5)) + "."
    text = (
        "Socialnämnden i Gnesta kommun\nDatum 2024-03-14\n\n"
        "Bedömning\n\n"
        f"Barnet bor hos sin mamma. {long_sentence}\n\n"
        "Lagrum\n\n"
        "Enligt 11 kap. 1 § SoL ska nämnden utan dröjsmål inleda utredning av vad som "
        "genom ansökan eller på annat sätt har kommit till nämndens kännedom."
    )
    doc = document_from_text(text)
    report = assess_readability(doc)
    assert report.sentences == 2
    assert report.words == 5 + LONG_SENTENCE_WORDS + 5
    assert [s.words for s in report.long_sentences] == [LONG_SENTENCE_WORDS + 5]
    sentence = report.long_sentences[0]
    assert doc.text[sentence.start_char : sentence.end_char] == sentence.text
    assert report.band is not None
    assert [a.abbreviation for a in report.abbreviations] == ["SoL"]
    data = report.to_dict()
    assert set(data) >= {"lix", "band", "long_sentences", "unexplained_abbreviations"}


def test_clean_text_has_no_advice() -> None:
    doc = document_from_text("Beslut\n\nUtredning inleds enligt socialtjänstlagen.")
    report = assess_readability(doc)
    assert report.long_sentences == () and report.abbreviations == ()
    assert report.lix is not None and report.lix > 0
