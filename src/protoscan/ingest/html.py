"""HTML and XHTML to paragraphs with BeautifulSoup and lxml, and the metadata the page
states in ``<meta>`` elements and RDFa attributes.

``head``, scripts, styles and other non-content elements are dropped; every block element
(``p``, ``div``, headings, list items, table rows …) starts a new paragraph, inline elements
and ``<br>`` stay inside it, and table cells in a row are separated by a space.

Stated metadata is read before that, from ``<meta name|property=… content=…>`` and from
any element's RDFa ``property`` (its ``content`` or its text) and ``rel``/``href``: the case
number (``rpubl:diarienummer``, ``rpubl:malnummer``, ``dnr``), the decision date
(``rpubl:avgorandedatum``, ``dcterms:issued``), the publisher (``dcterms:publisher``,
named by the ``foaf:name`` of the resource it points to) and the title (``dcterms:title``).
Vocabulary prefixes are ignored (``dct:``, ``dcterms:``, ``DC.`` are one).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protoscan.errors import IngestError

__all__ = ["BLOCK_TAGS", "DROPPED_TAGS", "StatedMetadata", "read_html", "read_html_document"]

#: Elements whose content is never document text.
DROPPED_TAGS: tuple[str, ...] = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "svg",
)

#: Elements that start and end a paragraph.
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatedMetadata:
    """Metadata a file states about itself, as written there (``None`` where it is silent).

    Attributes:
        dnr: Case number (diarienummer, or a court's målnummer).
        decision_date: Decision or issue date, as written (usually ISO).
        publishers: Names of the publishing bodies, in document order.
        title: The stated title.
    """

    dnr: str | None = None
    decision_date: str | None = None
    publishers: tuple[str, ...] = ()
    title: str | None = None

    def __bool__(self) -> bool:
        return any((self.dnr, self.decision_date, self.publishers, self.title))


#: Local property names (prefix dropped, lower case) per field, preferred first.
_DNR_NAMES = ("diarienummer", "dnr", "diarienr", "arendenummer", "ärendenummer", "malnummer")
_DATE_NAMES = ("avgorandedatum", "beslutsdatum", "decisiondate", "issued", "date.issued")
_TITLE_NAMES = ("title",)
_PUBLISHER_NAMES = ("publisher",)
_NAME_NAMES = ("name", "label")  # foaf:name, rdfs:label of a resource
_MAX_VALUE = 2000


def _local(term: str) -> str:
    """``rpubl:diarienummer`` → ``diarienummer``; ``DC.date.issued`` → ``date.issued``;
    a full IRI keeps its last segment."""
    term = term.strip()
    term = re.split(r"[/#]", term)[-1]
    if ":" in term:
        term = term.rsplit(":", 1)[1]
    elif term.lower().startswith(("dc.", "dcterms.", "og.")):
        term = term.split(".", 1)[1]
    return term.lower()


def _text(tag: Any) -> str:
    return " ".join(tag.get_text(" ").split())


def _stated_metadata(soup: Any) -> StatedMetadata:
    from bs4.element import Tag

    values: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # resource IRI → its foaf:name / rdfs:label
    publisher_refs: list[str] = []
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag):
            continue
        terms = " ".join(
            str(tag.get(attr) or "")
            for attr in ("property", "name" if tag.name == "meta" else "")
            if attr
        ).split()
        if terms:
            content = tag.get("content")
            value = str(content) if content is not None else _text(tag)
            value = " ".join(value.split())[:_MAX_VALUE]
            for term in map(_local, terms):
                if value:
                    values.setdefault(term, []).append(value)
                    if term in _NAME_NAMES and tag.get("about"):
                        names.setdefault(str(tag["about"]), value)
        rel = tag.get("rel")
        rels = rel if isinstance(rel, list) else str(rel or "").split()
        if tag.get("href") and any(_local(r) in _PUBLISHER_NAMES for r in rels):
            publisher_refs.append(str(tag["href"]))

    def first(keys: tuple[str, ...]) -> str | None:
        return next((values[key][0] for key in keys if values.get(key)), None)

    publishers = [names[ref] for ref in publisher_refs if ref in names]
    publishers += [v for key in _PUBLISHER_NAMES for v in values.get(key, ())]
    return StatedMetadata(
        dnr=first(_DNR_NAMES),
        decision_date=first(_DATE_NAMES),
        publishers=tuple(dict.fromkeys(publishers)),
        title=first(_TITLE_NAMES),
    )


def _parse(data: bytes, path: Path) -> Any:
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    try:
        with warnings.catch_warnings():
            # XHTML goes through the lenient HTML parser on purpose; bs4 warns about that.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            return BeautifulSoup(data, "lxml")
    except Exception as error:  # lxml is lenient; this is a last resort
        raise IngestError(path, f"could not parse the HTML ({type(error).__name__})") from error


def read_html(data: bytes, path: Path) -> list[str]:
    """Return the text paragraphs of an HTML or XHTML document in order.

    Raises:
        IngestError: The markup cannot be parsed at all.
    """
    return read_html_document(data, path)[0]


def read_html_document(data: bytes, path: Path) -> tuple[list[str], StatedMetadata]:
    """Return the text paragraphs of an HTML or XHTML document and its stated metadata.

    Raises:
        IngestError: The markup cannot be parsed at all.
    """
    from bs4.element import NavigableString, PreformattedString, Tag

    soup = _parse(data, path)
    stated = _stated_metadata(soup)
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()

    paragraphs: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = "".join(buffer)
        if text.strip():
            paragraphs.append(text)
        buffer.clear()

    # An explicit stack instead of recursion: deeply nested markup cannot exhaust the stack.
    stack: list[tuple[object, bool]] = [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, <?xml?>, CDATA
                buffer.append(str(node))
        elif isinstance(node, Tag):
            if node.name == "br":
                buffer.append("\n")
                continue
            if node.name in ("td", "th"):
                buffer.append(" ")
            if node.name in BLOCK_TAGS:
                flush()
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return paragraphs, stated
