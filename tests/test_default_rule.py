"""The rule for replacing the default, kept in the repository: loading, pinning, judging."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passage_samples import split_samples
from protoscan.cli import app
from protoscan.corpus.schema import write_passages
from protoscan.errors import ConfigError, DataError, ProtoscanError
from protoscan.training.default_rule import check_rule, fingerprint, load_rule, set_rows
from protoscan.training.runs import promote_run, same_model
from protoscan.training.train import TrainConfig, train

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A corpus file and a model trained on it, with two worse copies."""
    root = tmp_path_factory.mktemp("rule")
    corpus = root / "sample.jsonl"
    write_passages(split_samples(), corpus)
    config = TrainConfig(
        name="tiny", backend="linear", params={"min_df": 1}, evaluate_real_dev=False
    )
    train(config, passages=split_samples(), run_dir=root / "good")

    def with_thresholds(name: str, edit) -> Path:
        path = root / name
        shutil.copytree(root / "good", path)
        config = json.loads((path / "config.json").read_text())
        edit(config)
        (path / "config.json").write_text(json.dumps(config))
        return path

    # Blind to one label: lower core F1, no more false findings.
    deaf = with_thresholds(
        "deaf", lambda c: c["thresholds"].__setitem__(c["labels"].index("child_perspective"), 1.01)
    )
    # Every passage given every label: as many false findings as there can be.
    eager = with_thresholds("eager", lambda c: c.update(thresholds=[0.0] * len(c["labels"])))
    return {"root": root, "corpus": corpus, "good": root / "good", "deaf": deaf, "eager": eager}


def _write_rule(path: Path, corpus: Path, *, margin: float = 0.0, sha: str | None = None) -> Path:
    pin = f'sha256 = "{sha}"\n' if sha else ""
    path.write_text(
        f"""max_size_mb = 80
written = "2026-12-05"
[sets.sample]
files = ["{corpus}"]
splits = ["dev", "test"]
{pin}
[[checks]]
set = "sample"
split = "dev"
figure = "core_macro_f1"
margin = {margin}

[[checks]]
set = "sample"
figure = "label_free_rate"
"""
    )
    return path


def test_the_committed_rule_still_names_the_rows_it_was_written_on() -> None:
    rule = load_rule(REPO / "training" / "rules" / "default.toml")
    assert {c.figure for c in rule.checks} >= {"core_macro_f1", "label_free_rate", "finding_ap"}
    for rule_set in rule.sets.values():
        assert rule_set.sha256 is not None, rule_set.name
        rows = set_rows(rule_set, root=REPO)
        assert fingerprint(rows) == rule_set.sha256, f"set {rule_set.name} changed"


def test_fingerprint_changes_with_a_label_a_word_or_a_split() -> None:
    rows = split_samples()
    base = fingerprint(rows)
    assert fingerprint(list(reversed(rows))) == base  # order does not matter
    first = rows[0]
    for changed in (
        replace(first, labels=frozenset({"delay"}) ^ frozenset(first.labels)),
        replace(first, text=first.text + " Ett ord till."),
        replace(first, split="test"),
    ):
        assert fingerprint([changed, *rows[1:]]) != base


