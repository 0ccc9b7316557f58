"""``scan --explain``: cue words in the result records, and a scan without it unchanged; the
worker start-up (fork-server preload, fingerprint of nested model directories, spaCy
loaded off the document's clock)."""

from __future__ import annotations

import importlib.machinery
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from protoscan.batch import PASSAGE_FIELDS, ScanOptions, read_results, run_scan
from protoscan.batch import records as scan_records
from protoscan.batch.records import pseudonymise_records
from protoscan.batch.store import journal_path, write_results
from protoscan.batch.task import model_fingerprint
from protoscan.cli import app
from protoscan.errors import ConfigError
from protoscan.fork_server import preload_modules
from protoscan.privacy import Pseudonymiser
from protoscan.render.report import build_report

DECISION = """Beslut

Socialnämnden i Gnesta kommun har den 3 mars 2021 beslutat att inte inleda utredning.

Bedömning

Beslutet saknar helt motivering och lagrum anges inte heller.

Samtalet med fadern har inte dokumenterats i akten.

Handläggaren har haft två enskilda samtal med barnet.
"""


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def scans(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same folder scanned without and with ``--explain`` (the latter by the CLI)."""
    root = tmp_path_factory.mktemp("explain")
    folder = root / "in"
    folder.mkdir()
    (folder / "beslut.txt").write_text(DECISION, encoding="utf-8")
    plain = root / "plain.jsonl"
    run_scan([folder], plain, ScanOptions(model=model_dir, workers=1))
    explained = root / "explained.jsonl"
    result = CliRunner().invoke(
        app,
        ["scan", str(folder), "--out", str(explained), "--model", str(model_dir),
         "--workers", "1", "--explain"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"folder": folder, "plain": plain, "explained": explained}


def test_cues_point_at_the_words_behind_each_label(scans: dict[str, Path]) -> None:
    passages = read_results(scans["explained"], record="passage")
    by_text = {p["text"]: p for p in passages}
    reasoning = by_text["Beslutet saknar helt motivering och lagrum anges inte heller."]
    assert "reasoning" in reasoning["labels"]
    assert reasoning["cues"]["reasoning"][0] == "motivering"
    documentation = by_text["Samtalet med fadern har inte dokumenterats i akten."]
    assert "dokumenterats" in documentation["cues"]["documentation"]
    for passage in passages:
        if not passage["labels"]:
            assert passage["cues"] is None
        else:  # every label listed, words only for the labels the passage carries
            assert {k for k, v in passage["cues"].items() if v is not None} == set(
                passage["labels"]
            )
    manifest = json.loads(Path(f"{scans['explained']}.manifest.json").read_text("utf-8"))
    assert manifest["explained"] is True


def test_a_scan_without_explain_is_unchanged(scans: dict[str, Path]) -> None:
    plain, explained = _lines(scans["plain"]), _lines(scans["explained"])
    assert all("cues" not in row for row in plain)
    assert all(tuple(row) == PASSAGE_FIELDS for row in plain if row["record"] == "passage")
    # The cue words are the only difference: nothing else moves.
    assert [{k: v for k, v in row.items() if k != "cues"} for row in explained] == plain
    header = json.loads(journal_path(scans["plain"]).read_text("utf-8").splitlines()[0])
    assert "explain" not in header


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_cues_survive_every_result_format(
    scans: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    records = read_results(scans["explained"])
    labels = list(records[0]["label_counts"])
    out = tmp_path / f"r{suffix}"
    write_results([records], out, labels, explain=True)
    assert read_results(out) == records
    write_results([read_results(scans["plain"])], out, labels)
    assert read_results(out) == read_results(scans["plain"])


def test_resuming_with_another_explain_setting_is_refused(
    scans: dict[str, Path], model_dir: Path
) -> None:
    for out, explain in ((scans["plain"], True), (scans["explained"], False)):
        with pytest.raises(ConfigError, match="--explain"):
            run_scan([scans["folder"]], out, ScanOptions(model=model_dir, explain=explain))
    # The same setting resumes: nothing is processed again.
    summary = run_scan(
        [scans["folder"]], scans["explained"], ScanOptions(model=model_dir, explain=True)
    )
    assert summary.processed == 0 and summary.skipped == 1


def test_cue_words_are_pseudonymised_with_the_text() -> None:
    record = {
        "record": "passage",
        "text": "Anna Berg 811218-9876 saknar motivering.",
        "cues": {"reasoning": ["811218-9876", "motivering"], "delay": None},
    }
    (clean,) = pseudonymise_records([record], Pseudonymiser(b"k" * 32), record["text"])
    assert "811218-9876" not in json.dumps(clean)
    assert clean["cues"]["reasoning"][1] == "motivering" and clean["cues"]["delay"] is None


def test_the_report_shows_the_cue_words(scans: dict[str, Path]) -> None:
    html = build_report(read_results(scans["explained"]))
    assert "ledord: motivering" in html
    assert "ledord:" not in build_report(read_results(scans["plain"]))


# -- start-up ------------------------------------------------------------------------------


def test_an_ensemble_preloads_its_members_and_fingerprints_their_files(
    model_dir: Path, tmp_path: Path
) -> None:
    from passage_samples import sample_passages
    from protoscan.classify.ensemble import EnsembleClassifier

    ensemble = tmp_path / "ensemble"
    EnsembleClassifier(members=[model_dir, model_dir]).fit(sample_passages()).save(ensemble)
    modules = preload_modules(ensemble)
    assert "protoscan.classify.ensemble" in modules and "protoscan.classify.linear" in modules
    assert not {"spacy", "torch", "protoscan.batch.preload"} & set(modules)
    before = model_fingerprint(ensemble)["fingerprint"]
    (ensemble / "member-1" / "metrics.json").write_text("{}", encoding="utf-8")
    assert model_fingerprint(ensemble)["fingerprint"] == before  # does not predict
    weights = next(p for p in (ensemble / "member-1").iterdir() if p.suffix == ".safetensors")
    weights.write_bytes(weights.read_bytes() + b"\0")
    assert model_fingerprint(ensemble)["fingerprint"] != before


def test_workers_do_not_rerun_the_console_script(monkeypatch: pytest.MonkeyPatch) -> None:
    import types
    from multiprocessing import spawn

    from protoscan.launch import mark_launcher_main

    launcher = types.ModuleType("__main__")
    launcher.__spec__ = None
    launcher.__file__ = "/usr/local/bin/protoscan"
    monkeypatch.setitem(sys.modules, "__main__", launcher)
    assert spawn.get_preparation_data("w")["init_main_from_path"] == launcher.__file__
    mark_launcher_main()
    data = spawn.get_preparation_data("w")
    # A spec named ``….__main__`` is one a worker does not import again.
    assert data["init_main_from_name"] == "protoscan.__main__"
    assert "init_main_from_path" not in data

    script = types.ModuleType("__main__")  # run as `python -m something`: left alone
    script.__spec__ = importlib.machinery.ModuleSpec("something.__main__", None)
    monkeypatch.setitem(sys.modules, "__main__", script)
    mark_launcher_main()
    assert script.__spec__.name == "something.__main__"


def test_worker_warm_up_leaves_spacy_to_the_documents_that_need_it(model_dir: Path) -> None:
    code = (
        "import sys; from protoscan.batch.task import warm_up; "
        "from protoscan.classify.model_dir import load_classifier; "
        f"warm_up(load_classifier({str(model_dir)!r})); print('spacy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_the_sentence_splitter_is_set_up_off_the_documents_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from protoscan.structure import segment

    built: list[bool] = []

    def slow_nlp() -> None:
        time.sleep(0.6)  # longer than the document's whole limit below
        built.append(True)

    slow_nlp.cache_info = lambda: SimpleNamespace(currsize=len(built))  # type: ignore[attr-defined]
    monkeypatch.setattr(segment, "get_nlp", slow_nlp)
    with scan_records._deadline(0.4):
        scan_records._prepare_sentence_splitter("Kort stycke.\n\nEtt till.")
        assert not built  # short paragraphs need no sentence splitter
        scan_records._prepare_sentence_splitter("ord " * 400)
    assert built == [True]
