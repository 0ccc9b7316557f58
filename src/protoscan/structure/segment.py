"""Sentences and passages: spaCy's blank Swedish tokenizer plus the rule-based sentencizer.

This is the only module that imports spaCy, and it does so lazily, so importing
``protoscan.structure`` stays cheap. Tokenizer special cases keep legal abbreviations
(``bl.a.``, ``11 kap. 1 §``, ``JO 2004/05 s. 202``) whole, so the sentencizer never splits
inside them; a small component after the sentencizer fixes numbered list items and the
abbreviations that can also end a sentence (``m.m.``, initials such as ``L.F.``).

``split_clauses`` gives the same sentences with the clause breaks inside them (commas,
semicolons, colons, brackets, dashes and "men"), for rules that read a sentence clause by
clause, such as the absence checks' negation scope.

A passage is a paragraph (text between blank lines). A paragraph longer than
``SegmentConfig.max_chars`` is split into windows of 1–``max_sentences`` consecutive
sentences that stay within ``max_chars`` where the sentences allow it.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType
from typing import TYPE_CHECKING, Any

from protoscan.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "ABBREVIATIONS",
    "CLAUSE_BREAKS",
    "SegmentConfig",
    "Sentence",
    "get_nlp",
    "split_clauses",
    "split_paragraphs",
    "split_passages",
    "split_sentences",
]

#: Abbreviations that never end a sentence. Capitalised variants are added automatically.
ABBREVIATIONS: tuple[str, ...] = (
    "bl.a.", "t.ex.", "dvs.", "d.v.s.", "s.k.", "enl.", "jfr.", "prop.", "kap.", "f.d.",
    "fr.o.m.", "t.o.m.", "p.g.a.", "pga.", "resp.", "ang.", "st.", "nr.", "s.", "ca.",
    "bet.", "dnr.", "jfr", "stf.", "tf.", "avd.", "kl.", "fr.", "ev.", "inkl.", "exkl.",
    "o.d.", "t.ex", "mom.", "p.", "art.", "sid.", "bil.", "tel.", "e.d.", "i.o.m.",
    "s.a.s.", "dir.", "mfl.", "tillf.", "gm.", "enl", "f.n.", "u.p.", "a.a.",
)  # fmt: skip

#: Abbreviations that may also end a sentence: they end one when the next word is capitalised.
SENTENCE_FINAL_ABBREVIATIONS: tuple[str, ...] = (
    "m.m.", "m.fl.", "osv.", "o.s.v.", "etc.", "f.", "ff.", "kr.", "tkr.", "mnkr.",
)  # fmt: skip

#: Tokens that end a clause inside a sentence (compared in lower case).
CLAUSE_BREAKS = frozenset({",", ";", ":", "(", ")", "–", "men"})

# "SoL." must end a sentence: spaCy keeps a period after a capital letter (initials such
# as "R." or "L.F."), so split it off after a lowercase-uppercase pair ("SoL.", "HfD.").
_EXTRA_SUFFIXES = (r"(?<=[a-zåäö][A-ZÅÄÖ])\.",)
_INITIALS = re.compile(r"^(?:[A-ZÅÄÖ]\.)+$")
_LIST_MARKER = re.compile(r"^(?:\d{1,2}|[a-zA-Z])$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LINE_BREAK = re.compile(r"\n")
_MAX_CHUNK_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence and the clause breaks inside it, as offsets into the text.

    Attributes:
        start_char: Where the sentence starts (no surrounding whitespace).
        end_char: Where it ends.
        breaks: ``(start_char, end_char)`` of each ``CLAUSE_BREAKS`` token, in order.
    """

    start_char: int
    end_char: int
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """How paragraphs are cut into passages.

    Attributes:
        max_chars: Paragraphs longer than this are split into sentence windows.
        max_sentences: The most sentences one window may hold.
    """

    max_chars: int = 600
    max_sentences: int = 4

    def __post_init__(self) -> None:
        if not isinstance(self.max_chars, int) or self.max_chars < 50:
            raise ConfigError(
                f"`segment.max_chars` must be an integer >= 50; got {self.max_chars!r}."
            )
        if not isinstance(self.max_sentences, int) or self.max_sentences < 1:
            raise ConfigError(
                f"`segment.max_sentences` must be an integer >= 1; got {self.max_sentences!r}."
            )


def _capitalised(abbreviation: str) -> str:
    return abbreviation[:1].upper() + abbreviation[1:]


