"""Absence checks for municipal drafts: what a decision about a child should contain and does not.

The passage model finds what a text *says* went wrong; these checks look for what a draft
*leaves out* (annotation guide §5, "absence-based inference"): the child's views, a barnets
bästa assessment, reasons, lagrum, a risk assessment when violence is mentioned, the 14-day
and four-month time limits, and, for a decision that goes against a party, kommunicering
before it and an överklagandehänvisning with it. They run only on municipal documents
(authority ``municipality``, or an unknown authority with municipal headings) and never on JO
or IVO decisions, which discuss only the issues they choose, so silence there means nothing.

Every result is *inferred*: it carries a confidence below that of a passage finding, says
in plain Swedish what it looked for and quotes what it found. Negation is read per clause:
"barnet har inte kunnat höras på grund av sin ålder" still shows that the child was
considered, while "ingen riskbedömning har gjorts" is not a risk assessment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from protoscan.document import Document, Section
from protoscan.labels import get_label
from protoscan.structure.legal_refs import find_dates, find_legal_refs

__all__ = [
    "CHECKS",
    "CHECK_IDS",
    "STATUSES",
    "Check",
    "CheckResult",
    "Evidence",
    "checks_apply",
    "run_checks",
]

STATUSES: tuple[str, ...] = ("passed", "failed", "not_applicable")
PRELIMINARY_DAYS = 14
INVESTIGATION_MONTHS = 4

_I = re.IGNORECASE
_SUPERVISORS = frozenset({"JO", "IVO"})
_NOT_CASE_DOCUMENTS = frozenset({"lex_sarah", "statute", "court_ruling", "ivo_rapport"})
#: Headings (lower case) that only municipal case documents use (annotation guide §7.4).
_MUNICIPAL_HEADINGS = frozenset({
    "aktualisering", "skyddsbedömning", "förhandsbedömning", "barnets inställning",
    "barnets berättelse", "samtal med barnet", "barnets behov", "föräldrarnas förmåga",
    "familj och miljö", "familjen och nätverket", "förslag till beslut", "lagrum",
    "överklagandehänvisning", "hur man överklagar", "hur man överklagar beslutet",
    "beslutsfattare",
})  # fmt: skip
_MUNICIPAL_TITLE = re.compile(r"^(?:utredning enligt|beslut om|förhandsbedömning)", _I)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Evidence:
    """A place in the text that a check looked at.

    Attributes:
        start_char: Offset of the matched words in ``Document.text``.
        end_char: Offset after them.
        text: The matched words.
        sentence: The sentence they stand in (for context in reports).
        note: What the match is, in Swedish (``"nekande, med skäl"``, ``"datum för anmälan"``).
        counts: Whether the match satisfies what the check requires.
    """

    start_char: int
    end_char: int
    text: str
    sentence: str
    note: str
    counts: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_char": self.start_char,
            "end_char": self.end_char,
            "text": self.text,
            "sentence": self.sentence,
            "note": self.note,
            "counts": self.counts,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one absence check on one document.

    Attributes:
        id: The check id (``child_views_missing`` …).
        name_sv: Short Swedish name of the deficiency the check infers.
        requirement_sv: What the draft should contain, in Swedish (``Barnets synpunkter``).
        status: ``"passed"``, ``"failed"`` or ``"not_applicable"``.
        label: The taxonomy label the deficiency belongs to.
        legal_basis: The requirement behind the check.
        looked_for: What the check searched for, in plain Swedish.
        summary: What it found or did not find, in plain Swedish.
        confidence: How sure the inference is when it fails (always below passage findings).
        evidence: The matches it looked at.
        inferred: Always ``True``: the result comes from an absence, not a statement.
    """

    id: str
    name_sv: str
    requirement_sv: str
    status: str
    label: str
    legal_basis: str
    looked_for: str
    summary: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    inferred: bool = True

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name_sv": self.name_sv,
            "requirement_sv": self.requirement_sv,
            "status": self.status,
            "label": self.label,
            "legal_basis": self.legal_basis,
            "looked_for": self.looked_for,
            "summary": self.summary,
            "confidence": self.confidence,
            "inferred": self.inferred,
            "evidence": [e.to_dict() for e in self.evidence],
        }


# --------------------------------------------------------------------------- text units

