"""Flag rates on text without findings (`protoscan evaluate --label-free`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import realdata_file
from protoscan.cli import app
from protoscan.errors import DataError
from protoscan.training.label_free import (
    MIN_WORDS,
    compare_flag_rates,
    flag_rate,
    read_label_free,
)

LABELS = ("documentation", "delay")


class WordModel:
    """Gives ``documentation`` to passages with ``word`` in them and ``delay`` to none."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.labels_ = LABELS
        self.thresholds_ = np.array([0.5, 0.5])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[0.9 if self.word in t else 0.1, 0.2] for t in texts])


@pytest.fixture()
def statutes(tmp_path: Path) -> Path:
    folder = tmp_path / "sfs"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Lag om vård av unga\n\n1 §\n\n"
        "Nämnden ska utreda ärendet utan dröjsmål och dokumentera det som kommit fram.\n\n"
        "Den enskilde ska få del av uppgifter som tillförts ärendet genom någon annan.\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        "2 kap.\n\nBeslut ska dokumenteras och motiveras enligt vad som sägs i 32 §.\n",
        encoding="utf-8",
    )
    return folder


def test_short_passages_are_left_out(statutes: Path) -> None:
    texts = read_label_free([statutes])
    assert [t.name for t in texts] == ["a.txt", "b.txt"]
    assert [len(t.passages) for t in texts] == [3, 1]
    assert all(len(p.split()) >= MIN_WORDS for t in texts for p in t.passages)


def test_flag_rate_counts_passages_documents_and_labels(statutes: Path) -> None:
    block = flag_rate(read_label_free([statutes]), WordModel("dokument"))
    assert (block["passages"], block["flagged"]) == (4, 2)
    assert block["flag_rate"] == pytest.approx(0.5)
    assert block["ci_low"] < 0.5 < block["ci_high"]
    assert block["per_label"] == {"documentation": 2, "delay": 0}
    assert [(d["document"], d["passages"], d["flagged"]) for d in block["documents"]] == [
        ("a.txt", 3, 1),
        ("b.txt", 1, 1),
    ]


def test_compare_gives_the_paired_difference(statutes: Path) -> None:
    texts = read_label_free([statutes])
    result = compare_flag_rates(texts, WordModel("dokument"), WordModel("ingen träff"))
    assert result["a"]["flagged"] == 2 and result["b"]["flagged"] == 0
    difference = result["difference"]
    assert difference["difference"] == pytest.approx(-0.5)
    assert difference["ci_low"] <= -0.5 <= difference["ci_high"] <= 0.0


def test_documents_without_long_passages_are_refused(tmp_path: Path) -> None:
    (tmp_path / "short.txt").write_text("1 §\n\n2 §\n", encoding="utf-8")
    with pytest.raises(DataError, match="no passage"):
        read_label_free([tmp_path])


def test_cli_reports_one_model_and_refuses_a_missing_path(
    model_dir: Path, statutes: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["evaluate", "--model", str(model_dir), "--label-free", str(statutes), "--json"]
    )
    assert result.exit_code == 0, result.output
    block = json.loads(result.stdout)["label_free"]
    assert block["passages"] == 4
    assert block["flagged"] == sum(d["flagged"] for d in block["documents"])
    result = runner.invoke(
        app, ["evaluate", "--model", str(model_dir), "--label-free", str(tmp_path / "nope")]
    )
    assert result.exit_code != 0 and "nope" in result.output + result.stderr


def test_json_with_two_modes_is_refused(model_dir: Path, statutes: Path, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": "a", "text": "Ett dokument.", "labels": []}\n', encoding="utf-8")
    modes = ["--label-free", str(statutes), "--data", str(data)]
    result = CliRunner().invoke(app, ["evaluate", "--model", str(model_dir), *modes, "--json"])
    assert result.exit_code == 2
    assert "one JSON document" in result.output + result.stderr


def test_cli_compare_prints_both_models(model_dir: Path, statutes: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["evaluate", "--compare", str(model_dir), str(model_dir), "--label-free", str(statutes)],
    )
    assert result.exit_code == 0, result.output
    assert "flagged A" in result.stdout and "B − A +0.00 points" in result.stdout


def test_shipped_default_rarely_flags_the_social_services_act() -> None:
    """SoL 2025:400 states rules; a default that flags them would flag every quoted rule."""
    statute = realdata_file("steadson-Swedish-Legal-RAG-Chatbot/sfs/sfs-2025-400.txt")
    from protoscan.classify.model_dir import load_classifier

    default = Path(__file__).resolve().parents[1] / "models" / "default"
    block = flag_rate(read_label_free([statute]), load_classifier(default))
    assert block["passages"] > 500
    assert block["flag_rate"] < 0.02
