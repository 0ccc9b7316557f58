"""The transformer backend with a tiny BERT built here: no download, a few CPU steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
        # Length-bucketed batches learn the tiny set a little slower than plain shuffles:
        # 120 epochs recovered 10–12 of 15 gold labels, 200 recover all 15.
        epochs=200,
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


def test_stance_head_learns_findings_and_reloads(tiny_base: Path, tmp_path: Path) -> None:
    from protoscan.classify.stance import stance_targets
    from protoscan.corpus.schema import STANCES

    passages = sample_passages()
    texts = [p.text for p in passages]
    model = TransformerClassifier(
        base_model=str(tiny_base),
        epochs=150,
        batch_size=10,
        learning_rate=3e-3,
        max_length=48,
        warmup_ratio=0.0,
        seed=1,
        stance_head=True,
    )
    model.fit(passages)
    assert model.model_.config.num_labels == len(model.labels_) + len(STANCES)
    history = model.history_
    assert history[-1]["loss"] < history[0]["loss"] * 0.5, history
    probs = model.predict_proba(texts)
    # Findings score above label-free rows: the stance part learned which rows are findings.
    finding = np.array([bool(p.labels) for p in passages])
    assert probs[finding].max(axis=1).mean() > probs[~finding].max(axis=1).mean() + 0.2
    model.save(tmp_path / "model")
    loaded = load_classifier(tmp_path / "model")
    assert loaded.stance_head
    np.testing.assert_allclose(loaded.predict_proba(texts), probs, atol=1e-5)
    assert set(stance_targets(passages).tolist()) == {0, 9}  # finding, neutral_fact


def test_frozen_layers_and_embeddings_do_not_move(tiny_base: Path) -> None:
    model = TransformerClassifier(
        base_model=str(tiny_base), epochs=2, max_length=48, stance_head=True, freeze_layers=1
    )
    model.labels_ = model.labels
    model._load_base()
    before = {k: v.detach().clone() for k, v in model.model_.state_dict().items()}
    model.fit(sample_passages())
    after = model.model_.state_dict()
    moved = {k for k in before if not np.allclose(before[k].numpy(), after[k].numpy())}
    assert moved, "nothing was trained"
    assert not any(k.startswith(("bert.embeddings", "bert.encoder.layer.0.")) for k in moved), moved
    assert any(k.startswith("bert.encoder.layer.1.") for k in moved), moved


def _fitted(
    base: Path, *, with_dev: bool = False, raw: list[dict[str, Any]] | None = None, **params: Any
) -> TransformerClassifier:
    """A two-epoch run on the sample passages (half of them as dev with ``with_dev``); ``raw``
    collects the training weights after each epoch."""
    model = TransformerClassifier(
        base_model=str(base), epochs=2, batch_size=4, max_length=48, freeze_layers=1, **params
    )
    if raw is not None:
        model.on_progress = lambda info: raw.append(
            {k: v.clone() for k, v in model.model_.state_dict().items()}
        )
    passages = sample_passages()
    if with_dev:
        return model.fit(passages[::2], passages[1::2])
    return model.fit(passages)


def test_data_seed_changes_the_batch_order_only(
    tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``seed`` sets the head's initialisation; ``data_seed`` only reorders the batches."""
    models = {
        name: _fitted(tiny_base, seed=seeds[0], data_seed=seeds[1])
        for name, seeds in {"a": (5, 1), "again": (5, 1), "b": (5, 2)}.items()
    }
    a, again, b = (models[k].model_.state_dict() for k in ("a", "again", "b"))
    assert all(torch.equal(a[k], again[k]) for k in a)  # a run is reproducible
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert changed and not any("layer.0." in k for k in changed)
    models["b"].save(tmp_path / "b")
    assert load_classifier(tmp_path / "b").data_seed == 2
    # With no batches at all, each model keeps the weights it started from.
    monkeypatch.setattr(TransformerClassifier, "_batches", lambda self, lengths, rng: [])
    start = {
        name: _fitted(tiny_base, seed=seeds[0], data_seed=seeds[1]).model_.state_dict()
        for name, seeds in {"a": (5, 1), "b": (5, 2), "other": (6, 1)}.items()
    }
    assert all(torch.equal(start["a"][k], start["b"][k]) for k in start["a"])
    assert any(not torch.equal(start["a"][k], start["other"][k]) for k in start["a"])


def test_ema_keeps_the_average_and_leaves_the_run_itself_unchanged(
    tiny_base: Path, tmp_path: Path
) -> None:
    raw_plain: list[dict[str, Any]] = []
    raw_averaged: list[dict[str, Any]] = []
    plain = _fitted(tiny_base, with_dev=True, raw=raw_plain)
    averaged = _fitted(tiny_base, with_dev=True, raw=raw_averaged, ema_decay=0.5)
    # The average is only watched: the training weights take the same path as without it.
    assert len(raw_plain) == len(raw_averaged) == 2
    for before, after in zip(raw_plain, raw_averaged, strict=True):
        assert all(torch.equal(before[k], after[k]) for k in before)
    assert [e["dev_core_macro_f1_raw"] for e in averaged.history_] == [
        e["dev_core_macro_f1"] for e in plain.history_
    ]
    a, b = plain.model_.state_dict(), averaged.model_.state_dict()
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert changed and not any("layer.0." in k or "embeddings" in k for k in changed)
    # A decay near one keeps the average where it began, at the weights after the first step:
    # what is kept is the average, not the last weights.
    frozen = _fitted(tiny_base, with_dev=True, ema_decay=1 - 1e-9).model_.state_dict()
    first = _fitted(tiny_base, with_dev=True, max_steps=1).model_.state_dict()
    assert all(torch.allclose(frozen[k], first[k], atol=1e-7) for k in first)
    assert not all(torch.allclose(frozen[k], a[k], atol=1e-7) for k in a)
    averaged.save(tmp_path / "ema")
    assert load_classifier(tmp_path / "ema").ema_decay == 0.5


def test_ema_decay_outside_zero_to_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ema_decay"):
        TransformerClassifier(ema_decay=1.0)