_NEGATIONS = re.compile(
    r"\b(?:inte|ej|ingen|inget|inga|icke|aldrig|saknas|saknar|saknades|utan|varken|okänd|oklar"
    r"|oklart|utelämna\w*|borde)\b",
    _I,
)
#: Words that end the window after a match: a negation beyond them belongs to a subclause
#: ("pojken berättar att han inte vill …" is still the boy's account).
_SUBORDINATORS = re.compile(
    r"som|om|eftersom|när|där|vilket|vilken|men|då|medan|trots|fast|innan|sedan|tills", _I
)
_INFINITIVE = re.compile(r"[a-zåäö]+a")
_NOT_INFINITIVES = frozenset({"mamma", "pappa", "flicka", "modera", "inga", "ingenting", "hela"})
#: Matches that are themselves a decision, so an assessment verb before a negation does not
#: make the negation an assessment result ("bedöms inte finnas skäl att inleda utredning").
_DECISION_CONCEPT = re.compile(r"utredning|inled", _I)
#: A negation right after an assessment verb states the assessment's result
#: ("bedöms inte vara i behov av skydd"), not that no assessment was made.
_ASSESSMENT_VERB = re.compile(r"\bbedöm(?:s|des|er|de|t|ningen\s+är\s+att)\b[^.]{0,40}$", _I)
#: Why something was not done: makes a negated mention a considered one.
_REASON = re.compile(
    r"\b(?:kunnat|kunde|kan|velat|ville|vill|möjligt|möjlighet|lämpligt|olämpligt|ålder|"
    r"för\s+(?:ung|liten|litet|små)|spädbarn|månader\s+gammal|eftersom|med\s+hänsyn\s+till|"
    r"på\s+grund\s+av|p\.g\.a\.|pga|avböj\w*|vägra\w*|motsatt\w*|hänsyn|bedömdes|bedöms|"
    r"avstått|avstod|ont\s+i|sjuk\w*|tolk|"
    # An age given as the reason: "har inte hörts då hon endast är två år".
    r"(?:\d{1,2}|ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva)\s+(?:år|månader|veckor)"
    r"(?:\s+gammal|\s+gamla)?)\b",
    _I,
)
#: Statements of the rule ("Enligt 11 kap. 10 § SoL ska barnet …") are not traces of the case.
_RULE_SOURCE = re.compile(
    r"§|\b(?:SOSFS|HSLF-FS|socialtjänstlagen|förvaltningslagen|barnkonventionen|föräldrabalken"
    r"|lagen|LVU|SoL|FL|artikel|art\.)\b"
)
_RULE_MODAL = re.compile(r"\b(?:ska|skall|får|måste|bör)\b", _I)
_RULE_TIME_LIMIT = re.compile(r"\b(?:får|kan)\s+(?:endast\s+|bara\s+)?förläng", _I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"”(–-]?[A-ZÅÄÖ])|\n+")
_NOT_SENTENCE_END = re.compile(
    r"(?:\b(?:bl\.a|t\.ex|m\.m|dvs|d\.v\.s|kap|p\.g\.a|s\.k|resp|ca|jfr|enl|f\.d|fr\.o\.m"
    r"|t\.o\.m|nr|s)\.|\b[A-ZÅÄÖ]\.)$"
)
_CLAUSE_START = re.compile(r"[,;:()–]|\bmen\b", _I)
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence of the draft, with its section and whether it is a bare heading line."""

    start: int
    end: int
    section: Section | None
    heading_like: bool


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    unit: _Unit
    negated: bool
    reasoned: bool
    rule: bool
    heading: bool


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if "\n" not in match.group() and _NOT_SENTENCE_END.search(
            text[max(pos, match.start() - 12) : match.start()]
        ):
            continue
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, end))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


class _Context:
    """The parts of a document the checks read, built once per document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self.units: list[_Unit] = []
        spans = [(p.start_char, p.end_char) for p in doc.passages] or [(0, len(doc.text))]
        for start, end in spans:
            section = doc.section_at(start)
            if section is not None and section.kind == "law":
                continue
            for s, e in _split_sentences(doc.text, start, end):
                piece = doc.text[s:e]
                heading_like = (
                    len(_WORDS.findall(piece)) <= 6
                    and not piece.rstrip().endswith((".", "!", "?", ":"))
                    and piece[:1].isupper()
                    and "\n" not in piece
                )
                self.units.append(_Unit(s, e, section, heading_like))
        self.child_words = _child_words(doc)

    # -- searching -----------------------------------------------------------------------
    def sentence(self, unit: _Unit) -> str:
        return self.text[unit.start : unit.end]

    def next_unit(self, unit: _Unit) -> _Unit | None:
        index = self.units.index(unit)
        return self.units[index + 1] if index + 1 < len(self.units) else None

    def find(
        self,
        patterns: Sequence[re.Pattern[str]],
        units: Iterable[_Unit] | None = None,
        *,
        after_words: int = 6,
    ) -> list[_Hit]:
        """Every match of ``patterns`` in the units (default: all non-statute sentences).

        ``after_words`` is how far after a match a negation still negates it.
        """
        hits: list[_Hit] = []
        for unit in self.units if units is None else units:
            sentence = self.sentence(unit)
            taken: list[tuple[int, int]] = []
            for pattern in patterns:
                for match in pattern.finditer(sentence):
                    if any(s < match.end() and match.start() < e for s, e in taken):
                        continue
                    taken.append(match.span())
                    hits.append(self._hit(unit, sentence, match.start(), match.end(), after_words))
        hits.sort(key=lambda h: h.start)
        return hits

    def _hit(self, unit: _Unit, sentence: str, start: int, end: int, after_words: int = 6) -> _Hit:
        judged_unit, judged, m_start, m_end = unit, sentence, start, end
        if unit.heading_like:
            # A heading-like line ("Riskbedömning") is judged by the sentence under it.
            following = self.next_unit(unit)
            if following is not None:
                judged_unit, judged = following, self.sentence(following)
                m_start, m_end = 0, 0
        # "bedöms det inte finnas skäl att inleda utredning" negates the decision itself.
        outcome = not _DECISION_CONCEPT.search(sentence[start:end])
        negated = _negated(judged, m_start, m_end, outcome_ok=outcome, after_words=after_words)
        rule = bool(_RULE_SOURCE.search(judged) and _RULE_MODAL.search(judged)) or bool(
            _RULE_TIME_LIMIT.search(judged)
        )
        return _Hit(
            start=unit.start + start,
            end=unit.start + end,
            unit=judged_unit,
            negated=negated,
            reasoned=bool(_REASON.search(judged)),
            rule=rule,
            heading=unit.heading_like,
        )

    def evidence(self, hit: _Hit, note: str, counts: bool) -> Evidence:
        return Evidence(
            hit.start,
            hit.end,
            self.text[hit.start : hit.end],
            _shorten(self.sentence(hit.unit)),
            note,
            counts,
        )

    # -- structure -----------------------------------------------------------------------
    def sections(self, *kinds: str) -> list[Section]:
        return [s for s in self.doc.sections if s.kind in kinds]

    def units_in(self, sections: Iterable[Section]) -> list[_Unit]:
        chosen = list(sections)
        return [u for u in self.units if any(s.start_char <= u.start < s.end_char for s in chosen)]

    def decision_units(self) -> tuple[list[_Unit], str]:
        """Sentences of the decision: decision sections, else sentences that decide."""
        sections = self.sections("decision")
        units = [u for u in self.units_in(sections) if not u.heading_like]
        if units:
            return units, "beslutsavsnittet"
        deciding = [u for u in self.units if _DECIDES.search(self.sentence(u))]
        return deciding, "meningar som fattar beslut"


