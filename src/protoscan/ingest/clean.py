"""Text cleanup shared by every reader: pure functions over strings (no I/O, no state).

The PDF pipeline (``clean_pages``) runs character normalisation and fake-bold repair on each
page, removes running headers/footers and page numbers (found across pages), completes words
hyphenated over a page break, then unwraps lines with hyphenation repair, so each page becomes
paragraphs separated by one blank line. Readers whose format already knows its paragraphs
(DOCX, HTML) use ``clean_paragraphs``.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = [
    "build_vocabulary",
    "clean_pages",
    "clean_paragraphs",
    "fix_doubled_chars",
    "hyphen_joint",
    "is_page_number_line",
    "join_hyphenated",
    "join_page_hyphens",
    "normalize_chars",
    "normalize_whitespace",
    "remove_running_lines",
    "typical_line_width",
    "unwrap_lines",
]

#: Lines at the top and at the bottom of a page searched for headers, footers, page numbers.
EDGE_LINES = 3

_LIGATURES = re.compile("[\ufb00-\ufb06]")
# Unicode spaces that should read as a plain space (NBSP, en/em/thin spaces, ideographic …).
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Zero-width characters and BOMs that carry no text.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# C0/C1 control characters except the line feed.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_PAGE_NUMBER = re.compile(
    r"""^(?:
        (?:sid(?:a|an)?|s\.|page|p\.)\s*\d+(?:\s*(?:\(\s*\d+\s*\)|(?:av|/|of)\s*\d+))?
      | \d+\s*\(\s*\d+\s*\)
      | \d+\s*(?:av|/|of)\s*\d+
      | [-–—]\s*\d+\s*[-–—]
      | \d{1,4}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_TERMINAL = re.compile(r"[.!?:;][\"'”’»)\]]*$")
_LIST_MARKER = re.compile(r"^(?:[•◦▪‣●*\-–—]\s|\(?(?:\d{1,2}|[a-zåäö])[.)]\s)")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# A word fragment ending in a hyphen at the end of a line: "utred-", "IVO-", "08-".
_HYPHEN_END = re.compile(r"(?:^|(?<=[\s(\"'„”«»/]))([^\W_][\w.]*)-$")
_CONJUNCTIONS = frozenset({"och", "eller", "samt", "respektive", "resp", "liksom"})
_SPACE_RUN = re.compile(r"[ \t]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_DIGITS = re.compile(r"\d+")
_WHITESPACE = re.compile(r"\s+")
_HEADING_END = re.compile(r"[.,;]$")
# Two doubled characters in a row ("BBee"): every word fix_doubled_chars repairs has them,
# so text without them (most text) is returned as it is without splitting it into tokens.
_DOUBLED_PAIRS = re.compile(r"(.)\1(.)\2")


def normalize_chars(text: str) -> str:
    """Normalise characters without changing the letters a reader sees.

    Line endings become ``\\n``; pdfium's line-end hyphen marker (U+FFFE) and a soft hyphen at
    a line end become ``-`` plus a line break (so hyphenation repair can decide); other soft
    hyphens and zero-width characters go; ligatures (ﬁ, ﬂ …) are expanded with NFKC while
    everything else only gets NFC, so å, ä and ö stay single characters; tabs and Unicode
    spaces become plain spaces and control characters are dropped.

    Example:
        >>> normalize_chars("Ta\\u0308nk pa\\u030a ﬁnansiering\\r\\n")
        'Tänk på finansiering\\n'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\ufffe", "-\n")
    text = re.sub("\u00ad[ \t]*\n", "-\n", text)
    text = text.replace("\u00ad", "")
    text = _INVISIBLE.sub("", text)
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    return _CONTROL.sub("", text)


def _is_doubled(token: str) -> bool:
    return len(token) >= 2 and len(token) % 2 == 0 and token[0::2] == token[1::2]


def _undouble_line(line: str) -> str:
    tokens = line.split(" ")
    # Long doubled words with a letter are the evidence; short doubled tokens ("ii", "22") are
    # only repaired on a line that has such evidence.
    strong = [t for t in tokens if len(t) >= 4 and _is_doubled(t) and any(c.isalpha() for c in t)]
    if not strong:
        return line
    return " ".join(t[0::2] if _is_doubled(t) else t for t in tokens)


def fix_doubled_chars(text: str) -> str:
    """Repair fake-bold text where every character was printed twice.

    A token is repaired only when it is consistently doubled as a whole (``BBeesslluutt`` →
    ``Beslut``) and has at least four characters including a letter; short doubled tokens are
    repaired only on a line that has such a word. ``1100`` or ``Mississippi`` stay as they are.

    Example:
        >>> fix_doubled_chars("BBeesslluutt ii äärreennddeett")
        'Beslut i ärendet'
    """
    if not _DOUBLED_PAIRS.search(text):
        return text
    return "\n".join(_undouble_line(line) for line in text.split("\n"))


def normalize_whitespace(text: str) -> str:
    """Collapse spaces, strip lines and keep at most one blank line between paragraphs.

    Example:
        >>> normalize_whitespace("  Ett   två \\n\\n\\n\\n tre ")
        'Ett två\\n\\ntre'
    """
    lines = [line.strip() for line in _SPACE_RUN.sub(" ", text).split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def is_page_number_line(line: str) -> bool:
    """Whether ``line`` is only a page number.

    Matches ``Sid 3 (8)``, ``Sida 1(18)``, ``Sida 2 av 5``, ``3 (8)``, ``3/8``, ``- 3 -``, ``3``.

    Example:
        >>> is_page_number_line("Sida 1(18)"), is_page_number_line("1 § SoL")
        (True, False)
    """
    return bool(_PAGE_NUMBER.match(line.strip()))


def _line_key(line: str) -> str:
    # Page numbers vary from page to page and engines differ in spacing: compare without them.
    return _DIGITS.sub("#", _WHITESPACE.sub("", line.lower()))


def _edge_indices(lines: Sequence[str], edge: int) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) <= 2 * edge:
        return filled
    return filled[:edge] + filled[-edge:]


def remove_running_lines(pages: Sequence[str], edge: int = EDGE_LINES) -> list[str]:
    """Drop running headers/footers and page-number lines from the edges of each page.

    A line among the first or last ``edge`` non-empty lines of a page is removed when it is a
    page number (``is_page_number_line``) or when the same line, compared without digits and
    spaces, sits at the edge of at least half of the pages that have text (and at least two).

    Example:
        >>> pages = ["Gnesta kommun\\nText ett.\\nSid 1 (2)", "Gnesta kommun\\nText två."]
        >>> remove_running_lines(pages)
        ['Text ett.', 'Text två.']
    """
    page_lines = [page.split("\n") for page in pages]
    edges = [_edge_indices(lines, edge) for lines in page_lines]
    with_text = sum(1 for lines in page_lines if any(line.strip() for line in lines))
    counts: Counter[str] = Counter()
    for lines, indices in zip(page_lines, edges, strict=True):
        counts.update({_line_key(lines[i]) for i in indices})
    threshold = max(2, math.ceil(with_text / 2))
    running = {key for key, n in counts.items() if n >= threshold}
    cleaned = []
    for lines, indices in zip(page_lines, edges, strict=True):
        drop = {
            i for i in indices if is_page_number_line(lines[i]) or _line_key(lines[i]) in running
        }
        cleaned.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return cleaned


def build_vocabulary(text: str) -> frozenset[str]:
    """Lower-cased words (hyphenated compounds kept whole) that occur in ``text``.

    Hyphenation repair looks a split word up here: a document that writes ``utredningen``
    elsewhere decides how ``utred-``/``ningen`` is joined.
    """
    return frozenset(map(str.lower, _WORD.findall(text)))


def hyphen_joint(left: str, right: str, vocabulary: frozenset[str] = frozenset()) -> str | None:
    """What joins a line ending in a hyphen to the next line, or ``None`` if it does not.

    Returns ``""`` to join the word (``utred-``/``ningen`` → ``utredningen``), ``"-"`` to keep
    a real hyphen (``IVO-``/``tillsyn``, ``Lex Sarah-``/``utredning``, ``e-``/``post``,
    ``08-``/``561``) and ``"- "`` before a conjunction (``barn-``/``och`` → ``barn- och``).
    Words seen in the document (``vocabulary``) decide first; then acronyms, an upper-case
    continuation and a capitalised name inside a sentence keep the hyphen.
    """
    left = left.rstrip()
    if not left.endswith("-"):
        return None  # the common case, decided without the regular expression
    match = _HYPHEN_END.search(left)
    right = right.lstrip()
    if not match or not right:
        return None
    head = match.group(1)
    tail_match = _WORD.match(right)
    if not head[-1].isalpha() or not tail_match:
        return "-" if right[0].isalnum() else None
    tail = tail_match.group().split("-")[0]
    if tail.lower() in _CONJUNCTIONS:
        return "- "
    joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    if joined in vocabulary and hyphenated not in vocabulary:
        return ""
    if hyphenated in vocabulary and joined not in vocabulary:
        return "-"
    if len(head) == 1 or sum(c.isupper() for c in head) >= 2 or tail[0].isupper():
        return "-"
    before = left.rstrip()[: match.start(1)].rstrip()
    if head[0].isupper() and before and not _TERMINAL.search(before):
        return "-"  # a name inside a sentence: "Lex Sarah-utredning"
    return ""


def join_hyphenated(text: str, vocabulary: frozenset[str] | None = None) -> str:
    """Join words hyphenated across line breaks, keeping real hyphens (see ``hyphen_joint``).

    Other line breaks are kept. ``vocabulary`` defaults to the words of ``text`` itself.

    Example:
        >>> join_hyphenated("Under utred-\\nningen om IVO-\\ntillsyn")
        'Under utredningen om IVO-tillsyn'
    """
    vocabulary = build_vocabulary(text) if vocabulary is None else vocabulary
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        joint = hyphen_joint(out[-1], line, vocabulary) if out and line.strip() else None
        if joint is None:
            out.append(line)
        else:
            out[-1] = out[-1].rstrip()[:-1] + joint + line.lstrip()
    return "\n".join(out)


def join_page_hyphens(pages: Sequence[str], vocabulary: frozenset[str] | None = None) -> list[str]:
    """Repair words hyphenated across a page break, keeping each page's text on its page.

    When the last line of a page ends in a word fragment and the next page with text starts
    with its continuation, the continuation word moves to the end of the earlier page
    (``form-`` | ``givningen är`` → ``formgivningen`` | ``är``). Run it after running headers
    and footers are gone. A conjunction (``barn-`` | ``och``) is left where it is.

    Example:
        >>> join_page_hyphens(["Sista raden på sidan om form-", "givningen är ny."])
        ['Sista raden på sidan om formgivningen', 'är ny.']
    """
    vocabulary = build_vocabulary("\n".join(pages)) if vocabulary is None else vocabulary
    out = list(pages)
    filled = [i for i, page in enumerate(out) if page.strip()]
    for i, j in itertools.pairwise(filled):
        before, after = out[i].rstrip().split("\n"), out[j].lstrip().split("\n")
        joint = hyphen_joint(before[-1], after[0], vocabulary)
        if joint not in ("", "-"):
            continue
        word, _, rest = after[0].strip().partition(" ")
        before[-1] = before[-1].rstrip()[:-1] + joint + word
        after = after[1:] if not rest.strip() else [rest, *after[1:]]
        out[i], out[j] = "\n".join(before), "\n".join(after)
    return out


def typical_line_width(text: str) -> int:
    """The length (in characters) of a full line: the 90th percentile of non-empty lines."""
    lengths = sorted(len(line.strip()) for line in text.split("\n") if line.strip())
    if not lengths:
        return 0
    return lengths[int(0.9 * (len(lengths) - 1))]


def _starts_new(line: str) -> bool:
    first = line[0]
    return first.isupper() or first.isdigit() or first in "\"'”»«(§•◦▪–—-*"


def _breaks_between(left: str, right: str, width: int) -> bool:
    """Whether a paragraph ends between two consecutive non-empty lines."""
    if _LIST_MARKER.match(right):
        return True
    if not _starts_new(right):
        return False
    room = 0.9 * width
    next_word = right.split(" ", 1)[0]
    # ``left`` stopped although the next word would have fitted: the writer broke the line.
    ended_early = len(left) + 1 + len(next_word) < room
    if _TERMINAL.search(left):
        heading_next = len(right) <= 0.5 * width and not _HEADING_END.search(right)
        return ended_early or heading_next
    return ended_early and not left.endswith(",")


def unwrap_lines(
    text: str, width: int | None = None, vocabulary: frozenset[str] | None = None
) -> str:
    """Join the wrapped lines of each paragraph with a space; paragraphs get a blank line.

    A blank line, a list marker, or a line that stopped short although the next word would
    have fitted (after a sentence end, or before a capital as with headings) ends a paragraph.
    Lines ending in a hyphen are joined as ``hyphen_joint`` says. Text whose lines are far
    longer than a printed line (``width`` > 160) was not wrapped: every line is a paragraph.

    Example:
        >>> unwrap_lines("Bakgrund\\nNämnden har utrett\\nbarnets behov.", width=40)
        'Bakgrund\\n\\nNämnden har utrett barnets behov.'
    """
    lines = [line.strip() for line in _SPACE_RUN.sub(" ", text).split("\n")]
    width = typical_line_width(text) if width is None else width
    vocabulary = build_vocabulary(text) if vocabulary is None else vocabulary
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = previous = ""
            continue
        if not current:
            current = line
        else:
            joint = hyphen_joint(previous, line, vocabulary)
            if joint is not None:
                current = current[:-1] + joint + line
            elif width > 160 or _breaks_between(previous, line, width):
                paragraphs.append(current)
                current = line
            else:
                current = f"{current} {line}"
        previous = line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def clean_pages(pages: Sequence[str], *, remove_running: bool = True) -> list[str]:
    """Clean the raw text of each page of one document; pages are cleaned together.

    Running headers/footers are found across pages, a word hyphenated across a page break is
    completed on the earlier page, and the line width and vocabulary come from the whole
    document, so each page's result depends on its neighbours. An empty page stays an empty
    string.
    """
    normalized = [fix_doubled_chars(normalize_chars(page)) for page in pages]
    if remove_running:
        normalized = remove_running_lines(normalized)
    whole = "\n".join(normalized)
    width = typical_line_width(whole)
    vocabulary = build_vocabulary(whole)
    normalized = join_page_hyphens(normalized, vocabulary)
    return [normalize_whitespace(unwrap_lines(page, width, vocabulary)) for page in normalized]


def clean_paragraphs(paragraphs: Iterable[str]) -> str:
    """Clean paragraphs a format already delimits (DOCX, HTML): one line each, blank-separated.

    Line breaks inside a paragraph become spaces; empty paragraphs are dropped.

    Example:
        >>> clean_paragraphs(["Beslut", "  ", "Nämnden\\nbeslutar."])
        'Beslut\\n\\nNämnden beslutar.'
    """
    cleaned = (normalize_whitespace(normalize_chars(p).replace("\n", " ")) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)
