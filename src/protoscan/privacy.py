"""Personnummer, samordningsnummer and names of persons: find, mask and pseudonymise.

A Swedish personal identity number is written ``YYMMDD-NNNN`` (``+`` instead of ``-`` once
the person is 100), ``YYYYMMDD-NNNN`` or without the separator (``YYYYMMDDNNNN``,
``YYMMDDNNNN``). A samordningsnummer is the same with 60 added to the day. A candidate counts
only when its date exists and its last digit passes the Luhn check over the ten digits
``YYMMDDNNN``, so case numbers, dates and phone numbers are rarely taken for one.

Names are found by pattern, not by a name list: a capitalised first and last name right
after a word for a role (``modern Anna Svensson``, ``handläggaren, Per Ek,``) or before a
birth year (``Kalle Berg, född 2014``) or a personal number. The ``AA``/``BB`` initials that
JO and IVO already use as pseudonyms are not names to this pattern and are left alone.

Masking and pseudonymising keep the length of the text (``140312-1234`` → ``140312-****``),
so every character offset computed on the original text stays valid on the new one.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "PersonName",
    "PersonalNumber",
    "Pseudonymiser",
    "find_person_names",
    "find_personal_numbers",
    "is_valid_personal_number",
    "luhn_valid",
    "mask_personal_numbers",
    "person_name_words",
]

MASK_CHAR = "*"

# Digits not glued to other digits or word characters; the separator is optional, the
# century optional. ``(?<![\d-])`` keeps "2019-140312-1234"-like serials out.
_CANDIDATE = re.compile(
    r"(?<![\w-])(?P<century>(?:18|19|20))?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)(?![\w-])"
)


@dataclass(frozen=True, slots=True)
class PersonalNumber:
    """One personnummer or samordningsnummer found in text.

    Attributes:
        start_char: Offset of the first character (the century, if written).
        end_char: Offset after the check digit.
        text: The number as written.
        kind: ``"personnummer"`` or ``"samordningsnummer"``.
        digits: The ten digits ``YYMMDDNNNC`` (the canonical form used for pseudonyms).
    """

    start_char: int
    end_char: int
    text: str
    kind: str
    digits: str

    @property
    def masked(self) -> str:
        """The number with its last four digits replaced: ``140312-****``."""
        return self.text[:-4] + MASK_CHAR * 4


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check.

    Example:
        >>> luhn_valid("8112189876"), luhn_valid("8112189875")
        (True, False)
    """
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _date_exists(century: str | None, yy: int, mm: int, dd: int) -> bool:
    if not 1 <= mm <= 12 or dd < 1:
        return False
    # Without a century, 29 February is valid if any century makes it a leap year.
    years = [int(century) * 100 + yy] if century else [1900 + yy, 2000 + yy]
    return any(dd <= calendar.monthrange(year, mm)[1] for year in years)


def _classify(match: re.Match[str], *, require_checksum: bool = True) -> PersonalNumber | None:
    yy, mm, dd = int(match["yy"]), int(match["mm"]), int(match["dd"])
    digits = match["yy"] + match["mm"] + match["dd"] + match["serial"] + match["check"]
    kind = "personnummer"
    if dd > 60:
        dd -= 60
        kind = "samordningsnummer"
    if not _date_exists(match["century"], yy, mm, dd):
        return None
    # Without the checksum only the written form (date, separator, four digits) says it is a
    # personal number; a bare ten-digit run could be anything.
    checksum_ok = luhn_valid(digits) or (not require_checksum and bool(match["sep"]))
    if not checksum_ok:
        return None
    return PersonalNumber(match.start(), match.end(), match.group(), kind, digits)


def find_personal_numbers(text: str, *, require_checksum: bool = True) -> list[PersonalNumber]:
    """Find every valid personnummer and samordningsnummer in ``text``.

    Args:
        text: Any text.
        require_checksum: Keep only numbers that pass the Luhn check. ``False`` also keeps
            numbers written with a separator (``YYMMDD-NNNN``) whose check digit is wrong,
            typos included: what masking should hide.

    Returns:
        The numbers in text order; invalid dates and failed Luhn checks are left out.

    Example:
        >>> [(n.text, n.kind) for n in find_personal_numbers(
        ...     "Pojken, 811218-9876, och 19811278-9873 men inte 811218-9875.")]
        [('811218-9876', 'personnummer'), ('19811278-9873', 'samordningsnummer')]
    """
    found = []
    for match in _CANDIDATE.finditer(text):
        number = _classify(match, require_checksum=require_checksum)
        if number is not None:
            found.append(number)
    return found


def is_valid_personal_number(value: str) -> bool:
    """Whether ``value`` (stripped) is exactly one valid personnummer or samordningsnummer."""
    value = value.strip()
    numbers = find_personal_numbers(value)
    return len(numbers) == 1 and numbers[0].text == value


