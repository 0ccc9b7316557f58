from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from protoscan.classify.base import BaseClassifier, Classifier, tune_thresholds
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.model_dir import load_classifier
from protoscan.errors import ModelLoadError, NotFittedError
from protoscan.labels import ALL_LABELS


@pytest.fixture(scope="module")
def linear_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[LinearClassifier, Path]:
    model = LinearClassifier(min_df=1, C=20.0).fit(sample_passages())
    path = tmp_path_factory.mktemp("linear")
    model.save(path)
    return model, path


def test_linear_overfits_and_round_trips(linear_model: tuple[LinearClassifier, Path]) -> None:
    model, path = linear_model
    passages = sample_passages()
    texts = [p.text for p in passages]
    predicted = model.predict(texts)
    assert [set(p) for p in predicted] == [set(p.labels) for p in passages]
    loaded = load_classifier(path)
    assert isinstance(loaded, LinearClassifier)
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    assert loaded.predict(texts) == predicted


def test_contract_shapes(linear_model: tuple[LinearClassifier, Path]) -> None:
    model, _ = linear_model
    assert isinstance(model, Classifier)
    assert model.labels_ == ALL_LABELS
    probs = model.predict_proba(["Barnet har inte hörts.", "Ärendet avslutas."])
    assert probs.shape == (2, len(ALL_LABELS))
    assert ((probs >= 0) & (probs <= 1)).all()
    assert model.predict_proba([]).shape == (0, len(ALL_LABELS))
    with pytest.raises(TypeError):
        model.predict_proba("a single string")


def test_config_records_what_was_trained(linear_model: tuple[LinearClassifier, Path]) -> None:
    _, path = linear_model
    config = json.loads((path / "config.json").read_text())
    assert config["backend"] == "linear"
    assert config["labels"] == list(ALL_LABELS)
    assert len(config["thresholds"]) == len(ALL_LABELS)
    assert "scikit-learn" in config["versions"]


def test_unfitted_model_says_what_to_do() -> None:
    with pytest.raises(NotFittedError, match="call 'fit'"):
        LinearClassifier().predict(["text"])


def test_model_dir_with_unexpected_file_is_refused(
    linear_model: tuple[LinearClassifier, Path], tmp_path: Path
) -> None:
    _, path = linear_model
    copy = tmp_path / "model"
    copy.mkdir()
    for item in path.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    (copy / "head.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelLoadError, match="unexpected file"):
        load_classifier(copy)


def test_missing_weights_and_config_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"missing config\.json"):
        load_classifier(tmp_path)
    (tmp_path / "config.json").write_text(
        json.dumps({"backend": "linear", "labels": ["delay"], "thresholds": [0.5]})
    )
    with pytest.raises(ModelLoadError, match=r"missing linear\.json, weights\.safetensors"):
        load_classifier(tmp_path)


def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"backend": "magic", "labels": [], "thresholds": []})
    )
    with pytest.raises(ModelLoadError, match="unknown backend"):
        load_classifier(tmp_path)


def test_tune_thresholds_finds_the_separating_value() -> None:
    probs = np.array([[0.9], [0.7], [0.35], [0.3], [0.1]])
    gold = np.array([[1], [1], [1], [0], [0]])
    (threshold,) = tune_thresholds(probs, gold)
    assert 0.3 < threshold <= 0.35
    assert tune_thresholds(probs, np.zeros_like(gold))[0] == 0.5


def test_base_classifier_requires_training_data() -> None:
    with pytest.raises(ValueError, match="empty"):
        BaseClassifier().fit([])
