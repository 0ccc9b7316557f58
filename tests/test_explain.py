"""Word occlusion explains any backend's findings: the cue words are the words whose removal
lowers the label's score."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from protoscan.labels import ALL_LABELS
from protoscan.screen.report import explain_passage, occlusion_contributions

REASONING = ALL_LABELS.index("reasoning")


class _WordModel:
    """A stand-in for a non-linear model: 'reasoning' rises with 'motivering' and, less,
    with 'saknar'; nothing else moves it."""

    backend: ClassVar[str] = "words"
    labels_ = ALL_LABELS
    thresholds_ = np.full(len(ALL_LABELS), 0.5)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        probs = np.full((len(texts), len(ALL_LABELS)), 0.05)
        for row, text in enumerate(texts):
            words = text.lower().split()
            probs[row, REASONING] = (
                0.1
                + 0.6 * any(w.startswith("motivering") for w in words)
                + 0.2 * ("saknar" in words)
            )
        return probs


def test_occlusion_scores_each_word_by_the_drop_it_causes() -> None:
    text = "Beslutet saknar motivering och lagrum."
    contributions = occlusion_contributions(_WordModel(), text, REASONING)
    assert contributions.round(3).tolist() == [0.0, 0.2, 0.6, 0.0, 0.0]


def test_cues_point_at_the_words_that_matter_with_offsets() -> None:
    text = "I ärendet saknar beslutet helt motivering, vilket nämnden medger."
    cues, source = explain_passage(_WordModel(), text, "reasoning", offset=100)
    assert source == "model"
    assert [c.text for c in cues] == ["motivering", "saknar"]
    for cue in cues:
        assert text[cue.start_char - 100 : cue.end_char - 100] == cue.text
    assert cues[0].weight > cues[1].weight > 0


def test_a_label_no_word_moves_falls_back_to_cue_phrases() -> None:
    cues, source = explain_passage(_WordModel(), "Beslutet dröjde i sju veckor.", "delay")
    assert source == "label_cues"
    assert [c.text for c in cues] == ["dröjde", "veckor"]  # the label's own cue phrases
