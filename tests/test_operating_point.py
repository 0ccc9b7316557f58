"""The whole-document operating point: one offset added to every dev-tuned threshold."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from passage_samples import sample_passages
from protoscan.corpus.schema import write_passages
from protoscan.errors import ConfigError
from protoscan.training.operating_point import OFFSET_GRID, operating_rows, tune_offset
from protoscan.training.train import TrainConfig, load_config, train


def test_offset_follows_the_base_rate() -> None:
    """Many label-free rows scored just above the threshold: the offset lifts it past them."""
    probs = np.array([[0.9], [0.8], [0.55], [0.55], [0.55], [0.1]])
    gold = np.array([[True], [True], [False], [False], [False], [False]])
    offset, f1 = tune_offset(probs, gold, np.array([0.5]), [0])
    assert offset == pytest.approx(0.075)  # 0.575: the smallest offset that drops the three
    assert f1 == pytest.approx(1.0)


def test_ties_keep_the_smallest_offset_and_unsupported_labels_do_not_count() -> None:
    probs = np.array([[0.9, 0.6], [0.1, 0.6]])
    gold = np.array([[True, False], [False, False]])
    assert tune_offset(probs, gold, np.array([0.5, 0.5]), [0, 1]) == (0.0, 1.0)
    assert tune_offset(probs, gold, np.array([0.5, 0.5]), [1])[0] == 0.0
    assert 0.0 in OFFSET_GRID and OFFSET_GRID.min() < 0 < OFFSET_GRID.max()


def _corpus() -> list:
    return [
        replace(p, id=f"{split}-{p.id}", doc_id=f"{split}-{p.doc_id}", split=split)
        for split in ("train", "dev", "test")
        for p in sample_passages()
    ]


def test_train_moves_every_threshold_by_the_recorded_offset(tmp_path: Path) -> None:
    corpus = _corpus()
    documents = tmp_path / "whole.jsonl"
    # Only the label-free dev rows and one positive: a base rate far below the dev split's.
    dev = [p for p in corpus if p.split == "dev"]
    write_passages([p for p in dev if not p.labels] + [next(p for p in dev if p.labels)], documents)
    plain = TrainConfig(name="plain", backend="linear", params={"min_df": 1})
    moved = replace(plain, name="moved", operating_data=(str(documents),))
    train(plain, passages=corpus, run_dir=tmp_path / "plain")
    train(moved, passages=corpus, run_dir=tmp_path / "moved")
    before = json.loads((tmp_path / "plain" / "config.json").read_text())
    after = json.loads((tmp_path / "moved" / "config.json").read_text())
    point = after["training"]["operating_point"]
    assert (
        point["data"] == [str(documents)]
        and point["rows"] == len(dev) - sum(bool(p.labels) for p in dev) + 1
    )
    assert point["threshold_offset"] in OFFSET_GRID
    expected = np.clip(np.array(before["thresholds"]) + point["threshold_offset"], 0, 1)
    np.testing.assert_allclose(after["thresholds"], expected, atol=1e-4)
    assert "moved by" in (tmp_path / "moved" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "operating_point" not in before["training"]


def test_operating_data_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="matches no file"):
        operating_rows([str(tmp_path / "none-*.jsonl")])
    train_only = tmp_path / "train.jsonl"
    write_passages(sample_passages("train"), train_only)
    with pytest.raises(ConfigError, match="no dev rows"):
        operating_rows([str(train_only)])
    recipe = tmp_path / "r.toml"
    recipe.write_text('name = "r"\nbackend = "linear"\noperating_data = [1]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="operating_data"):
        load_config(recipe)
