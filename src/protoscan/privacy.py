"""Personnummer and samordningsnummer: find, mask and pseudonymise.

A Swedish personal identity number is written ``YYMMDD-NNNN`` (``+`` instead of ``-`` once
the person is 100), ``YYYYMMDD-NNNN`` or without the separator (``YYYYMMDDNNNN``,
``YYMMDDNNNN``). A samordningsnummer is the same with 60 added to the day. A candidate counts
only when its date exists and its last digit passes the Luhn check over the ten digits
``YYMMDDNNN``, so case numbers, dates and phone numbers are rarely taken for one.

Masking keeps the length of the text (``140312-1234`` → ``140312-****``), so every character
offset computed on the original text stays valid on the masked one.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "PersonalNumber",
    "Pseudonymiser",
    "find_personal_numbers",
    "is_valid_personal_number",
    "luhn_valid",
    "mask_personal_numbers",
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


def _classify(match: re.Match[str]) -> PersonalNumber | None:
    yy, mm, dd = int(match["yy"]), int(match["mm"]), int(match["dd"])
    digits = match["yy"] + match["mm"] + match["dd"] + match["serial"] + match["check"]
    kind = "personnummer"
    if dd > 60:
        dd -= 60
        kind = "samordningsnummer"
    if not _date_exists(match["century"], yy, mm, dd) or not luhn_valid(digits):
        return None
    return PersonalNumber(match.start(), match.end(), match.group(), kind, digits)


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Find every valid personnummer and samordningsnummer in ``text``.

    Args:
        text: Any text.

    Returns:
        The numbers in text order; invalid dates and failed Luhn checks are left out.

    Example:
        >>> [(n.text, n.kind) for n in find_personal_numbers(
        ...     "Pojken, 811218-9876, och 19811278-9873 men inte 811218-9875.")]
        [('811218-9876', 'personnummer'), ('19811278-9873', 'samordningsnummer')]
    """
    found = []
    for match in _CANDIDATE.finditer(text):
        number = _classify(match)
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

    The result has the same length as ``text``, so offsets into it are unchanged.

    Example:
        >>> mask_personal_numbers("Pojken (811218-9876) bor hos modern.")
        'Pojken (811218-****) bor hos modern.'
    """
    numbers = find_personal_numbers(text)
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


class Pseudonymiser:
    """Stable pseudonyms for personal numbers within one run (or across workers sharing a key).

    The pseudonym is a keyed hash (HMAC-SHA256) of the canonical ten digits, so the same
    person gets the same pseudonym however the number is written (``811218-9876``,
    ``19811218-9876``, ``198112189876``), different people get different ones, and nothing
    can be recovered without the key. The key is random unless given; pass the same key to
    every worker of a distributed scan to keep pseudonyms consistent across them. Never store
    the key next to the output.

    Pseudonyms have the length of the number they replace (``[P-xxxxxxx]`` with as many hex
    digits as fit, at least six), so character offsets stay valid.

    Example:
        >>> p = Pseudonymiser(key=b"demo-key")
        >>> p.pseudonymise("811218-9876 och 19811218-9876")[:11] == p.pseudonym("8112189876", 11)
        True
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)

    def pseudonym(self, digits: str, length: int = 11) -> str:
        """The pseudonym for the canonical ten digits, ``length`` characters long (>= 10)."""
        digest = hmac.new(self.key, digits.encode("ascii"), hashlib.sha256).hexdigest()
        return f"[P-{digest[: max(length, 10) - 4]}]"

    def pseudonymise(self, text: str) -> str:
        """Replace every personal number in ``text`` with its same-length pseudonym."""
        parts: list[str] = []
        pos = 0
        for number in find_personal_numbers(text):
            parts.append(text[pos : number.start_char])
            parts.append(self.pseudonym(number.digits, number.end_char - number.start_char))
            pos = number.end_char
        parts.append(text[pos:])
        return "".join(parts)
