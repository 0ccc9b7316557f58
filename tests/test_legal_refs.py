"""Statute citations (annotation guide §7.5) and the SoL 2001/2025 decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from protoscan.document import LegalRef
from protoscan.structure.legal_refs import detect_law_version, find_dates, find_legal_refs

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SOL_2025 = SHARED / "realdata" / "steadson-Swedish-Legal-RAG-Chatbot" / "sfs" / "sfs-2025-400.txt"


def _key(ref: LegalRef) -> tuple:
    return (ref.law, ref.chapter, ref.section, ref.paragraph, ref.sfs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("enligt 11 kap. 1 § SoL", [("SoL", "11", "1", None, None)]),
        ("11 kap. l § SoL", [("SoL", "11", "1", None, None)]),  # OCR: letter l for 1
        ("enligt 11 kap. 1 a § andra stycket socialtjänstlagen (2001:453)",
         [("SoL", "11", "1 a", "2", "2001:453")]),
        ("20 kap. 2 § socialtjänstlagen (2025:400)", [("SoL", "20", "2", None, "2025:400")]),
        ("1 kap. 2 § första stycket SoL", [("SoL", "1", "2", "1", None)]),
        ("enligt 11 kap. 1 § i socialtjänstlagen", [("SoL", "11", "1", None, None)]),
        ("11 kap. 1 och 1 a §§ SoL",
         [("SoL", "11", "1", None, None), ("SoL", "11", "1 a", None, None)]),
        ("11 kap. 4 a–4 c §§ SoL", [("SoL", "11", "4 a-4 c", None, None)]),
        ("6 § LVU", [("LVU", None, "6", None, None)]),
        ("6 och 14 §§ LVU", [("LVU", None, "6", None, None), ("LVU", None, "14", None, None)]),
        ("36 § tredje stycket LVU", [("LVU", None, "36", "3", None)]),
        ("2 § lagen (1990:52) med särskilda bestämmelser om vård av unga",
         [("LVU", None, "2", None, "1990:52")]),
        ("32 § FL", [("FL", None, "32", None, None)]),
        ("25 § förvaltningslagen (2017:900)", [("FL", None, "25", None, "2017:900")]),
        ("6 kap. 8 § föräldrabalken", [("FB", "6", "8", None, None)]),
        ("SOSFS 2014:5", [("SOSFS", None, "", None, "2014:5")]),
        ("4 kap. 1 § HSLF-FS 2022:37", [("HSLF-FS", "4", "1", None, "2022:37")]),
        ("socialtjänstlagen (2001:453)", [("SoL", None, "", None, "2001:453")]),
        ("Lagen gäller från 5 § och framåt", []),  # no law named, no chapter
        ("under 2014-2015 och 3 §", []),
    ],
)  # fmt: skip
def test_find_legal_refs(text: str, expected: list[tuple]) -> None:
    assert [_key(r) for r in find_legal_refs(text)] == expected


def test_raw_is_the_citation_as_written() -> None:
    (ref,) = find_legal_refs("Av 11 kap. 1 a § SoL (2001:453) framgår att")
    assert ref.raw == "11 kap. 1 a § SoL (2001:453)"


def test_bare_chapter_citations_need_a_default_law() -> None:
    text = "enligt 19 kap. 1 § och 14 kap. 3–7 §§"
    assert find_legal_refs(text) == ()
    assert [_key(r) for r in find_legal_refs(text, default_law="SoL")] == [
        ("SoL", "19", "1", None, None),
        ("SoL", "14", "3-7", None, None),
    ]


def test_citations_are_in_text_order() -> None:
    text = "Enligt SOSFS 2014:5 och 6 § LVU samt 11 kap. 1 § SoL."
    assert [r.law for r in find_legal_refs(text)] == ["SOSFS", "LVU", "SoL"]


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("enligt 20 kap. 2 § socialtjänstlagen (2025:400)", {}, "SoL2025"),
        ("enligt 11 kap. 1 a § socialtjänstlagen (2001:453)", {}, "SoL2001"),
        ("SoL (2001:453) … SoL (2025:400) … SoL (2025:400)", {}, "SoL2025"),
        ("SoL (2001:453) och SoL (2025:400)", {"assessment_text": "SoL (2001:453)"}, "SoL2001"),
        ("SoL (2001:453) och SoL (2025:400)", {}, "unknown"),
        ("Socialnämnden fick anmälan den 3 maj 2019 och beslutade 2019-06-01.", {}, "SoL2001"),
        ("Socialnämnden fick anmälan den 3 augusti 2025 och beslutade 2025-09-01.", {}, "SoL2025"),
        ("Socialnämnden fick anmälan 2025-05-01 och beslutade 2025-09-01.", {}, "unknown"),
        ("Socialnämnden fick anmälan den 3 maj 1999.", {}, "unknown"),  # before SoL 2001
        ("Socialnämnden utredde saken.", {}, "unknown"),
        ("Byggnadsnämnden beslutade 2019-06-01.", {}, "unknown"),  # not social services
        ("Socialnämnden beslutade.", {"dates": ["2026-02-01"]}, "SoL2025"),
    ],
)
def test_detect_law_version(text: str, kwargs: dict, expected: str) -> None:
    assert detect_law_version(text, **kwargs) == expected


def test_find_dates() -> None:
    assert find_dates("Den 3 maj 2019 och 2019-05-30 men inte 2019-13-01.") == [
        (4, "2019-05-03"),
        (19, "2019-05-30"),
    ]


@pytest.mark.skipif(not SOL_2025.exists(), reason="shared realdata not available")
def test_parses_the_2025_socialtjanstlag() -> None:
    text = SOL_2025.read_text(encoding="utf-8")
    assert detect_law_version(text) == "SoL2025"
    refs = find_legal_refs(text, default_law="SoL")
    keys = {(r.law, r.chapter, r.section) for r in refs}
    # Internal references in the chapters that matter for children.
    assert ("SoL", "19", "1") in keys  # anmälan om oro → 20 kap. 6 §
    assert ("SoL", "14", "3-7") in keys  # dokumentation
    assert {("SoL", "22", "13"), ("SoL", "22", "14"), ("SoL", "22", "16")} <= keys  # placement
    assert ("SoL", "3", "5") in keys  # barns rättigheter
    # References to other laws keep their own law.
    assert ("KL", "9", "37") in keys
    assert ("FB", "6", "8") in keys
    assert any(r.law == "LVU" and r.sfs == "1990:52" for r in refs)
    sol_chapters = {int(r.chapter) for r in refs if r.law == "SoL" and r.chapter}
    assert {3, 14, 20, 22} <= sol_chapters
    assert len(refs) > 150
