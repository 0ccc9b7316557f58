"""Document metadata (annotation guide §7): authority, type, dnr, date, kommun, nämnd, outcome.

What the file states about itself (HTML ``<meta>`` and RDFa: case number, decision date,
publisher, title; ``protoscan.ingest.StatedMetadata``) is taken first and wins. Every other
field is a best guess from the text, and ``None`` (or ``"other"`` / ``"unknown"``) when
the text does not say. The header is the text before the first heading (at most
``_HEADER_CHARS``); the closing is the last ``_CLOSING_CHARS`` characters. A court's
document gets ``authority = "court"`` and the court's name as ``body``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from protoscan.document import Metadata, Section
from protoscan.structure.legal_refs import (
    _MONTHS,
    detect_law_version,
    find_dates,
    find_legal_refs,
)
from protoscan.structure.municipalities import normalise_municipality
from protoscan.structure.sections import detect_sections

if TYPE_CHECKING:
    from protoscan.ingest.html import StatedMetadata

__all__ = [
    "AUTHORITIES",
    "COURTS",
    "DOC_TYPES",
    "IVO_OUTCOMES",
    "JO_OUTCOMES",
    "detect_authority",
    "detect_doc_type",
    "detect_outcome",
    "extract_metadata",
    "find_body",
    "find_court",
    "find_decision_date",
    "find_dnr",
    "find_municipality",
    "find_title",
    "stated_authority",
]

AUTHORITIES: tuple[str, ...] = ("JO", "IVO", "municipality", "court", "other")
DOC_TYPES: tuple[str, ...] = (
    "jo_beslut", "jo_protokoll", "ivo_beslut", "ivo_rapport", "lex_sarah", "forhandsbedomning",
    "utredning", "beslut", "tjansteskrivelse", "court_ruling", "statute", "other",
)  # fmt: skip
#: The JO ladder, most severe first (annotation guide §6).
JO_OUTCOMES: tuple[str, ...] = (
    "allvarlig_kritik", "kritik", "uttalande_utan_kritik", "ingen_kritik", "ej_utrett",
)  # fmt: skip
IVO_OUTCOMES: tuple[str, ...] = ("brister_konstaterade", "inga_brister", "avslutat")

_HEADER_CHARS = 1500
_DATE_HEADER_CHARS = 600
_CLOSING_CHARS = 1200
_MAX_TITLE_CHARS = 400
_I = re.IGNORECASE

# --- authority -------------------------------------------------------------------------

_JO_LETTERHEAD = re.compile(r"justitieombudsm|riksdagens ombudsmän|\bjo\.se\b", _I)
_IVO_DNR = re.compile(r"\b(\d(?:\.\d){1,3})-(\d{1,7})/((?:19|20)\d{2})\b")
_IVO_LETTERHEAD = re.compile(r"inspektionen för vård och omsorg", _I)
_COURT_CUES = re.compile(
    r"^\s*DOM\s*$|\bmål\s*nr\b|\bdomslut\b|\b(?:förvaltningsrätten|kammarrätten|tingsrätten"
    r"|hovrätten|högsta förvaltningsdomstolen|högsta domstolen|regeringsrätten)\b",
    _I | re.MULTILINE,
)
_STATUTE_HEADER = re.compile(
    r"svensk författningssamling|\bSFS nr\b|^\s*(?:[A-ZÅÄÖ][a-zåäö -]*)?lag\s*\(\d{4}:\d+\)\s*$",
    _I | re.MULTILINE,
)
_JO_STRONG = (
    (re.compile(r"justitieombudsm|riksdagens ombudsmän|\bjo\.se\b", _I), 3),
    (re.compile(r"anförde\s+(?:stf\.?\s+)?(?:JO|justitieombudsman\w*)\b"), 4),
    (re.compile(r"\bJO:s\b"), 2),
    (re.compile(r"beslutet i korthet", _I), 2),
)
_IVO_STRONG = (
    (re.compile(r"inspektionen för vård och omsorg", _I), 3),
    (re.compile(r"\bIVO:s\b"), 2),
    (_IVO_DNR, 3),
)
_MUNICIPAL_CUES = re.compile(
    r"socialnämnden|socialtjänsten|familjenämnden|omsorgsnämnden|\bkommun(?:en|s)?\b"
    r"|\bstad\b|socialsekreterare|handläggare|beslutsfattare|delegat|förhandsbedömning"
    r"|skyddsbedömning|tjänsteskrivelse|aktualisering|lex sarah|förvaltningen",
    _I,
)
_STRONG_THRESHOLD = 4

# --- courts ----------------------------------------------------------------------------

#: Courts with one seat, by their name in lower case (Regeringsrätten is the former name of
#: Högsta förvaltningsdomstolen).
COURTS: dict[str, str] = {
    name.casefold(): name
    for name in (
        "Högsta domstolen", "Högsta förvaltningsdomstolen", "Regeringsrätten",
        "Arbetsdomstolen", "Migrationsöverdomstolen", "Marknadsdomstolen",
        "Patent- och marknadsöverdomstolen", "Mark- och miljööverdomstolen",
        "Svea hovrätt", "Göta hovrätt",
    )
}  # fmt: skip
_PLACE = r"(?:(?:västra|nedre|övre|södra|norra) )?[A-ZÅÄÖ][\wåäö-]+(?: och [A-ZÅÄÖ][\wåäö-]+)?"
#: What may follow a court's name on its letterhead line.
_LETTERHEAD_TAIL = re.compile(r"(?:dom|beslut|slutligt beslut|protokoll|avdelning|mål|rotel)\b", _I)
_COURT_NAME = re.compile(
    r"\b(?:(?P<national>" + "|".join(re.escape(k) for k in COURTS) + r")s?"
    r"|(?P<court>kammarrätten|förvaltningsrätten|länsrätten|hovrätten|migrationsdomstolen)s?"
    r" (?P<prep>i|för|över) (?P<place>" + _PLACE + r")"
    r"|(?P<town>[A-ZÅÄÖ][\wåäö-]+?)(?P<gen>s)? (?P<local>tingsrätts?))\b",
    _I,
)
#: How many of the first lines a court's letterhead may be on.
_LETTERHEAD_LINES = 3


def _court_of(match: re.Match[str]) -> str:
    if match.group("national"):
        return COURTS[match.group("national").casefold()]
    if match.group("court"):
        place = " ".join(
            w if w == "och" else w[:1].upper() + w[1:].lower() for w in match.group("place").split()
        )
        return f"{match.group('court').capitalize()} {match.group('prep').lower()} {place}"
    town = match.group("town")
    return f"{town[:1].upper()}{town[1:].lower()}{match.group('gen') or ''} tingsrätt"


def find_court(text: str) -> str | None:
    """The court whose letterhead opens the document: a court's name on one of its first
    lines (``Högsta domstolen NJA 2007 s. 227``, ``HÖGSTA DOMSTOLENS DOM``,
    ``FÖRVALTNINGSRÄTTEN I STOCKHOLM``), in its usual spelling.

    Example:
        >>> find_court("KAMMARRÄTTEN I GÖTEBORG\\nDOM\\nMål nr 1234-19")
        'Kammarrätten i Göteborg'
        >>> find_court("Beslut\\n\\nNämnden har överklagat till förvaltningsrätten i Malmö.")
    """
    lines = [line.strip() for line in text[:_HEADER_CHARS].splitlines() if line.strip()]
    for line in lines[:_LETTERHEAD_LINES]:
        match = _COURT_NAME.match(line)
        if not match:
            continue
        court = _court_of(match)
        rest = line[match.end() :].strip()
        genitive = match.group().casefold() == court.casefold() + "s"
        # The name alone, or followed by what a letterhead holds ("Högsta domstolen NJA
        # 2007 s. 227", "HÖGSTA DOMSTOLENS DOM", "KAMMARRÄTTEN I SUNDSVALL Avdelning 2");
        # not a sentence about a court ("Förvaltningsrätten i Malmö har avslagit …").
        if (
            not rest
            or _LETTERHEAD_TAIL.match(rest)
            or (match.group("national") and not rest[0].islower())
            or (genitive and rest.split()[0].casefold() in ("dom", "beslut", "protokoll"))
        ):
            return court
    return None


def _whole_court(name: str) -> str | None:
    match = _COURT_NAME.fullmatch(" ".join(name.split()))
    return _court_of(match) if match else None


def stated_authority(publishers: Iterable[str]) -> tuple[str, str | None] | None:
    """The authority (and, for a court, its name) of the first stated publisher protoscan
    knows: JO, IVO or a court; ``None`` when none of them is one of those.

    Example:
        >>> stated_authority(["Domstolsverket", "Högsta domstolen"])
        ('court', 'Högsta domstolen')
    """
    for publisher in publishers:
        if _JO_LETTERHEAD.search(publisher):
            return "JO", None
        if _IVO_LETTERHEAD.search(publisher) or publisher.strip() == "IVO":
            return "IVO", None
        if court := _whole_court(publisher):
            return "court", court
    return None


def _score(cues: Iterable[tuple[re.Pattern[str], int]], text: str, header: str) -> int:
    total = 0
    for pattern, weight in cues:
        total += weight * min(len(pattern.findall(text)), 3)
        total += weight * min(len(pattern.findall(header)), 1)
    return total


def detect_authority(text: str, header: str | None = None) -> str:
    """Say who wrote the document: ``JO``, ``IVO``, ``municipality``, ``court`` or ``other``.

    Letterheads decide first (JO, IVO, statute, a court's name on the first lines, court
    cues such as ``DOM`` and ``Mål nr``); then strong cues anywhere in the text (``JO:s``,
    ``anförde JO``, ``IVO:s``, an IVO dnr); then municipal vocabulary.

    Args:
        text: The document text.
        header: The text before the first heading (default: the first 1500 characters).

    Example:
        >>> detect_authority("BESLUT\\n\\nJustitieombudsmannen AA\\n\\nKritik mot nämnden")
        'JO'
    """
    header = text[:_HEADER_CHARS] if header is None else header
    if _JO_LETTERHEAD.search(header):
        return "JO"
    if _IVO_LETTERHEAD.search(header[:_DATE_HEADER_CHARS]) or _IVO_DNR.search(header):
        return "IVO"
    if _STATUTE_HEADER.search(header):
        return "other"
    if find_court(text):
        return "court"
    court_hits = {m.group().casefold().strip() for m in _COURT_CUES.finditer(header)}
    if len(court_hits) >= 2 or "dom" in court_hits:
        return "court"
    jo, ivo = _score(_JO_STRONG, text, header), _score(_IVO_STRONG, text, header)
    if max(jo, ivo) >= _STRONG_THRESHOLD:
        return "JO" if jo >= ivo else "IVO"
    if len(_MUNICIPAL_CUES.findall(text)) >= 2:
        return "municipality"
    return "other"


# --- document type ---------------------------------------------------------------------

_BBIC_KINDS = re.compile(r"barnets behov|föräldrarnas förmåga|familj och miljö", _I)


def detect_doc_type(authority: str, header: str, headings: Iterable[str] = ()) -> str:
    """Classify the document (``jo_beslut``, ``ivo_beslut``, ``forhandsbedomning`` …).

    Args:
        authority: The result of ``detect_authority``.
        header: The text before the first heading.
        headings: The section titles found in the document.

    Example:
        >>> detect_doc_type("JO", "PROTOKOLL\\nInspektion av socialnämnden")
        'jo_protokoll'
    """
    titles = " | ".join(headings)
    if authority == "JO":
        inspection = re.search(r"\bprotokoll\b|\binspektion", header, _I)
        return "jo_protokoll" if inspection else "jo_beslut"
    if authority == "IVO":
        if re.search(r"rapport|nationell tillsyn", header, _I) and not re.search(
            r"\bbeslut\b", header, _I
        ):
            return "ivo_rapport"
        return "ivo_beslut"
    if authority == "court":
        return "court_ruling"
    if _STATUTE_HEADER.search(header):
        return "statute"
    if re.search(r"lex sarah", header, _I) or re.search(r"ställningstagande|orsaker", titles, _I):
        return "lex_sarah"
    if re.search(r"tjänsteskrivelse", header, _I):
        return "tjansteskrivelse"
    bbic = _BBIC_KINDS.search(titles) or re.search(r"\bBBIC\b", header)
    if re.search(r"förhandsbedömning", header, _I) or (
        re.search(r"förhandsbedömning", titles, _I) and not bbic
    ):
        return "forhandsbedomning"
    if bbic or re.search(r"\butredning\b", header, _I):
        return "utredning"
    if re.search(r"\bbeslut\b", header, _I) or re.search(r"\bbeslut\b", titles, _I):
        return "beslut"
    return "other"


# --- dnr -------------------------------------------------------------------------------

_JO_DNR = re.compile(
    r"\b(?:JO:?s\s+)?(?:ärende\s+)?(?:dnr|diarienummer)\.?\s*:?\s*(\d{1,5}-(?:19|20)\d{2})\b", _I
)
_LABELLED_DNR = re.compile(
    r"\b(?:dnr|diarienummer|diarienr|ärendenummer)\.?[ \t]*:?[ \t]*"
    r"([A-ZÅÄÖ0-9][A-ZÅÄÖ0-9 ./-]{2,28}?)[ \t]*(?:$|,|;|\n)",
    _I | re.MULTILINE,
)
_MUNICIPAL_DNR = re.compile(r"\b([A-ZÅÄÖ]{2,6})[\s-]?((?:19|20)\d{2})[/.-](\d{1,6})\b")
_COURT_CASE = re.compile(
    r"\bmål\s*(?:nr|nummer)\.?\s*:?\s*([A-ZÅÄÖ]{1,2}\s?-?\d{1,6}-\d{2,4}|\d{1,6}-\d{2,4})\b", _I
)
#: Layout text may put other letterhead fields between "Mål nr" and the number, on one line
#: ("Mål nr meddelad i Stockholm den 4 november 2009 T 170-08"); not a date.
_COURT_CASE_LATER = re.compile(
    r"\bmål\s*nr\.?[^\n]{0,60}?\s((?-i:[A-ZÅÄÖ]{1,2})\s?-?\d{1,6}-\d{2,4}|\d{1,6}-\d{2,4})\b(?!-\d)",
    _I,
)


def find_dnr(text: str, authority: str, header: str = "") -> str | None:
    """Find the case number in the format the authority uses.

    JO: ``1234-2019``; IVO: ``8.5-29206/2014`` (any class prefix); municipality: the value
    after ``Dnr``/``Diarienummer``, else a ``SN 2015/0132``-style number in the header
    (low precision); court: the ``Mål nr``.

    Example:
        >>> find_dnr("Datum 2019-05-03\\nDnr 1234-2018", "JO")
        '1234-2018'
    """
    if authority == "JO":
        match = _JO_DNR.search(text)
        return match.group(1) if match else None
    if authority == "IVO":
        match = _IVO_DNR.search(text)
        return match.group() if match else None
    if authority == "court":
        match = _COURT_CASE.search(text) or _COURT_CASE_LATER.search(text)
        return re.sub(r"\s+", " ", match.group(1)) if match else None
    for match in _LABELLED_DNR.finditer(text):
        value = match.group(1).strip(" ./-")
        if re.search(r"\d", value):
            return value
    match = _MUNICIPAL_DNR.search(header or text[:_HEADER_CHARS])
    return match.group() if match else None


# --- date ------------------------------------------------------------------------------

_DATE = (
    r"(?:(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:[1-9]|[12]\d|3[01])\s+(?:" + "|".join(_MONTHS) + r")\s+(?:19|20)\d{2})"
)
_LABELLED_DATE = re.compile(
    r"\b(?:beslutsdatum|avgörandedatum|datum för beslut|beslutsdag|datum)\b\.?[ \t]*:?\s{0,4}("
    + _DATE
    + ")",
    _I,
)
_JO_DECISION_DATE = re.compile(r"\bi (?:sitt|detta|ett) beslut (?:den )?(" + _DATE + ")", _I)
_PLACE_DATE = re.compile(
    r"^[ \t]*[A-ZÅÄÖ][\wåäö-]+(?:\s[A-ZÅÄÖ][\wåäö-]+)?(?:\s+den)?\s+(" + _DATE + r")[ \t]*$",
    re.MULTILINE,
)


def _iso(date: str) -> str:
    found = find_dates(date)
    return found[0][1]


def find_decision_date(text: str, header: str | None = None) -> str | None:
    """Find the date of the decision as an ISO string.

    In order: a date after ``Datum``/``Beslutsdatum``; JO's ``I sitt beslut den …``; the
    first date in the header; a ``Gnesta den 3 maj 2019`` line near the end.

    Example:
        >>> find_decision_date("Beslut\\nDatum: 3 maj 2019\\n\\nDen 1 april 2019 kom …")
        '2019-05-03'
    """
    header = text[:_DATE_HEADER_CHARS] if header is None else header[:_DATE_HEADER_CHARS]
    for pattern, region in (
        (_LABELLED_DATE, text),
        (_JO_DECISION_DATE, text),
    ):
        if match := pattern.search(region):
            return _iso(match.group(1))
    if dates := find_dates(header):
        return dates[0][1]
    tail_start = max(len(text) - _CLOSING_CHARS, 0)
    if match := _PLACE_DATE.search(text, tail_start):
        return _iso(match.group(1))
    return None


# --- municipality and body -------------------------------------------------------------

_NAME = r"[A-ZÅÄÖ][\wåäö-]+(?:\s[A-ZÅÄÖ][\wåäö-]+)?"
_KOMMUN = re.compile(r"\b(" + _NAME + r")\s+(?:kommuns?|stads?)\b")
_SOCIALTJANST_I = re.compile(r"\bsocialtjänsten i (" + _NAME + r")\b")
#: Letterheads in capitals: "GISLAVEDS KOMMUN" on a line of its own.
_KOMMUN_CAPITALS = re.compile(
    r"^([A-ZÅÄÖ][A-ZÅÄÖ-]+(?: [A-ZÅÄÖ][A-ZÅÄÖ-]+)?) (?:KOMMUN|STAD)\s*$", re.MULTILINE
)
_NAMND = r"(?:[A-ZÅÄÖa-zåäö][a-zåäö]+-\s(?:och\s)?)?[A-ZÅÄÖa-zåäö][a-zåäö-]*(?:nämnden|styrelsen)"
_BODY_I = re.compile(r"\b(" + _NAMND + r")\s+i\s+(" + _NAME + r")\s+(kommun|stad)s?\b")
_BODY_COMMA = re.compile(r"\b(" + _NAME + r")\s+kommun,\s*(" + _NAMND + r")\b")
_DISTRICT = re.compile(
    r"\b([A-ZÅÄÖ][\wåäö]+(?:-[A-ZÅÄÖ][\wåäö]+)*)\s+stadsdelsnämnd\b"
    r"|\b[Ss]tadsdelsnämnden\s+(?:i\s+)?([A-ZÅÄÖ][\wåäö]+(?:-[A-ZÅÄÖ][\wåäö]+)*)"
)


def _municipality_of(raw: str) -> str | None:
    return normalise_municipality(raw) or normalise_municipality(raw.split()[-1])


def _most_common(found: list[str], title: str | None) -> str | None:
    if not found:
        return None
    counts = Counter(found)
    for name in counts:
        if title and name in title:
            counts[name] += 3
    best = max(counts.values())
    return next(name for name in found if counts[name] == best)


def find_body(text: str, title: str | None = None) -> str | None:
    """Find the nämnd the document concerns, e.g. ``Socialnämnden i Gnesta kommun``.

    Covers ``X-nämnden i Y kommun``, ``Y kommun, Socialnämnden``, ``Kommunstyrelsen``-style
    boards and ``X stadsdelsnämnd``; the most frequent wins, mentions in the title count
    extra.

    Example:
        >>> find_body("Kritik mot socialnämnden i Gnesta kommuns handläggning")
        'Socialnämnden i Gnesta kommun'
    """
    found: list[str] = []
    for match in _BODY_I.finditer(text):
        namnd, raw, kind = match.groups()
        name = _municipality_of(raw)
        if name is None:
            continue
        place = name if kind == "kommun" else raw.split()[-1]
        found.append(f"{namnd[0].upper()}{namnd[1:]} i {place} {kind}")
    for match in _BODY_COMMA.finditer(text):
        raw, namnd = match.groups()
        if name := _municipality_of(raw):
            found.append(f"{namnd[0].upper()}{namnd[1:]} i {name} kommun")
    for match in _DISTRICT.finditer(text):
        found.append(f"{match.group(1) or match.group(2)} stadsdelsnämnd")
    return _most_common(found, title)


def find_municipality(text: str, body: str | None = None, title: str | None = None) -> str | None:
    """Find the municipality's base name (``Gnesta kommuns`` → ``Gnesta``; ``Borås`` stays).

    The nämnd's municipality wins; otherwise the most frequent valid name before ``kommun``
    or ``stad`` or after ``socialtjänsten i``.

    Example:
        >>> find_municipality("Yttrande från Vännäs kommun och Gnesta kommuns nämnd, Vännäs kommun")
        'Vännäs'
        >>> find_municipality("GISLAVEDS KOMMUN\\nSocialförvaltningen")
        'Gislaved'
    """
    match = re.search(r"\bi (" + _NAME + r") (?:kommun|stad)$", body or "")
    if match and (name := _municipality_of(match.group(1))):
        return name
    found = [
        name
        for pattern in (_KOMMUN, _SOCIALTJANST_I)
        for match in pattern.finditer(text)
        if (name := _municipality_of(match.group(1)))
    ]
    found += [
        name
        for match in _KOMMUN_CAPITALS.finditer(text)
        if (name := _municipality_of(match.group(1).title()))
    ]
    return _most_common(found, title)


# --- outcome ---------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])|\n\s*\n")
_W = r"(?:\S+\s+)"
_JO_SEVERE = re.compile(
    r"allvarlig(?:a|are)? kritik|allvarligt kritiser|JO är mycket kritisk|synnerligen allvarlig"
    r"|mycket allvarlig kritik",
    _I,
)
_JO_UNDGA = re.compile(
    r"(?:kan|bör|kunde) inte undgå " + _W + r"{0,3}?kritik|undgår inte kritik", _I
)
_JO_NONE = re.compile(
    r"\b(?:inte|ingen|inga|utan)\s+" + _W + r"{0,6}?(?:kritik|kritisera\w*)\b"
    r"|\b(?:inte|ingen)\s+" + _W + r"{0,4}?(?:anledning|skäl|grund)\b"
    r"|föranleder (?:inte någon|ingen|inte något|inget) (?:ytterligare )?"
    r"(?:åtgärd|uttalande|kommentar)",
    _I,
)
_JO_CRITICISM = re.compile(
    r"\bkritik mot\b|\b(?:får|fick|förtjänar|ska ha|bör få|måste få) " + _W + r"{0,2}?kritik"
    r"|\bkritiseras\b|\b(?:JO|jag) kritiserar\b|\briktar " + _W + r"{0,2}?kritik"
    r"|med den kritik som|\bkritikvärd|\bkritik för\b|\bär (?:mycket )?kritisk\b",
    _I,
)
_JO_STATEMENT = re.compile(
    r"\b(?:JO|jag) vill (?:dock |också |även )?(?:framhålla|understryka|påminna|påpeka|betona)"
    r"|hade varit önskvärt|vill jag (?:dock )?(?:framhålla|understryka|påminna|påpeka)",
    _I,
)
_JO_NOT_INVESTIGATED = re.compile(
    r"anmälan föranleder (?:ingen|inte någon) åtgärd|lämnas utan åtgärd"
    r"|(?:JO|jag) (?:har )?(?:beslutat att )?inte (?:att )?utreda|utan (?:vidare )?utredning",
    _I,
)
_IVO_NONE = re.compile(
    r"(?:inga|inte (?:funnit |konstaterat )?några) (?:\w+ )?brister|har följt gällande"
    r"|uppfyll(?:er|t|de) (?:gällande |lagens )?krav",
    _I,
)
_IVO_DEFICIENT = re.compile(
    r"\bbrister\b|\bbrustit\b|(?:bedömer|konstaterar|finner) " + _W + r"{0,3}?att " + _W
    + r"{0,4}?inte (?:har|hade|har kunnat)|riktar kritik|kritik mot|\bska " + _W
    + r"{0,3}?(?:säkerställa|vidta)|föreläggande|\bvite\b|redovisa " + _W + r"{0,4}?åtgärder",
    _I,
)  # fmt: skip
_IVO_CLOSED = re.compile(r"avslutar ärendet|ärendet avslutas|ärendet är avslutat", _I)


def _sentences(texts: Iterable[str]) -> list[str]:
    return [s for text in texts for s in _SENTENCE_END.split(text) if s.strip()]


def _jo_level(sentence: str) -> str | None:
    if _JO_SEVERE.search(sentence):
        return "allvarlig_kritik"
    if _JO_UNDGA.search(sentence):
        return "kritik"
    if _JO_NOT_INVESTIGATED.search(sentence):
        return "ej_utrett"
    if _JO_NONE.search(sentence):
        return "ingen_kritik"
    if _JO_CRITICISM.search(sentence):
        return "kritik"
    if _JO_STATEMENT.search(sentence):
        return "uttalande_utan_kritik"
    return None


def _ivo_level(sentence: str) -> str | None:
    if _IVO_NONE.search(sentence):
        return "inga_brister"
    if _IVO_DEFICIENT.search(sentence):
        return "brister_konstaterade"
    if _IVO_CLOSED.search(sentence):
        return "avslutat"
    return None


def detect_outcome(authority: str, regions: Iterable[str]) -> str | None:
    """Read the outcome from the title, summary, decision and closing text.

    JO: the most severe rung of the ladder found (``allvarlig_kritik`` … ``ej_utrett``).
    IVO: ``brister_konstaterade`` beats ``inga_brister`` beats ``avslutat``. Other
    authorities, or no cue: ``None``.

    Example:
        >>> detect_outcome("JO", ["Nämnden kan inte undgå kritik.", "Ärendet avslutas."])
        'kritik'
    """
    if authority == "JO":
        ladder, level = JO_OUTCOMES, _jo_level
    elif authority == "IVO":
        ladder, level = IVO_OUTCOMES, _ivo_level
    else:
        return None
    found = {lvl for s in _sentences(regions) if (lvl := level(s))}
    return next((rung for rung in ladder if rung in found), None)


# --- title -----------------------------------------------------------------------------

_TITLE_START = re.compile(
    r"^(?:allvarlig kritik|kritik|fråga om|ett ärende|initiativärende|inspektion|uttalande"
    r"|tillsyn|beslut|utredning|förhandsbedömning|anmälan enligt lex sarah|lex sarah"
    r"|rapport|tjänsteskrivelse|klagomål|granskning)\b",
    _I,
)
_HEADER_NOISE = re.compile(
    r"^(?:BESLUT|PROTOKOLL|DOM|sid\b|sida\b|\d+\s*\(\d+\)|datum|dnr|diarienummer|beslutsdatum"
    r"|handläggare|(?:stf\.?\s+)?justitieombudsm|riksdagens ombudsmän|box\b|besök|telefon"
    r"|texttelefon|fax|e-post|www\.|inspektionen för vård och omsorg|postadress|org\.?\s*nr"
    r"|\d{3}\s?\d{2}\b|avdelning|enhet|bilaga)",
    _I,
)
_BODY_LINE = re.compile(r"^(?:" + _NAMND + r")\s+i\s+" + _NAME + r"\s+(?:kommun|stad)$")


def find_title(text: str, sections: tuple[Section, ...]) -> str | None:
    """Find the title: the first heading-like line of the header.

    A line that opens like a title (``Kritik mot …``, ``Fråga om …``, ``Tillsyn av …``)
    wins; otherwise the first header paragraph of at least four words that is not a
    letterhead field. Lines of one paragraph are joined with spaces; a paragraph ending in
    a full stop is body text, not a title.

    Example:
        >>> text = "BESLUT\\n\\nKritik mot nämnden för en sen utredning\\n\\nAnmälan\\n\\nAA."
        >>> find_title(text, detect_sections(text))
        'Kritik mot nämnden för en sen utredning'
    """
    end = sections[0].end_char if sections and sections[0].kind == "preamble" else 0
    header = text[: min(end, _HEADER_CHARS)]
    blocks: list[list[str]] = [[]]
    for line in header.splitlines():
        line = line.strip()
        if not line or _HEADER_NOISE.match(line) or _BODY_LINE.match(line):
            blocks.append([])
        else:
            blocks[-1].append(line)
    candidates = []
    for block in filter(None, blocks):
        if sum(map(len, block)) <= _MAX_TITLE_CHARS:
            candidates.append(" ".join(block))
            continue
        # Layout text without blank lines: a title runs on while lines start in lower case.
        run: list[str] = []
        for line in block:
            if run and line[:1].isupper():
                candidates.append(" ".join(run))
                run = []
            run.append(line)
        candidates.append(" ".join(run))
    # A title has letters and no closing full stop (body sentences do).
    candidates = [
        c
        for c in candidates
        if len(c) <= _MAX_TITLE_CHARS and re.search("[a-zåäö]", c, _I) and c[-1] not in ".:;"
    ]
    for candidate in candidates:
        if _TITLE_START.match(candidate):
            return candidate
    for candidate in candidates:
        if len(candidate.split()) >= 4 and not find_dates(candidate):
            return candidate
    return None


# --- everything ------------------------------------------------------------------------


def _header(text: str, sections: tuple[Section, ...]) -> str:
    if sections and sections[0].kind == "preamble":
        return text[: min(sections[0].end_char, _HEADER_CHARS)]
    return ""


_ISO_START = re.compile(r"^((?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))\b")
_MAX_STATED_DNR = 60


def _stated_date(value: str | None) -> str | None:
    if not value:
        return None
    if match := _ISO_START.match(value.strip()):
        return match.group(1)
    dates = find_dates(value)
    return dates[0][1] if dates else None


def _stated_text(value: str | None, limit: int) -> str | None:
    value = " ".join((value or "").split())
    return value if value and len(value) <= limit else None


def extract_metadata(
    text: str,
    sections: tuple[Section, ...] | None = None,
    stated: StatedMetadata | None = None,
) -> Metadata:
    """Extract every metadata field from a document's text and what the file states.

    Stated values (``StatedMetadata``: case number, decision date, publisher, title) win
    over the text: a stated JO, IVO or court publisher sets the authority (a court's name
    becomes ``body``); a stated title is used where the text's title would be.

    Args:
        text: The cleaned document text.
        sections: The document's sections (detected if omitted).
        stated: What the file states about itself (HTML ``<meta>``/RDFa), if anything.

    Returns:
        A ``Metadata``; unknown fields are ``None``, ``"other"`` or ``"unknown"``.

    Example:
        >>> m = extract_metadata("BESLUT\\nDatum 2019-05-03\\nDnr 1234-2018\\n\\n"
        ...     "Justitieombudsmannen AA\\n\\nKritik mot Socialnämnden i Gnesta kommun\\n\\n"
        ...     "Bedömning\\n\\nNämnden kan inte undgå kritik.")
        >>> (m.authority, m.dnr, m.decision_date, m.municipality, m.outcome)
        ('JO', '1234-2018', '2019-05-03', 'Gnesta', 'kritik')
    """
    sections = detect_sections(text) if sections is None else sections
    header = _header(text, sections)
    title = (stated and _stated_text(stated.title, _MAX_TITLE_CHARS * 5)) or find_title(
        text, sections
    )
    from_publisher = stated_authority(stated.publishers) if stated else None
    authority, court = from_publisher or (detect_authority(text, header), None)
    if authority == "court" and court is None:
        court = find_court(text)
    titles = [s.title for s in sections if s.kind != "preamble"]
    doc_type = detect_doc_type(authority, header, titles)
    body = court or find_body(text, title)
    regions = [title or ""]
    regions += [
        text[s.start_char : s.end_char]
        for s in sections
        if s.kind in ("summary", "decision", "demands")
    ]
    regions.append(text[max(len(text) - _CLOSING_CHARS, 0) :])
    assessment = " ".join(
        text[s.start_char : s.end_char] for s in sections if s.kind == "assessment"
    )
    return Metadata(
        authority=authority,
        doc_type=doc_type,
        dnr=(stated and _stated_text(stated.dnr, _MAX_STATED_DNR))
        or find_dnr(text, authority, header),
        decision_date=(stated and _stated_date(stated.decision_date))
        or find_decision_date(text, header),
        municipality=find_municipality(text, body, title),
        body=body,
        outcome=detect_outcome(authority, regions),
        legal_refs=find_legal_refs(text),
        law_version=detect_law_version(text, assessment_text=assessment),
        title=title,
    )
