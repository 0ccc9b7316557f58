"""Headings and sections of JO, IVO, lex Sarah and municipal documents.

A heading is a short line that, once numbering (``2.``, ``3.1``, ``II.``) and a trailing
colon are stripped, equals a known heading (case-insensitively, first letter capitalised
as written). A known heading followed by a colon and text on the same line (``Beslutet i
korthet: Vid ett …``) is a run-in heading. Standalone paragraphs may also carry a known
heading with a qualifier (``Utredning enligt 11 kap. 1 § SoL``, ``Anmälan från AA``).

Sections tile the text: the text before the first heading is the ``preamble`` section and
each heading opens a section that runs to the next heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from protoscan.document import Section

__all__ = [
    "HEADING_KINDS",
    "NARRATIVE_KINDS",
    "SECTION_KINDS",
    "Heading",
    "classify_heading",
    "detect_sections",
    "find_headings",
]

SECTION_KINDS: tuple[str, ...] = (
    "preamble", "summary", "complaint", "background", "investigation", "child_views",
    "incident", "causes", "measures", "position", "law", "assessment", "decision",
    "demands", "appeal", "other",
)  # fmt: skip
#: Sections that tell what happened in the case ("Bakgrund", "Ärendet", "Anmälan",
#: "Utredning", "Samtal med barnet"), as opposed to what the author assesses or decides.
NARRATIVE_KINDS: frozenset[str] = frozenset(
    {"background", "complaint", "investigation", "child_views", "incident"}
)

#: Known headings (lower case) and the normalised kind each one opens.
HEADING_KINDS: dict[str, str] = {
    # JO
    "beslutet i korthet": "summary",
    "sammanfattning": "summary",
    "anmälan": "complaint",
    "anmälningen": "complaint",
    "anmälningarna": "complaint",
    "klagomålet": "complaint",
    "klagomål": "complaint",
    "utredning": "investigation",
    "utredningen": "investigation",
    "jo:s utredning": "investigation",
    "remissvaret": "investigation",
    "remissvar": "investigation",
    "yttrande": "investigation",
    "nämndens yttrande": "investigation",
    "inspektionen": "investigation",
    "iakttagelser": "investigation",
    "iakttagelser vid inspektionen": "investigation",
    "rättslig reglering": "law",
    "rättsliga utgångspunkter": "law",
    "gällande rätt": "law",
    "gällande bestämmelser": "law",
    "tillämpliga bestämmelser": "law",
    "bestämmelser": "law",
    "bedömning": "assessment",
    "jo:s bedömning": "assessment",
    "bedömning och beslut": "assessment",
    "beslut": "decision",
    "beslutet": "decision",
    "jo:s beslut": "decision",
    # IVO
    "ärendet": "background",
    "ivo:s beslut": "decision",
    "inspektionen för vård och omsorgs beslut": "decision",
    "bakgrund": "background",
    "bakgrund och anmälningar till jo": "background",
    "skäl för beslutet": "assessment",
    "skälen för beslutet": "assessment",
    "ivo:s utredning": "investigation",
    "ivo:s bedömning": "assessment",
    "krav på åtgärder": "demands",
    "redovisning": "demands",
    "redovisning av åtgärder": "demands",
    "uppföljning": "demands",
    # Lex Sarah
    "händelsen": "incident",
    "händelseförlopp": "incident",
    "beskrivning av händelsen": "incident",
    "vad har hänt": "incident",
    "rapport": "incident",
    "rapporten": "incident",
    "konsekvenser": "incident",
    "konsekvenser för den enskilde": "incident",
    "orsaker": "causes",
    "orsaksanalys": "causes",
    "åtgärder": "measures",
    "vidtagna åtgärder": "measures",
    "planerade åtgärder": "measures",
    "vidtagna och planerade åtgärder": "measures",
    "ställningstagande": "position",
    # Municipal
    "aktualisering": "background",
    "skyddsbedömning": "assessment",
    "riskbedömning": "assessment",
    "förhandsbedömning": "assessment",
    "kommunicering": "investigation",
    "barnets inställning": "child_views",
    "barnets berättelse": "child_views",
    "samtal med barnet": "child_views",
    "barnets behov": "investigation",
    "föräldrarnas förmåga": "investigation",
    "familj och miljö": "investigation",
    "familjen och nätverket": "investigation",
    "förslag till beslut": "decision",
    "lagrum": "law",
    "överklagandehänvisning": "appeal",
    "hur man överklagar": "appeal",
    "hur man överklagar beslutet": "appeal",
    "motivering": "assessment",
    "skäl": "assessment",
    "ansökan": "background",
    "överväganden": "assessment",
    "socialtjänstens överväganden": "assessment",
    "nämndens överväganden": "assessment",
    "sammanfattande bedömning": "assessment",
    "socialtjänstens bedömning": "assessment",
    "beslutsmotivering": "assessment",
    "skäl för beslut": "assessment",
}

# Qualified headings, accepted only as a paragraph of their own.
_QUALIFIED = re.compile(
    r"^(?P<head>beslut|utredning|anmälan|bedömning|förhandsbedömning|skyddsbedömning"
    r"|riskbedömning|kommunicering)"
    r"\s+(?:enligt|om|av|angående|gällande|från|till|att)\b",
    re.IGNORECASE,
)
_NUMBERING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}\.|[A-Za-z][.)])\s+")
_LINE = re.compile(r"[^\n]+")
_LETTERHEAD = re.compile(
    r"\b(?:Dnr|Datum|Diarienummer|Riksdagens ombudsmän|Inspektionen för vård och omsorg)\b"
    r"|\b(?:19|20)\d{2}-\d{2}-\d{2}\b"
)
#: What follows the colon in a row of a date table ("Beslut: 2024-04-16"), not a run-in text.
_ONLY_DATES = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s+[a-zåäö]+\s+\d{4})(?:\s*[,–-]\s*\S+)*\s*$"
)
_MAX_HEADING_CHARS = 100
_DOC_LABEL_ZONE = 600


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading line: ``[start_char, end_char)`` is the heading text to leave out of passages.

    For a run-in heading (``Beslutet i korthet: text``) the span covers the heading, the
    colon and the space after it.
    """

    title: str
    kind: str
    start_char: int
    end_char: int
    run_in: bool = False


