"""Lines that are context, not statements: headings, letterhead, metadata and signatures.

A draft's passages include its letterhead ("Socialnämnden i Gnesta kommun", "BESLUT"),
metadata lines ("Dnr SN 2024/112", "Handläggare: Karin Holm", "Vårdnadshavare: …",
"Sökande: …"), rows of date tables ("Anmälan inkom  2024-03-11"), headings the section
detector does not know ("Beslut om insats", "§ 87 Beslut om flyttning …") and signatures
("Karin Holm / Socialsekreterare, beslut enligt delegation"). None of them says anything
about how a case was handled, so screening never reports a finding on such a passage.

The marking is by form only (short lines without sentence punctuation, "Etikett: värde",
role words), never by a model's scores. A line that itself states a criticism, as JO and
IVO titles do ("Kritik mot nämnden för att …", "Brister i utredningen"), or carries a
negation, is never context: it stays taggable.
"""

from __future__ import annotations

import re

from protoscan.document import Document, Passage

__all__ = ["CONTEXT_KINDS", "context_kind", "context_passages", "line_kind"]

#: The kinds of context a passage can be, in the order they are reported.
CONTEXT_KINDS: tuple[str, ...] = ("letterhead", "metadata", "signature", "heading")

_I = re.IGNORECASE
MAX_HEADING_WORDS = 12
MAX_VALUE_WORDS = 12
MAX_SIGNATURE_WORDS = 8
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
#: Words that make a line a statement about the handling, whatever its form.
_STATEMENT = re.compile(
    r"\b(?:kritik\w*|kritiser\w*|brist\w*|allvarlig\w*|felaktig\w*|otillräcklig\w*|inte|ej"
    r"|ingen|inget|inga|icke|aldrig|saknas|saknade|saknar|saknat|dröj\w*|försen\w*|borde"
    r"|underlåt\w*|klander\w*|anmärkning\w*|olaglig\w*|lagstridig\w*|oacceptab\w*|utan"
    r"|brust\w*|fel|felaktigt|olämplig\w*|problem\w*|kränk\w*|misslyck\w*|otydlig\w*|oklar\w*"
    r"|väntetid\w*|ska|skall|måste|bör|borde)\b",
    _I,
)
_BULLET = re.compile(r"^\s*(?:[-–•*·]|\d{1,2}[.)]\s|[a-z][.)]\s)")
_TERMINAL = re.compile(r"[.!?]\s*$")
_ABBREVIATION_END = re.compile(
    r"\b(?:kap|st|p|nr|resp|m\.fl|m\.m|osv|etc|f\.d|ca|fr\.o\.m|t\.o\.m|[A-ZÅÄÖ])\.$"
)
#: "Etikett: värde" — a label of at most four words and a colon.
_LABELLED = re.compile(r"^(?P<label>[A-ZÅÄÖ§][^\s:]*(?:\s+[^\s:]+){0,3})\s*:\s*(?P<value>.*)$")
#: Letterhead keys written without a colon ("Dnr SN 2024/112", "Datum 2024-03-14").
_KEYED = re.compile(
    r"^(?:dnr|diarienr|diarienummer|datum|beslutsdatum|sammanträdesdatum|sida|vår\s+referens"
    r"|er\s+referens|referens)\b\s*\S",
    _I,
)
_DATE = r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s+[a-zåäö]+\s+\d{4})"
#: A row of a date table: a few words ending in one or more dates.
_DATE_ROW = re.compile(rf"^[^.!?]{{0,80}}?\s{_DATE}(?:\s*[,–-]\s*{_DATE})*\s*$", _I)
_ROLE = re.compile(
    r"\b(?:socialsekreterare|1:e\s+socialsekreterare|handläggare|enhetschef|sektionschef"
    r"|avdelningschef|verksamhetschef|socialchef|förvaltningschef|ordförande|sekreterare"
    r"|utredare|familjehemssekreterare|biträdande\s+\w+|vid\s+protokollet|justeras|justerare"
    r"|namnförtydligande|underskrift|delegat\w*|enligt\s+delegation|på\s+[\w\s-]+vägnar"
    r"|beslutande|beslutsfattare)\b",
    _I,
)
_PLACE_DATE = re.compile(rf"^[A-ZÅÄÖ][\w-]+(?:\s+den)?\s+{_DATE}$")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _unpunctuated(line: str) -> bool:
    """No sentence-final punctuation (a trailing abbreviation such as ``kap.`` is allowed)."""
    return not _TERMINAL.search(line) or bool(_ABBREVIATION_END.search(line.rstrip()))


