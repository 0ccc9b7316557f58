"""Extra copies of some files' train rows (a recipe's ``train_copies``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from passage_samples import sample_passages
from protoscan.corpus.schema import write_passages
from protoscan.errors import ConfigError
from protoscan.training.train import TrainConfig, load_config, train
from protoscan.training.train_copies import with_copies


def _corpus() -> list:
    return [
        replace(p, id=f"{split}-{p.id}", doc_id=f"{split}-{p.doc_id}", split=split)
        for split in ("train", "dev", "test")
        for p in sample_passages()
    ]


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Path, list]:
    """A "whole documents" file: three train rows and every dev row of the corpus."""
    corpus = _corpus()
    rows = [p for p in corpus if p.split == "train"][:3] + [p for p in corpus if p.split == "dev"]
    path = tmp_path / "s-whole.jsonl"
    write_passages(rows, path)
    return path, corpus


def test_only_the_files_train_rows_are_appended(documents: tuple[Path, list]) -> None:
    path, corpus = documents
    train_rows = [p for p in corpus if p.split == "train"]
    extended, added = with_copies(train_rows, {str(path.parent / "s-*.jsonl"): 3})
    assert added == 6 and extended[: len(train_rows)] == train_rows
    copied = [p.id for p in train_rows[:3]]
    assert [p.id for p in extended[len(train_rows) :]] == [f"{i}-copy1" for i in copied] + [
        f"{i}-copy2" for i in copied
    ]
    assert [p.text for p in extended[len(train_rows) :]] == [p.text for p in train_rows[:3]] * 2
    assert with_copies(train_rows, {str(path): 1}) == (train_rows, 0)


def test_train_records_the_copies(documents: tuple[Path, list], tmp_path: Path) -> None:
    path, corpus = documents
    config = TrainConfig(
        name="copies", backend="linear", params={"min_df": 1}, train_copies={str(path): 2}
    )
    train(config, passages=corpus, run_dir=tmp_path / "run")
    training = json.loads((tmp_path / "run" / "config.json").read_text())["training"]
    assert training["n_train"] == sum(p.split == "train" for p in corpus) + 3
    assert training["train_copies"] == {"files": {str(path): 2}, "rows_added": 3}
    card = (tmp_path / "run" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "more than once per epoch" in card


@pytest.mark.parametrize("table", ['{"a.jsonl" = 0}', '{"a.jsonl" = 1.5}', '["a.jsonl"]'])
def test_recipe_values_are_checked(tmp_path: Path, table: str) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'name = "r"\nbackend = "linear"\ntrain_copies = {table}\n', "utf-8")
    with pytest.raises(ConfigError, match="train_copies"):
        load_config(recipe)


def test_patterns_without_files_or_train_rows_are_refused(
    documents: tuple[Path, list], tmp_path: Path
) -> None:
    _, corpus = documents
    train_rows = [p for p in corpus if p.split == "train"]
    with pytest.raises(ConfigError, match="matches no file"):
        with_copies(train_rows, {str(tmp_path / "none-*.jsonl"): 2})
    dev_only = tmp_path / "dev.jsonl"
    write_passages([p for p in corpus if p.split == "dev"], dev_only)
    with pytest.raises(ConfigError, match="no train rows"):
        with_copies(train_rows, {str(dev_only): 2})
