"""Appeal notice: a decision that can be appealed says how, to which court and within which
time (förvaltningslagen 33 § andra stycket, 44 §); one that cannot be appealed may say so.

A decision that goes against a party can be appealed to förvaltningsrätten (förvaltningslagen
40–42 §§; SoL (2001:453) 16 kap. 3 § for bistånd, LVU 41 § for decisions under 11, 14, 24 and
27 §§), and so can an omprövning that care under 3 § LVU continues. For such a decision the
check fails when the notice is missing or wrong: it says the decision cannot be appealed,
sends the appeal to another court than förvaltningsrätten, or gives another time than three
weeks from the day the party got the decision. A decision to open, not to open or to close
an investigation cannot be appealed, and a draft that says so is right.

May import: ``structure.sections``, ``screen.checks.base`` and ``screen.checks.decision``.
"""

from __future__ import annotations

import re

from protoscan.screen.checks.base import (
    NOTE_NEGATED,
    Check,
    Context,
    Evidence,
    Hit,
    Outcome,
    Unit,
    compile_patterns,
)
from protoscan.screen.checks.decision import adverse_hits
from protoscan.structure.sections import NARRATIVE_KINDS

__all__ = [
    "CHECKS",
]

_I = re.IGNORECASE
_APPEAL = compile_patterns((
    r"\böverklagandehänvisning\w*\b",
    r"\bbesvärshänvisning\w*\b",
    r"\bhur\s+man\s+överklagar\b",
    r"\b(?:kan|får)\s+(?:inte\s+)?överklagas\b",
    r"\böverklaga\w*\s+(?:\w+\s+){0,6}(?:hos|till)\s+förvaltningsrätten\b",
    r"\böverklagande\w*\b",
    r"\böverklaga\b",
))  # fmt: skip
#: Words that make a sentence part of an appeal notice.
_NOTICE_WORD = re.compile(r"överklag|besvär", _I)
_SAYS_NOT_APPEALABLE = compile_patterns((
    r"\b(?:kan|får)\s+inte\s+överklagas\b",
    r"\bgår\s+inte\s+att\s+överklaga\b",
    r"\binte\s+(?:är\s+)?överklagbar\w*\b",
))  # fmt: skip
#: A notice that tells the party the decision can be appealed.
_SAYS_APPEALABLE = compile_patterns((
    r"\b(?:kan|får)\s+överklagas\b",
    r"\b(?:kan|får)\s+(?:du|ni|man)\s+överklaga\b",
    r"\böverklaga\w*\s+(?:\w+\s+){0,6}(?:hos|till)\s+förvaltningsrätten\b",
    r"\böverklagandet\s+ska\s+ha\s+kommit\s+in\b",
))  # fmt: skip
#: A decision that grants or orders something besides the investigation (a granted insats can
#: be appealed in part, so its notice is not wrong).
_OTHER_DECISION = re.compile(r"\bbevilj\w*|\bbistånd\w*|\binsats\w*|\bplacer\w*|\bvård\b", _I)
_RIGHT_COURT = re.compile(r"\bförvaltningsrätt\w*", _I)
_COURT = (
    r"(?:förvaltningsrätt\w*|kammarrätt\w*|tingsrätt\w*|hovrätt\w*|högsta\s+förvaltningsdomstolen"
    r"|högsta\s+domstolen|länsstyrelsen|IVO|inspektionen\s+för\s+vård\s+och\s+omsorg|JO"
    r"|justitieombudsm\w*)"
)
#: Where the notice sends the appeal ("kan överklagas hos kammarrätten").
_ADDRESSED = compile_patterns((
    rf"\b(?:överklaga\w*|besvär\w*)\s+(?:[\w,]+\s+){{0,8}}?(?:hos|till|vid)\s+{_COURT}",
))  # fmt: skip
_NUMBER = (
    r"(?:\d{1,3}|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|fjorton|tjugoen"
    r"|trettio|nittio)"
)
#: A time limit in the notice ("inom tre veckor", "inom tre månader").
_TIME_LIMIT = compile_patterns((
    rf"\binom\s+{_NUMBER}\s+(?:dagar|dag|veckor|vecka|månader|månad|år)\b",
))  # fmt: skip
_THREE_WEEKS = re.compile(r"\binom\s+(?:tre|3)\s+veckor\b|\binom\s+(?:21|tjugoen)\s+dagar\b", _I)
#: Counting from the decision instead of from when the party got it (FL 44 §).
_FROM_DECISION = compile_patterns((
    r"\bfrån\s+(?:och\s+med\s+)?(?:beslutsdag\w*|beslutsdatum\w*|dagen\s+för\s+beslutet"
    r"|datum\s+för\s+beslutet|beslutets\s+datum|dagens\s+datum|den\s+dag(?:en)?\s+(?:då\s+)?"
    r"beslutet\s+(?:fattades|fattats|meddelades|togs|skrevs|expedierades|skickades))",
))  # fmt: skip
_GOT_DECISION = re.compile(
    r"\b(?:fick|fått|får|tog|tagit)\s+del\s+av\b|\bdelg(?:avs|ivits|etts)\b|\bmottog\b", _I
)
_LVU = r"(?:LVU|lagen\s+\(1990:52\)|med\s+särskilda\s+bestämmelser\s+om\s+vård\s+av\s+unga)"
#: An omprövning that care under 3 § LVU continues can be appealed (LVU 41 §).
_CARE_CONTINUES = re.compile(
    rf"\b3\s+§\s+{_LVU}[^.]{{0,120}}\bfortsätt\w*|\bfortsätt\w*[^.]{{0,120}}\b3\s+§\s+{_LVU}", _I
)
_IN_LVU = re.compile(_LVU, _I)
#: What kind of appealable decision it is, for the message: (pattern, whether it is an LVU
#: decision, Swedish description, the rule that makes it appealable).
_KINDS: tuple[tuple[re.Pattern[str], bool, str, str], ...] = (
    (re.compile(r"flyttningsförbud", _I), True,
     "ett beslut om flyttningsförbud eller tillfälligt flyttningsförbud (24 eller 27 § LVU)",
     "LVU 41 §"),
    (re.compile(r"umgäng\w*|\b14\s+§", _I), True,
     "ett beslut om umgänge enligt 14 § LVU", "LVU 41 §"),
    (re.compile(r"\b11\s+§|placer\w*|flytt\w*|vistas", _I), True,
     "ett beslut om var vården ska ges eller om flyttning enligt 11 § LVU", "LVU 41 §"),
    (_CARE_CONTINUES, True,
     "ett beslut efter omprövning enligt 13 § LVU att vård med stöd av 3 § LVU ska fortsätta",
     "LVU 41 §"),
    (re.compile(r"\bavslag\w*|\bavslå\w*|\bbeviljas\s+inte\b|\bnekas\b", _I), False,
     "ett avslag på en ansökan om bistånd", "SoL (2001:453) 16 kap. 3 §"),
)  # fmt: skip
_ADVERSE_KIND = ("ett beslut som går en part emot", "förvaltningslagen 40–42 §§")
#: Decisions about an investigation itself, which cannot be appealed.
_INVESTIGATION_DECISION = re.compile(
    r"\butredning\w*\s+(?:enligt\s+[^.]{0,40}\s+)?(?:inleds|ska\s+inledas|avslutas|läggs\s+ned)"
    r"\b|\binleda\s+(?:en\s+)?utredning\b",
    _I,
)
_WHY_IT_MATTERS = (
    "Ett beslut som kan överklagas ska innehålla en upplysning om hur det överklagas "
    "(förvaltningslagen 33 § andra stycket); en felaktig upplysning kan få parten att avstå "
    "från att överklaga, vända sig till fel instans eller komma in för sent."
)


