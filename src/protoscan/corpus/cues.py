"""Phrase shortcuts: word n-grams whose rows are almost all findings, or almost all label-free.

A phrase that nearly always marks a finding in the corpus can be learnt in place of the stance
(corpora v8 and v9 were written to break such phrases; README, *Phrase shortcuts* and *A
second cue round*). This count is how those phrases were found: it reads the corpus only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from protoscan.corpus.schema import CorpusPassage

__all__ = ["PhraseCue", "PhraseCues", "phrase_cues"]


@dataclass(frozen=True, slots=True)
class PhraseCue:
    phrase: str
    rows: int
    finding_share: float


@dataclass(frozen=True, slots=True)
class PhraseCues:
    rows: int
    finding_share: float
    #: Most finding-heavy first.
    findings: tuple[PhraseCue, ...]
    #: Most label-free first.
    label_free: tuple[PhraseCue, ...]


def phrase_cues(
    passages: Sequence[CorpusPassage], *, min_rows: int = 150, max_words: int = 2, top: int = 20
) -> PhraseCues:
    """Phrases of 1..max_words words found in at least min_rows rows, ranked by the share of
    those rows that carry a label; the top of each end."""
    from sklearn.feature_extraction.text import CountVectorizer

    positive = np.array([bool(p.labels) for p in passages], dtype=bool)
    base = float(positive.mean()) if len(passages) else 0.0
    vectorizer = CountVectorizer(
        lowercase=True,
        ngram_range=(1, max_words),
        token_pattern=r"(?u)\b\w+\b",
        min_df=min_rows,
        binary=True,
    )
    try:
        counts = vectorizer.fit_transform([p.text for p in passages])
    except ValueError:  # no phrase in min_rows rows (or no rows at all)
        return PhraseCues(len(passages), base, (), ())
    rows = np.asarray(counts.sum(axis=0)).ravel()
    with_label = np.asarray(counts[positive].sum(axis=0)).ravel()
    share = with_label / rows
    cues = [
        PhraseCue(str(phrase), int(n), float(s))
        for phrase, n, s in zip(vectorizer.get_feature_names_out(), rows, share, strict=True)
    ]
    by_share = sorted(cues, key=lambda cue: (-cue.finding_share, -cue.rows, cue.phrase))
    by_absence = sorted(cues, key=lambda cue: (cue.finding_share, -cue.rows, cue.phrase))
    return PhraseCues(len(passages), base, tuple(by_share[:top]), tuple(by_absence[:top]))
