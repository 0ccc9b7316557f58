"""Word occlusion: the words that drove a model's label scores for a passage.

A word's contribution to a label is how much the label's score drops when the word is left
out. It only needs ``predict_proba``, so it explains every backend alike (linear,
transformer, ONNX, ensemble, cascade). A passage and its variants, one per word left out,
go to the model in one call: explaining a passage of *n* words costs scoring *n* + 1 texts,
for all labels at once.

``screen`` shows these words beside each finding; ``scan --explain`` stores them in the
result records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "MAX_CUES",
    "cue_words",
    "occlusion_contributions",
    "occlusion_matrix",
    "strongest_words",
    "word_units",
]

#: At most this many cue words are kept per label.
MAX_CUES = 5
#: A word is a cue when it moves the score by at least this share of the strongest word's
#: contribution.
CUE_SHARE = 0.2
#: Contributions below this are numerical noise, not a word that matters.
MIN_CONTRIBUTION = 1e-4
_UNIT = re.compile(r"\S+")
_EDGE_PUNCTUATION = "()[]{}\"'”“’‘«»,.;:!?–-"


def word_units(text: str) -> list[tuple[int, int]]:
    """Whitespace-separated words without surrounding punctuation, as ``(start, end)``."""
    units = []
    for match in _UNIT.finditer(text):
        start, end = match.span()
        while start < end and text[start] in _EDGE_PUNCTUATION:
            start += 1
        while end > start and text[end - 1] in _EDGE_PUNCTUATION:
            end -= 1
        if start < end:
            units.append((start, end))
    return units


def occlusion_matrix(classifier: Any, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Every word's contribution to every label's score, from one model call.

    Args:
        classifier: A fitted classifier (anything with ``predict_proba``).
        text: The passage.

    Returns:
        The words (``word_units``) and an array of shape ``(n_words, n_labels)``: the
        passage's score minus its score without that word.

    Example:
        >>> units, drops = occlusion_matrix(model, "Beslutet saknar motivering.")  # doctest: +SKIP
        >>> drops.shape  # doctest: +SKIP
        (3, 7)
    """
    units = word_units(text)
    if not units:
        return units, np.zeros((0, len(getattr(classifier, "labels_", ()))))
    variants = [text]
    for start, end in units:
        # Drop the word and the space after it, so that the rest reads as before.
        stop = end + 1 if end < len(text) and text[end] == " " else end
        variants.append(text[:start] + text[stop:])
    scores = np.asarray(classifier.predict_proba(variants))
    return units, scores[0] - scores[1:]


def occlusion_contributions(classifier: Any, text: str, label_index: int) -> np.ndarray:
    """Per-word contribution to one label's score: how much the score drops when the word is
    left out (``occlusion_matrix`` for one label)."""
    units, drops = occlusion_matrix(classifier, text)
    return drops[:, label_index] if units else np.zeros(0)


def strongest_words(contributions: np.ndarray) -> list[int]:
    """Indices of the cue words among a label's contributions, strongest first: at most
    ``MAX_CUES``, each at least ``CUE_SHARE`` of the strongest; none when no word moves the
    score by more than noise."""
    if not contributions.size or contributions.max() <= MIN_CONTRIBUTION:
        return []
    top = float(contributions.max())
    order = np.argsort(-contributions)[:MAX_CUES]
    return [int(i) for i in order if contributions[i] > 0 and contributions[i] >= CUE_SHARE * top]


def cue_words(classifier: Any, text: str, labels: Sequence[str]) -> dict[str, list[str]]:
    """The cue words of each of ``labels`` for one passage, strongest first.

    Args:
        classifier: A fitted classifier with ``labels_``.
        text: The passage.
        labels: The labels to explain (typically those the passage carries).

    Returns:
        ``{label: [word, …]}`` for every label in ``labels``, each word once; an empty list
        where no word moves the label's score.

    Example:
        >>> cue_words(model, "Beslutet saknar motivering.", ["reasoning"])  # doctest: +SKIP
        {'reasoning': ['motivering', 'saknar']}
    """
    if not labels:
        return {}
    units, drops = occlusion_matrix(classifier, text)
    model_labels = list(classifier.labels_)
    cues: dict[str, list[str]] = {}
    for label in labels:
        column = drops[:, model_labels.index(label)] if units else np.zeros(0)
        words = (text[units[i][0] : units[i][1]] for i in strongest_words(column))
        cues[label] = list(dict.fromkeys(words))  # a word that occurs twice is listed once
    return cues
