"""``protoscan scan --backend dask``: the same documents on dask.distributed, the same results.

A ``LocalCluster`` of two single-threaded worker processes stands in for a real cluster
(it talks over loopback TCP, which the test suite allows).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from protoscan.batch import ScanOptions, read_results, run_scan
from protoscan.batch.store import journal_path, manifest_path
from protoscan.errors import ConfigError, ModelLoadError

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
CORPUS_DOCS = REPO / "corpora" / "documents"


@pytest.fixture(scope="module")
def cluster() -> object:
    with distributed.LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address="127.0.0.1:0",
        silence_logs=40,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TXT, DOCX, PDF and HTML decisions, one broken file, one duplicate, one subfolder."""
    from protoscan.corpus.render import render_docx, render_pdf

    root = tmp_path_factory.mktemp("arkiv")
    for name in ("doc-jo-01.txt", "doc-ivo-01.txt", "doc-mun-01.txt", "doc-sarah-01.txt"):
        shutil.copy(CORPUS_DOCS / name, root / name)
    (root / "2020").mkdir()
    shutil.copy(CORPUS_DOCS / "doc-jo-04.txt", root / "2020" / "jo-04.txt")
    shutil.copy(CORPUS_DOCS / "doc-jo-04.txt", root / "2020" / "kopia.txt")
    text = (CORPUS_DOCS / "doc-jo-02.txt").read_text(encoding="utf-8")
    render_docx(text, root / "jo-02.docx")
    render_pdf((CORPUS_DOCS / "doc-ivo-02.txt").read_text(encoding="utf-8"), root / "ivo-02.pdf")
    (root / "trasig.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<")
    return root


@pytest.fixture(scope="module")
def local_run(archive: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "resultat.jsonl"
    run_scan([archive], out, ScanOptions(model=model_dir, workers=2))
    return out


def _manifest(out: Path) -> dict:
    return json.loads(manifest_path(out).read_text(encoding="utf-8"))


def test_dask_results_are_byte_identical_to_local(
    archive: Path, model_dir: Path, cluster: object, local_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resultat.jsonl"
    options = ScanOptions(model=model_dir, backend="dask", scheduler=cluster.scheduler_address)
    summary = run_scan([archive], out, options)
    assert out.read_bytes() == local_run.read_bytes()
    assert summary.processed == 8 and summary.duplicates == 1
    local, dask = _manifest(local_run), _manifest(out)
    assert dask["errors"] == local["errors"]
    assert [e["type"] for e in dask["errors"]] == ["IngestError"]
    assert (dask["backend"], dask["scheduler"]) == ("dask", cluster.scheduler_address)
    assert dask["done"] == local["done"] == 7

    again = run_scan([archive], out, options)  # resumes from the journal like a local scan
    assert again.processed == 0 and out.read_bytes() == local_run.read_bytes()


def test_a_scan_started_locally_can_finish_on_dask(
    archive: Path, model_dir: Path, cluster: object, local_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resultat.jsonl"
    first = run_scan([archive / "2020"], out, ScanOptions(model=model_dir, workers=1))
    assert first.processed == 1
    options = ScanOptions(
        model=model_dir, backend="dask", scheduler=cluster.scheduler_address, pseudonymize=False
    )
    summary = run_scan([archive], out, options)
    assert summary.skipped == 1 and summary.processed == 7
    assert out.read_bytes() == local_run.read_bytes()


def test_pseudonyms_are_the_same_on_every_worker(
    model_dir: Path, cluster: object, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = "Beslut\n\nModern Anna Svensson, 811218-9876, har inte hörts av nämnden.\n\n"
    for i in range(4):
        (folder / f"{i}.txt").write_text(text + f"Ärende {i}.", encoding="utf-8")
    local_out, dask_out = tmp_path / "lokal.jsonl", tmp_path / "dask.jsonl"
    run_scan([folder / "0.txt"], local_out, ScanOptions(model=model_dir, pseudonymize=True))
    shutil.copy(journal_path(local_out), journal_path(dask_out))  # the same key
    options = ScanOptions(
        model=model_dir, backend="dask", scheduler=cluster.scheduler_address, pseudonymize=True
    )
    summary = run_scan([folder], dask_out, options)
    assert summary.processed == 3 and summary.skipped == 1
    passages = read_results(dask_out, record="passage")
    openings = {p["text"].split(",")[0] for p in passages if p["text"].startswith("Modern")}
    assert len(openings) == 1 and "Svensson" not in openings.pop()
    assert not any("811218" in p["text"] for p in passages)


def test_default_backend_starts_and_stops_its_own_cluster(
    archive: Path, model_dir: Path, local_run: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from protoscan.cli import app

    out = tmp_path / "resultat.jsonl"
    result = CliRunner().invoke(
        app,
        ["scan", str(archive), "--out", str(out), "--model", str(model_dir),
         "--backend", "dask", "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the broken PDF
    assert out.read_bytes() == local_run.read_bytes()
    assert _manifest(out)["scheduler"] is None


def test_a_stuck_document_is_stopped_and_recorded(
    model_dir: Path, cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from protoscan.batch import task

    folder = tmp_path / "in"
    folder.mkdir()
    text = (CORPUS_DOCS / "doc-jo-05.txt").read_text(encoding="utf-8")
    (folder / "stor.txt").write_text("\n\n".join([text] * 300), encoding="utf-8")
    monkeypatch.setattr(task, "HARD_LIMIT_GRACE", 0.2)  # the parent's limit: 0.3 + 0.2 s
    options = ScanOptions(model=model_dir, backend="dask", scheduler=cluster.scheduler_address)
    started = time.monotonic()
    summary = run_scan(
        [folder], tmp_path / "r.jsonl", ScanOptions(**{**vars(options), "timeout": 0.3})
    )
    assert time.monotonic() - started < 30
    (failure,) = summary.failures
    assert failure["code"] == "limit_exceeded" and "dask cluster" in failure["message"]


def test_bad_settings_are_refused(model_dir: Path, cluster: object, tmp_path: Path) -> None:
    from protoscan.batch.distributed import _prepare

    with pytest.raises(ConfigError, match="--backend dask"):
        ScanOptions(model=model_dir, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ConfigError, match="backend"):
        ScanOptions(model=model_dir, backend="spark")
    with (
        distributed.Client(cluster.scheduler_address) as client,
        pytest.raises(ModelLoadError, match="different model"),
    ):
        _prepare(client, str(model_dir.resolve()), "0" * 64)
