"""Readability advice for drafts: LIX, long sentences and unexplained abbreviations.

These are quality signals, never deficiencies: a hard-to-read decision is still lawful, but
förvaltningslagen 32 § asks for reasons the party can understand, and plain language helps
children and parents follow what was decided.

LIX (läsbarhetsindex, Björnsson 1968) is words per sentence plus the percentage of words
longer than six letters. Sentences come from the same segmenter as passages, so
abbreviations such as ``bl.a.`` and ``11 kap. 1 §`` do not end one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from protoscan.document import Document

__all__ = [
    "ABBREVIATION_EXPANSIONS",
    "LIX_BANDS",
    "LONG_SENTENCE_WORDS",
    "Abbreviation",
    "LongSentence",
    "ReadabilityReport",
    "assess_readability",
    "find_long_sentences",
    "find_unexplained_abbreviations",
    "lix",
    "lix_band",
]

#: Sentences with more words than this are reported.
LONG_SENTENCE_WORDS = 40

#: Upper bound (exclusive) of each LIX band and its usual Swedish description.
LIX_BANDS: tuple[tuple[float, str, str], ...] = (
    (25.0, "mycket lättläst", "som barnböcker"),
    (30.0, "lättläst", "som skönlitteratur och populärtidningar"),
    (40.0, "medelsvår", "som normal tidningstext"),
    (50.0, "svår", "som normala myndighetstexter"),
    (float("inf"), "mycket svår", "byråkratsvenska"),
)

#: Abbreviations common in child-welfare decisions and what they stand for. An abbreviation is
#: explained when the draft writes the expansion out (any one of the alternatives) or puts
#: a written-out form next to it in parentheses.
ABBREVIATION_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "BBIC": ("Barns behov i centrum",),
    "LVU": ("lagen (1990:52) med särskilda bestämmelser om vård av unga", "vård av unga"),
    "SoL": ("socialtjänstlag",),
    "HVB": ("hem för vård eller boende",),
    "FL": ("förvaltningslag",),
    "SiS": ("Statens institutionsstyrelse",),
    "IVO": ("Inspektionen för vård och omsorg",),
    "JO": ("Justitieombudsmannen", "Riksdagens ombudsmän"),
    "BUP": ("barn- och ungdomspsykiatrin", "barn- och ungdomspsykiatri"),
    "BVC": ("barnavårdscentralen", "barnavårdscentral"),
    "MVC": ("mödravårdscentralen", "mödravårdscentral"),
    "LSS": ("lagen (1993:387) om stöd och service", "stöd och service till vissa"),
    "LVM": ("lagen (1988:870) om vård av missbrukare", "vård av missbrukare"),
    "OSL": ("offentlighets- och sekretesslagen",),
    "FB": ("föräldrabalken",),
    "SOSFS": ("Socialstyrelsens föreskrifter", "Socialstyrelsens författningssamling"),
    "HSLF-FS": ("Socialstyrelsens föreskrifter", "Hälso- och sjukvårdens och socialtjänstens"),
    "VBU": ("vårdnad, boende och umgänge", "vårdnad, boende, umgänge"),
    "FVR": ("förvaltningsrätten",),
    "KBT": ("kognitiv beteendeterapi",),
    "FREDA": ("FREDA-bedömningsmetoder", "bedömningsmetoder för våld"),
}

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class LongSentence:
    """A sentence longer than the limit, with its offsets in the document text."""

    start_char: int
    end_char: int
    words: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """An abbreviation the draft uses without writing it out."""

    abbreviation: str
    expansion: str
    count: int
    first_char: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReadabilityReport:
    """Readability advice for one document (never counted as findings)."""

    lix: float | None
    band: str | None
    band_description: str | None
    words: int
    sentences: int
    scope: str
    long_sentences: tuple[LongSentence, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    max_sentence_words: int = LONG_SENTENCE_WORDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "lix": self.lix,
            "band": self.band,
            "band_description": self.band_description,
            "words": self.words,
            "sentences": self.sentences,
            "scope": self.scope,
            "max_sentence_words": self.max_sentence_words,
            "long_sentences": [s.to_dict() for s in self.long_sentences],
            "unexplained_abbreviations": [a.to_dict() for a in self.abbreviations],
        }


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def lix(words: Sequence[str], sentences: int) -> float | None:
    """LIX for a list of words and a sentence count; ``None`` for empty text.

    Example:
        >>> lix(["Barnet", "bor", "hos", "sin", "mamma", "tillsammans"], 1)
        22.67
    """
    if not words or sentences < 1:
        return None
    long_words = sum(1 for word in words if len(word) > 6)
    return round(len(words) / sentences + 100 * long_words / len(words), 2)


def lix_band(value: float) -> tuple[str, str]:
    """The Swedish band name and description for a LIX value.

    Example:
        >>> lix_band(47.3)
        ('svår', 'som normala myndighetstexter')
    """
    for upper, name, description in LIX_BANDS:
        if value < upper:
            return name, description
    raise AssertionError("unreachable: the last band is open")


def _sentences(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    from protoscan.structure.segment import split_sentences

    found: list[tuple[int, int]] = []
    for start, end in spans:
        found.extend(split_sentences(text, start, end))
    return found


def find_long_sentences(
    text: str, sentences: Iterable[tuple[int, int]], max_words: int = LONG_SENTENCE_WORDS
) -> list[LongSentence]:
    """Sentences (as ``(start, end)`` offsets into ``text``) with more than ``max_words`` words."""
    long: list[LongSentence] = []
    for start, end in sentences:
        count = len(_words(text[start:end]))
        if count > max_words:
            long.append(LongSentence(start, end, count, text[start:end]))
    return long


def _is_explained(text: str, abbreviation: str, expansions: tuple[str, ...]) -> bool:
    folded = text.casefold()
    if any(expansion.casefold() in folded for expansion in expansions):
        return True
    # "hem för vård eller boende (HVB)" or "HVB (hem för …)": a parenthesis with words.
    escaped = re.escape(abbreviation)
    beside = re.compile(
        r"[^\W\d_]{3,}[^()\n]{0,80}\(\s*" + escaped + r"\s*\)"
        r"|\b" + escaped + r"\s*\(\s*[^\W\d_]{3,}[^()]*\)"
    )
    return bool(beside.search(text))


def find_unexplained_abbreviations(
    text: str, expansions: dict[str, tuple[str, ...]] | None = None
) -> list[Abbreviation]:
    """Known abbreviations used in ``text`` without being written out anywhere in it.

    Args:
        text: The text to check (usually the whole draft).
        expansions: Abbreviation → accepted written-out forms; defaults to
            ``ABBREVIATION_EXPANSIONS``.

    Returns:
        The unexplained abbreviations, in order of first use.

    Example:
        >>> [a.abbreviation for a in find_unexplained_abbreviations(
        ...     "Placering på HVB enligt LVU. Lagen (1990:52) med särskilda bestämmelser "
        ...     "om vård av unga gäller.")]
        ['HVB']
    """
    expansions = ABBREVIATION_EXPANSIONS if expansions is None else expansions
    found: list[Abbreviation] = []
    for abbreviation, forms in expansions.items():
        uses = list(re.finditer(r"(?<![\w-])" + re.escape(abbreviation) + r"(?![\w-])", text))
        # "JO:s" and "LVU:s" are still uses; the lookahead stops at ":" so they match.
        if not uses or _is_explained(text, abbreviation, forms):
            continue
        found.append(Abbreviation(abbreviation, forms[0], len(uses), uses[0].start()))
    found.sort(key=lambda a: a.first_char)
    return found


def _scope_spans(doc: Document) -> tuple[list[tuple[int, int]], str]:
    """The passages LIX is computed on: the draft's own prose, not statute, letterhead or
    the other context lines (headings, metadata, signatures) that are not sentences."""
    from protoscan.structure.context import context_passages

    context = context_passages(doc)
    kept = [
        (p.start_char, p.end_char)
        for p in doc.passages
        if p.section_kind not in ("law", "preamble", "appeal") and p.id not in context
    ]
    if kept:
        return kept, (
            "utkastets text utom brevhuvud, rubriker, uppgiftsrader, underskrifter, lagtext "
            "och överklagandehänvisning"
        )
    kept = [(p.start_char, p.end_char) for p in doc.passages if p.section_kind != "law"]
    return kept, "hela texten utom lagtext"


def assess_readability(doc: Document, *, max_words: int = LONG_SENTENCE_WORDS) -> ReadabilityReport:
    """Readability advice for a document.

    LIX and long sentences are computed on the draft's own prose (statute quotations, the
    letterhead, headings, metadata lines, signatures and the appeal instructions left out);
    abbreviations are checked against the whole text, since writing one out anywhere
    explains it.

    Args:
        doc: The document (its passages and sections are used).
        max_words: Sentences with more words than this are reported.

    Returns:
        The LIX value and band, the long sentences and the unexplained abbreviations.
    """
    spans, scope = _scope_spans(doc)
    sentences = [
        (start, end)
        for start, end in _sentences(doc.text, spans)
        if _words(doc.text[start:end]) and not _DIGITS.fullmatch(doc.text[start:end])
    ]
    words = [w for start, end in sentences for w in _words(doc.text[start:end])]
    value = lix(words, len(sentences))
    band, description = lix_band(value) if value is not None else (None, None)
    return ReadabilityReport(
        lix=value,
        band=band,
        band_description=description,
        words=len(words),
        sentences=len(sentences),
        scope=scope,
        long_sentences=tuple(find_long_sentences(doc.text, sentences, max_words)),
        abbreviations=tuple(find_unexplained_abbreviations(doc.text)),
        max_sentence_words=max_words,
    )
