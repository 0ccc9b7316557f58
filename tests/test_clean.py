"""Tests for protoscan.ingest.clean: each cleanup function on its own, then together."""

from __future__ import annotations

import unicodedata

import pytest

from protoscan.ingest.clean import (
    build_vocabulary,
    clean_pages,
    clean_paragraphs,
    fix_doubled_chars,
    hyphen_joint,
    is_page_number_line,
    join_hyphenated,
    join_page_hyphens,
    normalize_chars,
    normalize_whitespace,
    remove_running_lines,
    typical_line_width,
    unwrap_lines,
)

# --- normalize_chars -------------------------------------------------------------------


def test_normalize_chars_composes_swedish_letters_and_keeps_composed_ones() -> None:
    decomposed = unicodedata.normalize("NFD", "Vårdnadshavare Ärende Öppen")
    assert len(decomposed) > len("Vårdnadshavare Ärende Öppen")
    assert normalize_chars(decomposed) == "Vårdnadshavare Ärende Öppen"
    assert normalize_chars("åäöÅÄÖ") == "åäöÅÄÖ"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufb01nns", "finns"),
        ("\ufb02ytta", "flytta"),
        ("e\ufb00ekt", "effekt"),
        ("\ufb03", "ffi"),
    ],
)
def test_normalize_chars_expands_ligatures(raw: str, expected: str) -> None:
    assert normalize_chars(raw) == expected


def test_normalize_chars_applies_nfkc_only_to_ligatures() -> None:
    # Superscripts, fractions and full-width forms are left to the author.
    assert normalize_chars("m² ½ Ａ") == "m² ½ Ａ"


def test_normalize_chars_line_endings_spaces_and_invisible_characters() -> None:
    raw = "Ett\r\ntvå\rtre\u00a0fyra\u202ffem\u200bsex\ufeff\x07\tsju"
    assert normalize_chars(raw) == "Ett\ntvå\ntre fyra femsex sju"


def test_normalize_chars_turns_line_end_hyphen_markers_into_hyphen_breaks() -> None:
    assert normalize_chars("utred\ufffeningen") == "utred-\nningen"  # pdfium's marker
    assert normalize_chars("utred\u00ad\nningen") == "utred-\nningen"
    assert normalize_chars("ut\u00adred\u00adning") == "utredning"


# --- fix_doubled_chars -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BBeesslluutt", "Beslut"),
        ("BBeesslluutt ii äärreennddeett", "Beslut i ärendet"),
        ("SSiidd 22 ((44))", "Sid 2 (4)"),
        ("Beslut i ärendet", "Beslut i ärendet"),
        ("Mississippi", "Mississippi"),
        ("1100 kr och 2200 kr", "1100 kr och 2200 kr"),
        ("ii ll", "ii ll"),
        ("Allmänna råd\nBBaarrnn", "Allmänna råd\nBarn"),
    ],
)
def test_fix_doubled_chars(raw: str, expected: str) -> None:
    assert fix_doubled_chars(raw) == expected


# --- normalize_whitespace --------------------------------------------------------------


def test_normalize_whitespace_collapses_spaces_and_blank_lines() -> None:
    raw = "  Beslut  \n\n\n\n Nämnden   har   beslutat. \n \n"
    assert normalize_whitespace(raw) == "Beslut\n\nNämnden har beslutat."


# --- page numbers and running lines ----------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["Sid 3 (8)", "Sida 1(18)", "sida 2 av 5", "3 (8)", "3/8", "- 3 -", "– 12 –", "7", " 12 "],
)
def test_is_page_number_line_accepts(line: str) -> None:
    assert is_page_number_line(line)


@pytest.mark.parametrize(
    "line", ["1 § SoL", "3 kap.", "2024-03-01", "Sid", "12345", "Beslut 3", "Sidan är tom"]
)
def test_is_page_number_line_rejects(line: str) -> None:
    assert not is_page_number_line(line)


def test_remove_running_lines_drops_headers_footers_and_page_numbers() -> None:
    pages = [
        "Socialnämnden i Gnesta kommun\nDnr SN 2024/1\nBeslut\nText ett.\nSid 1 (3)",
        "Socialnämnden i Gnesta kommun\nDnr SN 2024/2\nText två.\nSid 2 (3)",
        "Socialnämnden i Gnesta kommun\nDnr SN 2024/3\nText tre.\nSid 3 (3)",
    ]
    assert remove_running_lines(pages) == ["Beslut\nText ett.", "Text två.", "Text tre."]


