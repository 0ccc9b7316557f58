"""The scan work list: which files to read, in a deterministic order, and their content hash.

Folders are walked recursively, following symbolic links to folders but never into a folder
twice, so a link loop (``a/loop -> ..``) ends the walk instead of looping. Links that cannot
be followed (a loop between file links, a dangling link) are not silently dropped: they come
back as ``SkippedPath`` entries, which the scan records as failures with a typed error.

A zip archive stands for the documents in it: each becomes an entry of its own,
``archive.zip!/member.docx``. A corrupt or oversized archive and a nested archive are
skipped paths with their typed error.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from protoscan.errors import IngestError, InputNotFoundError, UnsupportedFormatError
from protoscan.hashing import file_sha256
from protoscan.ingest.archive import ARCHIVE_SUFFIXES, list_archive, split_member_path

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DOCUMENT_SUFFIXES",
    "SkippedPath",
    "WorkList",
    "collect_inputs",
    "collect_work",
    "file_sha256",
]

#: File suffixes a scan picks up from folders (lower case).
#: ``.doc``, ``.rtf`` and ``.odt`` need a converter; without one they fail with a typed error.
DOCUMENT_SUFFIXES: tuple[str, ...] = (
    ".pdf", ".docx", ".doc", ".rtf", ".odt", ".html", ".xhtml", ".htm", ".txt",
)  # fmt: skip
#: Word-processor formats found in a folder walk that protoscan cannot read: reported as
#: failures (so a researcher learns they were left out) rather than silently passed over.
UNREADABLE_DOCUMENT_SUFFIXES: tuple[str, ...] = (".wpd", ".pages")


@dataclass(frozen=True, slots=True)
class SkippedPath:
    """A path found while walking that cannot be read as a document.

    Attributes:
        path: The path as found.
        code: Machine-readable reason: ``"symlink_loop"``, ``"broken_symlink"`` or
            ``"unreadable_folder"``.
        error: The typed error to record (its message names the path).
    """

    path: Path
    code: str
    error: IngestError


@dataclass(frozen=True, slots=True)
class WorkList:
    """The files to scan, in order, and the paths that were found but cannot be read."""

    files: list[Path]
    skipped: list[SkippedPath] = field(default_factory=list)


def _glob_matches(path: Path, glob: str | None) -> bool:
    return glob is None or fnmatch.fnmatch(path.name, glob) or path.match(glob)


def _matches(path: Path, glob: str | None) -> bool:
    """A document the glob selects, or any archive (``--glob`` then selects its members)."""
    suffix = path.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return True
    return suffix in DOCUMENT_SUFFIXES and _glob_matches(path, glob)


def _expand_archive(
    archive: Path, glob: str | None, files: list[Path], skipped: list[SkippedPath]
) -> None:
    """The archive's document members (all of them when the glob names the archive, else
    those it matches); a bad archive or a nested one is a skipped path."""
    try:
        listing = list_archive(archive, DOCUMENT_SUFFIXES)
    except IngestError as error:
        skipped.append(SkippedPath(archive, error.code, error))
        return
    whole = glob is None or _glob_matches(archive, glob)
    files.extend(m for m in listing.members if whole or _glob_matches(m, glob))
    skipped.extend(
        SkippedPath(path, error.code, error)
        for path, error in listing.refused
        if whole or _glob_matches(path, glob)
    )


def _link_problem(path: Path, error: OSError) -> SkippedPath:
    if error.errno == errno.ELOOP:
        message = "is a symbolic link loop (the links point at each other); fix or remove it"
        return SkippedPath(path, "symlink_loop", IngestError(path, message))
    target = os.readlink(path) if path.is_symlink() else "?"
    message = f"is a symbolic link to {target!r}, which does not exist; fix or remove it"
    return SkippedPath(path, "broken_symlink", IngestError(path, message))


def _walk(root: Path, glob: str | None, files: list[Path], skipped: list[SkippedPath]) -> None:
    """Collect the documents under ``root`` (unsorted) and the paths that cannot be read.

    Folders are identified by device and inode. A link to a folder on the current path is a
    loop (reported); a link into ``root`` itself is left to the real folder's own walk; a
    link to an outside folder is walked once, however many links lead there.
    """
    root_real = root.resolve()
    top = root.stat()
    visited = {(top.st_dev, top.st_ino)}
    stack = [(root, frozenset(visited))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            message = f"folder cannot be listed ({error.strerror or error}); check permissions"
            skipped.append(SkippedPath(folder, "unreadable_folder", IngestError(folder, message)))
            continue
        for name in names:
            if name.startswith("."):
                continue  # hidden files and folders
            path = folder / name
            try:
                info = path.stat()  # follows links
            except OSError as error:
                if path.is_symlink() and (_matches(path, glob) or error.errno == errno.ELOOP):
                    skipped.append(_link_problem(path, error))
                continue
            if stat.S_ISREG(info.st_mode):
                if _matches(path, glob):
                    files.append(path)
                elif path.suffix.lower() in UNREADABLE_DOCUMENT_SUFFIXES and (
                    glob is None or fnmatch.fnmatch(path.name, glob)
                ):
                    message = (
                        f"unsupported format {path.suffix!r}; save it as .docx or PDF to "
                        "include it in a scan"
                    )
                    error = UnsupportedFormatError(path, message)
                    skipped.append(SkippedPath(path, "unsupported_format", error))
                continue
            if not stat.S_ISDIR(info.st_mode):
                continue  # sockets, FIFOs, devices
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                message = (
                    f"links back to {path.resolve()}, a folder it is in (a symbolic link "
                    "loop); that folder was not walked again"
                )
                skipped.append(SkippedPath(path, "symlink_loop", IngestError(path, message)))
                continue
            if path.is_symlink():
                target = path.resolve()
                if target == root_real or root_real in target.parents or key in visited:
                    continue  # walked as a real folder of the root, or through another link
            visited.add(key)
            stack.append((path, ancestors | {key}))


def collect_work(paths: Iterable[Path | str], *, glob: str | None = None) -> WorkList:
    """The document files under ``paths``, each once, in a stable order, and the paths that
    were found but cannot be read (link loops, dangling links, unreadable folders).

    Folders are searched recursively for ``DOCUMENT_SUFFIXES``, following links to folders
    (each folder is walked once; a link back to an enclosing folder is reported as a loop).
    A file named directly is taken whatever its suffix (ingestion reports an unsupported one
    as a failure); so is a zip member named as ``archive.zip!/member``. Hidden files and
    folders (``.name``) inside folders are skipped. A ``.zip`` archive, found or named, is
    replaced by its document members (``archive.zip!/member.docx``), in archive order.

    Args:
        paths: Files and folders, as given on the command line.
        glob: Keep only files whose name (or relative path) matches this pattern, e.g.
            ``"*2023*.pdf"``; applies to files found in folders and to archive members
            (all members when it matches the archive's name).

    Returns:
        A ``WorkList``: paths as given joined with the relative path found, sorted within
        each argument, without repeats; and the skipped paths, sorted.

    Raises:
        InputNotFoundError: A path does not exist.
        IngestError: Nothing to scan was found.

    Example:
        >>> collect_work(["arkiv/"], glob="*.pdf").files  # doctest: +SKIP
        [PosixPath('arkiv/2019/beslut-1.pdf'), PosixPath('arkiv/2020/beslut-2.pdf')]
    """
    found: list[Path] = []
    skipped: list[SkippedPath] = []
    seen: set[Path] = set()
    given = [Path(p) for p in paths]
    for root in given:
        if root.is_dir():
            candidates: list[Path] = []
            problems: list[SkippedPath] = []
            _walk(root, glob, candidates, problems)
            candidates.sort()
            skipped.extend(sorted(problems, key=lambda s: s.path))
        elif root.exists():
            candidates = [root]
        elif split_member_path(root) is not None:
            candidates = [root]  # a member named directly: read (or refused) as a file
        elif root.is_symlink():
            try:
                root.stat()
            except OSError as error:
                skipped.append(_link_problem(root, error))
            continue
        else:
            raise InputNotFoundError(root)
        expanded: list[Path] = []
        for path in candidates:
            if path.suffix.lower() in ARCHIVE_SUFFIXES and path.is_file():
                _expand_archive(path, glob if root.is_dir() else None, expanded, skipped)
            else:
                expanded.append(path)
        for path in expanded:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append(path)
    if not found and not skipped:
        where = ", ".join(str(p) for p in given) or "(no paths given)"
        raise IngestError(
            None,
            f"no documents to scan in {where}"
            + (f" matching {glob!r}" if glob else "")
            + f"; protoscan reads {', '.join(DOCUMENT_SUFFIXES)} files",
        )
    return WorkList(found, skipped)


def collect_inputs(paths: Iterable[Path | str], *, glob: str | None = None) -> list[Path]:
    """List the document files under ``paths``, each once, in a stable order.

    The files of ``collect_work``; paths that cannot be read are left out.

    Raises:
        InputNotFoundError: A path does not exist.
        IngestError: Nothing to scan was found.

    Example:
        >>> collect_inputs(["arkiv/"], glob="*.pdf")  # doctest: +SKIP
        [PosixPath('arkiv/2019/beslut-1.pdf'), PosixPath('arkiv/2020/beslut-2.pdf')]
    """
    given = [Path(p) for p in paths]
    work = collect_work(given, glob=glob)
    if not work.files:
        raise IngestError(None, f"no readable documents in {', '.join(map(str, given))}")
    return work.files
