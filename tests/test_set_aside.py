"""Tags a draft itself answers: the case's narrative, or the requirement met in the passage."""

from __future__ import annotations

import io
import json
from typing import ClassVar

import numpy as np
import pytest
from rich.console import Console

from protoscan.labels import ALL_LABELS
from protoscan.render.screen_html import build_screen_html
from protoscan.render.terminal import print_screen_report
from protoscan.screen import EXIT_FINDINGS, document_from_text, screen_document
from protoscan.screen.checks import run_checks
from protoscan.screen.set_aside import NARRATIVE, REQUIREMENT_MET, set_aside_reason

HEADER = "Socialnämnden i Gnesta kommun\nBESLUT\nDatum 2024-03-14\nDnr SN 2024/100\n\n"
#: A draft about an umgängesbegränsning whose risk assessment and kommunicering are done.
CHILD = "Barnets inställning\n\nAlva, sju år, har hörts och vill träffa mamma.\n\n"
ASSESSED = "Riskbedömning\n\nEn strukturerad riskbedömning har gjorts med stöd av FREDA.\n\n"
DECISION = (
    "Bedömning\n\nBarnets bästa kräver att umgänget begränsas, eftersom risken är hög.\n\n"
    "Beslut\n\nSocialnämnden beslutar att pappas umgänge med Alva begränsas enligt 14 § andra "
    "stycket 1 LVU.\n\nHur man överklagar\n\nBeslutet kan överklagas hos förvaltningsrätten "
    "inom tre veckor från den dag ni fick del av beslutet."
)


def tagged(body: str, label: str, needle: str) -> tuple[str, str] | None:
    """The set-aside reading of the passage containing ``needle`` tagged with ``label``."""
    doc = document_from_text(HEADER + body)
    checks = run_checks(doc)
    passage = next(p for p in doc.passages if needle in p.text)
    return set_aside_reason(passage, label, checks)


# --------------------------------------------------------------------------- narrative


def test_violence_in_the_case_history_is_background() -> None:
    body = "Bakgrund\n\nPappa har misshandlat mamma i Alvas närvaro.\n\n" + CHILD + ASSESSED
    kind, why = tagged(body + DECISION, "violence_investigation", "misshandlat") or ("", "")
    assert kind == NARRATIVE
    assert "Bakgrund" in why and "uppfyllt" in why


def test_a_narrative_that_states_a_shortcoming_stays_a_finding() -> None:
    body = "Bakgrund\n\nNågon riskbedömning gjordes inte när anmälan kom in.\n\n" + CHILD + ASSESSED
    assert tagged(body + DECISION, "violence_investigation", "anmälan kom in") is None


def test_violence_in_the_assessment_is_not_background() -> None:
    body = CHILD + ASSESSED + "Bedömning\n\nPappa har misshandlat mamma i Alvas närvaro.\n\n"
    assert tagged(body + DECISION, "violence_investigation", "misshandlat") is None


def test_no_check_of_the_label_no_narrative() -> None:
    # No absence check covers follow-up of a placement: the narrative tag stays a finding.
    body = "Bakgrund\n\nAlva placerades i familjehem i januari.\n\n" + CHILD + ASSESSED
    assert tagged(body + DECISION, "placement_follow_up", "placerades") is None


# --------------------------------------------------------------------------- requirement met

KOMMUNICERING = "Kommunicering\n\nUtredningen har kommunicerats med pappa den 2 februari 2024.\n\n"


def test_a_passage_that_shows_the_requirement_met() -> None:
    body = CHILD + ASSESSED + KOMMUNICERING + DECISION
    kind, why = tagged(body, "party_information", "kommunicerats") or ("", "")
    assert kind == REQUIREMENT_MET and "”kommunicerats”" in why


@pytest.mark.parametrize(
    "sentence",
    [
        "Utredningen har kommunicerats med mamma men inte med pappa.",
        "Utredningen har kommunicerats med pappa först dagen före beslutet, vilket är för sent.",
        "Mamma har inte fått ta del av utredningen. Den har kommunicerats med pappa.",
    ],
)
def test_partial_or_criticised_compliance_stays_a_finding(sentence: str) -> None:
    body = CHILD + ASSESSED + f"Kommunicering\n\n{sentence}\n\n" + DECISION
    assert tagged(body, "party_information", "pappa") is None


def test_a_check_that_only_sees_presence_settles_nothing() -> None:
    # The reasons check passes on "eftersom", but a reasoning tag may be about its quality.
    body = CHILD + ASSESSED + KOMMUNICERING + DECISION
    assert tagged(body, "reasoning", "eftersom risken") is None


def test_a_correct_not_appealable_notice_is_no_reasoning_finding() -> None:
    body = (
        "Bedömning\n\nDet finns inga uppgifter om att Hugo far illa, och Hugos bästa är att "
        "familjen inte utreds.\n\nBeslut\n\nUtredning inleds inte.\n\nBeslutet att inte inleda "
        "utredning kan inte överklagas."
    )
    kind, _ = tagged(body, "reasoning", "kan inte överklagas") or ("", "")
    assert kind == REQUIREMENT_MET


