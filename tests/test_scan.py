"""``protoscan scan``: work list, journal, resumability, failures, formats and time limits."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from protoscan.batch import (
    DOCUMENT_FIELDS,
    PASSAGE_FIELDS,
    Journal,
    ScanOptions,
    collect_inputs,
    process_document,
    read_results,
    run_scan,
)
from protoscan.batch import runner as scan_runner
from protoscan.batch import task as scan_task
from protoscan.batch.store import journal_path, manifest_path
from protoscan.cli import app
from protoscan.errors import ConfigError, IngestError, InputNotFoundError, ProtoscanError

REPO = Path(__file__).resolve().parents[1]
CORPUS_DOCS = REPO / "corpora" / "documents"

HTML_DECISION = """<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>Beslut</title></head>
<body>
<h1>Beslut</h1>
<p>Socialnämnden i Gnesta kommun har den 3 mars 2021 beslutat att inte inleda utredning.</p>
<h2>Bedömning</h2>
<p>Nämnden har inte talat med barnet innan beslutet fattades och barnets inställning har inte
klarlagts. Beslutet saknar motivering och lagrum anges inte.</p>
</body></html>
"""


def _corpus_text(name: str) -> str:
    return (CORPUS_DOCS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    """Good TXT/HTML/DOCX/PDF files, an empty file, random bytes named .pdf, a non-document.

    Returns the folder, the good files and the bad files (paths as the scan records them).
    """
    from protoscan.corpus.render import render_docx, render_pdf

    root = tmp_path_factory.mktemp("arkiv")
    good = []
    for name in ("doc-jo-01.txt", "doc-ivo-01.txt", "doc-mun-01.txt"):
        shutil.copy(CORPUS_DOCS / name, root / name)
        good.append(root / name)
    (root / "beslut.html").write_text(HTML_DECISION, encoding="utf-8")
    good.append(root / "beslut.html")
    good.append(render_docx(_corpus_text("doc-jo-02.txt"), root / "jo-02.docx"))
    good.append(render_pdf(_corpus_text("doc-ivo-02.txt"), root / "ivo-02.pdf", header="IVO"))
    (root / "2019").mkdir()
    shutil.copy(CORPUS_DOCS / "doc-sarah-01.txt", root / "2019" / "sarah-01.txt")
    good.append(root / "2019" / "sarah-01.txt")
    (root / "tom.txt").write_bytes(b"")
    (root / "trasig.pdf").write_bytes(os.urandom(4096).replace(b"%PDF-", b"xxxxx"))
    (root / "anteckningar.md").write_text("inte ett beslut", encoding="utf-8")
    (root / ".dold").mkdir()
    shutil.copy(CORPUS_DOCS / "doc-jo-03.txt", root / ".dold" / "jo-03.txt")
    bad = {str(root / "tom.txt"), str(root / "trasig.pdf")}
    return root, {str(p) for p in good}, bad


def _scan_cli(*args: str | Path) -> object:
    return CliRunner().invoke(app, ["scan", *map(str, args)])


@pytest.fixture(scope="module")
def scanned(
    mixed_folder: tuple[Path, set[str], set[str]],
    model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, object]:
    folder, _, _ = mixed_folder
    out = tmp_path_factory.mktemp("out") / "resultat.jsonl"
    result = _scan_cli(folder, "--out", out, "--model", model_dir, "--workers", "2")
    return out, result


def _copy_run(out: Path, target: Path) -> Path:
    """Copy a result file and its journal under a new name (same suffix)."""
    shutil.copy(out, target)
    shutil.copy(journal_path(out), journal_path(target))
    return target


def _documents(path: Path) -> list[dict]:
    return read_results(path, record="document")


# -- work list ----------------------------------------------------------------------------


def test_collect_inputs_finds_documents_recursively(
    mixed_folder: tuple[Path, set[str], set[str]],
) -> None:
    folder, good, bad = mixed_folder
    found = collect_inputs([folder])
    assert {str(p) for p in found} == good | bad  # no .md, nothing under .dold
    assert found == collect_inputs([folder, folder / "tom.txt"])  # each file once
    assert {p.name for p in collect_inputs([folder], glob="*.pdf")} == {"ivo-02.pdf", "trasig.pdf"}
    with pytest.raises(InputNotFoundError):
        collect_inputs([folder / "saknas"])
    with pytest.raises(IngestError, match="no documents to scan"):
        collect_inputs([folder], glob="*.odt")


def test_options_are_validated(model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="workers"):
        ScanOptions(model=model_dir, workers=0)
    with pytest.raises(ConfigError, match="engine"):
        ScanOptions(model=model_dir, engine="tesseract")
    with pytest.raises(ConfigError, match="timeout"):
        ScanOptions(model=model_dir, timeout=0)


def test_process_document_is_importable_and_self_contained(model_dir: Path) -> None:
    result = process_document(CORPUS_DOCS / "doc-jo-01.txt", model=model_dir)
    document, *passages = result["records"]
    assert document["record"] == "document" and document["authority"] == "JO"
    assert document["n_passages"] == len(passages) > 5
    assert set(document["label_counts"]) == set(document["alleged_counts"])
    assert all(p["record"] == "passage" and p["sha256"] == result["sha256"] for p in passages)
    first = passages[0]
    assert first["text"] and first["end_char"] - first["start_char"] == len(first["text"])
    assert first["voice"] and first["page_numbers"] == [1]


# -- a scan over a mixed folder -----------------------------------------------------------


def test_scan_records_every_good_document_once_and_failures(
    scanned: tuple[Path, object], mixed_folder: tuple[Path, set[str], set[str]]
) -> None:
    out, result = scanned
    _, good, bad = mixed_folder
    assert result.exit_code == 1, result.output
    documents = _documents(out)
    assert sorted(d["source"] for d in documents) == sorted(good)
    assert len({d["sha256"] for d in documents}) == len(good)
    records = read_results(out)
    for doc in documents:
        passages = [r for r in records if r["record"] == "passage" and r["sha256"] == doc["sha256"]]
        assert len(passages) == doc["n_passages"] > 0

    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    errors = {e["path"]: e for e in manifest["errors"]}
    assert set(errors) == bad
    assert errors[str(next(p for p in bad if p.endswith("tom.txt")))]["type"] == (
        "EmptyDocumentError"
    )
    broken = errors[next(p for p in bad if p.endswith("trasig.pdf"))]
    assert broken["type"] == "IngestError" and broken["code"] == "ingest_error"
    assert all(e["sha256"] for e in errors.values())
    assert manifest["done"] == len(good) and manifest["failed"] == 2
    assert manifest["inputs"] == len(good) + 2
    assert manifest["model"]["backend"] == "linear" and manifest["model"]["fingerprint"]
    assert manifest["documents_per_second"] > 0
    assert "scikit-learn" in manifest["versions"]
    assert "could not be processed" in result.stderr
    assert "EmptyDocumentError" in result.stderr


def test_sorted_deterministically_without_timestamps(scanned: tuple[Path, object]) -> None:
    out, _ = scanned
    records = read_results(out)
    keys = [(r["sha256"], -1 if r["record"] == "document" else r["start_char"]) for r in records]
    assert keys == sorted(keys)
    for line in out.read_text(encoding="utf-8").splitlines():  # no timing fields in results
        row = json.loads(line)
        assert tuple(row) == (DOCUMENT_FIELDS if row["record"] == "document" else PASSAGE_FIELDS)


def test_rerun_is_byte_identical_and_skips(
    scanned: tuple[Path, object], model_dir: Path, tmp_path: Path
) -> None:
    out, _ = scanned
    copy = _copy_run(out, tmp_path / "resultat.jsonl")
    before = copy.read_bytes()
    journal_before = journal_path(copy).read_bytes()
    folder = Path(_documents(out)[0]["source"]).parent
    if folder.name == "2019":
        folder = folder.parent
    result = _scan_cli(folder, "--out", copy, "--model", model_dir, "--workers", "1")
    assert result.exit_code == 1  # the same two failures, not retried
    assert copy.read_bytes() == before
    assert journal_path(copy).read_bytes() == journal_before
    manifest = json.loads(manifest_path(copy).read_text(encoding="utf-8"))
    assert manifest["processed_this_run"] == 0
    assert manifest["skipped_already_done"] == manifest["inputs"]
    assert manifest["failed"] == 2


def test_retry_failed_processes_only_the_failures(
    scanned: tuple[Path, object],
    mixed_folder: tuple[Path, set[str], set[str]],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    out, _ = scanned
    folder, good, bad = mixed_folder
    copy = _copy_run(out, tmp_path / "resultat.jsonl")
    lines_before = journal_path(copy).read_text(encoding="utf-8").count("\n")
    summary = run_scan([folder], copy, ScanOptions(model=model_dir, workers=1, retry_failed=True))
    assert summary.processed == 2 and summary.skipped == len(good)
    assert {f["path"] for f in summary.failures} == bad
    assert journal_path(copy).read_text(encoding="utf-8").count("\n") == lines_before + 2
    assert copy.read_bytes() == out.read_bytes()


def test_interrupted_journal_is_repaired_and_resumed(
    scanned: tuple[Path, object],
    mixed_folder: tuple[Path, set[str], set[str]],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    out, _ = scanned
    folder, good, _ = mixed_folder
    copy = _copy_run(out, tmp_path / "resultat.jsonl")
    copy.unlink()  # the kill came before the result file was written
    journal = journal_path(copy)
    data = journal.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    journal.write_bytes(data[: last_start + (len(data) - last_start) // 2])  # half a line
    summary = run_scan([folder], copy, ScanOptions(model=model_dir, workers=1))
    assert summary.discarded_bytes > 0
    assert summary.processed == 1 and summary.skipped == len(good) + 1
    assert copy.read_bytes() == out.read_bytes()
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert len(lines) == data.count(b"\n") and all(json.loads(line) for line in lines)
    again = run_scan([folder], copy, ScanOptions(model=model_dir, workers=1))
    assert again.processed == 0 and again.discarded_bytes == 0


def test_formats_agree_and_are_stable(
    scanned: tuple[Path, object],
    mixed_folder: tuple[Path, set[str], set[str]],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    out, _ = scanned
    folder, _, _ = mixed_folder
    outputs = {}
    for suffix in (".parquet", ".csv"):
        target = tmp_path / f"resultat{suffix}"
        shutil.copy(journal_path(out), journal_path(target))
        summary = run_scan([folder], target, ScanOptions(model=model_dir, workers=1))
        assert summary.processed == 0
        first = target.read_bytes()
        run_scan([folder], target, ScanOptions(model=model_dir, workers=1))
        assert target.read_bytes() == first
        outputs[suffix] = read_results(target)
    expected = read_results(out)
    assert outputs[".parquet"] == expected
    assert outputs[".csv"] == expected
    documents = read_results(tmp_path / "resultat.parquet", record="document")
    assert documents == [r for r in expected if r["record"] == "document"]


def test_journal_of_another_model_is_refused(
    scanned: tuple[Path, object],
    mixed_folder: tuple[Path, set[str], set[str]],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    out, _ = scanned
    folder, _, _ = mixed_folder
    other = tmp_path / "annan-modell"
    shutil.copytree(model_dir, other)
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    config["thresholds"] = [0.3] * len(config["thresholds"])
    (other / "config.json").write_text(json.dumps(config), encoding="utf-8")
    copy = _copy_run(out, tmp_path / "resultat.jsonl")
    with pytest.raises(ConfigError, match="different model"):
        run_scan([folder], copy, ScanOptions(model=other, workers=1))
    result = _scan_cli(folder, "--out", copy, "--model", other)
    assert result.exit_code == 1 and "different model" in result.stderr


def test_journal_rejects_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.journal.jsonl"
    path.write_text('{"kind": "document"}\n', encoding="utf-8")
    with pytest.raises(Exception, match="not a protoscan scan journal"):
        Journal(path, {"engine": "pdfplumber", "model": {}})


def test_unknown_result_suffix(
    mixed_folder: tuple[Path, set[str], set[str]], model_dir: Path, tmp_path: Path
) -> None:
    folder, _, _ = mixed_folder
    result = _scan_cli(folder, "--out", tmp_path / "r.xlsx", "--model", model_dir)
    assert result.exit_code == 1 and ".jsonl, .parquet, .csv" in result.stderr


def test_identical_content_is_read_once(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "b").mkdir(parents=True)
    shutil.copy(CORPUS_DOCS / "doc-ivo-05.txt", folder / "a.txt")
    shutil.copy(CORPUS_DOCS / "doc-ivo-05.txt", folder / "b" / "kopia.txt")
    out = tmp_path / "r.csv"
    summary = run_scan([folder], out, ScanOptions(model=model_dir, workers=1))
    assert (summary.inputs, summary.documents, summary.duplicates) == (2, 1, 1)
    assert [d["source"] for d in _documents(out)] == [str(folder / "a.txt")]
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["duplicates"] == [
        {"path": str(folder / "b" / "kopia.txt"), "same_as": str(folder / "a.txt")}
    ]


# -- time limits and crashing workers -----------------------------------------------------


def _misbehaving_work(
    path: str, sha256: str, engine: str, max_pages: int | None, timeout: float | None
) -> dict:
    """Runs in a worker process (pickled by reference): hang in a way SIGALRM cannot
    interrupt, or die, depending on the file name."""
    name = Path(path).name
    if name.startswith("haenger"):
        scan_runner._WORKER["started"].put((sha256, os.getpid()))
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(120)
    if name.startswith("krasch"):
        scan_runner._WORKER["started"].put((sha256, os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return scan_runner._work(path, sha256, engine, max_pages, timeout)


def test_time_limits_and_crashes_do_not_stop_the_batch(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ("doc-jo-04.txt", "doc-ivo-04.txt", "doc-mun-04.txt")
    for name in names:
        shutil.copy(CORPUS_DOCS / name, folder / name)
    text = _corpus_text("doc-jo-05.txt")
    # About 20 s of work here, so it passes the 3 s limit on a much faster machine too.
    (folder / "stor.txt").write_text("\n\n".join([text] * 2400), encoding="utf-8")
    (folder / "haenger.txt").write_text(_corpus_text("doc-jo-06.txt"), encoding="utf-8")
    (folder / "krasch.txt").write_text(_corpus_text("doc-jo-07.txt"), encoding="utf-8")
    monkeypatch.setattr(scan_runner, "_work", _misbehaving_work)
    monkeypatch.setattr(scan_task, "HARD_LIMIT_GRACE", 0.5)

    started = time.monotonic()
    summary = run_scan(
        [folder], tmp_path / "r.jsonl", ScanOptions(model=model_dir, workers=2, timeout=3.0)
    )
    assert time.monotonic() - started < 60
    failures = {Path(f["path"]).name: f for f in summary.failures}
    assert set(failures) == {"stor.txt", "haenger.txt", "krasch.txt"}
    assert failures["stor.txt"]["type"] == "ProcessingLimitError"
    assert "limit per document" in failures["stor.txt"]["message"]
    assert failures["haenger.txt"]["code"] == "limit_exceeded"
    assert "stopped" in failures["haenger.txt"]["message"]
    assert failures["krasch.txt"]["code"] == "worker_crashed"
    documents = _documents(tmp_path / "r.jsonl")
    assert sorted(Path(d["source"]).name for d in documents) == sorted(names)


def test_a_pool_that_breaks_between_two_submits_is_replaced(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker can die after one submit and before the next, so ``submit`` itself raises
    BrokenProcessPool; the scan must treat it as the crash it is, not stop."""
    from concurrent.futures.process import BrokenProcessPool

    folder = tmp_path / "in"
    folder.mkdir()
    names = ("doc-jo-04.txt", "doc-ivo-04.txt", "doc-mun-04.txt")
    for name in names:
        shutil.copy(CORPUS_DOCS / name, folder / name)
    submit = scan_runner._Pool.submit
    calls = {"n": 0}

    def submit_that_finds_the_pool_broken(self, task, options):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise BrokenProcessPool("a child process terminated abruptly")
        return submit(self, task, options)

    monkeypatch.setattr(scan_runner._Pool, "submit", submit_that_finds_the_pool_broken)
    summary = run_scan([folder], tmp_path / "r.jsonl", ScanOptions(model=model_dir, workers=2))
    assert summary.failures == []
    documents = _documents(tmp_path / "r.jsonl")
    assert sorted(Path(d["source"]).name for d in documents) == sorted(names)


