"""The ensemble: trained members' scores averaged, with thresholds tuned on dev."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from protoscan.classify.ensemble import EnsembleClassifier
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.model_dir import load_classifier
from protoscan.errors import ConfigError, ModelLoadError, NotFittedError

TEXTS = [
    "Nämnden har inte talat med flickan innan beslutet fattades.",
    "Beslutet saknar motivering.",
    "Utredningen tog åtta månader.",
    "Kommunen har 10 000 invånare.",
]


@pytest.fixture(scope="module")
def member_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    passages = sample_passages()
    root = tmp_path_factory.mktemp("members")
    first = LinearClassifier(min_df=1).fit(passages)
    # The second member lists the labels in another order: the ensemble must align columns.
    second = LinearClassifier(min_df=1, C=30.0, char_ngrams=(3, 4), labels=first.labels[::-1])
    second.fit(passages)
    first.save(root / "a")
    second.save(root / "b")
    return [root / "a", root / "b"]


def test_scores_are_the_weighted_mean_of_the_members(member_dirs: list[Path]) -> None:
    ensemble = EnsembleClassifier(members=member_dirs, weights=[3, 1]).fit(sample_passages())
    a, b = (load_classifier(d) for d in member_dirs)
    b_columns = [list(b.labels_).index(label) for label in a.labels_]
    expected = 0.75 * a.predict_proba(TEXTS) + 0.25 * b.predict_proba(TEXTS)[:, b_columns]
    assert ensemble.labels_ == a.labels_
    np.testing.assert_allclose(ensemble.predict_proba(TEXTS), expected, rtol=1e-5, atol=1e-6)
    assert ensemble.thresholds_.shape == (len(a.labels_),)


def test_geometric_fusion_is_the_weighted_geometric_mean(member_dirs: list[Path]) -> None:
    ensemble = EnsembleClassifier(members=member_dirs, weights=[3, 1], fusion="geometric")
    ensemble.fit(sample_passages())
    a, b = (load_classifier(d) for d in member_dirs)
    b_columns = [list(b.labels_).index(label) for label in a.labels_]
    expected = a.predict_proba(TEXTS) ** 0.75 * b.predict_proba(TEXTS)[:, b_columns] ** 0.25
    np.testing.assert_allclose(ensemble.predict_proba(TEXTS), expected, rtol=1e-4, atol=1e-6)
    # Below the larger member score, above the smaller: a mean, not a vote.
    scores = ensemble.predict_proba(TEXTS)
    low = np.minimum(a.predict_proba(TEXTS), b.predict_proba(TEXTS)[:, b_columns])
    assert np.all(scores >= low - 1e-6)


def test_round_trip_copies_members_inside(member_dirs: list[Path], tmp_path: Path) -> None:
    ensemble = EnsembleClassifier(members=member_dirs).fit(sample_passages())
    ensemble.save(tmp_path / "ens")
    assert {p.name for p in (tmp_path / "ens").iterdir()} >= {"config.json", "member-0", "member-1"}
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "ens", moved)  # self-contained: it travels as one directory
    loaded = load_classifier(moved)
    assert isinstance(loaded, EnsembleClassifier)
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), ensemble.predict_proba(TEXTS))
    assert loaded.predict(TEXTS) == ensemble.predict(TEXTS)


def test_bad_configurations_are_refused(member_dirs: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="weight"):
        EnsembleClassifier(members=member_dirs, weights=[1.0])
    with pytest.raises(ConfigError, match="fusion"):
        EnsembleClassifier(members=member_dirs, fusion="vote")
    with pytest.raises(ConfigError, match="at least two"):
        EnsembleClassifier(members=member_dirs[:1]).fit(sample_passages())
    with pytest.raises(ModelLoadError, match="not found"):
        EnsembleClassifier(members=[member_dirs[0], tmp_path / "nothing"]).fit(sample_passages())
    with pytest.raises(NotFittedError):
        EnsembleClassifier(members=member_dirs).predict(TEXTS)


def test_a_broken_ensemble_directory_is_refused(member_dirs: list[Path], tmp_path: Path) -> None:
    EnsembleClassifier(members=member_dirs).fit(sample_passages()).save(tmp_path / "ens")
    shutil.rmtree(tmp_path / "ens" / "member-1")
    with pytest.raises(ModelLoadError, match="member-1"):
        load_classifier(tmp_path / "ens")
    config = json.loads((tmp_path / "ens" / "config.json").read_text())
    config["members"] = ["../elsewhere", "member-1"]
    (tmp_path / "ens" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="member-0"):
        load_classifier(tmp_path / "ens")


def test_model_card_states_the_fusion_weights(member_dirs: list[Path], tmp_path: Path) -> None:
    from protoscan.training.model_card import write_model_card

    ensemble = EnsembleClassifier(members=member_dirs, weights=[1, 4], fusion="geometric")
    ensemble.fit(sample_passages()).save(tmp_path / "ens")
    card = write_model_card(tmp_path / "ens").read_text(encoding="utf-8")
    assert "weighted geometric mean (member-0 0.2, member-1 0.8)" in card