def _notice_units(ctx: Context) -> list[Unit]:
    """The sentences that speak of appeal, outside the sections that tell the case's story."""
    return [
        u
        for u in ctx.units
        if (u.section is None or u.section.kind not in NARRATIVE_KINDS)
        and (
            (u.section is not None and u.section.kind == "appeal")
            or _NOTICE_WORD.search(ctx.sentence(u))
        )
    ]


def _appealable(ctx: Context, adverse: list[Hit]) -> tuple[str, str] | None:
    """What appealable decision the draft makes and the rule behind it, or None."""
    units, _ = ctx.decision_units()
    sentences = [*units, *(h.unit for h in adverse)]
    decided = " ".join(ctx.sentence(u) for u in dict.fromkeys(sentences))
    if not adverse and not _CARE_CONTINUES.search(decided):
        return None
    lvu = bool(_IN_LVU.search(decided))
    for pattern, in_lvu, what, basis in _KINDS:
        if in_lvu == lvu and pattern.search(decided):
            return what, basis
    return _ADVERSE_KIND


#: What can be wrong in the notice of an appealable decision: what to look for, unless the
#: notice also says what is right (``None``: always look), the note and the Swedish message.
_WRONG: tuple[tuple[tuple[re.Pattern[str], ...], re.Pattern[str] | None, str, str], ...] = (
    (_SAYS_NOT_APPEALABLE, None, "fel: beslutet kan överklagas",
     "Utkastet säger att beslutet inte kan överklagas (”{}”)."),
    (_ADDRESSED, _RIGHT_COURT, "fel domstol",
     "Utkastet hänvisar överklagandet till fel domstol (”{}”): socialnämndens beslut överklagas "
     "hos förvaltningsrätten, och först dess dom kan överklagas till kammarrätten."),
    (_TIME_LIMIT, _THREE_WEEKS, "fel tidsfrist",
     "Utkastet anger fel tid för att överklaga (”{}”): överklagandet ska ha kommit in inom tre "
     "veckor från den dag parten fick del av beslutet (förvaltningslagen 44 §)."),
    (_FROM_DECISION, _GOT_DECISION, "fel utgångspunkt för tiden",
     "Utkastet räknar tiden för att överklaga från beslutet (”{}”), men de tre veckorna räknas "
     "från den dag parten fick del av beslutet (förvaltningslagen 44 §)."),
)  # fmt: skip