def _fix_boundaries(doc: Doc) -> Doc:
    """Repair sentencizer output for list markers and sentence-final abbreviations."""
    tokens = list(doc)
    final = set(SENTENCE_FINAL_ABBREVIATIONS) | {
        _capitalised(a) for a in SENTENCE_FINAL_ABBREVIATIONS
    }
    for i, token in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        # "1. Text" or "a. Text" at the start of a line is one list item, and starts a sentence.
        if (
            token.text == "."
            and i >= 1
            and _LIST_MARKER.match(tokens[i - 1].text)
            and not tokens[i - 1].whitespace_
            and (i == 1 or "\n" in tokens[i - 2].text or "\n" in tokens[i - 2].whitespace_)
        ):
            marker = tokens[i - 1]
            if marker.i > 0:
                marker.is_sent_start = True
            if not nxt.is_space:
                nxt.is_sent_start = False
            continue
        if (token.text in final or _INITIALS.match(token.text)) and not nxt.is_space:
            nxt.is_sent_start = nxt.text[:1].isupper()
    return doc


def import_spacy() -> Any:
    """spaCy, imported without what a blank tokenizer-and-sentencizer pipeline never uses.

    - **torch:** thinc imports it at import time whenever it is installed (2.5 s here). While
      spaCy loads, ``torch`` is marked unimportable, so thinc records that it has no torch;
      torch itself stays importable afterwards for the backends that need it.
    - **spaCy's own CLI:** ``spacy/__init__`` imports ``spacy.cli.info`` for ``spacy.info``,
      and with it requests, httpx, weasel, jinja2 and typer's command tree (about 0.2 s of a
      0.7 s import). A placeholder stands in during the import; ``spacy.info`` then imports
      the real CLI when called, and ``import spacy.cli`` loads it as usual.

    Where spaCy or torch is already loaded, nothing is hidden.
    """
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    placeholders = _spacy_cli_placeholders()
    hidden = {"torch": None, **placeholders}
    sys.modules.update(hidden)  # type: ignore[arg-type]  # None → ImportError on import
    try:
        import spacy
    finally:
        for name, stand_in in hidden.items():
            if name in sys.modules and sys.modules[name] is stand_in:
                del sys.modules[name]
        if getattr(sys.modules.get("spacy"), "cli", None) is placeholders["spacy.cli"]:
            del sys.modules["spacy"].cli  # the next `import spacy.cli` binds the real one
    return spacy


def _spacy_cli_placeholders() -> dict[str, ModuleType]:
    def info(*args: Any, **kwargs: Any) -> Any:
        from spacy.cli.info import info as real_info

        return real_info(*args, **kwargs)

    package = ModuleType("spacy.cli")
    package.__path__ = []  # a package, so `from .cli.info import info` resolves
    module = ModuleType("spacy.cli.info")
    module.info = info  # type: ignore[attr-defined]
    package.info = module  # type: ignore[attr-defined]
    return {"spacy.cli": package, "spacy.cli.info": module}