def test_remove_running_lines_keeps_lines_repeated_on_too_few_pages() -> None:
    pages = ["Bilaga\nText ett.", "Text två.", "Text tre.", "Bilaga\nText fyra.", "Text fem."]
    assert remove_running_lines(pages) == pages


def test_remove_running_lines_keeps_repeats_in_the_middle_of_a_page() -> None:
    first = "Ett.\nTvå.\nTre.\nHeader\nFyra.\nFem.\nSex.\nSju."
    second = "Åtta.\nNio.\nTio.\nHeader\nElva.\nTolv.\nTretton.\nFjorton."
    pages = ["Header\n" + first, "Header\n" + second]
    assert remove_running_lines(pages) == [first, second]


def test_remove_running_lines_single_page_only_drops_page_numbers() -> None:
    assert remove_running_lines(["Gnesta kommun\nText.\n- 1 -"]) == ["Gnesta kommun\nText."]


def test_remove_running_lines_ignores_spacing_and_digits_when_comparing() -> None:
    pages = ["HÖGSTA DOMSTOLEN T170-08 Sid 2\nA.", "HÖGSTA DOMSTOLEN T 170-08 Sid 3\nB."]
    assert remove_running_lines(pages) == ["A.", "B."]


# --- hyphenation -----------------------------------------------------------------------


def test_build_vocabulary_keeps_hyphenated_compounds_whole() -> None:
    vocabulary = build_vocabulary("IVO-tillsyn och Utredningen, 12 kap.")
    assert vocabulary == frozenset({"ivo-tillsyn", "och", "utredningen", "kap"})


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("Under utred-", "ningen har", ""),
        ("sexhundratjugofemtusen-", "trehundra", ""),
        ("Socialnämn-", "den beslutade", ""),
        ("som inledde en IVO-", "tillsyn.", "-"),
        ("en SoL-", "bedömning", "-"),
        ("påbörjat en Lex Sarah-", "utredning som", "-"),
        ("enligt Lex Sarah-", "utredningen", "-"),
        ("kontakt med EU-", "Kommissionen", "-"),
        ("skickas via e-", "post", "-"),
        ("till barn-", "och ungdomsnämnden", "- "),
        ("hälso-", "eller sjukvården", "- "),
        ("telefon 08-", "561 666 00", "-"),
        ("ett slut -", "inte", None),
        ("utan bindestreck", "nästa rad", None),
        ("avslutad med bindestreck-", "", None),
    ],
)
def test_hyphen_joint_rules(left: str, right: str, expected: str | None) -> None:
    assert hyphen_joint(left, right) == expected


def test_hyphen_joint_vocabulary_decides_first() -> None:
    assert hyphen_joint("en IVO-", "tillsyn", frozenset({"ivotillsyn"})) == ""
    assert hyphen_joint("en social-", "tjänst", frozenset({"social-tjänst"})) == "-"


def test_join_hyphenated_joins_words_and_keeps_other_breaks() -> None:
    raw = "Under utred-\nningen om IVO-\ntillsyn och barn-\noch ungdomsnämnden\nny rad"
    expected = "Under utredningen om IVO-tillsyn och barn- och ungdomsnämnden\nny rad"
    assert join_hyphenated(raw) == expected


def test_join_hyphenated_uses_words_seen_elsewhere() -> None:
    raw = "Nämnden gjorde en Lex Sarah-\nutredning.\nLex Sarah-utredning är klar."
    assert join_hyphenated(raw).split("\n")[0] == "Nämnden gjorde en Lex Sarah-utredning."
    raw = "Bodil Ovesen-\nsson skrev.\nOvesensson svarade."  # a name joined because it recurs
    assert join_hyphenated(raw).split("\n")[0] == "Bodil Ovesensson skrev."