def _shorten(sentence: str, limit: int = 240) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _negated(
    sentence: str, start: int, end: int, *, outcome_ok: bool = False, after_words: int = 6
) -> bool:
    """Whether the clause around ``sentence[start:end]`` negates it.

    The window is the clause before the match (at most six words), the match itself and up to
    ``after_words`` words after it, stopping at a subordinate clause ("pojken berättar att han
    inte vill" is still the boy's account; "skäl för att förlänga tiden fanns inte" is negated).
    ``start == end == 0`` judges the whole sentence (the text under a heading-like line).
    With ``outcome_ok`` a negation right after an assessment verb ("bedöms inte vara i behov
    av skydd") states the assessment's result and does not count.
    """

    def counts(position: int) -> bool:
        return not (outcome_ok and _outcome_negation(sentence, position))

    if start == end == 0:
        return any(counts(m.start()) for m in _NEGATIONS.finditer(sentence))
    clause_start = 0
    for match in _CLAUSE_START.finditer(sentence, 0, start):
        clause_start = match.end()
    before_words = list(_WORDS.finditer(sentence, clause_start, start))[-6:]
    window_start = before_words[0].start() if before_words else start
    after = sentence[end:]
    stop = _CLAUSE_START.search(after)
    after = after[: stop.start()] if stop else after
    words = list(_WORDS.finditer(after))
    window_end = end
    for i, word in enumerate(words[:after_words]):
        token = word.group().casefold()
        if _SUBORDINATORS.fullmatch(token):
            break
        if token == "att":
            following = words[i + 1].group() if i + 1 < len(words) else ""
            # "för att förlänga" continues the clause; "att han …", "att inte …" start a new one.
            if not _INFINITIVE.fullmatch(following) or following.casefold() in _NOT_INFINITIVES:
                break
        window_end = end + word.end()
    return any(counts(m.start()) for m in _NEGATIONS.finditer(sentence, window_start, window_end))


def _outcome_negation(sentence: str, position: int) -> bool:
    return bool(_ASSESSMENT_VERB.search(sentence[max(0, position - 60) : position]))


# --------------------------------------------------------------------------- vocabulary

_CHILD_NOUNS = (
    r"barnet|barnen|pojken|flickan|ungdomen|den\s+unge|den\s+unga|sonen|dottern|tonåringen"
    r"|eleven|bebisen|spädbarnet|syskonen|pojkarna|flickorna"
)
_CHILD_GENITIVES = (
    r"barnets|barnens|pojkens|flickans|ungdomens|den\s+unges|den\s+ungas|sonens|dotterns"
    r"|syskonens|pojkarnas|flickornas|systerns|broderns|lillasysterns|lillebroderns"
)
_CHILD_CONTEXT = re.compile(
    r"\b(?:barn\w*|pojk\w*|flick\w*|ungdom\w*|den\s+unge|spädbarn\w*|sonen|dottern)\b"
    r"|\bfödd\s+(?:19|20)\d\d|\bBBIC\b|\bLVU\b|förhandsbedömning",
    _I,
)
_BIRTH = re.compile(
    # Name and birth on one line: a heading above ("Bedömning\n\nElsa, född …") is no name.
    r"\b([A-ZÅÄÖ][a-zåäöéü]+)(?:[ \t]+[A-ZÅÄÖ][a-zåäöéü-]+)?,?[ \t]+\(?"
    r"(?:född\s+(?P<year>(?:19|20)\d\d)|(?P<century>19|20)?(?P<yy>\d\d)\d{4}[-+][\d*]{4})"
)
_NOT_NAMES = frozenset({
    "barnet", "pojken", "flickan", "mamma", "pappa", "modern", "fadern", "mor", "far",
    "sonen", "dottern", "ungdomen", "vårdnadshavare", "datum", "dnr", "personnummer",
})  # fmt: skip


def _child_words(doc: Document) -> tuple[str, str]:
    """Regex alternations for the child (nouns, names of people under 18) and its genitive."""
    year = doc.metadata.year or dt.date.today().year
    names: set[str] = set()
    for match in _BIRTH.finditer(doc.text):
        name = match.group(1)
        if name.casefold() in _NOT_NAMES:
            continue
        if match.group("year"):
            born = int(match.group("year"))
        else:
            yy = int(match.group("yy"))
            century = match.group("century")
            born = int(century) * 100 + yy if century else 2000 + yy
            if not century and born > year:
                born -= 100
        if 0 <= year - born < 18:
            names.add(re.escape(name))
    nouns, genitives = _CHILD_NOUNS, _CHILD_GENITIVES
    if names:
        alternation = "|".join(sorted(names))
        nouns += "|" + alternation
        genitives += "|" + "|".join(
            n if n.endswith(("s", "x", "z")) else f"{n}s" for n in sorted(names)
        )
    return nouns, genitives


def _compile(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, _I) for p in patterns)


def _child_view_patterns(ctx: _Context) -> tuple[re.Pattern[str], ...]:
    child, genitive = ctx.child_words
    return _compile((
        rf"\b(?:{genitive})\s+(?:egen\s+|egna\s+)?(?:inställning|åsikt\w*|synpunkt\w*|vilja"
        r"|önskemål|önskan|berättelse|upplevelse\w*|uppfattning|röst|mening)\b",
        r"\b(?:samtal|samtalet|samtalen|barnsamtal\w*|enskilt\s+samtal|enskilda\s+samtal"
        rf"|intervju\w*)\s+med\s+(?:{child})\b",
        r"\bbarnsamtal\w*\b",
        r"\b(?:samtalat|samtalade|talat|talade|pratat|pratade|träffat|träffade|hört|hörde"
        rf"|intervjuat|intervjuade|mött|mötte)\s+(?:med\s+|enskilt\s+med\s+)?(?:{child})\b",
        rf"\b(?:{child})\s+(?:har\s+|hade\s+)?(?:själv\s+)?(?:berättar|berättade|berättat"
        r"|uppger|uppgav|uppgett|uppgivit|säger|sa|sade|sagt|uttrycker|uttryckte|uttryckt"
        r"|framför|framförde|framfört|önskar|önskade|önskat|beskriver|beskrev|beskrivit"
        r"|förklarar|förklarade|förklarat|vill|ville|har\s+fått\s+komma\s+till\s+tals|fått\s+komma\s+till\s+tals"
        r"|kommit\s+till\s+tals|tillfrågats|tillfrågades|hörts|hördes)\b",
        rf"\b(?:{child})\s+(?:\w+\s+){{0,3}}(?:höras|hörts|komma\s+till\s+tals|delta\s+i\s+samtal"
        r"|tillfrågas|samtala|träffa\s+socialsekreterare\w*)\b",
        rf"\bobserv\w*\s+(?:av\s+)?(?:{child})\b",
        rf"\b(?:{child})\s+(?:har\s+)?observerats\b",
        r"\bkomma\s+till\s+tals\b",
        # An infant is observed instead of heard: "vid hembesöken observerades att Leo …",
        # "hans behov har bedömts genom observationer", "för liten för att kunna höras".
        rf"\b(?:{child})\b[^.]{{0,40}}\b(?:har|hade)\s+(?:inte\s+|ej\s+)?(?:kunnat\s+)?"
        r"(?:hörts|höras|tillfrågats)\b",
        rf"\bobserver\w*\s+(?:att\s+|hur\s+)?(?:{child})\b",
        rf"\b(?:{genitive})\s+(?:behov|reaktioner|signaler|samspel)\b[^.]{{0,60}}\bobserv\w*",
        r"\b(?:genom|utifrån|med\s+hjälp\s+av)\s+(?:\w+\s+){0,2}observation\w*",
        r"\bför\s+(?:liten|litet|ung|små|unga)\s+för\s+att\s+(?:kunna\s+)?(?:höras|tillfrågas"
        r"|uttrycka|framföra|delta\s+i\s+samtal)",
    ))  # fmt: skip