def line_kind(line: str) -> str | None:
    """What kind of context one line is (``metadata``, ``signature``, ``heading``), or None.

    Example:
        >>> line_kind("Vårdnadshavare: Anna Lind"), line_kind("Dnr SN 2024/112")
        ('metadata', 'metadata')
        >>> line_kind("Socialsekreterare, beslut enligt delegation")
        'signature'
        >>> line_kind("Beslut om insats"), line_kind("Kritik mot nämnden för att inte höra barnet")
        ('heading', None)
        >>> line_kind("Barnet berättar att hon vill bo kvar.") is None
        True
    """
    line = line.strip()
    if not line or _STATEMENT.search(line) or _BULLET.match(line):
        return None
    if labelled := _LABELLED.match(line):
        value = labelled.group("value").strip()
        if _words(value) <= MAX_VALUE_WORDS and (not value or _unpunctuated(value)):
            return "metadata"
        return None
    if not _unpunctuated(line):
        return None
    if _KEYED.match(line):
        return "metadata"
    if _words(line) <= MAX_SIGNATURE_WORDS and (_ROLE.search(line) or _PLACE_DATE.match(line)):
        return "signature"
    if _DATE_ROW.match(line) and _words(line) <= MAX_HEADING_WORDS:
        return "metadata"
    if line.endswith(":") and _words(line) > 3:
        return None  # a sentence that introduces what follows ("JO anförde bl.a. följande:")
    first = line.lstrip("§ 0123456789.")[:1]
    if _words(line) <= MAX_HEADING_WORDS and (first.isupper() or line.startswith("§")):
        return "heading"
    return None


def context_kind(passage: Passage, *, preamble: bool = False) -> str | None:
    """The kind of context a passage is when every line of it is context, else None.

    Args:
        passage: A passage of a document.
        preamble: Whether the passage stands before the document's first heading; there,
            short lines are the letterhead.
    """
    kinds = [line_kind(line) for line in passage.text.splitlines() if line.strip()]
    if not kinds or None in kinds:
        return None
    if preamble and "signature" not in kinds:
        return "letterhead"
    for kind in ("signature", "metadata"):
        if kind in kinds:
            return kind
    return "heading"


def context_passages(doc: Document) -> dict[str, str]:
    """Passage id → context kind for every passage of ``doc`` that is context only.

    Context before the first statement is the letterhead; a short line right above a
    signature (the name above "Socialsekreterare") belongs to the signature.

    Example:
        >>> from protoscan.screen import document_from_text
        >>> doc = document_from_text("Gnesta kommun\\nDnr SN 2024/1\\n\\nBedömning\\n\\n"
        ...                          "Barnet har hörts.\\n\\nKarin Holm\\nSocialsekreterare")
        >>> sorted(context_passages(doc).values())
        ['letterhead', 'signature']
    """
    marked: dict[str, str] = {}
    letterhead = True
    previous: Passage | None = None
    for passage in doc.passages:
        section = doc.section_at(passage.start_char)
        preamble = letterhead and (section is None or section.kind == "preamble")
        kind = context_kind(passage, preamble=preamble)
        if kind is None:
            letterhead = False
        else:
            marked[passage.id] = kind
            if (
                kind == "signature"
                and previous is not None
                and marked.get(previous.id) == ("heading")
                and _words(previous.text) <= 4
            ):
                marked[previous.id] = "signature"
        previous = passage
    return marked