def test_join_page_hyphens_completes_the_word_on_the_earlier_page() -> None:
    pages = ["Text om form-", "", "givningen, som\nfortsätter.", "Slut med IVO-", "tillsyn"]
    assert join_page_hyphens(pages) == [
        "Text om formgivningen,",
        "",
        "som\nfortsätter.",
        "Slut med IVO-tillsyn",
        "",
    ]


def test_join_page_hyphens_leaves_conjunctions_and_plain_breaks() -> None:
    pages = ["Ärendet gäller barn-", "och ungdomsnämnden.", "Ny sida utan bindestreck"]
    assert join_page_hyphens(pages) == pages


# --- unwrapping ------------------------------------------------------------------------


def test_typical_line_width() -> None:
    text = "\n".join(["x" * 70] * 9 + ["kort"])
    assert typical_line_width(text) == 70
    assert typical_line_width("") == 0


WRAPPED = """Bakgrund
Socialnämnden har den 3 mars 2024 beslutat att inleda en utredning enligt 11
kap. 1 § socialtjänstlagen om barnets behov. Under utred-
ningen har nämnden haft kontakt med skolan, barnets vårdnadshavare och
andra myndigheter, bl.a.
polisen och vården.
Bedömning
Nämnden bedömer att barnet är i behov av insatser från socialtjänsten. Det
finns inga uppgifter om att barnet har fått yttra sig.
• Barnet har inte hörts.
• Vårdnadshavarna har hörts.

Ett nytt stycke efter en tom rad."""


def test_unwrap_lines_builds_paragraphs() -> None:
    expected = (
        "Bakgrund\n\n"
        "Socialnämnden har den 3 mars 2024 beslutat att inleda en utredning enligt 11 kap. "
        "1 § socialtjänstlagen om barnets behov. Under utredningen har nämnden haft kontakt "
        "med skolan, barnets vårdnadshavare och andra myndigheter, bl.a. polisen och vården.\n\n"
        "Bedömning\n\n"
        "Nämnden bedömer att barnet är i behov av insatser från socialtjänsten. Det finns inga "
        "uppgifter om att barnet har fått yttra sig.\n\n"
        "• Barnet har inte hörts.\n\n"
        "• Vårdnadshavarna har hörts.\n\n"
        "Ett nytt stycke efter en tom rad."
    )
    assert unwrap_lines(WRAPPED) == expected


def test_unwrap_lines_joins_a_full_line_that_ends_a_sentence() -> None:
    # The next word would not have fitted on the first line, so the sentence end is no
    # evidence of a paragraph end; only a blank line (a gap in the PDF) would be.
    text = (
        "Nämnden har utrett barnets behov av skydd och stöd enligt lagen om vård.\n"
        "Därefter har vårdnadshavarna fått yttra sig över utredningen."
    )
    assert unwrap_lines(text, width=72) == text.replace("\n", " ")


def test_unwrap_lines_keeps_unwrapped_text_line_by_line() -> None:
    long_lines = ["Ett långt stycke " * 12, "Ett annat långt stycke " * 10]
    assert unwrap_lines("\n".join(long_lines)) == "\n\n".join(s.strip() for s in long_lines)


# --- the pipelines ---------------------------------------------------------------------


def test_clean_pages_end_to_end() -> None:
    pages = [
        "Gnesta kommun\nBBeesslluutt\nNämnden har beslutat om insatser för barnet enligt\n"
        "socialtjänstlagen och ﬁnner att utred-\nningen är klar.\nSid 1 (3)",
        "",
        "Gnesta kommun\nSkäl\nBarnet har hörts om sin inställning till insatserna och\n"
        "vårdnadshavarna har yttrat sig.\nSid 3 (3)",
    ]
    assert clean_pages(pages) == [
        "Beslut\n\nNämnden har beslutat om insatser för barnet enligt socialtjänstlagen och "
        "finner att utredningen är klar.",
        "",
        "Skäl\n\nBarnet har hörts om sin inställning till insatserna och vårdnadshavarna har "
        "yttrat sig.",
    ]


def test_clean_paragraphs_joins_lines_and_drops_empty_paragraphs() -> None:
    paragraphs = ["Beslut", "   ", "Nämnden\nbeslutar\u00a0att", "ﬁnns"]
    assert clean_paragraphs(paragraphs) == "Beslut\n\nNämnden beslutar att\n\nfinns"