def mask_personal_numbers(text: str) -> str:
    """Replace the last four digits of every personal number with ``*``.

    The result has the same length as ``text``, so offsets into it are unchanged. Numbers
    written as ``YYMMDD-NNNN`` are masked even when their check digit is wrong (a typo in a
    draft is still someone's number).

    Example:
        >>> mask_personal_numbers("Pojken (811218-9876) bor hos modern, syster 140312-1234.")
        'Pojken (811218-****) bor hos modern, syster 140312-****.'
    """
    numbers = find_personal_numbers(text, require_checksum=False)
    if not numbers:
        return text
    parts: list[str] = []
    pos = 0
    for number in numbers:
        parts.append(text[pos : number.start_char])
        parts.append(number.masked)
        pos = number.end_char
    parts.append(text[pos:])
    return "".join(parts)


# -- names of persons -------------------------------------------------------------------------

_UPPER = "A-ZÅÄÖÆØÉÈÜ"
_LOWER = "a-zåäöæøéèüáíóúñç"
#: A capitalised name word, possibly double-barrelled ("Anna-Karin"); "AA" does not match.
_WORD = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?"
_SPACE = r"[ \u00a0]+"
#: Words for a person's role that a name often follows in decisions about children.
NAME_CUES: tuple[str, ...] = (
    "modern", "fadern", "mamman", "pappan", "mor", "far", "styvmodern", "styvfadern",
    "vårdnadshavaren", "vårdnadshavare", "föräldern", "barnet", "pojken", "flickan",
    "sonen", "dottern", "brodern", "systern", "syskonet", "den unge", "eleven",
    "handläggaren", "socialsekreteraren", "utredaren", "enhetschefen", "sektionschefen",
    "kontaktpersonen", "familjehemsmamman", "familjehemspappan", "familjehemmet",
    "anmälaren", "klaganden", "läkaren", "rektorn", "kuratorn", "läraren",
)  # fmt: skip
_CUE_NAME = re.compile(
    rf"(?<!\w)(?i:{'|'.join(sorted(NAME_CUES, key=len, reverse=True))})"
    rf"[,:]?{_SPACE}(?P<name>{_WORD}(?:{_SPACE}{_WORD}){{1,2}})(?!\w)"
)
_NAME_BORN = re.compile(
    rf"(?<![\w-])(?P<name>{_WORD}(?:{_SPACE}{_WORD}){{0,2}}),?{_SPACE}\(?"
    rf"(?:född|f\.){_SPACE}(?:den{_SPACE})?\d"
)
_NAME_NUMBER = re.compile(
    rf"(?<![\w-])(?P<name>{_WORD}(?:{_SPACE}{_WORD}){{1,2}}),?{_SPACE}\(?"
    r"(?:18|19|20)?\d{6}[-+]?\d{4}(?!\d)"
)
#: Capitalised words that are not names: roles at a sentence start, pronouns, institutions.
_NOT_NAMES = frozenset(
    {cue.capitalize() for cue in NAME_CUES}
    | {
        "Han", "Hon", "Hen", "Den", "Det", "De", "Vi", "Ni", "Jag", "Dess", "Hans", "Hennes",
        "Nämnden", "Socialnämnden", "Förvaltningen", "Socialtjänsten", "Kommunen",
        "Inspektionen", "Justitieombudsmannen", "Regionen", "Skolan", "Beslutet",
        "Utredningen", "Enligt", "Under", "Efter", "Enheten", "Barn", "Unga", "Beslut",
        "Bedömning", "Bakgrund", "Ärendet", "Av", "På", "Vid", "Som", "Om", "När", "Att",
        "Och", "Men", "Nu", "Därför", "Dessutom", "Vidare", "Mot", "Till", "Från", "Med",
        "För", "Hos", "Samt", "Både", "Även",
    }
)  # fmt: skip
_INSTITUTION_ENDINGS = ("nämnden", "förvaltningen", "tjänsten", "kommun", "rätten", "enheten")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name of a person found by pattern.

    Attributes:
        start_char: Offset of the first character.
        end_char: Offset after the last character.
        text: The name as written, e.g. ``"Anna Svensson"``.
    """

    start_char: int
    end_char: int
    text: str

    @property
    def words(self) -> tuple[str, ...]:
        """The name's words (``"Anna-Karin Ek"`` → ``("Anna-Karin", "Ek")``)."""
        return tuple(self.text.split())


def _is_name_word(word: str) -> bool:
    return word not in _NOT_NAMES and not word.lower().endswith(_INSTITUTION_ENDINGS)


