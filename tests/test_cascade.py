"""The cascade: screening model → gate → precise model, behind the classifier contract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from protoscan.classify.base import Classifier
from protoscan.classify.cascade import CascadeClassifier, tune_gate
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.model_dir import load_classifier
from protoscan.errors import ConfigError, ModelLoadError, NotFittedError
from protoscan.labels import ALL_LABELS

#: Passages the sample models were not trained on, from clearly on-topic to off-topic.
NEW_TEXTS = [
    "Nämnden har inte talat med flickan innan beslutet fattades.",
    "Beslutet saknar motivering.",
    "Journalanteckningar från samtalet saknas.",
    "Utredningen tog åtta månader.",
    "Vädret var vackert när mötet hölls i Gnesta.",
    "Kommunen har 10 000 invånare.",
    "Protokollet justerades den 3 mars.",
    "Handläggaren har haft samtal med barnet.",
]


class Counting:
    """A member that records every text it is asked to score."""

    def __init__(self, model: LinearClassifier) -> None:
        self.model = model
        self.seen: list[str] = []

    @property
    def labels_(self) -> tuple[str, ...]:
        return self.model.labels_

    @property
    def thresholds_(self) -> np.ndarray:
        return self.model.thresholds_

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.model.predict_proba(texts)

    def save(self, path: Path) -> None:
        self.model.save(path)


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | LinearClassifier]:
    """A screening and a 'precise' model (a second linear model: the cascade must not care),
    fitted in memory and saved to directories."""
    passages = sample_passages()
    screen = LinearClassifier(min_df=1).fit(passages)
    precise = LinearClassifier(min_df=1, C=30.0, char_ngrams=(3, 4)).fit(passages)
    root = tmp_path_factory.mktemp("members")
    screen.save(root / "screen-model")
    precise.save(root / "precise-model")
    return {
        "screen": screen,
        "precise": precise,
        "screen_dir": root / "screen-model",
        "precise_dir": root / "precise-model",
    }


def _all_texts() -> list[str]:
    return [p.text for p in sample_passages()] + NEW_TEXTS


def _middle_gate(screen: LinearClassifier, ceiling: float) -> float:
    """A gate that splits the texts into a routed and a screened-out group."""
    maxima = np.sort(screen.predict_proba(_all_texts()).max(axis=1))
    below = maxima[maxima <= ceiling]
    assert len(below) >= 2, "the sample models should give several low scores"
    return float(below[len(below) // 2])


def test_tune_gate_keeps_the_target_share_of_positives() -> None:
    screen_max = np.array([0.9, 0.8, 0.05, 0.3, 0.02, 0.6, 0.4, 0.01])
    on = np.array([[1, 0], [1, 1], [0, 0], [1, 0], [0, 0], [0, 1], [1, 0], [0, 0]], dtype=bool)
    gate, recall = tune_gate(screen_max, on, target_recall=1.0, ceiling=0.5)
    assert gate == pytest.approx(0.3)  # the lowest-scoring passage with a positive
    assert recall == 1.0
    gate, recall = tune_gate(screen_max, on, target_recall=0.8, ceiling=0.5)
    assert gate == pytest.approx(0.4)  # losing the 0.3 passage (1 of 6 positives) is allowed
    assert recall == pytest.approx(5 / 6)
    # Never above the ceiling, even when every positive scores higher.
    assert tune_gate(screen_max, on, target_recall=0.5, ceiling=0.25)[0] == pytest.approx(0.25)
    # No positives at all: route everything.
    assert tune_gate(screen_max, np.zeros_like(on), 0.98, 0.5) == (0.0, 1.0)


def test_cascade_meets_the_classifier_contract(members: dict) -> None:
    cascade = CascadeClassifier(screen=members["screen"], precise=members["precise"]).fit(
        sample_passages(), sample_passages("dev")
    )
    assert isinstance(cascade, Classifier)
    assert cascade.labels_ == ALL_LABELS
    probs = cascade.predict_proba(NEW_TEXTS)
    assert probs.shape == (len(NEW_TEXTS), len(ALL_LABELS))
    assert probs.dtype == np.float32
    assert ((probs >= 0) & (probs <= 1)).all()
    assert cascade.predict_proba([]).shape == (0, len(ALL_LABELS))
    predicted = cascade.predict(NEW_TEXTS)
    assert all(isinstance(labels, tuple) and set(labels) <= set(ALL_LABELS) for labels in predicted)
    assert "child_perspective" in predicted[0]
    with pytest.raises(TypeError):
        cascade.predict_proba("a single string")
    np.testing.assert_array_equal(cascade.thresholds_, members["precise"].thresholds_)


def test_unfitted_cascade_says_what_to_do(members: dict) -> None:
    cascade = CascadeClassifier(screen=members["screen"], precise=members["precise"])
    with pytest.raises(NotFittedError, match="call 'fit'"):
        cascade.predict(["Beslutet saknar motivering."])


def test_tuned_gate_keeps_the_precise_models_positives(members: dict) -> None:
    passages = sample_passages()
    cascade = CascadeClassifier(
        screen=members["screen"], precise=members["precise"], target_recall=1.0
    ).fit([], passages)
    assert cascade.tuning_["tuned"] and cascade.tuning_["on"] == "dev"
    assert cascade.gate_ <= cascade.thresholds_.min()
    texts = [p.text for p in passages]
    precise_on = members["precise"].predict_proba(texts) >= cascade.thresholds_
    trade_off = cascade.tuning_["trade_off"]
    assert [row["target_recall"] for row in trade_off] == [0.8, 0.9, 0.95, 0.98, 0.99, 1.0]
    assert all(row["recall"] >= row["target_recall"] for row in trade_off)
    shares = [row["routed_share"] for row in trade_off]
    assert shares == sorted(shares)  # more recall never routes fewer passages
    # With recall 1.0 on these passages the cascade decides exactly as the precise model.
    assert cascade.tuning_["recall_of_precise_positives"] == 1.0
    cascade_on = cascade.predict_proba(texts) >= cascade.thresholds_
    np.testing.assert_array_equal(cascade_on, precise_on)


def test_passages_below_the_gate_never_reach_the_precise_model(members: dict) -> None:
    precise = Counting(members["precise"])
    gate = _middle_gate(members["screen"], float(members["precise"].thresholds_.min()))
    cascade = CascadeClassifier(screen=members["screen"], precise=precise, gate=gate).fit([])
    texts = _all_texts()
    screen = members["screen"].predict_proba(texts)
    routed = screen.max(axis=1) >= gate
    assert routed.any() and not routed.all()

    probs = cascade.predict_proba(texts)

    assert precise.seen == [t for t, r in zip(texts, routed, strict=True) if r]
    np.testing.assert_allclose(probs[~routed], screen[~routed], atol=1e-6)
    np.testing.assert_allclose(
        probs[routed], members["precise"].predict_proba(precise.seen), atol=1e-6
    )
    # Screened-out passages stay below every threshold: they never get a label.
    assert (probs[~routed] < cascade.thresholds_.min()).all()
    assert all(not cascade.predict([t])[0] for t, r in zip(texts, routed, strict=True) if not r)


def test_nothing_routed_means_no_precise_call(members: dict) -> None:
    precise = Counting(members["precise"])
    ceiling = float(members["precise"].thresholds_.min())
    cascade = CascadeClassifier(screen=members["screen"], precise=precise, gate=ceiling).fit([])
    texts = [t for t in NEW_TEXTS if members["screen"].predict_proba([t]).max() < ceiling]
    assert texts
    cascade.predict_proba(texts)
    assert precise.seen == []


def test_gate_above_a_precise_threshold_is_refused(members: dict) -> None:
    too_high = float(members["precise"].thresholds_.min()) + 0.1
    with pytest.raises(ConfigError, match="smallest threshold"):
        CascadeClassifier(screen=members["screen"], precise=members["precise"], gate=too_high).fit(
            []
        )
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        CascadeClassifier(gate=1.5)
    with pytest.raises(ConfigError, match="target_recall"):
        CascadeClassifier(target_recall=0.0)


def test_members_must_share_the_taxonomy(members: dict) -> None:
    small = LinearClassifier(min_df=1, labels=ALL_LABELS[:2]).fit(
        [p for p in sample_passages() if set(p.labels) <= set(ALL_LABELS[:2])]
    )
    with pytest.raises(ConfigError, match="lacks label"):
        CascadeClassifier(screen=small, precise=members["precise"]).fit([])


def test_unfitted_members_are_fitted(members: dict) -> None:
    cascade = CascadeClassifier(
        screen=LinearClassifier(min_df=1), precise=LinearClassifier(min_df=1, C=30.0)
    ).fit(sample_passages())
    assert cascade.tuning_["on"] == "train"
    assert cascade.members["screen"].is_fitted() and cascade.members["precise"].is_fitted()


def test_round_trip_with_member_directories(members: dict, tmp_path: Path) -> None:
    cascade = CascadeClassifier(
        screen=members["screen_dir"], precise=members["precise_dir"], target_recall=1.0
    ).fit([], sample_passages())
    target = members["screen_dir"].parent / "cascade"
    cascade.save(target)

    config = json.loads((target / "config.json").read_text())
    assert config["backend"] == "cascade"
    assert config["members"] == {"screen": "../screen-model", "precise": "../precise-model"}
    assert config["gate"] == cascade.gate_
    assert sorted(p.name for p in target.iterdir()) == ["config.json"]

    loaded = load_classifier(target)
    assert isinstance(loaded, CascadeClassifier)
    assert loaded.gate_ == cascade.gate_
    texts = _all_texts()
    np.testing.assert_allclose(loaded.predict_proba(texts), cascade.predict_proba(texts))
    assert loaded.predict(texts) == cascade.predict(texts)


def test_round_trip_saves_in_memory_members_inside(members: dict, tmp_path: Path) -> None:
    gate = _middle_gate(members["screen"], float(members["precise"].thresholds_.min()))
    cascade = CascadeClassifier(
        screen=members["screen"], precise=Counting(members["precise"]), gate=gate
    ).fit([])
    cascade.save(tmp_path / "cascade")
    config = json.loads((tmp_path / "cascade" / "config.json").read_text())
    assert config["members"] == {"screen": "screen", "precise": "precise"}
    loaded = load_classifier(tmp_path / "cascade")
    texts = _all_texts()
    np.testing.assert_allclose(loaded.predict_proba(texts), cascade.predict_proba(texts))


def test_missing_member_is_refused(members: dict, tmp_path: Path) -> None:
    shutil.copytree(members["screen_dir"], tmp_path / "screen-model")
    shutil.copytree(members["precise_dir"], tmp_path / "precise-model")
    CascadeClassifier(
        screen=tmp_path / "screen-model", precise=tmp_path / "precise-model", gate=0.1
    ).fit([]).save(tmp_path / "cascade")
    shutil.rmtree(tmp_path / "precise-model")
    with pytest.raises(ModelLoadError, match=r"member 'precise' not found.*precise-model"):
        load_classifier(tmp_path / "cascade")


def test_cascade_directory_with_stray_files_or_bad_config_is_refused(
    members: dict, tmp_path: Path
) -> None:
    target = tmp_path / "cascade"
    CascadeClassifier(screen=members["screen"], precise=members["precise"], gate=0.1).fit([]).save(
        target
    )
    (target / "weights.pkl").write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError, match="unexpected file"):
        load_classifier(target)
    (target / "weights.pkl").unlink()
    config = json.loads((target / "config.json").read_text())
    config["members"] = {"screen": "screen"}
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="'screen' and 'precise'"):
        load_classifier(target)


def test_a_cascade_cannot_be_its_own_member(members: dict, tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    CascadeClassifier(screen=members["screen"], precise=members["precise"], gate=0.1).fit([]).save(
        inner
    )
    with pytest.raises(ModelLoadError, match="itself a cascade"):
        CascadeClassifier(screen=members["screen_dir"], precise=inner).fit([])


def test_scan_cascade_option_refuses_a_non_cascade_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from protoscan.cli import app

    model = LinearClassifier(min_df=1).fit(sample_passages())
    model.save(tmp_path / "linear")
    (tmp_path / "doc.txt").write_text("Nämnden har inte talat med barnet.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "scan",
            str(tmp_path / "doc.txt"),
            "--out",
            str(tmp_path / "r.jsonl"),
            "--cascade",
            str(tmp_path / "linear"),
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 2
    assert "not a cascade model" in result.output
