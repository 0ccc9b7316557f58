"""Crash safety: ``protoscan scan`` killed with SIGKILL again and again, then resumed.

The scan runs as a real subprocess (with its fork server and worker) and is killed at
seeded random moments: while starting, while processing, and around the final write of the
result file. After every kill the journal must load, an existing result file must be whole,
and the next run must carry on; at the end every document is in the results exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protoscan.batch import read_results
from protoscan.batch.store import journal_path, manifest_path

REPO = Path(__file__).resolve().parents[1]
CORPUS_DOCS = REPO / "corpora" / "documents"
N_DOCUMENTS = 25
SEED = 8
#: What each killed run waits for before the kill; the delays come from ``SEED``.
KILL_PLAN = ("processing", "starting", "processing", "final_write")


def _journal_state(journal: Path) -> tuple[list[str], int]:
    """sha256 of the complete document lines, and the bytes of an unfinished last line."""
    if not journal.exists():
        return [], 0
    data = journal.read_bytes()
    complete, _, tail = data.rpartition(b"\n")
    lines = complete.split(b"\n") if complete else []
    if lines:
        assert json.loads(lines[0])["kind"] == "header"
    done = []
    for line in lines[1:]:
        entry = json.loads(line)  # every complete line parses
        assert entry["kind"] == "document", entry.get("message")
        done.append(entry["sha256"])
    return done, len(tail)


def _assert_results_whole(out: Path) -> int:
    """A result file that exists is complete: each document with all its passages."""
    if not out.exists():
        return 0
    records = read_results(out)
    documents = [r for r in records if r["record"] == "document"]
    for document in documents:
        passages = [r for r in records if r["sha256"] == document["sha256"]][1:]
        assert len(passages) == document["n_passages"]
    return len(documents)


def _wait_and_kill(
    process: subprocess.Popen, plan: str, out: Path, rng: random.Random, done_before: int
) -> str:
    """Wait for ``plan``'s moment, then SIGKILL the scan's whole process group."""
    journal = journal_path(out)
    deadline = time.monotonic() + 90
    if plan == "starting":
        time.sleep(rng.uniform(0.3, 2.0))
        what = "during start-up"
    elif plan == "processing":
        target = done_before + rng.randint(1, 5)
        while time.monotonic() < deadline and process.poll() is None:
            if len(_journal_state(journal)[0]) >= target:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))
        what = f"after document {target} was journalled"
    else:  # the final write: the moment its temporary file appears, or just after
        pattern = f".{out.name}.*.tmp"
        extra = rng.uniform(0.0, 0.05)
        finished_at = None
        what = "after the journal was complete"
        while time.monotonic() < deadline and process.poll() is None:
            if any(out.parent.glob(pattern)):
                what = "while the result file was being written"
                break
            if len(_journal_state(journal)[0]) == N_DOCUMENTS:
                finished_at = finished_at or time.monotonic()
                if time.monotonic() - finished_at > extra:
                    break
            time.sleep(0.001)
    if process.poll() is not None:
        return "finished before the kill"
    os.killpg(process.pid, signal.SIGKILL)  # the scan, its fork server and its worker
    return what


def test_repeated_sigkill_then_resume_keeps_every_document_once(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, source in enumerate(sorted(CORPUS_DOCS.glob("*.txt"))[:N_DOCUMENTS]):
        text = source.read_text(encoding="utf-8")
        (folder / f"beslut-{i:02d}.txt").write_text("\n\n".join([text] * 3), encoding="utf-8")
    out = tmp_path / "resultat.jsonl"
    command = [
        sys.executable, "-m", "protoscan", "scan", str(folder), "--out", str(out),
        "--workers", "1", "--model", str(model_dir),
    ]  # fmt: skip
    rng = random.Random(SEED)
    rounds = []
    started = time.monotonic()
    done_before = 0
    for plan in KILL_PLAN:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            what = _wait_and_kill(process, plan, out, rng, done_before)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        done, partial = _journal_state(journal_path(out))
        assert len(done) == len(set(done)), "a document was journalled twice"
        assert len(done) >= done_before
        in_results = _assert_results_whole(out)
        rounds.append((plan, what, done_before, len(done), partial, in_results))
        done_before = len(done)

    final = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    print(f"\n{N_DOCUMENTS} documents, seed {SEED}, {seconds:.1f} s")
    for number, (plan, what, before, after, partial, in_results) in enumerate(rounds, 1):
        print(
            f"kill {number} ({plan}): {what}; journal {before} → {after} done"
            f" (+{partial} bytes unfinished), result file with {in_results} documents"
        )
    assert final.returncode == 0, final.stderr

    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    print(
        f"final run: {manifest['processed_this_run']} processed, "
        f"{manifest['skipped_already_done']} from the journal, "
        f"{manifest['discarded_journal_bytes']} unfinished bytes discarded"
    )
    assert manifest["processed_this_run"] + manifest["skipped_already_done"] == N_DOCUMENTS
    assert manifest["processed_this_run"] == N_DOCUMENTS - done_before
    documents = read_results(out, record="document")
    assert sorted(Path(d["source"]).name for d in documents) == sorted(
        p.name for p in folder.iterdir()
    )
    assert len({d["sha256"] for d in documents}) == N_DOCUMENTS
    assert _assert_results_whole(out) == N_DOCUMENTS
    done, partial = _journal_state(journal_path(out))
    assert partial == 0 and sorted(done) == sorted(d["sha256"] for d in documents)
    assert not list(tmp_path.glob(".resultat.jsonl*.tmp"))  # stale temporaries cleaned up
    assert any(after > before for _, _, before, after, _, _ in rounds)  # kills hit mid-way


# -- the journal under retries and concurrent scans ----------------------------------------

HEADER = {"engine": "pdfplumber", "model": {"backend": "linear", "fingerprint": "f"}}


def _document(sha256: str) -> dict:
    record = {"record": "document", "sha256": sha256, "source": f"{sha256}.txt"}
    return {"kind": "document", "sha256": sha256, "path": f"{sha256}.txt", "records": [record]}


def test_superseded_lines_are_compacted_on_open(tmp_path: Path) -> None:
    from protoscan.batch import Journal
    from protoscan.batch.records import failure_entry

    path = tmp_path / "r.jsonl.journal.jsonl"
    with Journal(path, HEADER) as journal:
        journal.append(failure_entry("a.txt", "a" * 64, ValueError("first try")))
        journal.append(_document("b" * 64))
        journal.append(_document("a" * 64))  # the retry that worked
    assert path.read_text(encoding="utf-8").count("\n") == 4
    with Journal(path, HEADER) as journal:
        assert journal.compacted_lines == 1
        assert [e.kind for e in journal.entries.values()] == ["document", "document"]
        assert journal.read_records(journal.get("a" * 64, "a.txt"))[0]["sha256"] == "a" * 64
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["header", "document", "document"]
    with Journal(path, HEADER) as journal:
        assert journal.compacted_lines == 0


def test_a_second_scan_of_the_same_results_is_refused(tmp_path: Path) -> None:
    from protoscan.batch import Journal
    from protoscan.errors import ConfigError

    path = tmp_path / "r.jsonl.journal.jsonl"
    first = Journal(path, HEADER)
    with pytest.raises(ConfigError, match="another scan is writing this journal"):
        Journal(path, HEADER)
    first.close()
    Journal(path, HEADER).close()  # free again once the first scan is done (or killed)


def test_stale_temporaries_of_killed_writes_are_removed(tmp_path: Path) -> None:
    from protoscan.batch.store import remove_stale_temporaries, write_atomic

    out = tmp_path / "r[1].jsonl"
    (tmp_path / ".r[1].jsonl.4242.tmp").write_text("half a file", encoding="utf-8")
    (tmp_path / ".annan.jsonl.4242.tmp").write_text("not ours", encoding="utf-8")
    assert remove_stale_temporaries(out) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".annan.jsonl.4242.tmp"]
    write_atomic(out, lambda tmp: tmp.write_text("ok", encoding="utf-8"))
    assert out.read_text(encoding="utf-8") == "ok"
