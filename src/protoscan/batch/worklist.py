"""The scan work list: which files to read, in a deterministic order, and their content hash."""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable
from pathlib import Path

from protoscan.errors import IngestError, InputNotFoundError

__all__ = ["DOCUMENT_SUFFIXES", "collect_inputs", "file_sha256"]

#: File suffixes a scan picks up from folders (lower case).
DOCUMENT_SUFFIXES: tuple[str, ...] = (".pdf", ".docx", ".html", ".xhtml", ".htm", ".txt")

_CHUNK = 1 << 20


def _matches(path: Path, glob: str | None) -> bool:
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        return False
    return glob is None or fnmatch.fnmatch(path.name, glob) or path.match(glob)


def collect_inputs(paths: Iterable[Path | str], *, glob: str | None = None) -> list[Path]:
    """List the document files under ``paths``, each once, in a stable order.

    Folders are searched recursively for ``DOCUMENT_SUFFIXES``; a file named directly is
    taken whatever its suffix (ingestion reports an unsupported one as a failure). Hidden
    files and folders (``.name``) inside folders are skipped.

    Args:
        paths: Files and folders, as given on the command line.
        glob: Keep only files whose name (or relative path) matches this pattern, e.g.
            ``"*2023*.pdf"``; applies to files found in folders.

    Returns:
        Paths as given joined with the relative path found, sorted within each argument,
        without repeats.

    Raises:
        InputNotFoundError: A path does not exist.
        IngestError: Nothing to scan was found.

    Example:
        >>> collect_inputs(["arkiv/"], glob="*.pdf")  # doctest: +SKIP
        [PosixPath('arkiv/2019/beslut-1.pdf'), PosixPath('arkiv/2020/beslut-2.pdf')]
    """
    found: list[Path] = []
    seen: set[Path] = set()
    given = [Path(p) for p in paths]
    for root in given:
        if root.is_dir():
            candidates = sorted(
                p
                for p in root.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
                and _matches(p, glob)
            )
        elif root.exists():
            candidates = [root]
        else:
            raise InputNotFoundError(root)
        for path in candidates:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append(path)
    if not found:
        where = ", ".join(str(p) for p in given) or "(no paths given)"
        raise IngestError(
            None,
            f"no documents to scan in {where}"
            + (f" matching {glob!r}" if glob else "")
            + f"; protoscan reads {', '.join(DOCUMENT_SUFFIXES)} files",
        )
    return found


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (the key of the result store)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
