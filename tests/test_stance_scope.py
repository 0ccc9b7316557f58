"""``scope_in_label_head``: criticism outside the labels passes the stance gate and teaches the
label head as label-free, in the stance maths, the linear and transformer backends and the
ONNX export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from passage_samples import criticism_and_rule_rows, sample_passages
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.model_dir import load_classifier
from protoscan.classify.stance import (
    OUT_OF_SCOPE,
    head_proba,
    label_head_rows,
    stance_targets,
)
from protoscan.corpus.schema import POSITIVE_STANCES, STANCES, CorpusPassage
from protoscan.errors import ConfigError
from protoscan.labels import LABELS
from protoscan.training.model_card import write_model_card


def _row(i: int, text: str, labels: tuple[str, ...], stance: str) -> CorpusPassage:
    return CorpusPassage(id=f"r{i}", text=text, labels=labels, stance=stance, group=f"g{i}")


def test_label_head_rows_take_out_of_scope_criticism_only_when_asked() -> None:
    rows = [
        _row(0, "a", ("delay",), "finding"),
        _row(1, "b", (), OUT_OF_SCOPE),
        _row(2, "c", (), "rule"),
        _row(3, "d", (), "allegation"),
    ]
    y = np.array([[1], [0], [0], [0]])
    targets = stance_targets(rows)
    assert label_head_rows(y, targets).tolist() == [True, False, False, False]
    assert label_head_rows(y, targets, scope_in_label_head=True).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_scope_without_a_stance_head_is_refused() -> None:
    with pytest.raises(ConfigError, match="stance_head"):
        LinearClassifier(scope_in_label_head=True).fit(sample_passages())


def test_the_scoped_gate_is_the_mass_of_the_findings_and_out_of_scope_criticism() -> None:
    rng = np.random.default_rng(0)
    n = len(LABELS)
    logits = rng.normal(size=(20, n + len(STANCES))) * 3
    stance = np.exp(logits[:, n:]) / np.exp(logits[:, n:]).sum(axis=1, keepdims=True)
    given = 1 / (1 + np.exp(-logits[:, :n]))
    findings = [STANCES.index(s) for s in POSITIVE_STANCES]
    gate = stance[:, findings].sum(axis=1)
    scoped_gate = gate + stance[:, STANCES.index(OUT_OF_SCOPE)]
    np.testing.assert_allclose(head_proba(logits, n, True), given * gate[:, None], rtol=1e-5)
    np.testing.assert_allclose(
        head_proba(logits, n, True, scope_in_label_head=True),
        given * scoped_gate[:, None],
        rtol=1e-5,
    )


def _criticism_corpus() -> list[CorpusPassage]:
    """Findings on two labels, criticism of other things in the same words, and rules."""
    return criticism_and_rule_rows(
        {
            ("child_perspective",): ("barnets inställning", "samtal med barnet", "barnets åsikter"),
            ("delay",): ("handläggningstiden", "fyra månader", "fjorton dagar"),
            (): ("jävet", "ordförandens beslut", "objektiviteten"),
        }
    )


def test_linear_label_head_learns_that_other_criticism_has_no_label(tmp_path: Path) -> None:
    labels = ("child_perspective", "delay")
    probe = [
        "Nämnden i Vara brast i fråga om objektiviteten.",
        "Nämnden i Vara brast i fråga om barnets inställning.",
    ]
    given = {}
    for scoped in (False, True):
        model = LinearClassifier(
            labels=labels, stance_head=True, min_df=1, scope_in_label_head=scoped
        ).fit(_criticism_corpus())
        given[scoped], _ = model.scorer_.proba(probe, len(STANCES))
    # Trained on findings only, the label head gives criticism of anything some label; shown
    # out-of-scope criticism, it learns to give that none.
    assert given[False][0].max() > 0.5 > given[True][0].max()
    assert given[True][1, 0] > 0.5
    probs = model.predict_proba(probe)
    assert probs[1, 0] > 0.5 > probs[0].max()
    model.save(tmp_path / "m")
    loaded = load_classifier(tmp_path / "m")
    assert loaded.hyperparameters()["scope_in_label_head"] is True
    np.testing.assert_allclose(loaded.predict_proba(probe), probs, atol=1e-6)
    card = write_model_card(tmp_path / "m").read_text(encoding="utf-8")
    assert "criticism of things no label covers" in card


def test_transformer_and_onnx_export_keep_the_scoped_gate(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from protoscan.classify import transformer
    from protoscan.classify.onnx_backend import export_onnx
    from tiny_models import build_tiny_bert

    passages = sample_passages()
    texts = [p.text for p in passages]
    base = build_tiny_bert(tmp_path / "base", texts * 3)
    seen: list[bool] = []

    def spy(y: np.ndarray, targets: np.ndarray, scoped: bool = False) -> np.ndarray:
        seen.append(scoped)
        return label_head_rows(y, targets, scoped)

    model = transformer.TransformerClassifier(
        base_model=str(base),
        epochs=2,
        max_length=48,
        stance_head=True,
        scope_in_label_head=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transformer, "label_head_rows", spy)
        model.fit(passages)
    assert seen == [True]
    model.save(tmp_path / "torch")
    exported = export_onnx(tmp_path / "torch", tmp_path / "onnx", quantize=False)
    assert exported.scope_in_label_head
    expected = model.predict_proba(texts)
    loaded = load_classifier(tmp_path / "onnx")
    np.testing.assert_allclose(loaded.predict_proba(texts), expected, atol=1e-4)
    # The out-of-scope mass is part of every score: without the flag they all fall.
    loaded.scope_in_label_head = False
    assert (loaded.predict_proba(texts) < expected - 1e-6).all()
