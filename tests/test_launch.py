"""The entry point starts a local scan's fork server from the bare command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from protoscan.launch import local_scan_model


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("models/default", "models/linear", "cascade"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "config.json").write_text("{}", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["scan", "arkiv", "--out", "r.jsonl"], "models/default"),
        (["--debug", "-v", "scan", "arkiv"], "models/default"),
        (["scan", "arkiv", "--model", "models/linear"], "models/linear"),
        (["scan", "arkiv", "--model=models/linear", "--workers", "2"], "models/linear"),
        (["scan", "arkiv", "--cascade", "cascade", "--model", "models/linear"], "cascade"),
        (["scan", "arkiv", "--backend", "local"], "models/default"),
        (["scan", "arkiv", "--backend=dask", "--scheduler", "tcp://h:8786"], None),
        (["scan", "--help"], None),
        (["scan", "arkiv", "--model", "saknas"], None),  # the scan command reports it
        (["scan", "arkiv", "--model"], None),
        (["screen", "utkast.pdf"], None),
        (["--version"], None),
        ([], None),
        (["scan", "--", "--help"], "models/default"),
    ],
)
def test_only_a_local_scan_with_a_model_directory_starts_early(
    models: Path, args: list[str], expected: str | None
) -> None:
    found = local_scan_model(args)
    assert (str(found) if found is not None else None) == expected


def test_the_fork_server_starts_without_the_batch_package_or_package_metadata() -> None:
    """What the launcher imports before the fork server starts is on the way to a scan's first
    result: it must stay small (the batch package and ``importlib.metadata`` are not needed)."""
    import subprocess
    import sys

    code = (
        "import sys, protoscan.launch, protoscan.fork_server, protoscan.classify.model_dir\n"
        "print(sorted(m for m in ('protoscan.batch', 'importlib.metadata') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
