"""The run registry (list, promote) and side-by-side model comparison."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passage_samples import sample_passages, split_samples
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.model_dir import load_classifier
from protoscan.cli import app
from protoscan.corpus.schema import write_passages
from protoscan.errors import ProtoscanError
from protoscan.training.evaluate import (
    compare_predictions,
    finding_figures,
    paired_bootstrap_findings,
)
from protoscan.training.runs import (
    check_promotion,
    list_runs,
    promote_run,
    prune_runs,
    same_model,
)
from protoscan.training.train import TrainConfig, train

runner = CliRunner()


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _deafen(model_dir: Path, label: str) -> None:
    """Make a model blind to one label by raising its threshold out of reach."""

    def edit(config: dict) -> None:
        config["thresholds"][config["labels"].index(label)] = 1.01

    _edit_json(model_dir / "config.json", edit)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real run and a corpus directory with its test split (built once)."""
    root = tmp_path_factory.mktemp("runs-src")
    corpus = root / "passages"
    corpus.mkdir()
    write_passages(split_samples(), corpus / "sample.jsonl")
    config = TrainConfig(
        name="tiny", backend="linear", params={"min_df": 1}, evaluate_real_dev=False
    )
    train(config, passages=split_samples(), run_dir=root / "run")
    return root


@pytest.fixture()
def models(trained: Path, tmp_path: Path) -> dict[str, Path]:
    """``runs/`` with a good run and a worse one, and a default copied from the good run."""
    runs = tmp_path / "models" / "runs"
    good, worse = runs / "20260101-000000-good", runs / "20260102-000000-worse"
    shutil.copytree(trained / "run", good)
    shutil.copytree(trained / "run", worse)
    _deafen(worse, "child_perspective")
    _edit_json(worse / "config.json", lambda c: c.update(created="2026-01-02T00:00:00+00:00"))
    _edit_json(good / "config.json", lambda c: c.update(created="2026-01-01T00:00:00+00:00"))

    def lower(metrics: dict) -> None:
        metrics["test"]["core"]["macro_f1"] -= 0.2

    _edit_json(worse / "metrics.json", lower)
    default = tmp_path / "models" / "default"
    shutil.copytree(good, default)
    (runs / "not-a-model").mkdir()
    return {"runs": runs, "good": good, "worse": worse, "default": default}


def test_list_runs_reads_every_run_in_time_order(models: dict[str, Path]) -> None:
    runs = list_runs(models["runs"])
    assert [r.name for r in runs] == ["20260101-000000-good", "20260102-000000-worse"]
    good, worse = runs
    assert good.backend == "linear" and good.recipe == "tiny" and good.n_train == 20
    assert worse.test_core_macro_f1 == pytest.approx(good.test_core_macro_f1 - 0.2)
    assert good.jo_ivo_dev_fp_rate is None
    assert len(good.data_sha256) == 64
    assert same_model(models["good"], models["default"])
    assert not same_model(models["worse"], models["default"])
    with pytest.raises(ProtoscanError, match="no runs directory"):
        list_runs(models["runs"] / "missing")


def test_cli_models_list(models: dict[str, Path]) -> None:
    args = ["models", "list", "--runs", str(models["runs"]), "--default", str(models["default"])]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["name"], r["is_default"]) for r in rows] == [
        ("20260101-000000-good", True),
        ("20260102-000000-worse", False),
    ]
    table = runner.invoke(app, args)
    assert table.exit_code == 0
    assert "2 run(s)" in table.stdout and "(default)" in table.stdout


def test_promote_refuses_a_worse_run_and_force_overrides(
    models: dict[str, Path], trained: Path
) -> None:
    kwargs = {"default": models["default"], "runs_dir": models["runs"], "data": trained}
    with pytest.raises(ProtoscanError, match=r"worse than the default: test core .*--force"):
        promote_run("20260102-000000-worse", **kwargs)
    assert same_model(models["good"], models["default"])
    result = promote_run("20260102-000000-worse", force=True, **kwargs)
    assert result.promoted and not result.reevaluated
    assert same_model(models["worse"], models["default"])
    # A better run (the good one, now that the default is the worse) is promoted freely.
    assert promote_run(models["good"], **kwargs).promoted
    assert same_model(models["good"], models["default"])
    assert not models["default"].with_name("default.previous").exists()