@functools.lru_cache(maxsize=1)
def get_nlp() -> Language:
    """Return the cached Swedish pipeline: blank tokenizer, special cases, sentencizer.

    Returns:
        A ``spacy.Language`` whose ``doc.sents`` are the sentences used for passages.

    Example:
        >>> [s.text for s in get_nlp()("Se bl.a. 11 kap. 1 § SoL. Nämnden svarade.").sents]
        ['Se bl.a. 11 kap. 1 § SoL.', 'Nämnden svarade.']
    """
    import_spacy()
    from spacy.lang.sv import Swedish
    from spacy.language import Language
    from spacy.symbols import ORTH

    if "protoscan_sentence_fixes" not in Language.factories:
        Language.component("protoscan_sentence_fixes", func=_fix_boundaries)

    exceptions = {
        form: [{ORTH: form}]
        for abbreviation in (*ABBREVIATIONS, *SENTENCE_FINAL_ABBREVIATIONS)
        for form in (abbreviation, _capitalised(abbreviation))
    }
    # Suffixes and special cases are given to the language's defaults rather than set on the
    # tokenizer afterwards, so the (large) suffix pattern is compiled once.
    defaults = type(
        "Defaults",
        (Swedish.Defaults,),
        {
            "suffixes": [*(Swedish.Defaults.suffixes or ()), *_EXTRA_SUFFIXES],
            "tokenizer_exceptions": {**Swedish.Defaults.tokenizer_exceptions, **exceptions},
        },
    )
    ProtoscanSwedish = type("ProtoscanSwedish", (Swedish,), {"lang": "sv", "Defaults": defaults})
    nlp = ProtoscanSwedish()
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("protoscan_sentence_fixes", after="sentencizer")
    return nlp


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences.

    Args:
        text: The full document text.
        start: Where the span to split begins.
        end: Where it ends (default: the end of ``text``).

    Returns:
        Half-open ``(start_char, end_char)`` offsets into ``text``, without surrounding
        whitespace.

    Example:
        >>> t = "Han sade bl.a. att JO 2004/05 s. 202 gäller. Ärendet avslutas."
        >>> [t[s:e] for s, e in split_sentences(t)]
        ['Han sade bl.a. att JO 2004/05 s. 202 gäller.', 'Ärendet avslutas.']
    """
    return [(s.start_char, s.end_char) for s in split_clauses(text, start, end)]


def split_clauses(
    text: str, start: int = 0, end: int | None = None, *, line_breaks: bool = False
) -> list[Sentence]:
    """Split ``text[start:end]`` into sentences with their clause breaks.

    Args:
        text: The full document text.
        start: Where the span to split begins.
        end: Where it ends (default: the end of ``text``).
        line_breaks: Also end a sentence at every line break (lists, tables and letterheads
            written one item per line).

    Returns:
        The sentences of ``split_sentences`` (cut at line breaks if asked), each with the
        offsets of its ``CLAUSE_BREAKS`` tokens.

    Example:
        >>> t = "Pojken har inte hörts, men han har observerats.\\nBeslut: avslag"
        >>> sentences = split_clauses(t, line_breaks=True)
        >>> [(t[s.start_char : s.end_char], len(s.breaks)) for s in sentences]
        [('Pojken har inte hörts, men han har observerats.', 2), ('Beslut: avslag', 1)]
    """
    end = len(text) if end is None else end
    nlp = get_nlp()
    sentences = []
    for chunk_start, chunk_end in _chunks(text, start, end):
        for sent in nlp(text[chunk_start:chunk_end]).sents:
            breaks = [
                (chunk_start + t.idx, chunk_start + t.idx + len(t))
                for t in sent
                if t.lower_ in CLAUSE_BREAKS
            ]
            first = chunk_start + sent.start_char
            cuts = [first + m.start() for m in _LINE_BREAK.finditer(sent.text) if line_breaks]
            for s, e in pairwise([first, *cuts, chunk_start + sent.end_char]):
                s, e = _trim(text, s, e)
                if s < e:
                    inside = tuple(b for b in breaks if s <= b[0] < e)
                    sentences.append(Sentence(s, e, inside))
    return sentences


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a very long span at line breaks so spaCy's ``max_length`` is never reached."""
    chunks = []
    while end - start > _MAX_CHUNK_CHARS:
        cut = text.rfind("\n", start + 1, start + _MAX_CHUNK_CHARS)
        cut = cut if cut > start else start + _MAX_CHUNK_CHARS
        chunks.append((start, cut))
        start = cut
    chunks.append((start, end))
    return chunks


def split_paragraphs(text: str, exclude: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Split text into paragraphs at blank lines, leaving out the ``exclude`` spans.

    Args:
        text: The document text.
        exclude: Spans that belong to no paragraph (headings); text around them becomes
            separate paragraphs.

    Returns:
        Trimmed ``(start_char, end_char)`` offsets of paragraphs that contain a letter.
    """
    cuts = sorted((m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text))
    cuts.extend(sorted(exclude))
    cuts.sort()
    spans: list[tuple[int, int]] = []
    pos = 0
    for cut_start, cut_end in [*cuts, (len(text), len(text))]:
        if cut_start > pos:
            s, e = _trim(text, pos, cut_start)
            if s < e and _HAS_LETTER.search(text, s, e):
                spans.append((s, e))
        pos = max(pos, cut_end)
    return spans


def _windows(sentences: Sequence[tuple[int, int]], config: SegmentConfig) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    for sent in sentences:
        if current and (
            len(current) >= config.max_sentences or sent[1] - current[0][0] > config.max_chars
        ):
            windows.append((current[0][0], current[-1][1]))
            current = []
        current.append(sent)
    if current:
        windows.append((current[0][0], current[-1][1]))
    return windows


def split_passages(
    text: str,
    exclude: Iterable[tuple[int, int]] = (),
    config: SegmentConfig | None = None,
) -> list[tuple[int, int]]:
    """Cut text into passages: paragraphs, with long ones split into sentence windows.

    Args:
        text: The document text.
        exclude: Spans that are not passage text (headings).
        config: Window sizes; defaults to ``SegmentConfig()``.

    Returns:
        Ordered, non-overlapping ``(start_char, end_char)`` offsets into ``text``.

    Example:
        >>> split_passages("Anmälan kom in.\\n\\nNämnden svarade.")
        [(0, 15), (17, 33)]
    """
    config = config or SegmentConfig()
    passages: list[tuple[int, int]] = []
    for start, end in split_paragraphs(text, exclude):
        if end - start <= config.max_chars:
            passages.append((start, end))
        else:
            passages.extend(_windows(split_sentences(text, start, end), config))
    return passages
