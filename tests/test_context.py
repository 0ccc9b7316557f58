"""Context lines (letterhead, metadata, headings, signatures) are marked and never findings."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from protoscan.labels import ALL_LABELS
from protoscan.screen import document_from_text, screen_document
from protoscan.structure.context import context_passages, line_kind

DRAFT = """Socialnämnden i Vimmerby kommun
Individ- och familjeomsorgen
BESLUT
Dnr SN 2024/518
Datum 2024-11-12
Sökande: Jessica Karlsson
Vårdnadshavare: Jessica Karlsson och Tom Karlsson

Ansökan

Jessica Karlsson ansökte den 2 oktober 2024 om kontaktfamilj för sin son.

Tidslinje
Ansökan inkom             2024-10-02
Samtal med Noel           2024-10-14

Beslut om insats

Ansökan beviljas enligt 4 kap. 1 § socialtjänstlagen (2001:453).

Kritik mot nämnden för att barnet inte hördes

Sofia Lind
Socialsekreterare, beslut enligt delegation
"""


class _EverythingScores:
    """Gives every passage 0.9 for every label: only what is scored can become a finding."""

    backend: ClassVar[str] = "fixed"
    labels_ = ALL_LABELS
    thresholds_ = np.full(len(ALL_LABELS), 0.5)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.full((len(texts), len(ALL_LABELS)), 0.9)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Handläggare: Karin Holm, socialsekreterare", "metadata"),
        ("Sökande: Amir Haddad, vårdnadshavare", "metadata"),
        ("Diarienummer: IFO 2024-1187", "metadata"),
        ("Dnr SN 2024/112", "metadata"),
        ("Anmälan inkom             2024-03-11", "metadata"),
        ("Samtal med Maja: 2024-06-12, 2024-08-20", "metadata"),
        ("Socialsekreterare, beslut enligt delegation", "signature"),
        ("På socialnämndens vägnar", "signature"),
        ("Ystad den 22 maj 2024", "signature"),
        ("Beslut om insats", "heading"),
        ("§ 87 Beslut om flyttning till annat familjehem enligt 11 § LVU", "heading"),
        ("BESLUT OM UMGÄNGESBEGRÄNSNING ENLIGT 14 § LVU", "heading"),
        ("Kritik mot nämnden för att barnet inte hördes", None),
        ("Allvarliga brister i utredningen", None),
        ("Utredningen har dröjt", None),
        ("Barnet berättar att hon vill bo kvar.", None),
        ("Slutsats: barnet har fått komma till tals vid två samtal.", None),
        ("- Utredningen tog sju månader", None),
        ("Barn och unga i Motala lämnas utan stöd", None),
        ("Socialtjänstens insatser för barn ska utredas snabbt", None),
        ("Nämnden har i flera avseenden brustit", None),
        ("JO anförde i det äldre ärendet bl.a. följande:", None),
    ],
)
def test_line_kinds(line: str, kind: str | None) -> None:
    assert line_kind(line) == kind


def test_context_passages_are_marked_by_kind() -> None:
    doc = document_from_text(DRAFT)
    marked = context_passages(doc)
    by_text = {" / ".join(p.text.splitlines()): marked.get(p.id) for p in doc.passages}
    assert by_text["Sökande: Jessica Karlsson"] == "letterhead"
    assert by_text["Dnr SN 2024/518"] == "letterhead"
    assert (
        by_text["Jessica Karlsson ansökte den 2 oktober 2024 om kontaktfamilj för sin son."] is None
    )
    assert by_text["Tidslinje"] == "heading"
    assert by_text["Ansökan inkom 2024-10-02"] == "metadata"
    assert "Beslut om insats" not in by_text  # a known heading: a section title, no passage
    assert by_text["Sofia Lind"] == "signature"
    assert by_text["Socialsekreterare, beslut enligt delegation"] == "signature"
    assert by_text["Kritik mot nämnden för att barnet inte hördes"] is None


def test_screening_never_reports_a_finding_on_context_alone() -> None:
    report = screen_document(document_from_text(DRAFT), _EverythingScores())
    found = {f.text for f in report.findings}
    assert found == {
        "Jessica Karlsson ansökte den 2 oktober 2024 om kontaktfamilj för sin son.",
        "Ansökan beviljas enligt 4 kap. 1 § socialtjänstlagen (2001:453).",
        "Kritik mot nämnden för att barnet inte hördes",
    }
    context = report.to_dict()["document"]["context"]
    assert {c["kind"] for c in context} == {"letterhead", "metadata", "heading", "signature"}
    assert "Beslut om insats" in [s.title for s in report.document.sections]
    for item in context:
        assert report.document.text[item["start_char"] : item["end_char"]].strip()