def _name_from(match: re.Match[str], min_words: int, *, from_end: bool) -> PersonName | None:
    """The name in ``match``: its first run of name words (``from_end``: its last run, for
    patterns where the name ends just before a birth year or personal number)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", match["name"])]
    flags = [_is_name_word(match["name"][a:b]) for a, b in spans]
    if from_end:
        spans, flags = spans[::-1], flags[::-1]
    run: list[tuple[int, int]] = []
    for span, ok in zip(spans, flags, strict=True):
        if ok:
            run.append(span)
        elif run or not from_end:
            break
    if len(run) < min_words:
        return None
    offset = match.start("name")
    start = offset + min(a for a, _ in run)
    end = offset + max(b for _, b in run)
    return PersonName(start, end, match.string[start:end])


def person_name_words(text: str) -> frozenset[str]:
    """The words of every name ``find_person_names`` finds in ``text``, e.g. so that a later
    ``Svensson`` alone is pseudonymised like the ``Anna Svensson`` it refers back to."""
    return frozenset(word for name in find_person_names(text) for word in name.words)


def find_person_names(text: str) -> list[PersonName]:
    """Find names of persons that the text's wording points out.

    Three patterns, none of which needs a list of names:

    - a role word, then a capitalised first and last name: ``modern Anna Svensson``,
      ``handläggaren, Per Ek`` (roles in ``NAME_CUES``);
    - a capitalised name, then a birth year: ``Kalle Berg, född 2014``, ``Kalle (f. 2014)``;
    - a capitalised first and last name, then a personal number: ``Anna Svensson, 811218-9876``.

    Words that are not names (pronouns, role words, ``Nämnden`` and other institutions) end
    a name. ``AA``/``BB``-style initials are never taken for names.

    Args:
        text: Any text.

    Returns:
        The names in text order, without overlaps.

    Example:
        >>> [n.text for n in find_person_names(
        ...     "Modern Anna Svensson och AA, född 2014, träffade handläggaren Per Ek.")]
        ['Anna Svensson', 'Per Ek']
    """
    found: list[PersonName] = []
    patterns = ((_CUE_NAME, 2, False), (_NAME_BORN, 1, True), (_NAME_NUMBER, 2, True))
    for pattern, min_words, from_end in patterns:
        for match in pattern.finditer(text):
            name = _name_from(match, min_words, from_end=from_end)
            if name is not None:
                found.append(name)
    found.sort(key=lambda n: (n.start_char, -n.end_char))
    result: list[PersonName] = []
    for name in found:
        if result and name.start_char < result[-1].end_char:
            continue
        result.append(name)
    return result


class Pseudonymiser:
    """Stable pseudonyms for personal numbers and names within one run (or across workers
    sharing a key).

    A pseudonym is a keyed hash (HMAC-SHA256): of the canonical ten digits for a personal
    number, so the same person gets the same pseudonym however the number is written
    (``811218-9876``, ``19811218-9876``, ``198112189876``); of the case-folded word for each
    word of a name, so ``Anna Svensson`` and a later ``Svensson`` stay linked. Different
    people get different pseudonyms, and nothing can be recovered without the key. The key
    is random unless given; pass the same key to every worker of a distributed scan to keep
    pseudonyms consistent across them. Whoever holds the key can test guesses (personal
    numbers are few enough to try them all), so keep it away from shared output.

    Pseudonyms have the length of what they replace, so character offsets stay valid:
    ``[P-xxxxxxx]`` for a number, ``N`` and hex digits for a name word (``Anna`` → ``N3fa``).

    Example:
        >>> p = Pseudonymiser(key=b"demo-key")
        >>> p.pseudonymise("811218-9876 och 19811218-9876")[:11] == p.pseudonym("8112189876", 11)
        True
        >>> p.pseudonymise("Svensson", names={"Svensson"}) == p.name_pseudonym("Svensson")
        True
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)

    def pseudonym(self, digits: str, length: int = 11) -> str:
        """The pseudonym for the canonical ten digits, ``length`` characters long (>= 10)."""
        digest = hmac.new(self.key, digits.encode("ascii"), hashlib.sha256).hexdigest()
        return f"[P-{digest[: max(length, 10) - 4]}]"

    def name_pseudonym(self, word: str) -> str:
        """The pseudonym of one name word: ``N`` and hex digits, as long as the word."""
        message = b"name\0" + word.casefold().encode("utf-8")
        digest = hmac.new(self.key, message, hashlib.sha256).hexdigest()
        return "N" + (digest * 2)[: len(word) - 1]

    def pseudonymise(self, text: str, names: Iterable[str] = ()) -> str:
        """Replace every personal number in ``text``, and every whole-word occurrence of the
        name words in ``names``, with same-length pseudonyms.

        Args:
            text: Any text.
            names: Name words to replace wherever they occur, typically
                ``person_name_words`` of the whole document the text comes from.
        """
        spans = [
            (n.start_char, n.end_char, self.pseudonym(n.digits, n.end_char - n.start_char))
            for n in find_personal_numbers(text)
        ]
        words = sorted(set(names), key=len, reverse=True)
        if words:
            pattern = rf"(?<![\w-])(?:{'|'.join(map(re.escape, words))})(?![\w-])"
            spans += [
                (m.start(), m.end(), self.name_pseudonym(m.group()))
                for m in re.finditer(pattern, text)
            ]
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for start, end, replacement in sorted(spans):
            if start < pos:
                continue
            parts.append(text[pos:start])
            parts.append(replacement)
            pos = end
        parts.append(text[pos:])
        return "".join(parts)