def _best_interest_patterns(ctx: _Context) -> tuple[re.Pattern[str], ...]:
    child, genitive = ctx.child_words
    return _compile((
        rf"\b(?:{genitive})\s+(?:och\s+(?:{genitive})\s+)?bästa\b",
        rf"\bbäst\s+för\s+(?:{child})\b",
        rf"\bbästa\s+för\s+(?:{child})\b",
        r"\bbarnrättsperspektiv\w*\b",
        r"\bbarnperspektiv\w*\b",
        r"\bbarnkonsekvensanalys\w*\b",
    ))  # fmt: skip


_CONCLUSION = re.compile(
    r"\b(?:beslut\w*|inleds|inledas|inleda|avslutas|avslås|avslår|avslag|beviljas|beviljar"
    r"|bifalls|bifaller|placeras|begränsas|upphör\w*|läggs\s+ned|lämnas\s+utan\s+åtgärd"
    r"|omedelbart\s+omhänd\w*|ansöka\s+hos\s+förvaltningsrätten|vård\s+enligt)\b",
    _I,
)
_DECIDES = re.compile(
    r"\b(?:beslutar|beslutas|beslutat\s+att|beslut\s*:|förslag\s+till\s+beslut\s*:)"
    r"|\butredning\s+(?:enligt\s+[^.]{0,40}\s+)?inleds\b|\bansökan\s+(?:avslås|beviljas)\b",
    _I,
)
_REASON_MARKERS = _compile((
    r"\beftersom\b",
    r"\bdå\s+(?:det|han|hon|barnet|pojken|flickan|föräldrarna|mamma|pappa|vårdnadshavar\w*)\b",
    r"\bmed\s+hänsyn\s+till\b",
    r"\bmot\s+(?:bakgrund\s+av|denna\s+bakgrund|den\s+bakgrunden)\b",
    r"\bpå\s+grund\s+av\b",
    r"\bskäl(?:en|et)?\s+(?:för|till)\b",
    r"\bmotiver\w*\b",
    r"\bgrundar\s+sig\b",
    r"\bbedöm(?:er|s|de|des|t|ningen\s+är)\b",
    r"\bav\s+utredningen\s+framgår\b",
    r"\bmed\s+anledning\s+av\b",
    r"\bdärför\b",
    r"\bframkommit\b",
    r"\bi\s+och\s+med\s+att\b",
    r"\btalar\s+(?:för|emot)\b",
    r"\bsammantaget\b",
    r"\btyder\s+på\b",
    r"\butifrån\b",
    r"\bvisar\s+att\b",
))  # fmt: skip
_ASSESSMENT_TITLES = re.compile(
    r"^(?!skydds)(?:\w+\s+)?(?:bedömning|motivering|skäl|analys|överväganden)", _I
)
_MIN_REASON_WORDS = 15

_VIOLENCE = _compile((
    r"\bvåld\w*\b",
    r"\b(?:slagit|slagen|slaget|slagna|slogs|slog|sparkat|sparkade|sparkats|örfil\w*|luggat"
    r"|knuffat|knuffade|strypt\w*|nypt|nöp)\b",
    r"\bmisshand\w*\b",
    r"\bbevittna\w*\b",
    r"\b(?:hot|hotet|hoten|hotat|hotade|hotats|hotelse\w*|dödshot\w*|hotfull\w*)\b",
    r"\b(?:sexuella\s+)?övergrepp\w*\b",
    r"\bhedersrelaterat?\b",
    r"\bkränkning\w*\s+i\s+nära\s+relation\w*",
))  # fmt: skip
_VIOLENCE_ASSESSMENT = _compile((
    r"\briskbedömning\w*\b",
    r"\briskanalys\w*\b",
    r"\bbedömning\s+av\s+risk\w*\b",
    r"\brisk(?:en|erna|er)?\s+för\s+(?:fortsatt|upprepat|nytt|framtida|ytterligare)\s+våld\b",
    r"\bskyddsbedömning\w*\b",
    r"\bskyddsbehov\w*\b",
    r"\bbehov\s+av\s+(?:omedelbart\s+)?skydd\b",
    r"\bskyddsplan\w*\b",
    r"\b(?:FREDA|SARA|PATRIARK|Barnahus)\b",
    r"\butredning\s+(?:enligt\s+[^.]{0,40}\s+)?(?:inleds|har\s+inletts|inleddes|ska\s+inledas)\b",
    r"\binled(?:a|er|de|s)\s+(?:en\s+)?utredning\b",
    r"\bbeslut\w*\s+(?:om\s+)?att\s+inleda\s+(?:en\s+)?utredning\b",
))  # fmt: skip

