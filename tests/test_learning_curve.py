"""Learning curves on a synthetic mini corpus: subsampling, the curve data, the plot, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from protoscan.cli import app
from protoscan.corpus.schema import CorpusPassage, write_passages
from protoscan.errors import ConfigError
from protoscan.labels import ALL_LABELS
from protoscan.training.learning_curve import (
    learning_curve,
    subsample_documents,
    write_learning_curve,
)
from protoscan.training.train import TrainConfig

runner = CliRunner()

TEMPLATES = {
    "child_perspective": "Nämnden har inte talat med {child} innan beslutet om {topic} fattades.",
    "reasoning": "Beslutet om {topic} saknar motivering och lagrum anges inte för {child}.",
    "documentation": "Samtalet med {child} om {topic} har inte dokumenterats i akten.",
    "violence_investigation": "Trots uppgifter om våld mot {child} inleddes ingen utredning.",
    "delay": "Utredningen om {topic} för {child} pågick i sju månader utan förlängningsbeslut.",
    "placement_follow_up": "Ingen har besökt {child} i familjehemmet efter {topic}.",
    "party_information": "Föräldrarna till {child} fick inte yttra sig före beslutet om {topic}.",
}
NEGATIVES = (
    "Handläggaren har haft två enskilda samtal med {child} om {topic}.",
    "Enligt 11 kap. 10 § SoL ska {child} få framföra sina åsikter om {topic}.",
    "JO finner inte skäl att kritisera nämnden för beslutet om {topic}.",
)
CHILDREN = ("pojken", "flickan", "barnet", "syskonen", "tonåringen", "den yngsta dottern")
TOPICS = ("umgänge", "placering", "skolgång", "bistånd", "kontaktfamilj", "öppenvård", "LVU")


def mini_corpus(n_docs: int = 30) -> list[CorpusPassage]:
    """Deterministic documents of four passages each: two findings and two negatives."""
    passages = []
    for d in range(n_docs):
        split = "train" if d < 20 else "dev" if d < 25 else "test"
        labels = [ALL_LABELS[(d + k) % len(ALL_LABELS)] for k in (0, 3)]
        texts = [(TEMPLATES[label], (label,)) for label in labels]
        texts += [(NEGATIVES[(d + k) % len(NEGATIVES)], ()) for k in (0, 1)]
        for p, (template, gold) in enumerate(texts):
            child = CHILDREN[(d + p) % len(CHILDREN)]
            topic = TOPICS[(d * 3 + p) % len(TOPICS)]
            passages.append(
                CorpusPassage(
                    id=f"m{d}-{p}",
                    text=template.format(child=child, topic=topic) + f" (ärende {d}-{p})",
                    labels=gold,
                    doc_id=f"m{d}",
                    split=split,
                )
            )
    return passages


def tiny_config(**kwargs) -> TrainConfig:
    return TrainConfig(
        name="tiny",
        backend="linear",
        params={"min_df": 1, "char_ngrams": [3, 4]},
        evaluate_real_dev=False,
        **kwargs,
    )


def test_subsamples_are_by_document_nested_and_deterministic() -> None:
    train = [p for p in mini_corpus() if p.split == "train"]
    small = subsample_documents(train, 0.3, seed=1)
    large = subsample_documents(train, 0.6, seed=1)
    docs = lambda ps: {p.doc_id for p in ps}  # noqa: E731
    assert len(docs(small)) == 6 and len(docs(large)) == 12
    assert docs(small) <= docs(large)
    assert all(len([p for p in small if p.doc_id == d]) == 4 for d in docs(small))
    assert small == subsample_documents(train, 0.3, seed=1)
    assert docs(small) != docs(subsample_documents(train, 0.3, seed=2))
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        subsample_documents(train, 0.0, seed=0)


def test_subsample_adds_documents_for_missing_labels() -> None:
    train = [p for p in mini_corpus() if p.split == "train"]
    sample = subsample_documents(train, 0.05, seed=0, labels=ALL_LABELS)
    present = {label for p in sample for label in p.labels}
    assert present == set(ALL_LABELS)
    assert len({p.doc_id for p in sample}) < len({p.doc_id for p in train})


def test_learning_curve_data_and_plot(tmp_path: Path) -> None:
    seen = []
    curve = learning_curve(
        tiny_config(),
        fractions=(1.0, 0.25, 0.5),
        seeds=2,
        passages=mini_corpus(),
        on_progress=lambda f, s, f1: seen.append((f, s)),
    )
    data = curve.to_dict()
    assert [p["fraction"] for p in data["points"]] == [0.25, 0.5, 1.0]
    assert seen == [(f, s) for f in (0.25, 0.5, 1.0) for s in (0, 1)]
    sizes = [p["n_train_mean"] for p in data["points"]]
    assert sizes == sorted(sizes) and sizes[-1] == data["n_train_total"] == 80
    for point in data["points"]:
        assert len(point["test_core_macro_f1"]) == 2
        assert all(
            0.0 <= f <= 1.0 for f in point["test_core_macro_f1"] + point["dev_core_macro_f1"]
        )
        assert point["test"]["std"] >= 0.0
    assert data["points"][-1]["test"]["std"] == 0.0  # the full split is the same every seed
    assert data["points"][-1]["test"]["mean"] >= data["points"][0]["test"]["mean"] - 0.05
    image, written = write_learning_curve(curve, tmp_path / "report" / "curve.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(written.read_text())["points"][0]["fraction"] == 0.25
    assert not (tmp_path / "models").exists()


def test_learning_curve_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="seeds"):
        learning_curve(tiny_config(), seeds=0, passages=mini_corpus())
    with pytest.raises(ConfigError, match="fractions"):
        learning_curve(tiny_config(), fractions=(0.5, 1.5), passages=mini_corpus())
    no_test = [p for p in mini_corpus() if p.split != "test"]
    with pytest.raises(ConfigError, match="test"):
        learning_curve(tiny_config(), passages=no_test)


def test_cli_learning_curve(tmp_path: Path) -> None:
    corpus = tmp_path / "passages"
    corpus.mkdir()
    write_passages(mini_corpus(), corpus / "mini.jsonl")
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(
        f'name = "tiny"\nbackend = "linear"\ndata = "{corpus}"\nevaluate_real_dev = false\n'
        "[params]\nmin_df = 1\nchar_ngrams = [3, 4]\n"
    )
    out = tmp_path / "lc.png"
    args = ["learning-curve", "--config", str(recipe), "--fractions", "0.5,1.0", "--seeds", "1"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert [p["fraction"] for p in json.loads(result.stdout)["points"]] == [0.5, 1.0]
    assert out.is_file() and out.with_suffix(".json").is_file()
    bad = runner.invoke(app, [*args[:3], "--fractions", "half", "--out", str(out)])
    assert bad.exit_code == 1
    assert "--fractions" in bad.stderr


def test_learning_curve_scores_every_fit_on_an_evaluation_set(tmp_path: Path) -> None:
    from protoscan.classify.model_dir import classifier_class
    from protoscan.corpus.schema import label_matrix
    from protoscan.training.evaluate import finding_figures

    corpus = mini_corpus()
    # an outside set: other documents of the same kind, no split, scored only
    outside = [replace(p, id=f"x{p.id}", split=None) for p in mini_corpus(34)[-16:]]
    config = tiny_config()
    curve = learning_curve(
        config,
        fractions=(0.5, 1.0),
        seeds=2,
        passages=corpus,
        evaluation=outside,
        evaluation_name="outside.jsonl",
    )
    data = curve.to_dict()
    assert data["evaluation"] == {"name": "outside.jsonl", "n": 16, "n_labelled": 8}
    for point in data["points"]:
        for name in ("finding_ap", "label_free_fp", "any_label_recall"):
            figures = point["evaluation"][name]
            assert len(figures["per_seed"]) == 2
            assert all(0.0 <= v <= 1.0 for v in figures["per_seed"])
            assert figures["mean"] == pytest.approx(np.mean(figures["per_seed"]))
    # the full training split is one fit: its figures recomputed by hand
    full = classifier_class("linear")(**config.params)
    full.fit([p for p in corpus if p.split == "train"], [p for p in corpus if p.split == "dev"])
    probs = full.predict_proba([p.text for p in outside])
    gold = label_matrix(outside, full.labels_).astype(bool)
    expected = finding_figures(gold, probs, probs >= full.thresholds_)
    last = data["points"][-1]["evaluation"]
    for name, value in expected.items():
        assert last[name]["per_seed"] == [pytest.approx(value)] * 2
    image, _ = write_learning_curve(curve, tmp_path / "curve.png")
    assert image.is_file()
    # a corpus without a dev split: dev figures are null in the data and left out of the plot
    no_dev = [p for p in corpus if p.split != "dev"]
    bare = learning_curve(config, fractions=(1.0,), seeds=1, passages=no_dev, evaluation=outside)
    assert bare.to_dict()["points"][0]["dev"] == {"mean": None, "std": None}
    assert write_learning_curve(bare, tmp_path / "bare.png")[0].is_file()
    # without an evaluation set the data say so and the points carry no figures
    plain = learning_curve(config, fractions=(1.0,), seeds=1, passages=corpus).to_dict()
    assert plain["evaluation"] is None and "evaluation" not in plain["points"][0]


def test_cli_learning_curve_with_an_evaluation_set(tmp_path: Path) -> None:
    corpus = tmp_path / "passages"
    corpus.mkdir()
    write_passages(mini_corpus(), corpus / "mini.jsonl")
    outside = tmp_path / "outside.jsonl"
    write_passages([replace(p, split=None) for p in mini_corpus(34)[-16:]], outside)
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(
        f'name = "tiny"\nbackend = "linear"\ndata = "{corpus}"\nevaluate_real_dev = false\n'
        "[params]\nmin_df = 1\nchar_ngrams = [3, 4]\n"
    )
    args = ["learning-curve", "--config", str(recipe), "--fractions", "1.0", "--seeds", "1"]
    out = tmp_path / "lc.png"
    result = runner.invoke(app, [*args, "--out", str(out), "--eval", str(outside), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["evaluation"]["n"] == 16
    assert set(data["points"][0]["evaluation"]) == {
        "finding_ap",
        "label_free_fp",
        "any_label_recall",
    }
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    bad = runner.invoke(app, [*args, "--out", str(out), "--eval", str(empty)])
    assert bad.exit_code != 0
    assert "no unambiguous rows" in bad.stderr
    missing = runner.invoke(app, [*args, "--out", str(out), "--eval", str(tmp_path / "no.jsonl")])
    assert missing.exit_code == 2