def test_a_model_passes_against_itself_and_a_worse_one_fails_where_it_is_worse(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    rule = load_rule(_write_rule(tmp_path / "rule.toml", tiny["corpus"]))
    same = check_rule(tiny["good"], tiny["good"], rule)
    assert same.passed and same.rows == {"sample": 40}
    assert all(r.candidate == r.default for r in same.results)

    deaf = check_rule(tiny["deaf"], tiny["good"], rule)
    core, label_free = deaf.results
    assert not core.passed and core.candidate < core.default == core.bar
    assert label_free.passed and not deaf.passed

    eager = check_rule(tiny["eager"], tiny["good"], rule)
    assert eager.results[1].candidate == 1.0 and not eager.results[1].passed
    assert eager.results[1].bar == eager.results[1].default < 1.0


def test_a_margin_lets_a_run_be_that_much_worse(tiny: dict[str, Path], tmp_path: Path) -> None:
    strict = check_rule(
        tiny["deaf"], tiny["good"], load_rule(_write_rule(tmp_path / "a.toml", tiny["corpus"]))
    )
    gap = strict.results[0].default - strict.results[0].candidate
    loose = load_rule(_write_rule(tmp_path / "b.toml", tiny["corpus"], margin=round(gap + 0.01, 4)))
    assert check_rule(tiny["deaf"], tiny["good"], loose).passed
    tight = load_rule(_write_rule(tmp_path / "c.toml", tiny["corpus"], margin=round(gap - 0.01, 4)))
    assert not check_rule(tiny["deaf"], tiny["good"], tight).passed


def test_a_set_whose_rows_changed_is_refused(tiny: dict[str, Path], tmp_path: Path) -> None:
    rows = [r for r in split_samples() if r.split in ("dev", "test")]
    pinned = _write_rule(tmp_path / "pinned.toml", tiny["corpus"], sha=fingerprint(rows))
    assert check_rule(tiny["good"], tiny["good"], load_rule(pinned)).passed
    stale = _write_rule(tmp_path / "stale.toml", tiny["corpus"], sha="0" * 64)
    with pytest.raises(DataError, match="rows changed since the rule was written"):
        check_rule(tiny["good"], tiny["good"], load_rule(stale))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[checks]]\nset = 's'\nfigure = 'core_macro_f1'\n", "at least one \\[sets.NAME\\]"),
        ("[sets.s]\nfiles = ['x.jsonl']\n", "at least one \\[\\[checks\\]\\]"),
        ("[sets.s]\nfiles = ['x']\n[[checks]]\nset = 't'\nfigure = 'finding_ap'\n", "set 't'"),
        ("[sets.s]\nfiles = ['x']\n[[checks]]\nset = 's'\nfigure = 'accuracy'\n", "'accuracy'"),
        (
            "[sets.s]\nfiles = ['x']\nsplits = ['dev']\n[[checks]]\nset = 's'\nsplit = 'test'\n"
            "figure = 'finding_ap'\n",
            "split 'test'",
        ),
        (
            "[sets.s]\nfiles = ['x']\n[[checks]]\nset = 's'\nfigure = 'finding_ap'\nmargin = -1\n",
            "margin must be a number ≥ 0",
        ),
        ("[sets.s]\nfiles = ['x']\nsplits = ['holdout']\n", "unknown split"),
        ("sets = [", "invalid TOML"),
    ],
)
def test_a_bad_rule_file_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "rule.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_rule(path)


def test_cli_models_check_exits_0_on_a_pass_3_on_a_fail_and_1_on_an_error(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    rule = _write_rule(tmp_path / "rule.toml", tiny["corpus"])
    args = ["models", "check", "--rule", str(rule), "--default", str(tiny["good"])]
    passed = runner.invoke(app, [*args, str(tiny["good"]), "--json"])
    assert passed.exit_code == 0, passed.output
    verdict = json.loads(passed.stdout)
    assert verdict["passed"] and [c["figure"] for c in verdict["checks"]] == [
        "core_macro_f1",
        "label_free_rate",
    ]
    failed = runner.invoke(app, [*args, str(tiny["deaf"])])
    assert failed.exit_code == 3, failed.output
    assert "FAIL" in failed.stdout and "fails" in failed.stderr
    assert "(written 2026-12-05)" in " ".join(failed.stderr.split())
    missing = runner.invoke(
        app, [*args[:2], "--rule", str(tmp_path / "none.toml"), str(tiny["good"])]
    )
    assert missing.exit_code == 1 and "no such rule file" in missing.stderr


def test_promote_with_a_rule_refuses_a_run_that_fails_it(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    rule = _write_rule(tmp_path / "rule.toml", tiny["corpus"])
    default = tmp_path / "default"
    shutil.copytree(tiny["good"], default)
    # The deaf copy keeps the good run's stored test metrics, so only the rule can catch it.
    with pytest.raises(ProtoscanError, match=r"fails .*rule.toml: sample dev core_macro_f1"):
        promote_run(tiny["deaf"], default=default, data=tiny["corpus"], rule=rule)
    assert same_model(tiny["good"], default)
    assert promote_run(tiny["deaf"], default=default, data=tiny["corpus"]).promoted
    # Against the deaf default the good run passes the rule and is promoted.
    assert promote_run(tiny["good"], default=default, data=tiny["corpus"], rule=rule).promoted
    assert same_model(tiny["good"], default)