def _wrong(ctx: Context, units: list[Unit]) -> tuple[list[str], list[Evidence]]:
    """What is wrong in the notice of an appealable decision, with the words it says."""
    problems: list[str] = []
    evidence: list[Evidence] = []
    notice = " ".join(ctx.sentence(u) for u in units)
    for patterns, right, note, message in _WRONG:
        if right is not None and right.search(notice):
            continue
        hits = [h for h in ctx.find(patterns, units) if not h.rule]
        if hits:
            evidence += [ctx.evidence(h, note, False) for h in hits]
            problems.append(message.format(ctx.text[hits[0].start : hits[0].end]))
    return problems, evidence


def _offers_appeal(ctx: Context, units: list[Unit], decided: str) -> Outcome | None:
    """A failed outcome when a decision only about an investigation says it can be appealed."""
    if not _INVESTIGATION_DECISION.search(decided) or _OTHER_DECISION.search(decided):
        return None
    offered = [h for h in ctx.find(_SAYS_APPEALABLE, units) if not h.rule and not h.negated]
    if not offered:
        return None
    evidence = [ctx.evidence(h, "fel: beslutet kan inte överklagas", False) for h in offered]
    return (
        "failed",
        f"Utkastet säger att beslutet kan överklagas (”{evidence[0].text}”), men ett beslut att "
        "inleda, inte inleda eller avsluta en utredning kan inte överklagas. En felaktig "
        "hänvisning kan få parten att lägga tid och hopp på ett överklagande som domstolen "
        "avvisar; skriv i stället att beslutet inte kan överklagas.",
        evidence,
    )


