"""Negation read per clause: whether a cue is denied where it stands.

"barnet har inte kunnat höras på grund av sin ålder" still shows that the child was
considered, while "ingen riskbedömning har gjorts" is not a risk assessment. The clause
breaks come from ``protoscan.structure.segment.split_clauses``; the words that end a
negation's reach (subordinators, "att" before a new clause) are Swedish rules kept here.

May import: nothing from protoscan (pure ``str`` → ``bool`` rules).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "NEGATIONS",
    "WORDS",
    "negated",
    "outcome_negation",
]

_I = re.IGNORECASE
NEGATIONS = re.compile(
    r"\b(?:inte|ej|ingen|inget|inga|icke|aldrig|saknas|saknar|saknades|utan|varken|okänd|oklar"
    r"|oklart|utelämna\w*|borde)\b",
    _I,
)
#: Words that end the window after a match: a negation beyond them belongs to a subclause
#: ("pojken berättar att han inte vill …" is still the boy's account).
_SUBORDINATORS = re.compile(
    r"som|om|eftersom|när|där|vilket|vilken|men|då|medan|trots|fast|innan|sedan|tills", _I
)
#: Coordination: "och"/"eller"/"samt" before anything but a negation starts a new clause
#: ("har yttrat sig skriftligen och motsätter sig inte flytten" keeps "har yttrat sig").
_COORDINATORS = frozenset({"och", "eller", "samt"})
_INFINITIVE = re.compile(r"[a-zåäö]+a")
_NOT_INFINITIVES = frozenset({"mamma", "pappa", "flicka", "modera", "inga", "ingenting", "hela"})
#: A negation right after an assessment verb states the assessment's result
#: ("bedöms inte vara i behov av skydd"), not that no assessment was made.
_ASSESSMENT_VERB = re.compile(r"\bbedöm(?:s|des|er|de|t|ningen\s+är\s+att)\b[^.]{0,40}$", _I)
WORDS = re.compile(r"\w+")


def negated(
    sentence: str,
    breaks: Sequence[tuple[int, int]],
    start: int,
    end: int,
    *,
    outcome_ok: bool = False,
    after_words: int = 6,
) -> bool:
    """Whether the clause around ``sentence[start:end]`` negates it; ``breaks`` are the
    sentence's clause breaks (``structure.segment.split_clauses``).

    The window is the clause before the match (at most six words), the match itself and up to
    ``after_words`` words after it, stopping at a subordinate clause ("pojken berättar att han
    inte vill" is still the boy's account; "skäl för att förlänga tiden fanns inte" is negated)
    or a coordinated one ("har yttrat sig och motsätter sig inte"; "och inte med pappa" stays).
    ``start == end == 0`` judges the whole sentence (the text under a heading-like line).
    With ``outcome_ok`` a negation right after an assessment verb ("bedöms inte vara i behov
    av skydd") states the assessment's result and does not count.
    """

    def counts(position: int) -> bool:
        return not (outcome_ok and outcome_negation(sentence, position))

    if start == end == 0:
        return any(counts(m.start()) for m in NEGATIONS.finditer(sentence))
    clause_start = max((e for s, e in breaks if e <= start), default=0)
    before_words = list(WORDS.finditer(sentence, clause_start, start))[-6:]
    window_start = before_words[0].start() if before_words else start
    after = sentence[end : min((s for s, _ in breaks if s >= end), default=len(sentence))]
    words = list(WORDS.finditer(after))
    window_end = end
    for i, word in enumerate(words[:after_words]):
        token = word.group().casefold()
        if _SUBORDINATORS.fullmatch(token):
            break
        following = words[i + 1].group() if i + 1 < len(words) else ""
        if token in _COORDINATORS and following and not NEGATIONS.fullmatch(following):
            break
        # "för att förlänga" continues the clause; "att han …", "att inte …" start a new one.
        if token == "att" and (
            not _INFINITIVE.fullmatch(following) or following.casefold() in _NOT_INFINITIVES
        ):
            break
        window_end = end + word.end()
    return any(counts(m.start()) for m in NEGATIONS.finditer(sentence, window_start, window_end))


def outcome_negation(sentence: str, position: int) -> bool:
    return bool(_ASSESSMENT_VERB.search(sentence[max(0, position - 60) : position]))
