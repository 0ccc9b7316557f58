"""Finding figures per group of rows (`protoscan evaluate --by`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passage_samples import sample_passages
from protoscan.classify.model_dir import load_classifier
from protoscan.cli import app
from protoscan.corpus.schema import CorpusPassage, label_matrix
from protoscan.training.breakdown import NO_VALUE, figures_by, group_of
from protoscan.training.evaluate import finding_figures

LABELS = ("documentation", "delay")


def _row(i: int, labels: tuple[str, ...], authority: str | None) -> CorpusPassage:
    return CorpusPassage(id=str(i), text=f"rad {i}", labels=labels, authority=authority)


def test_group_of_reads_the_field_and_a_sources_web_site() -> None:
    row = CorpusPassage("1", "…", (), source="https://lagen.nu/avg/jo/1-2000", genre="decision")
    assert group_of(row, "source") == "lagen.nu"
    assert group_of(row, "genre") == "decision"
    assert group_of(row, "authority") == NO_VALUE
    assert group_of(CorpusPassage("2", "…", (), source="akt 12"), "source") == "akt 12"
    with pytest.raises(ValueError, match="cannot group by 'text'"):
        group_of(row, "text")


def test_figures_by_gives_each_group_its_own_figures() -> None:
    passages = [
        _row(0, ("delay",), "JO"),
        _row(1, (), "JO"),
        _row(2, (), "JO"),
        _row(3, ("documentation",), "IVO"),
        _row(4, (), "IVO"),
        _row(5, (), None),
    ]
    gold = label_matrix(passages, LABELS).astype(bool)
    probs = np.array([[0.1, 0.9], [0.8, 0.1], [0.2, 0.3], [0.4, 0.2], [0.3, 0.1], [0.7, 0.2]])
    pred = probs >= 0.5
    groups = figures_by(passages, "authority", gold, {"m": (probs, pred)})

    assert [(g["group"], g["rows"], g["with_label"]) for g in groups] == [
        ("JO", 3, 1),
        ("IVO", 2, 1),
        (NO_VALUE, 1, 0),
    ]
    jo = finding_figures(gold[:3], probs[:3], pred[:3])
    assert groups[0]["m"] == pytest.approx(jo)
    assert groups[0]["m"]["label_free_fp"] == pytest.approx(0.5)  # row 1 flagged, row 2 not
    # The IVO finding is ranked first but not flagged: AP 1, recall 0.
    assert groups[1]["m"] == pytest.approx(
        {"finding_ap": 1.0, "label_free_fp": 0.0, "any_label_recall": 0.0}
    )
    # A group without a labelled row has no AP or recall: null, not NaN, in JSON.
    assert groups[2]["m"]["finding_ap"] is None and groups[2]["m"]["any_label_recall"] is None
    assert groups[2]["m"]["label_free_fp"] == 1.0
    json.dumps(groups, allow_nan=False)


@pytest.fixture()
def labelled_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    rows = [
        {**p.to_dict(), "authority": "JO" if i % 3 else "IVO"}
        for i, p in enumerate(sample_passages("test"))
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_evaluate_by_authority_matches_the_model_on_each_group(
    model_dir: Path, labelled_file: Path
) -> None:
    args = ["evaluate", "--model", str(model_dir), "--data", str(labelled_file)]
    result = CliRunner().invoke(app, [*args, "--by", "authority", "--json"])
    assert result.exit_code == 0, result.output
    by = json.loads(result.output)["by"]
    assert by["field"] == "authority" and by["models"] == ["model"]
    rows = [json.loads(line) for line in labelled_file.read_text().splitlines()]
    model = load_classifier(model_dir)
    for group in by["groups"]:
        texts = [r["text"] for r in rows if r["authority"] == group["group"]]
        gold = np.array([[label in r["labels"] for label in model.labels_] for r in rows])[
            [r["authority"] == group["group"] for r in rows]
        ]
        probs = model.predict_proba(texts)
        expected = finding_figures(gold, probs, probs >= model.thresholds_[None, :])
        assert group["rows"] == len(texts)
        assert group["model"] == pytest.approx(expected)
    assert sum(g["rows"] for g in by["groups"]) == len(rows)


def test_evaluate_by_with_compare_shows_both_models(model_dir: Path, labelled_file: Path) -> None:
    runner = CliRunner()
    args = ["evaluate", "--compare", str(model_dir), str(model_dir), "--data", str(labelled_file)]
    result = runner.invoke(app, [*args, "--by", "authority", "--json"])
    assert result.exit_code == 0, result.output
    by = json.loads(result.output)["by"]
    assert by["models"] == ["a", "b"]
    assert all(g["a"] == g["b"] for g in by["groups"])
    table = runner.invoke(app, [*args, "--by", "authority"])
    assert table.exit_code == 0, table.output
    assert "Finding figures by authority" in table.output and "IVO" in table.output


def test_evaluate_by_refuses_unknown_fields_and_missing_data(
    model_dir: Path, labelled_file: Path
) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        app, ["evaluate", "--model", str(model_dir), "--data", str(labelled_file), "--by", "x"]
    )
    assert bad.exit_code == 2 and "use one of authority" in bad.output
    alone = runner.invoke(app, ["evaluate", "--model", str(model_dir), "--by", "genre"])
    assert alone.exit_code == 2 and "--by groups the rows of --data" in alone.output