def _check_appeal(ctx: Context) -> Outcome:
    adverse, where = adverse_hits(ctx)
    units = _notice_units(ctx)
    appealable = _appealable(ctx, adverse)
    if appealable is None:
        decision_units, _ = ctx.decision_units()
        decided = " ".join(ctx.sentence(u) for u in decision_units)
        said = [h for h in ctx.find(_SAYS_NOT_APPEALABLE, units) if not h.rule]
        if not said and (wrongly_offered := _offers_appeal(ctx, units, decided)) is not None:
            return wrongly_offered
        if said and _INVESTIGATION_DECISION.search(decided):
            evidence = [ctx.evidence(h, "anger rätt att beslutet inte kan överklagas", True)
                        for h in said]  # fmt: skip
            return (
                "passed",
                f"Utkastet anger att beslutet inte kan överklagas (”{evidence[0].text}”), och det "
                "stämmer: ett beslut att inleda, inte inleda eller avsluta en utredning kan inte "
                "överklagas.",
                evidence,
            )
        return (
            "not_applicable",
            "Beslutet går inte någon part emot på ett sätt som kan överklagas (att inte inleda "
            "eller att avsluta en utredning kan inte överklagas; en beviljad ansökan går ingen "
            "emot).",
            [],
        )
    what, basis = appealable
    evidence = [ctx.evidence(h, f"beslut som kan överklagas ({where})", False) for h in adverse[:2]]
    problems, wrong = _wrong(ctx, units)
    if problems:
        return (
            "failed",
            " ".join([*problems, f"Detta är {what}, som kan överklagas hos förvaltningsrätten "
                      f"({basis}).", _WHY_IT_MATTERS]),
            evidence + wrong,
        )  # fmt: skip
    notices: list[Evidence] = []
    for section in ctx.sections("appeal"):
        notices.append(Evidence(section.start_char, section.start_char + len(section.title),
                                section.title, section.title, "rubrik", True))  # fmt: skip
    for hit in ctx.find(_APPEAL):
        if hit.rule:
            continue
        if hit.negated:
            evidence.append(ctx.evidence(hit, NOTE_NEGATED, False))
            continue
        notices.append(ctx.evidence(hit, "spår", True))
    if notices:
        quoted = ", ".join(f"”{e.text}”" for e in notices[:3])
        return "passed", f"Överklagandehänvisning finns: {quoted}.", evidence + notices
    subject = f"”{evidence[0].text}”" if evidence else what
    return (
        "failed",
        f"Beslutet kan överklagas ({subject}: {what}, {basis}) men utkastet säger inte hur det "
        f"överklagas. {_WHY_IT_MATTERS}",
        evidence,
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "appeal_notice_missing",
        "Överklagandehänvisning saknas eller är fel",
        "Överklagandehänvisning",
        "reasoning",
        "förvaltningslagen 33 § andra stycket och 44 §; SoL (2001:453) 16 kap. 3 §; LVU 41 §",
        "Om beslutet kan överklagas (ett beslut som går en part emot: ”avslag”, ”avslås”, "
        "”begränsning”, ”placering”, ”flyttningsförbud”, ”upphör” …, eller en omprövning att "
        "vård enligt 3 § LVU ska fortsätta): en överklagandehänvisning (”Hur man överklagar”, "
        "”kan överklagas hos förvaltningsrätten”, ”överklagandet ska ha kommit in inom tre "
        "veckor”) som inte säger att beslutet inte kan överklagas, inte hänvisar till en annan "
        "domstol än förvaltningsrätten och inte anger en annan tid än tre veckor från den dag "
        "parten fick del av beslutet. Att inleda, inte inleda eller avsluta en utredning kan "
        "inte överklagas; där stämmer ”Beslutet kan inte överklagas”, och en hänvisning som "
        "säger att det kan överklagas är fel.",
        0.5,
        _check_appeal,
    ),
)
