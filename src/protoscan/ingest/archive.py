"""Zip archives of documents: list their members and read one member by its path.

A member is named ``archive.zip!/folder/member.docx``, the way Java and many archive tools
write it; ``extract_text`` and the scan accept such a path wherever a file path goes. The
archive gets the DOCX limits (declared sizes and member count, checked before anything is
inflated) and every member the per-file size limit; a zip inside a zip is refused.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from protoscan.errors import (
    EncryptedDocumentError,
    FileTooLargeError,
    IngestError,
    InputNotFoundError,
    NestedArchiveError,
)

__all__ = [
    "ARCHIVE_SUFFIXES",
    "MEMBER_SEPARATOR",
    "ArchiveListing",
    "is_member_path",
    "list_archive",
    "member_path",
    "member_sha256",
    "read_member",
    "split_member_path",
]

#: Between an archive's path and a member's name: ``arkiv.zip!/beslut.docx``.
MEMBER_SEPARATOR = "!/"
#: Suffixes of the archives a scan opens.
ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip",)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArchiveListing:
    """The members of an archive worth reading and the ones refused.

    Attributes:
        members: Member paths (``archive.zip!/name``) of documents, in archive order.
        refused: ``(member path, error)`` for nested archives and unsafe names.
    """

    members: list[Path]
    refused: list[tuple[Path, IngestError]]


def member_path(archive: Path, name: str) -> Path:
    """``archive.zip!/name`` as a path."""
    return Path(f"{archive}{MEMBER_SEPARATOR}{name}")


def split_member_path(path: Path | str) -> tuple[Path, str] | None:
    """``(archive, member name)`` when ``path`` names a zip member and is not itself a file.

    Example:
        >>> split_member_path("arkiv/beslut.zip!/2019/a.docx")
        (PosixPath('arkiv/beslut.zip'), '2019/a.docx')
    """
    text = str(path)
    lowered = text.lower()
    for suffix in ARCHIVE_SUFFIXES:
        marker = suffix + MEMBER_SEPARATOR
        at = lowered.find(marker)
        if at > 0:
            cut = at + len(suffix)
            if Path(text).exists():
                return None  # a real file whose name happens to contain the marker
            return Path(text[:cut]), text[cut + len(MEMBER_SEPARATOR) :]
    return None


def is_member_path(path: Path | str) -> bool:
    return split_member_path(path) is not None


def _open(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise InputNotFoundError(archive) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise IngestError(
            archive, f"is not a readable zip archive ({error}); it may be corrupt"
        ) from error


def _safe_name(name: str) -> bool:
    """Relative, without ``..``, backslashes or parts a path would rewrite (``./``, ``//``)."""
    pure = PurePosixPath(name)
    return (
        str(pure) == name and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name
    )


def list_archive(archive: Path, document_suffixes: tuple[str, ...]) -> ArchiveListing:
    """The document members of a zip archive, after the zip-bomb checks.

    Folders, hidden files (``.name``, ``__MACOSX/``) and members with other suffixes are
    left out, as a folder walk leaves them out; a nested archive is refused.

    Args:
        archive: The zip file.
        document_suffixes: Member suffixes to read (lower case).

    Raises:
        IngestError: The archive is corrupt.
        FileTooLargeError: Its members would unpack past ``MAX_UNCOMPRESSED_BYTES`` or
            there are more than ``MAX_ZIP_MEMBERS`` of them.
    """
    from protoscan.ingest.office import check_zip

    if not archive.is_file():
        raise InputNotFoundError(archive)
    check_zip(archive, archive)
    with _open(archive) as handle:
        infos = handle.infolist()
    members: list[Path] = []
    refused: list[tuple[Path, IngestError]] = []
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        path = member_path(archive, name)
        if not _safe_name(name):
            refused.append((path, IngestError(path, "has an unsafe member name; not read")))
            continue
        if any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(name).parts):
            continue
        suffix = PurePosixPath(name).suffix.lower()
        if suffix in ARCHIVE_SUFFIXES:
            message = (
                "is an archive inside an archive; nested archives are not opened: unpack "
                "it and scan its contents"
            )
            refused.append((path, NestedArchiveError(path, message)))
        elif suffix in document_suffixes:
            members.append(path)
    return ArchiveListing(members, refused)


def _member_info(handle: zipfile.ZipFile, archive: Path, name: str) -> zipfile.ZipInfo:
    path = member_path(archive, name)
    try:
        info = handle.getinfo(name)
    except KeyError:
        raise InputNotFoundError(path) from None
    if info.flag_bits & 0x1:
        raise EncryptedDocumentError(
            path, "is password-protected in the archive; unpack it with the password first"
        )
    return info


def read_member(path: Path | str, max_bytes: int | None = None) -> bytes:
    """The bytes of the zip member ``archive.zip!/name``.

    The archive gets the zip-bomb checks first; the member's declared size is checked
    against ``max_bytes`` before it is inflated (``zipfile`` never inflates past it).

    Raises:
        InputNotFoundError: The archive or the member does not exist.
        NestedArchiveError: The member is itself an archive.
        EncryptedDocumentError: The member is password-protected.
        FileTooLargeError: The archive or the member is over the limits.
        IngestError: The archive or member is corrupt.
    """
    from protoscan.ingest.office import check_zip

    split = split_member_path(path)
    if split is None:
        raise IngestError(path, "is not an archive member path (archive.zip!/member)")
    archive, name = split
    if PurePosixPath(name).suffix.lower() in ARCHIVE_SUFFIXES:
        raise NestedArchiveError(
            path, "is an archive inside an archive; unpack it and scan its contents"
        )
    if not archive.is_file():
        raise InputNotFoundError(archive)
    check_zip(archive, archive)
    with _open(archive) as handle:
        info = _member_info(handle, archive, name)
        if max_bytes is not None and info.file_size > max_bytes:
            raise FileTooLargeError(
                path,
                f"is {info.file_size} bytes unpacked, more than the limit of {max_bytes}; "
                "raise the limit",
            )
        try:
            return handle.read(info)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as error:
            raise IngestError(
                path, f"cannot be unpacked ({error}); the archive may be corrupt"
            ) from error


def member_sha256(path: Path | str) -> str:
    """SHA-256 of a zip member's unpacked bytes, read in chunks.

    Raises:
        The errors of ``read_member`` (the archive checks, a missing or encrypted member).
    """
    split = split_member_path(path)
    if split is None:
        raise IngestError(path, "is not an archive member path (archive.zip!/member)")
    archive, name = split
    digest = hashlib.sha256()
    with _open(archive) as handle:
        info = _member_info(handle, archive, name)
        try:
            with handle.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as error:
            raise IngestError(
                path, f"cannot be unpacked ({error}); the archive may be corrupt"
            ) from error
    return digest.hexdigest()