def test_promote_refuses_more_label_free_passages_given_a_label(
    models: dict[str, Path], trained: Path
) -> None:
    # Same F1, but the run gives a label to more label-free test passages: not promoted.
    noisy = models["runs"] / "20260103-000000-noisy"
    shutil.copytree(models["good"], noisy)

    def more_false_findings(metrics: dict) -> None:
        metrics["test"]["negatives_false_positive_rate"] += 0.05

    _edit_json(noisy / "metrics.json", more_false_findings)
    check = check_promotion(noisy, models["default"], data=trained)
    assert check.f1_not_worse and not check.label_free_not_worse and not check.not_worse
    assert check.run_label_free == pytest.approx(check.default_label_free + 0.05)
    with pytest.raises(ProtoscanError, match=r"label-free test passages given a label .* higher"):
        promote_run(noisy, default=models["default"], data=trained)
    assert same_model(models["good"], models["default"])
    # Fewer false findings at the same F1 is promoted.
    _edit_json(noisy / "metrics.json", lambda m: m["test"].update(negatives_false_positive_rate=0))
    assert promote_run(noisy, default=models["default"], data=trained).promoted
    # Metrics without the figure cannot be compared: both models are re-scored.
    _edit_json(noisy / "metrics.json", lambda m: m["test"].pop("negatives_false_positive_rate"))
    check = check_promotion(noisy, models["good"], data=trained / "passages")
    assert check.reevaluated and check.run_label_free == check.default_label_free


def test_promote_reevaluates_when_test_data_differ(
    models: dict[str, Path], trained: Path, tmp_path: Path
) -> None:
    def other_data(config: dict) -> None:
        config["training"]["data_sha256"] = "0" * 64

    _edit_json(models["worse"] / "config.json", other_data)
    # The stored numbers now claim the worse run is better: they must not be trusted.
    _edit_json(models["worse"] / "metrics.json", lambda m: m["test"]["core"].update(macro_f1=1.0))
    check = check_promotion(models["worse"], models["default"], data=trained / "passages")
    assert check.reevaluated and check.n_test == 20
    assert check.run_f1 < check.default_f1
    assert check.run_label_free is not None and check.default_label_free is not None
    # Several corpus paths (passages and sentences) are scored together.
    sentences = tmp_path / "sentences.jsonl"
    write_passages(
        [replace(p, id=f"s-{p.id}", doc_id=f"s-{p.doc_id}") for p in split_samples()], sentences
    )
    both = check_promotion(
        models["worse"], models["default"], data=[trained / "passages", sentences]
    )
    assert both.reevaluated and both.n_test == 40
    with pytest.raises(ProtoscanError, match="re-evaluated on the current test split"):
        promote_run(models["worse"], default=models["default"], data=trained / "passages")


