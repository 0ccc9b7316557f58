"""The bench measures the run the shipped default was exported from, even after a rename."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

tagging = pytest.importorskip("bench.tagging")

from protoscan.classify.onnx_backend import weights_sha256  # noqa: E402


def _run(path: Path, weights: bytes, *, mtime: float) -> Path:
    (path / "encoder").mkdir(parents=True)
    (path / "encoder" / "model.safetensors").write_bytes(weights)
    (path / "config.json").write_text(json.dumps({"backend": "transformer"}))
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tagging, "REPO", tmp_path)
    monkeypatch.setattr(tagging, "MODELS", tmp_path / "models")
    return tmp_path / "models"


def _default_with_member(models: Path, source: dict[str, str]) -> None:
    member = models / "default" / "member-1"
    member.mkdir(parents=True)
    (models / "default" / "config.json").write_text(json.dumps({"backend": "ensemble"}))
    (member / "config.json").write_text(json.dumps({"backend": "onnx", "source": source}))


def test_renamed_source_run_is_found_by_its_weights(models: Path) -> None:
    shipped = _run(models / "runs" / "renamed", b"shipped weights", mtime=1_000)
    _run(models / "runs" / "newer-experiment", b"other weights", mtime=2_000)
    _default_with_member(
        models,
        {
            "path": "models/runs/old-name",
            "backend": "transformer",
            "weights_sha256": weights_sha256(shipped / "encoder"),
        },
    )
    assert tagging.find_model("transformer") == shipped


def test_without_a_matching_run_the_newest_run_is_used(models: Path) -> None:
    _run(models / "runs" / "older", b"a", mtime=1_000)
    newest = _run(models / "runs" / "newest", b"b", mtime=2_000)
    _default_with_member(
        models, {"path": "models/runs/gone", "backend": "transformer", "weights_sha256": "0" * 64}
    )
    assert tagging.find_model("transformer") == newest