def _normalise(line: str) -> str:
    line = _NUMBERING.sub("", line.strip())
    line = line.rstrip(" \t:").replace("’", "'").replace("´", "'")
    return re.sub(r"\s+", " ", line).casefold()


def classify_heading(line: str, *, standalone: bool = True) -> tuple[str, str] | None:
    """Return ``(title, kind)`` if a line is a known heading, else ``None``.

    Args:
        line: One line of text.
        standalone: Whether the line is a paragraph of its own; only then are qualified
            headings such as ``Utredning enligt 11 kap. 1 § SoL`` accepted.

    Example:
        >>> classify_heading("3. JO:s bedömning")
        ('JO:s bedömning', 'assessment')
    """
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_HEADING_CHARS:
        return None
    title = _NUMBERING.sub("", stripped).rstrip(" \t:").strip()
    if not title or not title[0].isupper():
        return None
    key = _normalise(stripped)
    kind = HEADING_KINDS.get(key)
    if kind is not None:
        return title, kind
    if standalone and not title.endswith(".") and (match := _QUALIFIED.match(title)):
        return title, HEADING_KINDS[match.group("head").casefold()]
    return None


_RUN_IN = re.compile(
    r"(?P<title>" + "|".join(re.escape(k) for k in sorted(HEADING_KINDS, key=len, reverse=True))
    + r")\s*:[ \t]*(?=\S)",
    re.IGNORECASE,
)  # fmt: skip


def _is_standalone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (one line) has a blank line or the text edge on each side."""
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i > 0:
        i -= 1  # the newline that ends the previous line
        while i > 0 and text[i - 1] in " \t\r":
            i -= 1
        if i > 0 and text[i - 1] != "\n":
            return False
    j = end
    while j < len(text) and text[j] in " \t\r":
        j += 1
    if j < len(text):
        j += 1  # the newline that ends this line
        while j < len(text) and text[j] in " \t\r":
            j += 1
        if j < len(text) and text[j] != "\n":
            return False
    return True


def find_headings(text: str) -> tuple[Heading, ...]:
    """Find the headings in a document's text, in order.

    Near the top, before any other heading, an all-capitals label (``BESLUT``) belongs to
    the letterhead and a qualified heading (``Utredning enligt lex Sarah``) is the
    document's title; neither opens a section.

    Args:
        text: The cleaned document text.

    Returns:
        The headings, ordered by position.
    """
    headings: list[Heading] = []
    for match in _LINE.finditer(text):
        raw = match.group()
        start = match.start() + len(raw) - len(raw.lstrip())
        end = match.start() + len(raw.rstrip())
        if start >= end:
            continue
        line = text[start:end]
        found = classify_heading(line, standalone=_is_standalone(text, start, end))
        if found is not None:
            title, kind = found
            qualified = _normalise(line) not in HEADING_KINDS
            if qualified and _NUMBERING.match(line):
                continue  # "3. Bedömning av …" is a list item, not a heading
            if title.isupper() and _LETTERHEAD.search(text, end, end + 300):
                continue  # "BESLUT" above "Datum"/"Dnr": the letterhead's label
            if not headings and start < _DOC_LABEL_ZONE and (title.isupper() or qualified):
                continue  # a letterhead label or the document's title
            headings.append(Heading(title, kind, start, end))
            continue
        body = _NUMBERING.sub("", line)
        offset = len(line) - len(body)
        run_in = _RUN_IN.match(body)
        if (
            run_in is not None
            and run_in.group("title")[0].isupper()
            and not _ONLY_DATES.match(body[run_in.end() :])
        ):
            title = run_in.group("title")
            end = start + offset + run_in.end()
            headings.append(Heading(title, HEADING_KINDS[title.casefold()], start, end, True))
    return tuple(headings)


def detect_sections(text: str, headings: tuple[Heading, ...] | None = None) -> tuple[Section, ...]:
    """Divide text into sections that tile it from offset 0 to ``len(text)``.

    Args:
        text: The cleaned document text.
        headings: Headings already found by ``find_headings`` (found again if omitted).

    Returns:
        Sections in order; the first is a ``preamble`` (title ``""``) when text precedes
        the first heading. Empty text gives no sections.

    Example:
        >>> [(s.title, s.kind) for s in detect_sections("Rubrik\\n\\nAnmälan\\n\\nAA klagade.")]
        [('', 'preamble'), ('Anmälan', 'complaint')]
    """
    if not text:
        return ()
    headings = find_headings(text) if headings is None else headings
    if not headings:
        return (Section("", "preamble", 0, len(text)),)
    sections: list[Section] = []
    first = headings[0].start_char
    if text[:first].strip():
        sections.append(Section("", "preamble", 0, first))
    for i, heading in enumerate(headings):
        start = 0 if i == 0 and not sections else heading.start_char
        end = headings[i + 1].start_char if i + 1 < len(headings) else len(text)
        sections.append(Section(heading.title, heading.kind, start, end))
    return tuple(sections)