def test_promote_without_a_default_and_cli_errors(models: dict[str, Path], tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-default"
    result = promote_run(models["good"], default=fresh)
    assert result.promoted and result.default is None
    assert same_model(models["good"], fresh)
    assert load_classifier(fresh).labels_ == load_classifier(models["good"]).labels_
    args = ["models", "promote", "20260102-000000-worse", "--runs", str(models["runs"])]
    refused = runner.invoke(app, [*args, "--default", str(models["default"])])
    assert refused.exit_code == 1
    assert "not promoted" in refused.stderr and "Traceback" not in refused.output
    missing = runner.invoke(app, ["models", "promote", "nope", "--runs", str(models["runs"])])
    assert missing.exit_code == 1 and "no run 'nope'" in missing.stderr
    forced = runner.invoke(app, [*args, "--default", str(models["default"]), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "(forced)" in forced.stderr and "label-free given a label" in forced.stderr


def test_compare_two_models(models: dict[str, Path], trained: Path) -> None:
    passages = [p for p in split_samples() if p.split == "test"]
    a, b = load_classifier(models["good"]), load_classifier(models["worse"])
    texts = [p.text for p in passages]
    result = compare_predictions(
        passages,
        a.predict_proba(texts),
        a.thresholds_,
        b.predict_proba(texts),
        b.thresholds_,
        a.labels_,
    )
    boot = result.bootstrap
    observed = result.b.core["macro_f1"] - result.a.core["macro_f1"]
    assert boot["difference"] == pytest.approx(observed)
    assert observed < 0
    assert boot["ci_low"] <= observed <= boot["ci_high"]
    # B is blind to child_perspective: it misses every child_perspective passage A gets right.
    gold_cp = [p.id for p in passages if "child_perspective" in p.labels]
    listed = {row["id"]: row for row in result.disagreements}
    assert set(gold_cp) <= set(listed)
    assert all("child_perspective" in listed[i]["gold"] for i in gold_cp)
    assert all("child_perspective" not in listed[i]["b"] for i in gold_cp)
    assert result.b_only_correct == 0 and result.a_only_correct >= len(gold_cp)
    table = result.to_dict()["per_label"]["child_perspective"]
    assert table["b_f1"] == 0.0 and table["difference"] < 0
    # Blind to one label, B gives fewer labelled passages one of their labels.
    recall = result.findings["any_label_recall"]
    assert recall["b"] < recall["a"] and recall["difference"] == pytest.approx(
        recall["b"] - recall["a"]
    )
    for figure in result.findings.values():
        assert figure["ci_low"] <= figure["difference"] <= figure["ci_high"]


def test_finding_figures_on_a_worked_example() -> None:
    gold = np.array([[1, 0], [0, 1], [0, 0], [0, 0]], dtype=bool)
    probs = np.array([[0.9, 0.1], [0.2, 0.3], [0.1, 0.6], [0.05, 0.1]])
    pred = probs >= np.array([0.5, 0.5])
    figures = finding_figures(gold, probs, pred)
    # Finding scores 0.9, 0.3, 0.6, 0.1: the labelled rows rank 1st and 3rd.
    assert figures["finding_ap"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert figures["label_free_fp"] == pytest.approx(1 / 2)
    assert figures["any_label_recall"] == pytest.approx(1 / 2)


def test_paired_bootstrap_of_identical_models_is_zero_and_of_a_better_one_positive() -> None:
    rng = np.random.default_rng(3)
    gold = rng.random((200, 3)) < 0.15
    noise = rng.random((200, 3))
    good = np.where(gold, 0.6 + 0.4 * noise, 0.5 * noise)
    poor = np.where(gold, 0.3 + 0.7 * noise, 0.8 * noise)
    same = paired_bootstrap_findings(
        gold, (good, good >= 0.5), (good, good >= 0.5), n_resamples=200
    )
    assert all(f["ci_low"] == f["ci_high"] == f["difference"] == 0.0 for f in same.values())
    better = paired_bootstrap_findings(
        gold, (poor, poor >= 0.5), (good, good >= 0.5), n_resamples=200
    )
    assert better["finding_ap"]["ci_low"] > 0
    assert better["label_free_fp"]["ci_high"] < 0


def test_cli_evaluate_compare(models: dict[str, Path], trained: Path) -> None:
    base = ["evaluate", "--data", str(trained / "passages"), "--split", "test", "--compare"]
    args = [*base, str(models["good"]), str(models["worse"])]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 20 and data["model_b"] == str(models["worse"])
    ci = data["bootstrap_core_macro_f1"]
    assert ci["ci_low"] <= ci["difference"] <= ci["ci_high"]
    assert data["core_macro_f1"]["b"] < data["core_macro_f1"]["a"]
    assert data["disagreements"] and data["n_disagreements"] >= 3
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "paired" in shown.stdout and "decided differently" in shown.stdout
    assert "finding AP" in shown.stdout and "any-label recall" in shown.stdout
    assert set(data["bootstrap_findings"]) == {"finding_ap", "label_free_fp", "any_label_recall"}


def test_cli_evaluate_reads_every_data_path(trained: Path, tmp_path: Path) -> None:
    extra = tmp_path / "more.jsonl"
    write_passages(
        [replace(p, id=f"more-{i}", split="test") for i, p in enumerate(sample_passages()[:3])],
        extra,
    )
    args = ["evaluate", "--model", str(trained / "run"), "--split", "test", "--json"]
    one = runner.invoke(app, [*args, "--data", str(trained / "passages")])
    both = runner.invoke(app, [*args, "--data", str(trained / "passages"), "--data", str(extra)])
    assert one.exit_code == 0 and both.exit_code == 0, both.output
    assert json.loads(both.stdout)["n"] == json.loads(one.stdout)["n"] + 3


def test_real_sentence_scores_keep_the_text_out_of_the_model_directory(
    trained: Path, tmp_path: Path
) -> None:
    """Committed model directories are read by corpus writers: the real sentences' worst
    errors are kept by id, labels and scores, never by text."""
    from protoscan.training.train import score_real_sentences

    real = tmp_path / "real.jsonl"
    # Gold labels swapped (labelled rows label-free and the other way), so there are errors.
    swapped = [
        replace(p, split=None, labels=() if p.labels else ("delay",), evidence=None)
        for p in sample_passages()
    ]
    write_passages(swapped, real)
    classifier = load_classifier(trained / "run")
    evaluation = score_real_sentences(classifier, real)
    assert evaluation.worst_errors
    texts = {p.text for p in sample_passages()}
    written = json.dumps(evaluation.to_dict(), ensure_ascii=False)
    assert not any(text in written for text in texts)
    ids = {p.id for p in sample_passages()}
    assert all(row["id"] in ids and "gold" in row for row in evaluation.worst_errors)


def test_real_sentences_can_be_left_out_of_every_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A trainer comparing candidates on dev sets PROTOSCAN_SKIP_REAL_DEV=1 so that no run,
    export or ensemble scores the real sentences before the decision."""
    from protoscan.training import train as training

    monkeypatch.setattr(training, "REPO_ROOT", tmp_path / "repo")
    real = tmp_path / "shared" / "realdata" / "labelled" / "jo_ivo_dev.jsonl"
    real.parent.mkdir(parents=True)
    write_passages(sample_passages(), real)
    assert training.real_dev_path() == real
    monkeypatch.setenv("PROTOSCAN_SKIP_REAL_DEV", "1")
    assert training.real_dev_path() is None
    model = tmp_path / "model"
    classifier = LinearClassifier(min_df=1).fit(sample_passages())
    classifier.save(model)
    metrics = training.describe_model(model, real)
    assert metrics["jo_ivo_dev"] is None


def test_prune_keeps_the_newest_runs_of_each_recipe(models: dict[str, Path]) -> None:
    runs, default = models["runs"], models["default"]
    for stamp in ("20260103-000000", "20260104-000000", "20260105-000000"):
        shutil.copytree(models["worse"], runs / f"{stamp}-worse")
    shutil.copytree(models["worse"], runs / "members-by-name")  # a recipe's output
    shutil.copytree(models["worse"], runs / ".pruning-20251231-000000-worse")  # interrupted
    before = sorted(p.name for p in runs.iterdir())
    planned = prune_runs(runs, keep=2, default=default, dry_run=True)
    assert sorted(p.name for p in runs.iterdir()) == before  # a dry run removes nothing
    assert [r.name for r in planned] == [
        ".pruning-20251231-000000-worse",
        "20260102-000000-worse",
        "20260103-000000-worse",
    ]
    assert all(r.size_bytes > 0 for r in planned)
    assert prune_runs(runs, keep=2, default=default) == planned
    assert sorted(p.name for p in runs.iterdir()) == [
        "20260101-000000-good",  # the only run of its recipe, and the default's twin
        "20260104-000000-worse",
        "20260105-000000-worse",
        "members-by-name",
        "not-a-model",
    ]
    # the default's twin is kept even when it is not among the newest
    shutil.copytree(models["good"], runs / "20260106-000000-good")
    removed = prune_runs(runs, keep=1, default=default)
    assert [(r.name, r.recipe) for r in removed] == [("20260104-000000-worse", "worse")]
    assert (runs / "20260101-000000-good").is_dir() and (runs / "20260106-000000-good").is_dir()
    with pytest.raises(ProtoscanError, match="keep"):
        prune_runs(runs, keep=0)


def test_cli_models_prune(models: dict[str, Path]) -> None:
    runs, default = models["runs"], models["default"]
    args = ["models", "prune", "--runs", str(runs), "--default", str(default), "--keep", "1"]
    shutil.copytree(models["worse"], runs / "20260103-000000-worse")
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 20260102-000000-worse" in dry.stderr
    assert (runs / "20260102-000000-worse").is_dir()
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "removed 1 run(s)" in done.stderr
    assert not (runs / "20260102-000000-worse").exists()
    assert runner.invoke(app, [*args[:-1], "0"]).exit_code == 2
    missing = runner.invoke(app, ["models", "prune", "--runs", str(runs / "nowhere")])
    assert missing.exit_code == 1 and "no runs directory" in missing.stderr


def test_cli_evaluate_figures_only_shows_no_row(
    models: dict[str, Path], trained: Path, tmp_path: Path
) -> None:
    rows = [p for p in split_samples() if p.split == "test"]
    base = ["evaluate", "--data", str(trained / "passages"), "--split", "test"]
    compared = ["--compare", str(models["good"]), str(models["worse"])]

    def leaked(text: str) -> list[str]:
        return [p.id for p in rows if p.id in text or p.text[:40] in text]

    # without the flag the rows are there (so the check below can fail)
    assert leaked(runner.invoke(app, [*base, *compared]).stdout)
    assert leaked(runner.invoke(app, [*base, "--model", str(models["worse"])]).stdout)
    for how in (compared, ["--model", str(models["worse"])]):
        report = tmp_path / f"report-{len(how)}"
        for extra in ([], ["--json"], ["--by", "split", "--report", str(report)]):
            result = runner.invoke(app, [*base, *how, *extra, "--figures-only"])
            assert result.exit_code == 0, result.output
            assert not leaked(result.stdout), (how, extra)
            if "--report" in extra and len(how) == 2:  # one model: says where the report went
                assert "report written to" in result.stderr
        written = "".join(f.read_text() for f in report.glob("*.json"))
        assert written and not leaked(written)
    data = json.loads(runner.invoke(app, [*base, *compared, "--json", "--figures-only"]).stdout)
    assert data["disagreements"] == [] and data["n_disagreements"] >= 3
    assert data["a"]["worst_errors"] == [] == data["b"]["worst_errors"]
