"""Personnummer and samordningsnummer: validation, masking, pseudonyms."""

from __future__ import annotations

import re

import pytest

from protoscan.privacy import (
    Pseudonymiser,
    find_personal_numbers,
    is_valid_personal_number,
    luhn_valid,
    mask_personal_numbers,
)

VALID = "811218-9876"  # the Skatteverket textbook number
CHILD = "160312-2381"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("8112189876", True), ("8112189875", False), ("1603122381", True), ("0", True)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("811218-9876", "personnummer"),
        ("811218+9876", "personnummer"),  # over 100 years old
        ("19811218-9876", "personnummer"),
        ("198112189876", "personnummer"),
        ("8112189876", "personnummer"),
        ("811278-9873", "samordningsnummer"),  # day 18 + 60
        ("19811278-9873", "samordningsnummer"),
        ("180963-2720", "samordningsnummer"),
    ],
)
def test_finds_every_written_form(written: str, kind: str) -> None:
    found = find_personal_numbers(f"Barnet ({written}) bor hos modern.")
    assert [(n.text, n.kind) for n in found] == [(written, kind)]
    assert found[0].start_char == len("Barnet (")
    assert is_valid_personal_number(written)


@pytest.mark.parametrize(
    "text",
    [
        "811218-9875",  # Luhn fails
        "090230-5556",  # 30 February does not exist (the Luhn digit is right)
        "811332-1234",  # month 13
        "Dnr 2024-811218-9876",  # part of a longer serial
        "Telefon 08-123 456 78",
        "SN 2024/0112 och 2019-05-03",
        "8112189876543",  # 13 digits
    ],
)
def test_rejects_non_numbers(text: str) -> None:
    assert find_personal_numbers(text) == []
    if text != "811218-9875":  # written like a number: masked although its checksum fails
        assert mask_personal_numbers(text) == text


def test_leap_day_depends_on_the_century() -> None:
    # 2000 was a leap year and 1900 was not; without a century either may be meant.
    assert [n.text for n in find_personal_numbers("000229-1235")] == ["000229-1235"]
    assert [n.text for n in find_personal_numbers("20000229-1235")] == ["20000229-1235"]
    assert find_personal_numbers("19000229-1235") == []


def test_masking_keeps_length_and_offsets() -> None:
    text = f"Elsa Lind, {CHILD}, och mamma 19811218-9876 samt 8112189876."
    masked = mask_personal_numbers(text)
    assert len(masked) == len(text)
    assert masked == "Elsa Lind, 160312-****, och mamma 19811218-**** samt 811218****."
    assert "2381" not in masked and "9876" not in masked
    assert masked.index("och mamma") == text.index("och mamma")


def test_pseudonymiser_is_stable_within_a_key() -> None:
    pseudonymiser = Pseudonymiser(key=b"run-key")
    text = "811218-9876, 19811218-9876 och 198112189876; syster 160312-2381."
    out = pseudonymiser.pseudonymise(text)
    assert len(out) == len(text)
    assert "9876" not in out and "2381" not in out
    tokens = re.findall(r"\[P-[0-9a-f]+\]", out)
    assert [len(t) for t in tokens] == [11, 13, 12, 11]
    # The same person, however written, gets the same stem; the sister another one.
    assert tokens[0][3:9] == tokens[1][3:9] == tokens[2][3:9]
    assert tokens[3][3:9] != tokens[0][3:9]
    assert Pseudonymiser(key=b"run-key").pseudonymise(text) == out
    assert Pseudonymiser(key=b"other-key").pseudonymise(text) != out


def test_pseudonymiser_default_key_is_random() -> None:
    assert Pseudonymiser().pseudonym("8112189876") != Pseudonymiser().pseudonym("8112189876")


def test_masking_also_hides_written_numbers_with_a_wrong_check_digit() -> None:
    text = "Ella, 140312-1234, och 1403121234 i ett diarienummer."
    assert find_personal_numbers(text) == []  # neither passes the Luhn check
    assert mask_personal_numbers(text) == "Ella, 140312-****, och 1403121234 i ett diarienummer."
