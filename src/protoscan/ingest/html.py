"""HTML and XHTML to paragraphs with BeautifulSoup and lxml.

``head``, scripts, styles and other non-content elements are dropped; every block element
(``p``, ``div``, headings, list items, table rows …) starts a new paragraph, inline elements
and ``<br>`` stay inside it, and table cells in a row are separated by a space.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from protoscan.errors import IngestError

__all__ = ["BLOCK_TAGS", "DROPPED_TAGS", "read_html"]

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


def read_html(data: bytes, path: Path) -> list[str]:
    """Return the text paragraphs of an HTML or XHTML document in order.

    Raises:
        IngestError: The markup cannot be parsed at all.
    """
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
    from bs4.element import NavigableString, PreformattedString, Tag

    try:
        with warnings.catch_warnings():
            # XHTML goes through the lenient HTML parser on purpose; bs4 warns about that.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(data, "lxml")
    except Exception as error:  # lxml is lenient; this is a last resort
        raise IngestError(path, f"could not parse the HTML ({type(error).__name__})") from error
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
    return paragraphs
