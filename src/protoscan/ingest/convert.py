"""Legacy Word (.doc), RTF and OpenDocument text through an external converter.

``.doc`` goes to antiword when it is installed (about a hundred times cheaper than starting
LibreOffice) and to LibreOffice when antiword is missing or refuses the file (Word 6/95
and other files it cannot read). RTF and ODT go to LibreOffice headless, which writes a
DOCX that the DOCX reader then reads, so tables and paragraphs come out as for a DOCX.

Every conversion runs in a private temporary folder, under a time limit (the smaller of
``CONVERT_TIMEOUT`` and the time left on a running per-document alarm, so ``scan
--timeout`` covers the converter too) and a size limit on what it writes. The converter
runs in its own session under coreutils ``timeout`` when available, so it is killed with
all its children when the limit passes, when the caller is interrupted, and even when the
calling worker is killed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from protoscan.errors import (
    ConversionError,
    ConverterMissingError,
    FileTooLargeError,
    IngestError,
    ProcessingLimitError,
)

__all__ = [
    "CONVERTED_FORMATS",
    "CONVERT_TIMEOUT",
    "MAX_CONVERTED_BYTES",
    "convert_document",
    "find_converter",
]

logger = logging.getLogger(__name__)

#: Seconds one conversion may take (lowered to the time left on a per-document alarm).
CONVERT_TIMEOUT = 60.0
#: Refuse converter output larger than this (bytes).
MAX_CONVERTED_BYTES = 256 * 1024 * 1024
#: Format → what it is called in messages.
CONVERTED_FORMATS: dict[str, str] = {
    "doc": "legacy Word .doc",
    "rtf": "RTF",
    "odt": "OpenDocument text (.odt)",
}
#: Converters to try per format, best first.
_CONVERTERS: dict[str, tuple[str, ...]] = {
    "doc": ("antiword", "libreoffice"),
    "rtf": ("libreoffice",),
    "odt": ("libreoffice",),
}
#: Format → (what reads it, how to install it), for the missing-converter message.
_INSTALL = {
    "doc": ("antiword or LibreOffice", "apt-get install antiword, or libreoffice-writer-nogui"),
    "rtf": ("LibreOffice", "apt-get install libreoffice-writer-nogui"),
    "odt": ("LibreOffice", "apt-get install libreoffice-writer-nogui"),
}
_SOFFICE = ("soffice", "libreoffice")
#: Spare LibreOffice user profiles (with the id of the process that made them): starting
#: with an existing profile is faster, and one profile must not be used by two conversions
#: at once, nor by a forked child and its parent.
_PROFILES: queue.SimpleQueue[tuple[int, Path]] = queue.SimpleQueue()


def _which(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def find_converter(kind: str) -> list[tuple[str, str]]:
    """The installed converters for ``kind`` (``doc``, ``rtf``, ``odt``), best first.

    Returns:
        ``(name, executable)`` pairs; ``name`` is ``"antiword"`` or ``"libreoffice"``.
    """
    found = []
    for name in _CONVERTERS[kind]:
        executable = _which(("antiword",) if name == "antiword" else _SOFFICE)
        if executable:
            found.append((name, executable))
    return found


def _time_limit(timeout: float | None) -> float:
    """The converter's limit: ``timeout`` (or ``CONVERT_TIMEOUT``), never past a running
    ``SIGALRM`` deadline such as the scan's per-document limit."""
    limit = CONVERT_TIMEOUT if timeout is None else timeout
    if hasattr(signal, "getitimer"):
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        if left > 0:
            limit = min(limit, left + 1.0)  # the alarm itself reports the document's limit
    return max(limit, 1.0)


