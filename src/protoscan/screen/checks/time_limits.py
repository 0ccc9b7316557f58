"""Time limits: a förhandsbedömning within 14 days of the report, an utredning within four
months, unless an extension or synnerliga skäl are recorded.

May import: ``structure.legal_refs`` and ``screen.checks.base``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable

from protoscan.screen.checks.base import (
    NOTE_EXTENDED,
    NOTE_NEGATED,
    Check,
    Context,
    Evidence,
    Outcome,
    Unit,
    compile_patterns,
    shorten,
)
from protoscan.structure.legal_refs import find_dates

__all__ = [
    "CHECKS",
    "INVESTIGATION_MONTHS",
    "PRELIMINARY_DAYS",
]

_I = re.IGNORECASE
PRELIMINARY_DAYS = 14
INVESTIGATION_MONTHS = 4


_REPORT_CONTEXT = re.compile(
    r"\b(?:anmäl\w*|orosanmäl\w*|aktualiser\w*|inkom\w*|kom\s+in|ansökan|ansökte|ansökt"
    r"|uppgifter\s+(?:kom|inkom))\b",
    _I,
)
#: Sentences that say when this case's report or application came in ("Anmälan inkom den
#: 4 mars", "Inkom: 2024-03-04", "ansökte den 12 augusti").
_RECEIVED = re.compile(
    r"\b(?:inkom|inkommit|kom\s+in|aktualiserades|mottogs|ansökte|anmälde|anmälningsdatum"
    r"|datum\s+för\s+anmälan)\b",
    _I,
)
#: An earlier report ("en tidigare anmälan som inkom 2022-11-21") does not start the clock.
_EARLIER = re.compile(r"\b(?:tidigare|förra|föregående|känd\s+sedan)\b", _I)
#: Dates in a decision that are not the decision's own (periods, follow-up, review).
_NOT_DECISION_DATE = re.compile(
    r"\b(?:från\s+och\s+med|fr\.\s?o\.\s?m|till\s+och\s+med|t\.\s?o\.\s?m|gäller|senast"
    r"|omprövas|följs\s+upp|uppföljning|under\s+perioden|under\s+tiden)\b",
    _I,
)
_DECISION_MADE = re.compile(
    r"\bbeslut\w*\s+(?:\w+\s+){0,6}(?:fattades|fattats|fattat)\b|\bbeslutsdatum\b", _I
)
_EXTENSION = compile_patterns((r"\bförläng\w*\b", r"\bsynnerliga\s+skäl\b"))
_INVESTIGATION_START = re.compile(
    r"\butredning\w*\s+(?:\w+\s+){0,4}(?:inleddes|inleds|påbörjades|startade|inletts|öppnades"
    r"|pågått\s+sedan|påbörjad)\b|\binledde\w*\s+(?:en\s+)?utredning\b"
    r"|\bbeslut\w*\s+(?:om\s+)?att\s+inleda\s+(?:en\s+)?utredning\b|\butredningstid\w*",
    _I,
)
_INVESTIGATION_END = re.compile(
    r"\butredning\w*\s+(?:\w+\s+){0,3}(?:avslut\w*|slutför\w*|klar\w*)\b|\bavslutades\b", _I
)
_BORN = re.compile(r"\b(?:född|födelsedatum)\s*:?\s*$", _I)


def _dates_in(
    ctx: Context, units: Iterable[Unit], context: re.Pattern[str] | None
) -> list[tuple[dt.date, Unit, int, int]]:
    found = []
    for unit in units:
        sentence = ctx.sentence(unit)
        if context is not None and not context.search(sentence):
            continue
        for offset, iso in find_dates(sentence):
            if _BORN.search(sentence[max(0, offset - 20) : offset]):
                continue
            length = _date_length(sentence, offset)
            found.append((dt.date.fromisoformat(iso), unit, offset, length))
    return found


def _date_length(sentence: str, offset: int) -> int:
    match = re.match(r"\d{4}-\d\d-\d\d|\d{1,2}\s+\w+\s+\d{4}", sentence[offset:])
    return len(match.group()) if match else 10


def _date_evidence(ctx: Context, found: tuple[dt.date, Unit, int, int], note: str) -> Evidence:
    _, unit, offset, length = found
    start = unit.start + offset
    return Evidence(start, start + length, ctx.text[start : start + length],
                    shorten(ctx.sentence(unit)), note, False)  # fmt: skip


def _decision_date(ctx: Context) -> tuple[dt.date, Evidence | None] | None:
    """The decision's date: in the decision section, else the letterhead's, else a dated
    sentence that says a decision was made."""
    units, _ = ctx.decision_units()
    dated = [
        d for d in _dates_in(ctx, units, None) if not _NOT_DECISION_DATE.search(ctx.sentence(d[1]))
    ]
    if dated:
        best = max(dated, key=lambda d: d[0])
        return best[0], _date_evidence(ctx, best, "datum för beslut")
    if ctx.doc.metadata.decision_date:
        return dt.date.fromisoformat(ctx.doc.metadata.decision_date), None
    dated = _dates_in(ctx, ctx.units, _DECISION_MADE)
    if dated:
        best = max(dated, key=lambda d: d[0])
        return best[0], _date_evidence(ctx, best, "datum för beslut")
    return None


def _extension_recorded(ctx: Context) -> tuple[list[Evidence], list[Evidence]]:
    recorded, other = [], []
    for hit in ctx.find(_EXTENSION):
        if hit.rule:
            other.append(ctx.evidence(hit, "regeln återges, inte tillämpad", False))
        elif hit.negated:
            other.append(ctx.evidence(hit, NOTE_NEGATED, False))
        else:
            recorded.append(ctx.evidence(hit, NOTE_EXTENDED, True))
    return recorded, other


def _is_preliminary(ctx: Context) -> bool:
    doc_type = ctx.doc.metadata.doc_type or ctx.doc.doc_type
    if doc_type == "forhandsbedomning":
        return True
    if doc_type == "utredning":
        return False
    return any("förhandsbedömning" in (s.title or "").casefold() for s in ctx.doc.sections)


def _check_preliminary(ctx: Context) -> Outcome:
    if not _is_preliminary(ctx):
        return "not_applicable", "Utkastet är ingen förhandsbedömning.", []
    decision_units = set(ctx.decision_units()[0])
    before = [u for u in ctx.units if u not in decision_units]
    # The clock starts when this case's report came in, not at other dates in the text.
    reports = [
        d for d in _dates_in(ctx, before, _RECEIVED) if not _EARLIER.search(ctx.sentence(d[1]))
    ] or _dates_in(ctx, before, _REPORT_CONTEXT)
    if not reports:
        return "not_applicable", "Hittade inget datum för när anmälan kom in.", []
    received = min(reports, key=lambda d: d[0])
    decided = _decision_date(ctx)
    evidence = [_date_evidence(ctx, received, "datum för anmälan")]
    if decided is None:
        return "not_applicable", "Hittade inget datum för beslutet.", evidence
    date, decision_evidence = decided
    if decision_evidence is not None:
        evidence.append(decision_evidence)
    days = (date - received[0]).days
    span = f"{days} dagar från anmälan ({received[0].isoformat()}) till beslut ({date.isoformat()})"
    if days <= PRELIMINARY_DAYS:
        return "passed", f"{span}: inom {PRELIMINARY_DAYS} dagar.", evidence
    recorded, other = _extension_recorded(ctx)
    if recorded:
        return (
            "passed",
            f"{span}, men förlängning eller synnerliga skäl är antecknade.",
            (evidence + recorded),
        )
    return (
        "failed",
        f"{span}, mer än {PRELIMINARY_DAYS} dagar, och inga synnerliga skäl eller beslut om "
        "förlängning är antecknade.",
        evidence + other,
    )


def _add_months(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def _is_investigation(ctx: Context) -> bool:
    doc_type = ctx.doc.metadata.doc_type or ctx.doc.doc_type
    if doc_type == "forhandsbedomning":
        return False
    if doc_type == "utredning":
        return True
    titles = [(s.title or "").casefold() for s in ctx.doc.sections]
    return any(t.startswith("utredning") or t in ("barnets behov", "föräldrarnas förmåga")
               for t in titles)  # fmt: skip


def _check_investigation(ctx: Context) -> Outcome:
    if not _is_investigation(ctx):
        return "not_applicable", "Utkastet är ingen utredning.", []
    decision_units = set(ctx.decision_units()[0])
    starts = _dates_in(ctx, [u for u in ctx.units if u not in decision_units], _INVESTIGATION_START)
    if not starts:
        return "not_applicable", "Hittade inget datum för när utredningen inleddes.", []
    started = min(starts, key=lambda d: d[0])
    evidence = [_date_evidence(ctx, started, "datum då utredningen inleddes")]
    ends = _dates_in(ctx, ctx.units, _INVESTIGATION_END)
    ends = [d for d in ends if d[0] > started[0]]
    if ends:
        best = max(ends, key=lambda d: d[0])
        end_date: dt.date | None = best[0]
        evidence.append(_date_evidence(ctx, best, "datum då utredningen avslutades"))
    else:
        decided = _decision_date(ctx)
        end_date = decided[0] if decided else None
        if decided and decided[1] is not None:
            evidence.append(decided[1])
    if end_date is None:
        return "not_applicable", "Hittade inget datum för när utredningen avslutades.", evidence
    limit = _add_months(started[0], INVESTIGATION_MONTHS)
    span = f"utredningen inleddes {started[0].isoformat()} och avslutas {end_date.isoformat()}"
    if end_date <= limit:
        return "passed", f"{span.capitalize()}: inom fyra månader.", evidence
    recorded, other = _extension_recorded(ctx)
    if recorded:
        return "passed", f"{span.capitalize()}, men förlängning är antecknad.", evidence + recorded
    return (
        "failed",
        f"{span.capitalize()}, mer än fyra månader (gränsen var {limit.isoformat()}), och "
        "inget beslut om förlängning är antecknat.",
        evidence + other,
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "preliminary_assessment_overdue",
        "Förhandsbedömningen tog mer än 14 dagar",
        "Förhandsbedömning inom 14 dagar",
        "delay",
        "SoL (2001:453) 11 kap. 1 a §; SoL (2025:400) 20 kap. 2 §",
        "I en förhandsbedömning: datum för anmälan eller aktualisering och datum för beslutet; "
        "fler än 14 dagar emellan utan antecknad förlängning eller antecknade ”synnerliga "
        "skäl”.",
        0.5,
        _check_preliminary,
    ),
    Check(
        "investigation_overdue",
        "Utredningen tog mer än fyra månader",
        "Utredning inom fyra månader",
        "delay",
        "SoL (2001:453) 11 kap. 2 §",
        "I en utredning: datum då utredningen inleddes och då den avslutas eller beslut "
        "fattas; mer än fyra månader emellan utan antecknat beslut om förlängning.",
        0.5,
        _check_investigation,
    ),
)