_ADVERSE = _compile((
    r"\bavslag\w*\b",
    r"\bavslå\w*\b",
    r"\bbegräns\w*\b",
    r"\bumgängesbegränsning\w*\b",
    r"\bplacer\w*\b",
    r"\bomplacer\w*\b",
    r"\bflyttningsförbud\w*\b",
    r"\bupphör\w*\b",
    r"\bupphäv\w*\b",
    r"\bnekas\b",
    r"\bbeviljas\s+inte\b",
    r"\bomedelbart\s+omhänd\w*\b",
    r"\bvård\s+enligt\s+[23]\s+§\s+LVU\b",
    r"\båterkr\w*\b",
    r"\bavvisa\w*\b",
    r"\bflyttning\w*\b",
    r"\bomhändert\w*\b",
    r"\bska\s+(?:[^.]{0,40}\s)?vistas\s+(?:på|i)\b",
    r"\b14\s+§\s+(?:andra\s+stycket\s+)?(?:\d\s+)?(?:LVU|lagen\s+\(1990:52\))",
    r"\bska\s+flyttas\b",
    r"\b11\s+§\s+(?:första\s+stycket\s+)?(?:LVU|lagen\s+\(1990:52\))",
))  # fmt: skip
#: Traces that the party saw the material and could answer before the decision (FL 25 §).
_KOMMUNICERING = _compile((
    r"\bkommunicer\w*\b",
    r"\b(?:fått|få|fick|getts|gavs|ges|givits|erbjudits|erbjöds|beretts|bereddes|bereds)\s+"
    r"(?:\w+\s+){0,3}(?:möjlighet|tillfälle)"
    r"\s+att\s+(?:yttra\s+sig|lämna\s+synpunkter|komma\s+in\s+med|inkomma\s+med|ta\s+del)",
    r"\b(?:fått|få|fick|har\s+tagit|tog)\s+(?:ta\s+)?del\s+av\s+(?:\w+\s+){0,3}(?:utredning\w*"
    r"|underlag\w*|förslag\w*|material\w*|beslutsunderlag\w*|utredningsmaterial\w*)",
    r"\bhar\s+yttrat\s+sig\b",
    r"\byttrande\s+(?:har\s+)?(?:inkommit|kommit\s+in)\b",
    r"\b(?:delgivits|delgetts|skickats|sänts|översänts)\b[^.]{0,80}\b(?:utredning\w*|förslag\w*"
    r"|underlag\w*|synpunkter|yttrande)",
    r"\blämnat\s+(?:\w+\s+){0,2}synpunkter\s+på\s+(?:\w+\s+){0,2}(?:utredning\w*|förslag\w*"
    r"|underlag\w*)",
))  # fmt: skip
_STATES_RULE = re.compile(r"^\W*(?:enligt|av|i|som)\b", _I)
#: Urgent decisions where kommunicering may wait (FL 25 § andra stycket, LVU 6 §).
_URGENT = re.compile(r"\bomedelbart\s+omhänd\w*|\b6\s+§\s+(?:LVU|lagen\s+\(1990:52\))", _I)
#: The title line of a decision ("Beslut om umgänge enligt 14 § LVU", "§ 41 Beslut om …")
#: says what is decided.
_DECISION_TITLE = re.compile(r"^(?:§\s*\d+\s+)?beslut\s+om\b", _I)
#: A decision that grants the application ("Ansökan beviljas") goes against no party, even
#: when what it grants is a placement.
_GRANTED = re.compile(r"\b(?:ansökan|ansökningen)\s+(?:\w+\s+){0,6}(?:beviljas|bifalls)\b", _I)
_REFUSED = re.compile(r"\b(?:avslå\w*|avslag\w*|delvis|inte\s+beviljas|nekas|avvisa\w*)\b", _I)
_APPEAL = _compile((
    r"\böverklagandehänvisning\w*\b",
    r"\bbesvärshänvisning\w*\b",
    r"\bhur\s+man\s+överklagar\b",
    r"\b(?:kan|får)\s+(?:inte\s+)?överklagas\b",
    r"\böverklaga\w*\s+(?:\w+\s+){0,6}(?:hos|till)\s+förvaltningsrätten\b",
    r"\böverklagande\w*\b",
    r"\böverklaga\b",
))  # fmt: skip

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
_EXTENSION = _compile((r"\bförläng\w*\b", r"\bsynnerliga\s+skäl\b"))
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


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class Check:
    """One absence check: its id, what it infers, and the function that runs it."""

    id: str
    name_sv: str
    requirement_sv: str
    label: str
    legal_basis: str
    looked_for: str
    confidence: float
    run: Callable[[_Context], tuple[str, str, list[Evidence]]] = field(repr=False)


def _outcome(
    ctx: _Context,
    hits: list[_Hit],
    *,
    reason_counts: bool,
    found: str,
    missing: str,
) -> tuple[str, str, list[Evidence]]:
    """Pass when any hit counts; otherwise fail, quoting the negated mentions."""
    evidence: list[Evidence] = []
    for hit in hits:
        if hit.rule:
            evidence.append(ctx.evidence(hit, "regeln återges, inte tillämpad", False))
        elif hit.negated and reason_counts and hit.reasoned:
            evidence.append(ctx.evidence(hit, "nekande, men med skäl", True))
        elif hit.negated:
            evidence.append(ctx.evidence(hit, "nekande omnämnande", False))
        else:
            evidence.append(ctx.evidence(hit, "rubrik" if hit.heading else "spår", True))
    counted = [e for e in evidence if e.counts]
    if counted:
        quoted = ", ".join(f"”{e.text}”" for e in counted[:3])
        return "passed", f"{found}: {quoted}.", evidence
    if evidence:
        quoted = ", ".join(f"”{e.text}” ({e.note})" for e in evidence[:3])
        return "failed", f"{missing} Hittade bara {quoted}.", evidence
    return "failed", f"{missing} Inget av detta förekommer i utkastet.", evidence


def _about_child(ctx: _Context) -> bool:
    return bool(_CHILD_CONTEXT.search(ctx.text))