def _dying_initializer(*args: object) -> None:
    os._exit(3)  # a worker that cannot start, whatever the document


def test_workers_that_cannot_start_fail_the_scan_not_the_files(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS_DOCS / "doc-jo-08.txt", folder / "a.txt")
    monkeypatch.setattr(scan_runner, "_init_worker", _dying_initializer)
    out = tmp_path / "r.jsonl"
    with pytest.raises(ProtoscanError, match="worker processes die before"):
        run_scan([folder], out, ScanOptions(model=model_dir, workers=1))
    assert journal_path(out).read_text(encoding="utf-8").count("\n") == 1  # header only


# -- a real kill ----------------------------------------------------------------------------


def test_sigkill_mid_scan_then_resume(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    sources = sorted(CORPUS_DOCS.glob("*.txt"))[:20]
    for i, source in enumerate(sources):
        # Several copies of a decision per file make each document take a moment.
        text = source.read_text(encoding="utf-8")
        (folder / f"beslut-{i:02d}.txt").write_text("\n\n".join([text] * 6), encoding="utf-8")
    out = tmp_path / "r.jsonl"
    journal = journal_path(out)
    command = [
        sys.executable, "-m", "protoscan", "scan", str(folder), "--out", str(out),
        "--workers", "1", "--model", str(model_dir),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 2:
                break
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)  # the scan, its fork server and its worker
    finally:
        process.wait(timeout=30)
    done_before = journal.read_bytes().count(b"\n") - 1
    assert 1 <= done_before < len(sources), "the scan was not stopped mid-way"
    assert not out.exists()

    summary = run_scan([folder], out, ScanOptions(model=model_dir, workers=1))
    assert summary.ok
    assert summary.skipped == done_before
    assert summary.processed == len(sources) - done_before
    documents = _documents(out)
    assert sorted(Path(d["source"]).name for d in documents) == sorted(
        p.name for p in folder.iterdir()
    )
    assert len({d["sha256"] for d in documents}) == len(sources)
