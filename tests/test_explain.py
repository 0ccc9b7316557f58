"""Word occlusion explains any backend's findings: the cue words are the words whose removal
lowers the label's score."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from protoscan.classify.explain import MAX_CUES, cue_words, strongest_words
from protoscan.classify.model_dir import load_classifier
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


# -- the shared occlusion helpers, as scan uses them ----------------------------------------


def test_cue_words_per_label_from_one_call() -> None:
    model = _WordModel()
    text = "I ärendet saknar beslutet helt motivering."
    assert cue_words(model, text, ["reasoning", "delay"]) == {
        "reasoning": ["motivering", "saknar"],
        "delay": [],  # no word moves it
    }
    assert cue_words(model, text, []) == {}


def test_strongest_words_keeps_strong_positive_words_only() -> None:
    assert strongest_words(np.array([0.0, 0.3, -0.5, 0.05, 0.1])) == [1, 4]
    assert strongest_words(np.array([0.00005, -0.2])) == []  # noise is no cue
    assert strongest_words(np.zeros(0)) == []
    assert len(strongest_words(np.linspace(1.0, 0.5, 9))) == MAX_CUES


@pytest.mark.parametrize(
    ("text", "label", "cue", "not_cues"),
    [
        (
            "Beslutet saknar helt motivering och lagrum anges inte heller.",
            "reasoning",
            "motivering",
            {"helt", "heller", "och"},
        ),
        ("Samtalet med fadern har inte dokumenterats i akten.", "documentation",
         "dokumenterats", {"med", "fadern", "i"}),
        ("Risken för fortsatt våld mot barnen har inte bedömts av nämnden.",
         "violence_investigation", "våld", {"av", "nämnden"}),
        ("Förhandsbedömningen tog sju veckor, vilket är för lång tid.", "delay", "veckor",
         {"är", "tog"}),
    ],
)  # fmt: skip
def test_a_trained_model_cues_the_words_that_matter(
    model_dir: Path, text: str, label: str, cue: str, not_cues: set[str]
) -> None:
    model = load_classifier(model_dir)  # linear, trained on tests/passage_samples.py
    (labels,) = model.decide(model.predict_proba([text]))
    assert label in labels
    words = cue_words(model, text, [label])[label]
    assert cue in words and not not_cues & set(words), words


class _CountingModel(_WordModel):
    """'reasoning' rises with every occurrence of 'motivering'."""

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        probs = np.full((len(texts), len(ALL_LABELS)), 0.05)
        for row, text in enumerate(texts):
            probs[row, REASONING] = 0.1 + 0.3 * text.lower().split().count("motivering")
        return probs


def test_a_repeated_cue_word_is_listed_once() -> None:
    text = "Motivering saknas och motivering behövs."
    assert cue_words(_CountingModel(), text, ["reasoning"]) == {
        "reasoning": ["Motivering", "motivering"]
    }
    text = "motivering saknas och motivering behövs."
    assert cue_words(_CountingModel(), text, ["reasoning"]) == {"reasoning": ["motivering"]}
