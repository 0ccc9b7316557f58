"""SHA-256 of files, read in chunks: document keys, model provenance, base checkpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["file_sha256", "files_sha256"]

_CHUNK = 1 << 20


def files_sha256(paths: Iterable[Path]) -> str:
    """SHA-256 of the files' bytes, one after another, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (the key of the result store)."""
    return files_sha256([path])
