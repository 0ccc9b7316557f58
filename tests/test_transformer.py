"""The transformer backend with a tiny BERT built here: no download, a few CPU steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from tiny_models import build_tiny_bert

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from protoscan.classify.model_dir import load_classifier  # noqa: E402
from protoscan.classify.transformer import TransformerClassifier  # noqa: E402
from protoscan.errors import ConfigError, ModelLoadError  # noqa: E402


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [p.text for p in sample_passages()]
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), texts * 3)


def test_tiny_bert_fine_tunes_saves_and_reloads(tiny_base: Path, tmp_path: Path) -> None:
    passages = sample_passages()
    texts = [p.text for p in passages]
    model = TransformerClassifier(
        base_model=str(tiny_base),
        epochs=120,
        batch_size=10,
        learning_rate=3e-3,
        max_length=48,
        warmup_ratio=0.0,
        seed=1,
    )
    model.fit(passages)
    history = model.history_
    assert history[-1]["loss"] < history[0]["loss"] * 0.5, history
    before = model.predict_proba(texts)
    model.save(tmp_path / "model")
    assert (tmp_path / "model" / "encoder" / "model.safetensors").is_file()
    loaded = load_classifier(tmp_path / "model")
    assert isinstance(loaded, TransformerClassifier)
    np.testing.assert_allclose(loaded.predict_proba(texts), before, atol=1e-5)
    assert loaded.predict(texts) == model.predict(texts)
    # It learned the training set: most gold labels are recovered.
    gold = {(i, lab) for i, p in enumerate(passages) for lab in p.labels}
    found = {(i, lab) for i, labs in enumerate(model.predict(texts)) for lab in labs}
    assert len(gold & found) >= 0.7 * len(gold)


def test_dynamic_quantisation_keeps_predictions_close(tiny_base: Path, tmp_path: Path) -> None:
    passages = sample_passages()
    model = TransformerClassifier(base_model=str(tiny_base), epochs=2, max_length=48)
    model.fit(passages)
    model.save(tmp_path / "m")
    quantised = TransformerClassifier.load(tmp_path / "m", quantize=True)
    texts = [p.text for p in passages]
    diff = np.abs(quantised.predict_proba(texts) - model.predict_proba(texts)).max()
    assert diff < 0.1


def test_missing_local_base_is_a_config_error() -> None:
    model = TransformerClassifier(base_model="models/base/does-not-exist")
    with pytest.raises(ConfigError, match="import-e5"):
        model.fit(sample_passages())


def test_pickle_weights_in_encoder_are_refused(tiny_base: Path, tmp_path: Path) -> None:
    model = TransformerClassifier(base_model=str(tiny_base), epochs=1, max_length=32)
    model.fit(sample_passages())
    model.save(tmp_path / "m")
    (tmp_path / "m" / "encoder" / "pytorch_model.bin").write_bytes(b"not really")
    with pytest.raises(ModelLoadError, match="unexpected file"):
        load_classifier(tmp_path / "m")


def test_cpu_batch_size_does_not_change_scores(tiny_base: Path) -> None:
    passages = sample_passages()
    model = TransformerClassifier(base_model=str(tiny_base), epochs=1, max_length=48)
    model.fit(passages)
    texts = [p.text for p in passages]
    model.cpu_eval_batch_size = 3
    small = model.predict_proba(texts)
    model.cpu_eval_batch_size = 64
    np.testing.assert_allclose(small, model.predict_proba(texts), atol=1e-5)
    assert model.hyperparameters()["cpu_eval_batch_size"] == 64


def test_stance_head_trains_with_frozen_layers_and_reloads(
    tiny_base: Path, tmp_path: Path
) -> None:
    from protoscan.classify.stance import stance_targets
    from protoscan.corpus.schema import STANCES

    passages = sample_passages()
    texts = [p.text for p in passages]
    model = TransformerClassifier(
        base_model=str(tiny_base),
        epochs=60,
        batch_size=10,
        learning_rate=3e-3,
        max_length=48,
        warmup_ratio=0.0,
        seed=1,
        stance_head=True,
        freeze_layers=1,
    )
    model.fit(passages)
    net = model.model_
    assert net.config.num_labels == len(model.labels_) + len(STANCES)
    layer0 = net.base_model.encoder.layer[0]
    assert not any(p.requires_grad for p in layer0.parameters())
    assert any(p.requires_grad for p in net.base_model.encoder.layer[-1].parameters())
    history = model.history_
    assert history[-1]["loss"] < history[0]["loss"] * 0.6, history
    probs = model.predict_proba(texts)
    # Findings score above label-free rows: the stance part learned which rows are findings.
    finding = np.array([bool(p.labels) for p in passages])
    assert probs[finding].max(axis=1).mean() > probs[~finding].max(axis=1).mean() + 0.2
    model.save(tmp_path / "model")
    loaded = load_classifier(tmp_path / "model")
    assert loaded.stance_head
    np.testing.assert_allclose(loaded.predict_proba(texts), probs, atol=1e-5)
    assert len(set(stance_targets(passages).tolist())) >= 3
