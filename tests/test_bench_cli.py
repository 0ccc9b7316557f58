"""The bench refuses bad arguments before it measures anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

run = pytest.importorskip("bench.run")


def _message(output: str) -> str:
    """The error text without the panel's borders and line wrapping."""
    return " ".join(output.replace("│", " ").split())


def test_out_that_is_a_folder_is_refused_up_front(tmp_path: Path) -> None:
    result = CliRunner().invoke(run.app, ["--only", "startup", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in _message(result.output)
    assert not list(tmp_path.iterdir())


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        run.app, ["--only", "startup,speed", "--out", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 2
    assert "speed" in _message(result.output)
    assert not (tmp_path / "r.json").exists()
