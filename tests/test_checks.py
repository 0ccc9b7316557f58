"""Absence checks: each check failing and passing, negation, scope, and the draft set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import realdata_file
from protoscan.pipeline import read_document
from protoscan.screen import document_from_text
from protoscan.screen.checks import CHECK_IDS, CHECKS, CheckResult, checks_apply, run_checks

DRAFTS = Path(__file__).parent / "drafts"
EXPECTED: dict[str, dict[str, str]] = json.loads((DRAFTS / "expected.json").read_text("utf-8"))

HEADER = (
    "Socialnämnden i Gnesta kommun\nIndivid- och familjeomsorgen\n{kind}\nDatum {date}\n"
    "Dnr SN 2024/100\n\n"
)


def draft(body: str, *, kind: str = "BESLUT", date: str = "2024-03-14") -> dict[str, CheckResult]:
    doc = document_from_text(HEADER.format(kind=kind, date=date) + body)
    return {r.id: r for r in run_checks(doc)}


# --------------------------------------------------------------------------- the draft set


@pytest.fixture(scope="module")
def draft_results() -> dict[str, dict[str, CheckResult]]:
    return {
        path.name: {r.id: r for r in run_checks(read_document(path))}
        for path in sorted(DRAFTS.glob("*.txt"))
    }


def test_draft_set_is_complete() -> None:
    names = sorted(p.name for p in DRAFTS.glob("*.txt"))
    assert names == sorted(EXPECTED)
    assert sum(n.startswith("clean-") for n in names) >= 3
    assert sum(n.startswith("brist-") for n in names) >= 5
    # Every check fails in some deficient draft and passes in some draft.
    for check_id in CHECK_IDS:
        statuses = [EXPECTED[n][check_id] for n in names]
        assert "failed" in statuses and "passed" in statuses, check_id


def test_drafts_give_their_known_results(draft_results: dict[str, dict[str, CheckResult]]) -> None:
    for name, expected in EXPECTED.items():
        got = {check_id: result.status for check_id, result in draft_results[name].items()}
        assert got == expected, name


def test_clean_drafts_fail_no_check(draft_results: dict[str, dict[str, CheckResult]]) -> None:
    for name, results in draft_results.items():
        failed = [r.id for r in results.values() if r.failed]
        if name.startswith("clean-"):
            assert failed == [], name
        else:
            assert failed, name


@pytest.mark.parametrize(
    ("prefix", "wrong"),
    [
        ("brist-19", "kan inte överklagas"),
        ("brist-20", "Kammarrätten"),
        ("brist-21", "tingsrätten"),
        ("brist-22", "inom tre månader"),
        ("brist-23", "kan inte överklagas"),
        ("brist-24", "från beslutsdagen"),
    ],
)
def test_drafts_with_a_wrong_appeal_notice_say_what_is_wrong(
    draft_results: dict[str, dict[str, CheckResult]], prefix: str, wrong: str
) -> None:
    name = next(n for n in draft_results if n.startswith(prefix))
    result = draft_results[name]["appeal_notice_missing"]
    assert [r.id for r in draft_results[name].values() if r.failed] == ["appeal_notice_missing"]
    assert wrong in result.summary and "33 § andra stycket" in result.summary
    assert any(wrong in e.text for e in result.evidence if not e.counts)


def test_a_notice_offering_to_appeal_an_unappealable_decision_fails(
    draft_results: dict[str, dict[str, CheckResult]],
) -> None:
    name = next(n for n in draft_results if n.startswith("brist-25"))
    result = draft_results[name]["appeal_notice_missing"]
    assert [r.id for r in draft_results[name].values() if r.failed] == ["appeal_notice_missing"]
    assert "kan inte överklagas" in result.summary
    assert any("Överklagandet ska ha kommit in" in e.text for e in result.evidence)
    text = read_document(DRAFTS / name).text
    notice = text.index("Hur man överklagar")
    right = text[:notice] + "Beslutet att inte inleda utredning kan inte överklagas.\n"
    fixed = {r.id: r for r in run_checks(document_from_text(right))}
    assert fixed["appeal_notice_missing"].status == "passed"


def test_evidence_points_into_the_text(draft_results: dict[str, dict[str, CheckResult]]) -> None:
    for name, results in draft_results.items():
        text = read_document(DRAFTS / name).text
        for result in results.values():
            for item in result.evidence:
                assert text[item.start_char : item.end_char] == item.text, (name, result.id)


def test_results_say_what_they_looked_for(draft_results: dict[str, dict[str, CheckResult]]) -> None:
    for results in draft_results.values():
        for result in results.values():
            assert result.inferred is True
            assert result.looked_for and result.summary and result.legal_basis
            assert 0 < result.confidence <= 0.5
            data = result.to_dict()
            assert set(data) == {
                "id", "name_sv", "requirement_sv", "status", "label", "legal_basis", "looked_for",
                "summary",
                "confidence", "inferred", "evidence",
            }  # fmt: skip


# --------------------------------------------------------------------------- scope


def test_never_for_jo_decisions() -> None:
    text = (
        "JUSTITIEOMBUDSMANNEN\nBESLUT\nDatum 2019-05-03\nDnr 2214-2018\n\n"
        "Kritik mot Socialnämnden i Tranås kommun\n\nJO:s bedömning\n\n"
        "Nämnden beslutade att inte inleda utredning trots att pojken blivit slagen. JO "
        "kritiserar nämnden.\n\nBeslut\n\nÄrendet avslutas."
    )
    doc = document_from_text(text)
    assert doc.metadata.authority == "JO"
    applies, why = checks_apply(doc)
    assert not applies and "JO" in why
    assert {r.status for r in run_checks(doc)} == {"not_applicable"}


def test_unknown_authority_with_municipal_headings() -> None:
    doc = document_from_text(
        "Förhandsbedömning\n\nAnmälan kom in från skolan om pojken.\n\n"
        "Förslag till beslut\n\nUtredning inleds inte."
    )
    assert doc.metadata.authority != "municipality"
    assert checks_apply(doc)[0]
    plain = document_from_text("Ett brev om något helt annat.\n\nMed vänlig hälsning")
    assert not checks_apply(plain)[0]


# --------------------------------------------------------------------------- each check

DECISION_OK = (
    "Bedömning\n\nMot bakgrund av uppgifterna bedömer socialtjänsten att stödet är förenligt "
    "med barnets bästa och att pojken behöver en kontaktperson för att bryta sin isolering.\n\n"
    "Beslut\n\nPojken beviljas kontaktperson enligt 4 kap. 1 § socialtjänstlagen (2001:453).\n\n"
)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("Bakgrund\n\nPojken, född 2014, har svårt i skolan. Mamma har berättat om oron.\n\n",
         "failed"),
        ("Bakgrund\n\nSocialsekreteraren har inte talat med pojken.\n\n", "failed"),
        ("Barnets inställning\n\nPojken berättar att han vill ha en kontaktperson.\n\n", "passed"),
        ("Bakgrund\n\nBarnet har inte kunnat höras på grund av sin ålder.\n\n", "passed"),
        ("Bakgrund\n\nSocialsekreteraren har observerat barnet vid ett hembesök.\n\n", "passed"),
        ("Bakgrund\n\nVid samtal med pojken sa han att skolan är jobbig.\n\n", "passed"),
        ("Bakgrund\n\nSocialsekreteraren har träffat pojken, som inte ville prata om pappa.\n\n",
         "passed"),
        ("Bakgrund\n\nBarnets inställning har inte inhämtats.\n\n", "failed"),
        ("Bakgrund\n\nPojken beskrivs av skolan som glad. Pojken uppges trivas.\n\n", "failed"),
    ],
)  # fmt: skip
def test_child_views(body: str, status: str) -> None:
    assert draft(body + DECISION_OK)["child_views_missing"].status == status


def test_child_named_in_the_draft_counts() -> None:
    body = (
        "Beslut om kontaktperson för Liam Sjöberg, 150226-6685\n\n"
        "Bakgrund\n\nLiam berättar att han saknar kompisar. Det är viktigt för Liams bästa att "
        "han får stöd.\n\n"
    )
    results = draft(body + DECISION_OK.replace("barnets bästa", "hans behov"))
    assert results["child_views_missing"].status == "passed"
    assert results["best_interests_missing"].status == "passed"


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("Det är förenligt med barnets bästa att stödet beviljas.", "passed"),
        ("Det bedöms vara bäst för pojken att bo kvar.", "passed"),
        ("Det är förenligt med pojkens och systerns bästa att stödet beviljas.", "passed"),
        ("Med hänsyn till barnets bästa bedöms det inte finnas skäl till insatser.", "passed"),
        ("Någon bedömning av barnets bästa har inte gjorts.", "failed"),
        ("Enligt 1 kap. 2 § SoL ska barnets bästa särskilt beaktas.", "failed"),
        ("Pojken har svårt i skolan.", "failed"),
    ],
)
def test_best_interests(sentence: str, status: str) -> None:
    views = "Barnets inställning\n\nPojken berättar att skolan är jobbig.\n\n"
    body = f"{views}Bakgrund\n\n{sentence}\n\n"
    decision = DECISION_OK.replace("är förenligt med barnets bästa och att", "är motiverat och att")
    assert "bästa" not in decision
    assert draft(body + decision)["best_interests_missing"].status == status


@pytest.mark.parametrize(
    ("body", "reasons", "legal"),
    [
        ("Beslut\n\nUtredning inleds inte.", "failed", "failed"),
        ("Beslut\n\nUtredning inleds inte enligt 11 kap. 1 § SoL.", "failed", "passed"),
        ("Beslut\n\nUtredning inleds inte eftersom uppgifterna har fått en förklaring.",
         "passed", "failed"),
        ("Bedömning\n\nSocialtjänsten bedömer att uppgifterna i anmälan har fått en rimlig "
         "förklaring och att det inte finns någon oro för pojkens omsorg.\n\nLagrum\n\n"
         "11 kap. 1 § socialtjänstlagen (2001:453)\n\nBeslut\n\nUtredning inleds inte.",
         "passed", "passed"),
        ("Bakgrund\n\nPojken bor hos mamma.", "not_applicable", "not_applicable"),
    ],
)  # fmt: skip
def test_reasons_and_legal_basis(body: str, reasons: str, legal: str) -> None:
    results = draft("Barnets inställning\n\nPojken berättar om skolan.\n\n" + body)
    assert results["reasons_missing"].status == reasons
    assert results["legal_basis_missing"].status == legal


def test_reasons_in_pasted_text_without_headings() -> None:
    doc = document_from_text(
        "Socialnämnden i Gnesta kommun. Socialsekreterare Karin Holm.\n\n"
        "Förhandsbedömning\n\nAnmälan om pojken kom in den 4 mars 2024.\n\n"
        "Socialnämnden beslutar att utredning inte inleds."
    )
    results = {r.id: r for r in run_checks(doc)}
    assert results["reasons_missing"].status == "failed"
    assert results["legal_basis_missing"].status == "failed"


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ("Pojken berättar att pappa slagit honom.", "failed"),
        ("Pojken berättar att pappa slagit honom. Någon riskbedömning har inte gjorts.",
         "failed"),
        ("Pojken berättar att pappa slagit honom. Risken för fortsatt våld bedöms som låg.",
         "passed"),
        ("Pojken har bevittnat våld. En skyddsbedömning gjordes samma dag och pojken bedöms "
         "inte vara i behov av omedelbart skydd.", "passed"),
        ("Pojken berättar att pappa slagit honom. Pojken bedöms inte vara i behov av skydd.",
         "passed"),
        ("Pojken berättar att pappa slagit honom. Det bedöms inte finnas skäl att inleda en "
         "utredning.", "failed"),
        ("Pappa har misshandlat mamma. Mamma har gjort en polisanmälan.", "failed"),
        ("Det finns inga uppgifter om våld i familjen.", "not_applicable"),
        ("Pojken har svårt i skolan.", "not_applicable"),
    ],
)  # fmt: skip
def test_violence(facts: str, status: str) -> None:
    body = (
        f"Aktualisering\n\n{facts}\n\nBedömning\n\nMot bakgrund av uppgifterna bedömer "
        "socialtjänsten att pojkens situation inte kräver någon insats från socialtjänsten.\n\n"
        "Beslut\n\nUtredning inleds inte enligt 11 kap. 1 § SoL."
    )
    assert draft(body)["violence_unassessed"].status == status


def test_violence_with_decision_to_investigate() -> None:
    body = (
        "Aktualisering\n\nPojken berättar att pappa slagit honom.\n\n"
        "Beslut\n\nUtredning inleds enligt 11 kap. 1 § SoL."
    )
    assert draft(body)["violence_unassessed"].status == "passed"


@pytest.mark.parametrize(
    ("received", "decided", "extra", "status"),
    [
        ("4 mars 2024", "2024-03-14", "", "passed"),
        ("4 mars 2024", "2024-03-18", "", "passed"),  # exactly 14 days
        ("4 mars 2024", "2024-03-19", "", "failed"),
        ("4 mars 2024", "2024-04-02", "Tiden förlängdes på grund av synnerliga skäl.", "passed"),
        ("4 mars 2024", "2024-04-02", "Några synnerliga skäl för att förlänga tiden fanns inte.",
         "failed"),
        ("4 mars 2024", "2024-04-02",
         "Enligt 11 kap. 1 a § SoL får tiden förlängas om det finns synnerliga skäl.", "failed"),
    ],
)  # fmt: skip
def test_preliminary_assessment_time(received: str, decided: str, extra: str, status: str) -> None:
    body = (
        f"Aktualisering\n\nDen {received} inkom en anmälan om pojken, född 2014-05-02, från "
        f"skolan. {extra}\n\n" + DECISION_OK
    )
    result = draft(body, kind="FÖRHANDSBEDÖMNING", date=decided)["preliminary_assessment_overdue"]
    assert result.status == status
    if status == "failed":
        assert "dagar" in result.summary


def test_preliminary_check_only_for_preliminary_assessments() -> None:
    body = "Aktualisering\n\nDen 4 januari 2024 inkom en anmälan.\n\n" + DECISION_OK
    assert draft(body)["preliminary_assessment_overdue"].status == "not_applicable"
    no_date = "Aktualisering\n\nEn anmälan inkom från skolan.\n\n" + DECISION_OK
    result = draft(no_date, kind="FÖRHANDSBEDÖMNING")["preliminary_assessment_overdue"]
    assert result.status == "not_applicable"


@pytest.mark.parametrize(
    ("started", "decided", "extra", "status"),
    [
        ("15 januari 2024", "2024-05-15", "", "passed"),
        ("15 januari 2024", "2024-05-16", "", "failed"),
        ("15 januari 2024", "2024-06-20", "Den 10 maj 2024 beslutades att förlänga utredningen.",
         "passed"),
        ("15 januari 2024", "2024-06-20", "Utredningen har inte förlängts.", "failed"),
        ("15 januari 2024", "2024-06-20", "Beslut om förlängning borde ha fattats i maj.",
         "failed"),
    ],
)  # fmt: skip
def test_investigation_time(started: str, decided: str, extra: str, status: str) -> None:
    body = (
        f"Barnets behov\n\nUtredningen inleddes den {started}. {extra}\n\n"
        "Barnets inställning\n\nPojken berättar att han trivs i skolan.\n\n" + DECISION_OK
    )
    result = draft(body, kind="UTREDNING", date=decided)["investigation_overdue"]
    assert result.status == status


@pytest.mark.parametrize(
    ("decision", "notice", "status"),
    [
        ("Ansökan om kontaktperson avslås.", "", "failed"),
        ("Pojken placeras i familjehem enligt 4 kap. 1 § SoL.", "", "failed"),
        ("Umgänget med pappa begränsas enligt 14 § LVU.", "", "failed"),
        ("Ansökan om kontaktperson avslås.",
         "Hur man överklagar\n\nBeslutet kan överklagas hos förvaltningsrätten inom tre veckor.",
         "passed"),
        # A refusal of bistånd can be appealed (SoL 16 kap. 3 §): saying it cannot is wrong.
        ("Ansökan om kontaktperson avslås.", "Beslutet kan inte överklagas.", "failed"),
        ("Pojken ska från och med den 1 mars vistas på HVB Björkhagen.", "", "failed"),
        ("Pojken beviljas kontaktperson.", "", "not_applicable"),
        # Not opening (or closing) an utredning cannot be appealed: no notice is required,
        # and a draft that says it cannot be appealed is right.
        ("Utredning inleds inte.", "", "not_applicable"),
        ("Utredningen avslutas utan insats.", "", "not_applicable"),
        ("Utredning inleds inte.", "Beslutet kan inte överklagas.", "passed"),
        ("Utredning inleds enligt 11 kap. 1 § SoL.", "Beslutet går inte att överklaga.", "passed"),
    ],
)  # fmt: skip
def test_appeal_notice(decision: str, notice: str, status: str) -> None:
    body = f"Beslut\n\n{decision}\n\n{notice}"
    assert draft(body)["appeal_notice_missing"].status == status


_LVU_14 = "Umgänget med pappa begränsas enligt 14 § andra stycket 1 LVU."
_REFUSAL = "Ansökan om kontaktfamilj avslås enligt 4 kap. 1 § SoL."


@pytest.mark.parametrize(
    ("decision", "notice", "wrong"),
    [
        (_REFUSAL, "Beslutet kan inte överklagas.", "”kan inte överklagas”"),
        (_LVU_14, "Beslutet kan överklagas hos Kammarrätten i Jönköping inom tre veckor från den "
         "dag ni fick del av beslutet.", "fel domstol"),
        (_LVU_14, "Beslutet kan överklagas till tingsrätten inom tre veckor från den dag ni fick "
         "del av beslutet.", "fel domstol"),
        ("Socialnämnden beslutar om tillfälligt flyttningsförbud enligt 27 § LVU.",
         "Beslutet kan överklagas hos förvaltningsrätten inom tre månader från den dag du fick "
         "del av beslutet.", "inom tre veckor"),
        (_REFUSAL, "Beslutet kan överklagas hos förvaltningsrätten. Överklagandet ska ha kommit "
         "in inom två veckor.", "förvaltningslagen 44 §"),
        (_REFUSAL, "Beslutet kan överklagas hos förvaltningsrätten inom tre veckor från "
         "beslutsdagen.", "från den dag parten fick del av beslutet"),
    ],
)  # fmt: skip
def test_wrong_appeal_notice_fails_and_says_why(decision: str, notice: str, wrong: str) -> None:
    result = draft(f"Beslut\n\n{decision}\n\nHur man överklagar\n\n{notice}")[
        "appeal_notice_missing"
    ]
    assert result.status == "failed"
    assert wrong in result.summary
    # Why it matters legally: FL 33 § andra stycket, and the court it goes to.
    assert "33 § andra stycket" in result.summary and "förvaltningsrätten" in result.summary
    assert any(not e.counts and e.section == "Hur man överklagar" for e in result.evidence)


@pytest.mark.parametrize(
    "notice",
    [
        # The second instance named after the right first one.
        "Beslutet kan överklagas hos förvaltningsrätten i Falun. Överklagandet ska ha kommit in "
        "till socialnämnden inom tre veckor från den dag du fick del av beslutet. "
        "Förvaltningsrättens dom kan i sin tur överklagas till kammarrätten i Sundsvall.",
        "Skriv till förvaltningsrätten men skicka skrivelsen till socialnämnden. Överklagandet "
        "ska ha kommit in inom 21 dagar från den dag du fick del av beslutet.",
    ],
)
def test_right_appeal_notice_passes(notice: str) -> None:
    body = f"Beslut\n\n{_REFUSAL}\n\nHur man överklagar\n\n{notice}"
    assert draft(body)["appeal_notice_missing"].status == "passed"


def test_appeal_in_the_case_history_is_no_notice() -> None:
    body = (
        "Bakgrund\n\nMamma överklagade förra beslutet till kammarrätten inom tre månader.\n\n"
        f"Beslut\n\n{_LVU_14}\n\nHur man överklagar\n\nBeslutet kan överklagas hos "
        "förvaltningsrätten inom tre veckor från den dag ni fick del av beslutet."
    )
    assert draft(body)["appeal_notice_missing"].status == "passed"


def test_evidence_names_its_section() -> None:
    result = draft(f"Beslut\n\n{_REFUSAL}\n\nBeslutet kan inte överklagas.")[
        "appeal_notice_missing"
    ]
    assert {e.section for e in result.evidence} == {"Beslut"}
    assert result.evidence[0].to_dict()["section"] == "Beslut"


def test_appeal_notice_reads_the_decision_title() -> None:
    body = (
        "Beslut om umgänge enligt 14 § LVU\n\nBakgrund\n\nPojken är placerad.\n\n"
        "Beslut\n\nUmgänget ska ske varannan lördag i närvaro av personal."
    )
    assert draft(body)["appeal_notice_missing"].status == "failed"


def test_statute_sections_are_not_read() -> None:
    body = (
        "Rättslig reglering\n\nEnligt 11 kap. 10 § SoL ska barnet ges möjlighet att framföra sina "
        "åsikter och samtal med barnet ska dokumenteras. Barnets bästa ska särskilt beaktas.\n\n"
        "Beslut\n\nUtredning inleds enligt 11 kap. 1 § SoL."
    )
    results = draft(body)
    assert results["child_views_missing"].status == "failed"
    assert results["best_interests_missing"].status == "failed"


def test_checks_are_ordered_and_complete() -> None:
    results = run_checks(document_from_text(HEADER.format(kind="BESLUT", date="2024-01-01")))
    assert tuple(r.id for r in results) == CHECK_IDS == tuple(c.id for c in CHECKS)
    assert len(CHECK_IDS) == 9


@pytest.mark.parametrize("relative", ["jo/parsed/2004/1000.xhtml", "jo/parsed/2012/6356.xhtml"])
def test_real_jo_decisions_get_no_absence_findings(relative: str) -> None:
    doc = read_document(realdata_file(f"staffanm-ferenda/{relative}"))
    assert doc.metadata.authority == "JO"
    assert {r.status for r in run_checks(doc)} == {"not_applicable"}


# --------------------------------------------------------------------------- issue 16: precision


def test_infant_observed_instead_of_heard() -> None:
    observed = draft(
        "Barnets behov\n\nLeo, född 2023, är sex månader. Han är för liten för att kunna höras. "
        "Vid hembesöken observerades att Leo ofta låg ensam i sängen.\n\n"
        "Beslut\n\nUtredning inleds enligt 11 kap. 1 § SoL."
    )
    assert observed["child_views_missing"].status == "passed"
    silent = draft(
        "Bakgrund\n\nLeo, född 2023, är sex månader och har gått ner i vikt.\n\n"
        "Beslut\n\nUtredning inleds enligt 11 kap. 1 § SoL."
    )
    assert silent["child_views_missing"].status == "failed"


def test_name_ending_in_s_and_a_far_negation_keep_best_interests() -> None:
    results = draft(
        "Barnet: Elias Åberg, född 2017\n\nMotivering\n\nMed hänsyn till Elias bästa och till att "
        "behovet kan tillgodoses på annat sätt finns inte skäl att bevilja kontaktfamilj.\n\n"
        "Beslut\n\nAnsökan om kontaktfamilj avslås enligt 4 kap. 1 § SoL."
    )
    assert results["best_interests_missing"].status == "passed"
    denied = draft("Bedömning\n\nBarnets bästa har inte beaktats.\n\nBeslut\n\nAnsökan avslås.")
    assert denied["best_interests_missing"].status == "failed"


@pytest.mark.parametrize("heading", ["Överväganden", "Skäl", "Motivering"])
def test_reasons_under_their_own_heading(heading: str) -> None:
    results = draft(
        f"{heading}\n\nFamiljehemmet kan inte fortsätta uppdraget. Familjen Sand är utredd och "
        "godkänd, och sammantaget är en flyttning dit förenlig med barnets bästa.\n\n"
        "Beslut\n\nNämnden beslutar att Tindra ska flyttas till familjehemmet Sand, 11 § LVU."
    )
    assert results["reasons_missing"].status == "passed"


def test_time_limit_counts_from_the_report_that_came_in() -> None:
    body = (
        "Förhandsbedömning avseende Alva, född 2019\n\nAktualisering\n\n"
        "Anmälan inkom 2024-04-08 från förskolan. Familjen är känd sedan en tidigare anmälan "
        "som inkom 2022-11-21.\n\nBedömning\n\nBarnets bästa talar för en utredning.\n\n"
        "Beslut\n\nUtredning inleds enligt 11 kap. 1 § SoL."
    )
    results = draft(body, kind="FÖRHANDSBEDÖMNING", date="2024-04-16")
    check = results["preliminary_assessment_overdue"]
    assert check.status == "passed" and "2024-04-08" in check.summary
    late = draft(body, kind="FÖRHANDSBEDÖMNING", date="2024-04-30")
    assert late["preliminary_assessment_overdue"].status == "failed"


def test_period_dates_in_the_decision_are_not_its_date() -> None:
    results = draft(
        "Förhandsbedömning avseende Alva, född 2019\n\nAktualisering\n\nAnmälan inkom den "
        "4 mars 2024.\n\nBeslut\n\nUtredning inleds enligt 11 kap. 1 § SoL. Stödet gäller till "
        "och med den 30 september 2024.",
        kind="FÖRHANDSBEDÖMNING",
        date="2024-03-14",
    )
    assert results["preliminary_assessment_overdue"].status == "passed"


GRANTED = (
    "Bedömning\n\nEllas bästa talar för placeringen eftersom hon vill bo hos mormor.\n\n"
    "Beslut\n\nAnsökan beviljas. Ella beviljas bistånd i form av placering hos mormor enligt "
    "4 kap. 1 § SoL."
)
MOVE = (
    "Överväganden\n\nEn flyttning till familjen Alm bedöms förenlig med Veras bästa eftersom "
    "hon kan gå kvar i skolan.\n\nBeslut\n\nVera ska flyttas till familjehemmet Alm, 11 § LVU.\n\n"
    "Hur man överklagar\n\nBeslutet kan överklagas hos förvaltningsrätten."
)


def test_kommunicering_is_required_only_against_a_party() -> None:
    granted = draft(GRANTED)
    assert granted["kommunicering_missing"].status == "not_applicable"
    assert granted["appeal_notice_missing"].status == "not_applicable"
    moved = draft(MOVE)
    assert moved["kommunicering_missing"].status == "failed"
    assert moved["kommunicering_missing"].label == "party_information"
    assert "25 §" in moved["kommunicering_missing"].legal_basis


@pytest.mark.parametrize(
    "sentence",
    [
        "Utredningen har kommunicerats med vårdnadshavarna den 20 september 2024.",
        "Mamma har fått ta del av förslaget till beslut och har yttrat sig.",
        "Pappa har getts tillfälle att yttra sig över utredningen.",
        "Kommunicering har inte kunnat ske eftersom beslutet inte kan skjutas upp.",
        "Vårdnadshavarna har beretts tillfälle att yttra sig.",
        "Utredningen har skickats till mamma för synpunkter den 3 maj 2024.",
        "Pappa har lämnat skriftliga synpunkter på förslaget till beslut.",
    ],
)
def test_kommunicering_recognised(sentence: str) -> None:
    results = draft(MOVE.replace("Beslut\n\n", f"Kommunicering\n\n{sentence}\n\nBeslut\n\n", 1))
    assert results["kommunicering_missing"].status == "passed"


def test_kommunicering_denied_or_urgent() -> None:
    denied = MOVE.replace("Beslut\n\n", "Kommunicering har inte skett.\n\nBeslut\n\n", 1)
    assert draft(denied)["kommunicering_missing"].status == "failed"
    urgent = draft(
        "Bedömning\n\nPojken bedöms vara i akut fara eftersom pappa hotat honom.\n\nBeslut\n\n"
        "Pojken omedelbart omhändertas enligt 6 § LVU och placeras i jourhem."
    )
    assert urgent["kommunicering_missing"].status == "not_applicable"


def test_age_as_the_reason_and_barnperspektiv() -> None:
    results = draft(
        "Bedömning\n\nElsa, född 2022, har inte hörts då hon endast är två år. Utifrån ett "
        "barnperspektiv bedöms stödet behövas.\n\nBeslut\n\n"
        "Utredning inleds enligt 11 kap. 1 § SoL."
    )
    assert results["child_views_missing"].status == "passed"
    assert results["best_interests_missing"].status == "passed"