def _check_child_views(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    if not _about_child(ctx):
        return "not_applicable", "Utkastet verkar inte gälla ett barn.", []
    hits = ctx.find(_child_view_patterns(ctx))
    views = ctx.sections("child_views")
    for section in views:
        units = [u for u in ctx.units_in([section]) if not u.heading_like]
        if units and not any(h.unit in units and h.negated for h in hits):
            first = units[0]
            hits.append(
                _Hit(
                    section.start_char,
                    section.start_char + len(section.title),
                    first,
                    negated=False,
                    reasoned=False,
                    rule=False,
                    heading=True,
                )
            )
    return _outcome(
        ctx,
        sorted(hits, key=lambda h: h.start),
        reason_counts=True,
        found="Barnets röst finns med",
        missing="Inget spår av barnets egna synpunkter eller av samtal med eller observation "
        "av barnet.",
    )


def _check_best_interests(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    if not _about_child(ctx):
        return "not_applicable", "Utkastet verkar inte gälla ett barn.", []
    return _outcome(
        ctx,
        # "Med hänsyn till Omars bästa och hans inställning finns inte skäl …": the negation
        # is the decision's, not a denial that the child's best was assessed.
        ctx.find(_best_interest_patterns(ctx), after_words=3),
        reason_counts=False,
        found="Barnets bästa tas upp",
        missing="Ingen bedömning av barnets bästa.",
    )


def _reason_negated(ctx: _Context, hit: _Hit) -> bool:
    """A conjunction ("inleds inte eftersom …") gives a reason whatever precedes it; only
    "motivering"/"skäl" can be negated ("beslutet motiveras inte", "saknar skäl")."""
    words = ctx.text[hit.start : hit.end].casefold()
    return hit.negated and words.startswith(("motiver", "skäl"))


def _check_reasons(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    units, where = ctx.decision_units()
    conclusions = [u for u in units if _CONCLUSION.search(ctx.sentence(u))]
    if not conclusions:
        return "not_applicable", "Hittade inget beslut med en slutsats.", []
    evidence: list[Evidence] = []
    for hit in ctx.find(_REASON_MARKERS, units):
        if not _reason_negated(ctx, hit):
            evidence.append(ctx.evidence(hit, f"skäl i {where}", True))
    for section in ctx.sections("assessment"):
        if not _ASSESSMENT_TITLES.match(section.title or ""):
            continue
        body = [u for u in ctx.units_in([section]) if not u.heading_like]
        words = sum(len(_WORDS.findall(ctx.sentence(u))) for u in body)
        reasoning = [h for h in ctx.find(_REASON_MARKERS, body) if not _reason_negated(ctx, h)]
        if words >= _MIN_REASON_WORDS and reasoning:
            hit = reasoning[0]
            evidence.append(ctx.evidence(hit, f"skäl i avsnittet {section.title}", True))
    conclusion = conclusions[0]
    if evidence:
        quoted = ", ".join(f"”{e.text}” ({e.note})" for e in evidence[:3])
        return "passed", f"Beslutet har skäl: {quoted}.", evidence
    evidence.append(
        Evidence(conclusion.start, conclusion.end, ctx.sentence(conclusion),
                 _shorten(ctx.sentence(conclusion)), "slutsats utan skäl", False)
    )  # fmt: skip
    return (
        "failed",
        f"Beslutet innehåller en slutsats (”{_shorten(ctx.sentence(conclusion), 120)}”) men "
        "inga skäl, och det finns inget bedömningsavsnitt med resonemang.",
        evidence,
    )


def _check_legal_basis(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    units, where = ctx.decision_units()
    if not any(_CONCLUSION.search(ctx.sentence(u)) for u in units):
        return "not_applicable", "Hittade inget beslut med en slutsats.", []
    regions: list[tuple[int, int, str]] = [(u.start, u.end, where) for u in units]
    for section in ctx.doc.sections:
        if section.kind == "law":
            regions.append((section.start_char, section.end_char, f"avsnittet {section.title}"))
    decisions = ctx.sections("decision")
    if decisions:
        index = ctx.doc.sections.index(decisions[0])
        before = ctx.doc.sections[index - 1] if index > 0 else None
        if before is not None and before.kind == "assessment":
            regions.append((before.start_char, before.end_char, f"avsnittet {before.title}"))
    evidence: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for start, end, name in regions:
        chunk = ctx.text[start:end]
        for ref in find_legal_refs(chunk):
            offset = chunk.find(ref.raw)
            span = (start + max(offset, 0), start + max(offset, 0) + len(ref.raw))
            if span in seen:
                continue
            seen.add(span)
            evidence.append(Evidence(span[0], span[1], ref.raw, ref.raw, f"lagrum i {name}", True))
    if evidence:
        quoted = ", ".join(f"”{e.text}”" for e in evidence[:3])
        return "passed", f"Lagrum anges vid beslutet: {quoted}.", evidence
    return (
        "failed",
        "Inget lagrum (kapitel och paragraf eller SFS-nummer) anges i beslutet, i ett "
        "lagrumsavsnitt eller i bedömningen närmast före beslutet.",
        evidence,
    )


def _check_violence(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    mentions = [h for h in ctx.find(_VIOLENCE) if not h.rule and not h.negated]
    if not mentions:
        return "not_applicable", "Utkastet innehåller inga uppgifter om våld mot barnet.", []
    info = [ctx.evidence(h, "uppgift om våld", False) for h in mentions[:3]]
    words = ", ".join(dict.fromkeys(f"”{e.text}”" for e in info))
    status, summary, evidence = _outcome(
        ctx,
        ctx.find(_VIOLENCE_ASSESSMENT),
        reason_counts=False,
        found=f"Utkastet nämner våld ({words}) och våldet har bedömts eller ska utredas",
        missing=f"Utkastet nämner våld ({words}) men innehåller ingen risk- eller "
        "skyddsbedömning och inget beslut om att inleda utredning.",
    )
    return status, summary, info + evidence


def _dates_in(
    ctx: _Context, units: Iterable[_Unit], context: re.Pattern[str] | None
) -> list[tuple[dt.date, _Unit, int, int]]:
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


def _date_evidence(ctx: _Context, found: tuple[dt.date, _Unit, int, int], note: str) -> Evidence:
    _, unit, offset, length = found
    start = unit.start + offset
    return Evidence(start, start + length, ctx.text[start : start + length],
                    _shorten(ctx.sentence(unit)), note, False)  # fmt: skip


def _decision_date(ctx: _Context) -> tuple[dt.date, Evidence | None] | None:
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


def _extension_recorded(ctx: _Context) -> tuple[list[Evidence], list[Evidence]]:
    recorded, other = [], []
    for hit in ctx.find(_EXTENSION):
        if hit.rule:
            other.append(ctx.evidence(hit, "regeln återges, inte tillämpad", False))
        elif hit.negated:
            other.append(ctx.evidence(hit, "nekande omnämnande", False))
        else:
            recorded.append(ctx.evidence(hit, "förlängning eller synnerliga skäl", True))
    return recorded, other


def _is_preliminary(ctx: _Context) -> bool:
    doc_type = ctx.doc.metadata.doc_type or ctx.doc.doc_type
    if doc_type == "forhandsbedomning":
        return True
    if doc_type == "utredning":
        return False
    return any("förhandsbedömning" in (s.title or "").casefold() for s in ctx.doc.sections)


def _check_preliminary(ctx: _Context) -> tuple[str, str, list[Evidence]]:
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
    day = min(date.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                         31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])  # fmt: skip
    return dt.date(year, month, day)


def _is_investigation(ctx: _Context) -> bool:
    doc_type = ctx.doc.metadata.doc_type or ctx.doc.doc_type
    if doc_type == "forhandsbedomning":
        return False
    if doc_type == "utredning":
        return True
    titles = [(s.title or "").casefold() for s in ctx.doc.sections]
    return any(t.startswith("utredning") or t in ("barnets behov", "föräldrarnas förmåga")
               for t in titles)  # fmt: skip


def _check_investigation(ctx: _Context) -> tuple[str, str, list[Evidence]]:
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


def _adverse(ctx: _Context) -> tuple[list[_Hit], str]:
    """Where the decision goes against a party (refusal, placement, restriction …), if it does.

    A decision that grants the application ("Ansökan beviljas") goes against no one.
    """
    units, where = ctx.decision_units()
    decided = " ".join(ctx.sentence(u) for u in units)
    if _GRANTED.search(decided) and not _REFUSED.search(decided):
        return [], where
    titles = [u for u in ctx.units if _DECISION_TITLE.match(ctx.sentence(u)) and u not in units]
    adverse = [
        h
        for h in ctx.find(_ADVERSE, [*titles, *units])
        # In the decision, "Vera ska flyttas …, 11 § LVU" decides; only "Enligt … ska …"
        # restates a rule.
        if not (h.rule and _STATES_RULE.match(ctx.sentence(h.unit)))
        and (not h.negated or _NEGATIONS.search(ctx.text[h.start : h.end]))
    ]
    return adverse, where


def _check_appeal(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    adverse, where = _adverse(ctx)
    if not adverse:
        return (
            "not_applicable",
            "Beslutet går inte någon part emot på ett sätt som kan överklagas (att inte inleda "
            "eller att avsluta en utredning kan inte överklagas; en beviljad ansökan går ingen "
            "emot).",
            [],
        )
    evidence = [
        ctx.evidence(h, f"beslut som går en part emot ({where})", False) for h in adverse[:2]
    ]
    notices: list[Evidence] = []
    for section in ctx.sections("appeal"):
        notices.append(Evidence(section.start_char, section.start_char + len(section.title),
                                section.title, section.title, "rubrik", True))  # fmt: skip
    for hit in ctx.find(_APPEAL):
        matched = ctx.text[hit.start : hit.end].casefold()
        if hit.rule:
            continue
        if hit.negated and "inte överklagas" not in matched:
            evidence.append(ctx.evidence(hit, "nekande omnämnande", False))
            continue
        note = "anger att beslutet inte kan överklagas" if "inte" in matched else "spår"
        notices.append(ctx.evidence(hit, note, True))
    if notices:
        quoted = ", ".join(f"”{e.text}”" for e in notices[:3])
        return "passed", f"Överklagandehänvisning finns: {quoted}.", evidence + notices
    return (
        "failed",
        f"Beslutet går en part emot (”{evidence[0].text}”) men utkastet säger inte hur det "
        "överklagas.",
        evidence,
    )


def _check_kommunicering(ctx: _Context) -> tuple[str, str, list[Evidence]]:
    adverse, where = _adverse(ctx)
    if not adverse:
        return (
            "not_applicable",
            "Beslutet går inte någon part emot; kommunicering krävs inte.",
            [],
        )
    units, _ = ctx.decision_units()
    if any(_URGENT.search(ctx.sentence(u)) for u in units):
        return (
            "not_applicable",
            "Ett brådskande beslut (omedelbart omhändertagande) får fattas före kommunicering.",
            [],
        )
    decision = [
        ctx.evidence(h, f"beslut som går en part emot ({where})", False) for h in adverse[:2]
    ]
    status, summary, evidence = _outcome(
        ctx,
        ctx.find(_KOMMUNICERING),
        reason_counts=True,
        found="Parten har fått del av underlaget före beslutet",
        missing=f"Beslutet går en part emot (”{decision[0].text}”) men utkastet säger inte att "
        "utredningen eller förslaget till beslut har kommunicerats med parten, eller varför det "
        "inte behövdes.",
    )
    return status, summary, decision + evidence


def _basis(label: str, extra: str = "") -> str:
    return get_label(label).legal_basis + (f"; {extra}" if extra else "")


CHECKS: tuple[Check, ...] = (
    Check(
        "child_views_missing",
        "Barnets synpunkter saknas",
        "Barnets synpunkter",
        "child_perspective",
        "SoL (2001:453) 11 kap. 10 §; SoL (2025:400) 3 kap.; LVU 36 §; barnkonventionen art. 12",
        "Spår av barnets egen röst: ”barnets inställning/åsikt/synpunkter/vilja/berättelse”, "
        "”samtal med barnet” (eller pojken, flickan, den unge, barnets namn), ”talat med/"
        "träffat barnet”, ”barnet berättar/uppger/säger/vill”, observation av barnet, ett "
        "avsnitt ”Barnets inställning”. Ett nekande omnämnande räknas om det anger skäl "
        "(”barnet har inte kunnat höras på grund av sin ålder”).",
        0.45,
        _check_child_views,
    ),
    Check(
        "best_interests_missing",
        "Bedömning av barnets bästa saknas",
        "Bedömning av barnets bästa",
        "child_perspective",
        "SoL (2001:453) 1 kap. 2 §; SoL (2025:400) 3 kap. 1 §; LVU 1 § femte stycket; "
        "barnkonventionen art. 3",
        "En bedömning av barnets bästa: ”barnets bästa” (även pojkens, flickans, den unges), "
        "”bäst för barnet”, ”barnrättsperspektiv”, ”barnkonsekvensanalys”. Räknas inte när "
        "regeln bara återges (”ska barnets bästa beaktas” med lagrum) eller när texten säger "
        "att ingen sådan bedömning gjorts.",
        0.4,
        _check_best_interests,
    ),
    Check(
        "reasons_missing",
        "Beslutet saknar motivering",
        "Motivering",
        "reasoning",
        "förvaltningslagen 32 §; SoL (2001:453) 11 kap. 1 och 1 a §§",
        "Skäl för beslutet: i beslutsavsnittet ord som ”eftersom”, ”mot bakgrund av”, ”med "
        "hänsyn till”, ”bedömer/bedöms”, ”skälen för”, eller ett avsnitt ”Bedömning”, "
        "”Motivering” eller ”Skäl” med ett resonemang på minst 15 ord.",
        0.4,
        _check_reasons,
    ),
    Check(
        "legal_basis_missing",
        "Lagrum saknas i beslutet",
        "Lagrum",
        "reasoning",
        "förvaltningslagen 32 § (de föreskrifter som tillämpats)",
        "En lagrumshänvisning med paragraf (”11 kap. 1 § SoL”, ”6 § LVU”, ”socialtjänstlagen "
        "(2001:453)”) i beslutsavsnittet, i ett lagrumsavsnitt eller i bedömningen närmast "
        "före beslutet.",
        0.5,
        _check_legal_basis,
    ),
    Check(
        "violence_unassessed",
        "Våld utan risk- eller skyddsbedömning",
        "Risk- eller skyddsbedömning vid våld",
        "violence_investigation",
        _basis("violence_investigation"),
        "Om utkastet nämner våld (”våld”, ”slagit”, ”misshandel”, ”bevittnat”, ”hot”, "
        "”övergrepp”): en ”riskbedömning”, ”skyddsbedömning”, ”risken för fortsatt våld”, "
        "”behov av skydd”, ett strukturerat instrument (FREDA, SARA, PATRIARK) eller ett "
        "beslut om att inleda utredning. ”Ingen riskbedömning” och ”utredning inleds inte” "
        "räknas inte.",
        0.4,
        _check_violence,
    ),
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
    Check(
        "appeal_notice_missing",
        "Överklagandehänvisning saknas",
        "Överklagandehänvisning",
        "reasoning",
        "förvaltningslagen 33 §",
        "Om beslutet går en part emot (”avslag”, ”avslås”, ”inleds inte”, ”begränsning”, "
        "”placering”, ”upphör” …): en överklagandehänvisning (”Hur man överklagar”, ”kan "
        "överklagas hos förvaltningsrätten”, ”överklagandet ska ha kommit in inom tre "
        "veckor”) eller ett besked om att beslutet inte kan överklagas.",
        0.5,
        _check_appeal,
    ),
    Check(
        "kommunicering_missing",
        "Kommunicering före beslutet saknas",
        "Kommunicering",
        "party_information",
        "förvaltningslagen (2017:900) 25 §; SoL (2001:453) 11 kap. 8 §",
        "Om beslutet går en part emot (avslag, placering, flyttning, umgängesbegränsning, "
        "flyttningsförbud …): att utredningen eller förslaget till beslut har kommunicerats, att "
        "parten har fått ta del av underlaget eller getts tillfälle att yttra sig, eller ett "
        "yttrande från parten. Ett nekande omnämnande räknas om det anger skäl (”kommunicering "
        "har inte kunnat ske eftersom beslutet inte kan skjutas upp”). Omedelbara "
        "omhändertaganden kontrolleras inte.",
        0.45,
        _check_kommunicering,
    ),
)
CHECK_IDS: tuple[str, ...] = tuple(check.id for check in CHECKS)


def checks_apply(doc: Document) -> tuple[bool, str]:
    """Whether absence checks may run on this document, and why (Swedish).

    Example:
        >>> from protoscan.document import Metadata
        >>> checks_apply(Document("d", None, "0" * 64, "jo_beslut", "…",
        ...                       metadata=Metadata(authority="JO")))[0]
        False
    """
    authority = doc.metadata.authority
    doc_type = doc.metadata.doc_type or doc.doc_type
    if authority in _SUPERVISORS:
        return False, (
            f"{authority}-beslut tar bara upp de frågor myndigheten väljer; att något inte "
            "nämns säger inget om handläggningen."
        )
    if doc_type in _NOT_CASE_DOCUMENTS:
        return False, f"Dokumenttypen {doc_type} är inget kommunalt beslut om ett barn."
    if authority == "municipality":
        return True, "Kommunalt dokument."
    titles = [(s.title or "").strip().casefold() for s in doc.sections]
    if any(t in _MUNICIPAL_HEADINGS or _MUNICIPAL_TITLE.match(t) for t in titles):
        return True, "Okänd avsändare men kommunala rubriker."
    return False, "Dokumentet verkar inte vara ett kommunalt beslut (inga kommunala rubriker)."


def run_checks(doc: Document) -> tuple[CheckResult, ...]:
    """Run every absence check on a document.

    Args:
        doc: A structured document (from ``protoscan.pipeline.read_document``).

    Returns:
        One result per check in ``CHECKS`` order. On documents the checks do not apply to
        (JO, IVO, lex Sarah …) every result is ``not_applicable`` with the reason.

    Example:
        >>> from protoscan.pipeline import read_document
        >>> results = run_checks(read_document("utkast.docx"))  # doctest: +SKIP
        >>> [r.id for r in results if r.failed]  # doctest: +SKIP
        ['child_views_missing', 'appeal_notice_missing']
    """
    applies, why = checks_apply(doc)
    results: list[CheckResult] = []
    ctx = _Context(doc) if applies else None
    for check in CHECKS:
        if ctx is None:
            status, summary, evidence = "not_applicable", why, []
        else:
            status, summary, evidence = check.run(ctx)
        results.append(
            CheckResult(
                id=check.id,
                name_sv=check.name_sv,
                requirement_sv=check.requirement_sv,
                status=status,
                label=check.label,
                legal_basis=check.legal_basis,
                looked_for=check.looked_for,
                summary=summary,
                confidence=check.confidence,
                evidence=tuple(evidence),
            )
        )
    return tuple(results)