def _run(
    name: str, command: list[str], path: Path, limit: float, cwd: Path
) -> subprocess.CompletedProcess:
    """Run a converter in its own session; kill the whole group on timeout or interrupt."""
    guard = shutil.which("timeout")
    if guard:  # kills the converter's process group even if this process dies first
        command = [guard, "-s", "KILL", f"{limit + 2:.0f}", *command]
    env = {**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(cwd)}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise ProcessingLimitError(
            path,
            f"the converter ({name}) did not finish within {limit:g} s; raise --timeout or "
            "save the file as .docx",
        ) from None
    except BaseException:  # the document's alarm, Ctrl-C: leave no converter behind
        _kill(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.communicate(timeout=5)


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    return next((line for line in lines if line and "javaldx" not in line), "")[:200]


def _wrapped(previous: str, line: str, width: int) -> bool:
    """Whether antiword broke ``line`` off ``previous`` only because the cell was full:
    its first word would not have fitted on the previous line (greedy wrapping)."""
    first = line.split(maxsplit=1)[0] if line.split() else ""
    return len(previous) + 1 + len(first) > width


def _antiword_paragraphs(text: str) -> list[str]:
    """antiword's text as paragraphs: blank lines separate paragraphs, whose lines it wraps.

    Tables come as ``cell |cell |`` rows. In a row of several cells, wrapped cells go on
    in lines with an empty first cell; a row becomes one paragraph of its cell texts, as
    the DOCX reader makes it. A one-cell table (whole documents are laid out so) wraps its
    paragraphs at the cell's width: a line whose first word would have fitted on the line
    before starts a new paragraph, any other continues it.
    """
    paragraphs: list[str] = []
    open_row = open_text = False  # whether the last paragraph may take more lines
    last_line, last_width = "", 0  # the last one-cell line and its cell's width
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            open_row = open_text = False
            last_width = 0
        elif stripped.endswith("|") and stripped.count("|") >= 2:
            inner = stripped[1:-1] if stripped.startswith("|") else stripped[:-1]
            raw = inner.split("|")
            cells = [cell.strip() for cell in raw]
            row = " ".join(cell for cell in cells if cell)
            if len(cells) == 1:
                if last_width and row and _wrapped(last_line, row, last_width):
                    paragraphs[-1] += "\n" + row
                else:
                    paragraphs.append(row)
                last_line, last_width = row, len(raw[0])
            elif open_row and not cells[0]:
                paragraphs[-1] = f"{paragraphs[-1]} {row}".strip()
            else:
                paragraphs.append(row)
            if len(cells) > 1:
                last_width = 0
            open_row, open_text = True, False
        elif open_text:
            paragraphs[-1] += "\n" + stripped
        else:
            paragraphs.append(stripped)
            open_row, open_text, last_width = False, True, 0
    return [paragraph for paragraph in paragraphs if paragraph.strip()]


def _antiword(executable: str, source: Path, path: Path, limit: float) -> list[str]:
    command = [executable, "-w", "0", "-m", "UTF-8.txt", source.name]
    result = _run("antiword", command, path, limit, source.parent)
    if result.returncode != 0:
        raise ConversionError(
            path, f"antiword could not read it ({_first_line(result.stderr) or 'no reason given'})"
        )
    if len(result.stdout) > MAX_CONVERTED_BYTES:
        raise FileTooLargeError(path, "the converted text is larger than the limit")
    return _antiword_paragraphs(result.stdout.decode("utf-8", "replace"))


def _profile() -> Path:
    while True:
        try:
            owner, folder = _PROFILES.get_nowait()
        except queue.Empty:
            break
        if owner == os.getpid():
            return folder
    folder = Path(tempfile.mkdtemp(prefix="protoscan-libreoffice-"))
    # Removed when this process ends; pool workers run these finalizers before exiting.
    from multiprocessing import util

    util.Finalize(
        None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=1
    )
    return folder


def _libreoffice(executable: str, source: Path, path: Path, limit: float) -> list[str]:
    from protoscan.ingest.office import read_docx

    out = source.parent / "out"
    profile = _profile()
    ok = False
    try:
        result = _run(
            "LibreOffice",
            [
                executable,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(out),
                source.name,
            ],
            path,
            limit,
            source.parent,
        )
        ok = True
    finally:
        if ok:
            _PROFILES.put((os.getpid(), profile))
        else:  # a killed LibreOffice may leave its profile locked: start afresh next time
            shutil.rmtree(profile, ignore_errors=True)
    converted = out / (source.stem + ".docx")
    if result.returncode != 0 or not converted.is_file():
        detail = _first_line(result.stderr) or _first_line(result.stdout) or "no output"
        raise ConversionError(
            path,
            f"LibreOffice could not convert it ({detail}); the file is corrupt or a variant "
            "LibreOffice cannot read; save it as .docx or PDF",
        )
    size = converted.stat().st_size
    if size > MAX_CONVERTED_BYTES:
        raise FileTooLargeError(
            path, f"converts to {size} bytes, more than the limit of {MAX_CONVERTED_BYTES}"
        )
    return read_docx(converted.read_bytes(), path)


def convert_document(
    data: bytes, path: Path, kind: str, *, timeout: float | None = None
) -> tuple[list[str], str]:
    """Convert a ``.doc``, ``.rtf`` or ``.odt`` file's bytes to paragraphs.

    Args:
        data: The file's bytes.
        path: Its path (or archive member path), for messages.
        kind: ``"doc"``, ``"rtf"`` or ``"odt"``.
        timeout: Seconds allowed; ``CONVERT_TIMEOUT`` if None.

    Returns:
        The paragraphs and the converter used (``"antiword"`` or ``"libreoffice"``).

    Raises:
        ConverterMissingError: No converter for ``kind`` is installed (names the package).
        ProcessingLimitError: The converter ran past the time limit.
        FileTooLargeError: Its output is larger than ``MAX_CONVERTED_BYTES``.
        ConversionError: Every installed converter refused the file (the last one's
            message).
        IngestError: The converted DOCX cannot be read.
    """
    converters = find_converter(kind)
    if not converters:
        needs, install = _INSTALL[kind]
        raise ConverterMissingError(
            path,
            f"reading {CONVERTED_FORMATS[kind]} needs {needs}, which is not installed; "
            f"install it ({install}) or save the file as .docx or PDF",
        )
    limit = _time_limit(timeout)
    error: IngestError | None = None
    with tempfile.TemporaryDirectory(prefix="protoscan-convert-") as folder:
        source = Path(folder) / f"input.{kind}"
        source.write_bytes(data)
        for name, executable in converters:
            try:
                if name == "antiword":
                    return _antiword(executable, source, path, limit), name
                return _libreoffice(executable, source, path, limit), name
            except (ProcessingLimitError, FileTooLargeError):
                raise
            except IngestError as failed:
                logger.debug("%s: %s failed: %s", path, name, failed)
                error = failed
    assert error is not None
    raise error
