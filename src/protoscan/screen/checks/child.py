"""The child's voice and best interest: were the child's views heard (or the infant
observed), and is the child's best assessed, not only the rule restated?

May import: ``document`` and ``screen.checks.base``.
"""

from __future__ import annotations

import datetime as dt
import re

from protoscan.document import Document
from protoscan.screen.checks.base import Check, Context, Hit, Outcome, compile_patterns, outcome

__all__ = [
    "CHECKS",
]

_I = re.IGNORECASE
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


def _child_view_patterns(ctx: Context) -> tuple[re.Pattern[str], ...]:
    child, genitive = _child_words(ctx.doc)
    return compile_patterns((
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


def _best_interest_patterns(ctx: Context) -> tuple[re.Pattern[str], ...]:
    child, genitive = _child_words(ctx.doc)
    return compile_patterns((
        rf"\b(?:{genitive})\s+(?:och\s+(?:{genitive})\s+)?bästa\b",
        rf"\bbäst\s+för\s+(?:{child})\b",
        rf"\bbästa\s+för\s+(?:{child})\b",
        r"\bbarnrättsperspektiv\w*\b",
        r"\bbarnperspektiv\w*\b",
        r"\bbarnkonsekvensanalys\w*\b",
    ))  # fmt: skip


def _about_child(ctx: Context) -> bool:
    return bool(_CHILD_CONTEXT.search(ctx.text))


def _check_child_views(ctx: Context) -> Outcome:
    if not _about_child(ctx):
        return "not_applicable", "Utkastet verkar inte gälla ett barn.", []
    hits = ctx.find(_child_view_patterns(ctx))
    views = ctx.sections("child_views")
    for section in views:
        units = [u for u in ctx.units_in([section]) if not u.heading_like]
        if units and not any(h.unit in units and h.negated for h in hits):
            first = units[0]
            hits.append(
                Hit(
                    section.start_char,
                    section.start_char + len(section.title),
                    first,
                    negated=False,
                    reasoned=False,
                    rule=False,
                    heading=True,
                )
            )
    return outcome(
        ctx,
        sorted(hits, key=lambda h: h.start),
        reason_counts=True,
        found="Barnets röst finns med",
        missing="Inget spår av barnets egna synpunkter eller av samtal med eller observation "
        "av barnet.",
    )


def _check_best_interests(ctx: Context) -> Outcome:
    if not _about_child(ctx):
        return "not_applicable", "Utkastet verkar inte gälla ett barn.", []
    return outcome(
        ctx,
        # "Med hänsyn till Omars bästa och hans inställning finns inte skäl …": the negation
        # is the decision's, not a denial that the child's best was assessed.
        ctx.find(_best_interest_patterns(ctx), after_words=3),
        reason_counts=False,
        found="Barnets bästa tas upp",
        missing="Ingen bedömning av barnets bästa.",
    )


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
)
