"""The linear model's array format: numpy features and heads equal scikit-learn's, loading
imports neither scikit-learn nor skops, and directories in the older skops format still load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.linear_arrays import LinearScorer
from protoscan.classify.model_dir import dump_skops, load_classifier, write_config
from protoscan.corpus.schema import label_matrix

TRICKY = [
    "",
    "   ",
    "JO:s beslut — 11 kap. 1 § SoL; IVO-tillsyn 2024-03-01!",
    "Barnets inställning klarlades INTE, och vårdnadshavarna informerades aldrig om utredningen.",
    "ÅÄÖ åäö é ü ñ 123 §§ 4–5 kap. x",
]


@pytest.fixture(scope="module")
def fitted() -> tuple[LinearClassifier, object]:
    passages = sample_passages()
    model = LinearClassifier(min_df=1)
    model.labels_ = model.labels
    pipeline = model._build()
    pipeline.fit([p.text for p in passages], label_matrix(passages, model.labels_))
    return model, pipeline


def test_numpy_features_and_heads_equal_scikit_learn(fitted: tuple) -> None:
    _, pipeline = fitted
    texts = [p.text for p in sample_passages()] + TRICKY
    scorer = LinearScorer.from_sklearn(pipeline)
    labels, _ = scorer.proba(texts, 12)
    np.testing.assert_allclose(labels, pipeline.predict_proba(texts), atol=1e-5)


def test_array_round_trip_and_light_load(tmp_path: Path) -> None:
    passages = sample_passages()
    model = LinearClassifier(min_df=1, stance_head=True).fit(passages)
    model.save(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {"weights.safetensors", "linear.json"}
    texts = [p.text for p in passages] + TRICKY
    loaded = load_classifier(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    code = (
        "import sys; from protoscan.classify.model_dir import load_classifier; "
        f"m = load_classifier({str(tmp_path / 'm')!r}); m.predict_proba(['Barnet hördes inte.']); "
        "print(sorted(k for k in ('sklearn', 'skops', 'torch', 'scipy') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_skops_directories_of_earlier_versions_still_load(fitted: tuple, tmp_path: Path) -> None:
    model, pipeline = fitted
    model.thresholds_ = np.full(len(model.labels_), 0.5)
    directory = tmp_path / "old"
    directory.mkdir()
    dump_skops(pipeline, directory / "model.skops")
    write_config(directory, model)
    texts = [p.text for p in sample_passages()] + TRICKY
    loaded = load_classifier(directory)
    np.testing.assert_allclose(
        loaded.predict_proba(texts), pipeline.predict_proba(texts), atol=1e-5
    )