def test_a_denial_excused_by_its_reason_shows_the_requirement_met() -> None:
    body = (
        CHILD
        + ASSESSED
        + "Bedömning\n\nKommunicering med pappa har inte kunnat ske innan beslutet fattades, "
        "eftersom beslutet inte har kunnat anstå. Pappa informerades per telefon samma dag.\n\n"
        + DECISION.removeprefix("Bedömning\n\n")
    )
    kind, _ = tagged(body, "party_information", "kunnat anstå") or ("", "")
    assert kind == REQUIREMENT_MET


def test_a_negation_in_a_coordinated_clause_leaves_the_requirement_met() -> None:
    # "har yttrat sig" was read as denied by the "inte" of the next clause.
    reply = (
        "Utredningen har kommunicerats med pappa den 2 februari 2024. Pappa har yttrat sig "
        "skriftligen och motsätter sig inte att umgänget begränsas."
    )
    body = CHILD + ASSESSED + f"Kommunicering\n\n{reply}\n\n" + DECISION
    kind, _ = tagged(body, "party_information", "motsätter") or ("", "")
    assert kind == REQUIREMENT_MET


PRELIMINARY = (
    "Förhandsbedömning\n\nDen 12 februari 2024 kom en orosanmälan från förskolan om Nils, fyra år. "
    "{middle}\n\nBedömning\n\nSocialtjänsten har talat med Nils och hans föräldrar och "
    "bedömer att det är förenligt med barnets bästa att inte inleda utredning.\n\nBeslut\n\n"
    "Utredning inleds inte, 11 kap. 1 § socialtjänstlagen (2001:453).\n\nBeslutet att inte "
    "inleda utredning kan inte överklagas."
)


def test_a_recorded_extension_settles_a_delay_tag_in_its_passage() -> None:
    middle = (
        "Familjen var utomlands i tre veckor, och enhetschefen beslutade därför den 15 mars 2024 "
        "att förhandsbedömningen förlängs till den 5 april på grund av synnerliga skäl."
    )
    kind, _ = tagged(PRELIMINARY.format(middle=middle), "delay", "utomlands") or ("", "")
    assert kind == REQUIREMENT_MET


def test_a_date_alone_settles_no_delay_tag() -> None:
    middle = "Familjen var utomlands i tre veckor och kom hem den 5 mars 2024."
    assert tagged(PRELIMINARY.format(middle=middle), "delay", "utomlands") is None


# --------------------------------------------------------------------------- in the report


class _Tags:
    """Every passage scores 0.9 for one label, 0.1 for the rest."""

    backend: ClassVar[str] = "fixed"
    labels_ = ALL_LABELS
    thresholds_ = np.full(len(ALL_LABELS), 0.5)

    def __init__(self, label: str) -> None:
        self.label = label

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        probs = np.full((len(texts), len(ALL_LABELS)), 0.1, dtype=np.float32)
        probs[:, ALL_LABELS.index(self.label)] = 0.9
        return probs


def test_set_aside_tags_are_shown_but_do_not_count() -> None:
    body = "Bakgrund\n\nPappa har misshandlat mamma i Alvas närvaro.\n\n" + CHILD + ASSESSED
    doc = document_from_text(HEADER + body + DECISION)
    report = screen_document(doc, _Tags("violence_investigation"))
    aside = {f.text: f for f in report.set_aside}
    assert "Pappa har misshandlat mamma i Alvas närvaro." in aside
    finding = aside["Pappa har misshandlat mamma i Alvas närvaro."]
    assert finding.section == "Bakgrund" and not finding.counted
    assert all(f.counted for f in report.findings)
    assert report.counts()["set_aside"] == len(report.set_aside)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert {f["set_aside"] for f in data["set_aside"]} <= {NARRATIVE, REQUIREMENT_MET}
    assert all(f["set_aside_reason"] for f in data["set_aside"])
    html = build_screen_html(report)
    assert 'class="card aside"' in html and "Därför inget fynd" in html
    buffer = io.StringIO()
    print_screen_report(report, Console(file=buffer, width=160, color_system=None))
    assert "Bakgrund i ärendet, inte ett fynd" in buffer.getvalue()


def test_exit_code_counts_only_the_tags_the_draft_does_not_answer() -> None:
    body = CHILD + ASSESSED + KOMMUNICERING + DECISION
    report = screen_document(document_from_text(HEADER + body), _Tags("party_information"))
    kinds = {f.text.split()[0]: f.set_aside for f in report.set_aside}
    assert kinds["Alva,"] == NARRATIVE and kinds["Utredningen"] == REQUIREMENT_MET
    # Elsewhere (the assessment, the decision) the tag stays a finding and counts.
    assert {f.section for f in report.findings} >= {"Bedömning", "Beslut"}
    assert report.exit_code == EXIT_FINDINGS
