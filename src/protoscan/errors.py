"""The exception hierarchy: every error protoscan raises on purpose is a ``ProtoscanError``.

Messages say what failed, where, what was received and what to do next. The CLI prints
``str(error)`` as one line and exits non-zero; library code never calls ``sys.exit``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "ConversionError",
    "ConverterMissingError",
    "DataError",
    "EmptyDocumentError",
    "EncryptedDocumentError",
    "FileTooLargeError",
    "IngestError",
    "InputNotFoundError",
    "ModelLoadError",
    "NestedArchiveError",
    "NoTextLayerError",
    "NotAFileError",
    "NotFittedError",
    "ProcessingLimitError",
    "ProtoscanError",
    "UnsupportedFormatError",
]


class ProtoscanError(Exception):
    """Base class for every expected protoscan failure."""

    #: Short machine-readable name used in batch error tables.
    code: str = "error"


class IngestError(ProtoscanError):
    """A file could not be read into text (corrupt, truncated, unreadable)."""

    code = "ingest_error"

    def __init__(self, path: Path | str | None, message: str) -> None:
        self.path = Path(path) if path is not None else None
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{message}")


class InputNotFoundError(IngestError):
    code = "not_found"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, "no such file; check the path")


class NotAFileError(IngestError):
    code = "not_a_file"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, "is a directory or special file, not a document; pass a file")


class EmptyDocumentError(IngestError):
    code = "empty"

    def __init__(self, path: Path | str | None, detail: str = "the file is empty") -> None:
        super().__init__(path, f"{detail}; nothing to analyse")


class UnsupportedFormatError(IngestError):
    code = "unsupported_format"


class ConverterMissingError(UnsupportedFormatError):
    """A format that needs an external converter (LibreOffice, antiword) none of which is
    installed; the message names the package to install."""

    code = "converter_missing"


class ConversionError(UnsupportedFormatError):
    """Every installed converter refused the file: corrupt, or a variant it cannot read."""

    code = "conversion_failed"


class NestedArchiveError(UnsupportedFormatError):
    """A zip archive inside a zip archive: refused rather than unpacked."""

    code = "nested_archive"


class EncryptedDocumentError(IngestError):
    code = "encrypted"

    def __init__(
        self,
        path: Path | str | None,
        detail: str = "the PDF is encrypted; save an unencrypted copy and try again",
    ) -> None:
        super().__init__(path, detail)


class NoTextLayerError(IngestError):
    """A PDF whose pages carry no text: a scan that needs OCR first."""

    code = "no_text_layer"

    def __init__(self, path: Path | str | None, pages: int) -> None:
        self.pages = pages
        super().__init__(
            path,
            f"none of its {pages} page(s) has a text layer (a scanned image?); "
            "run OCR first, e.g. `ocrmypdf -l swe in.pdf out.pdf`",
        )


class FileTooLargeError(IngestError):
    code = "too_large"


class ProcessingLimitError(IngestError):
    """A document exceeded a configured page or time limit."""

    code = "limit_exceeded"


class ConfigError(ProtoscanError):
    """A configuration file or option is invalid."""

    code = "config_error"


class DataError(ProtoscanError):
    """Bad records in a data file; the message names ``file:line``."""

    code = "data_error"


class NotFittedError(ProtoscanError, ValueError):
    code = "not_fitted"


class ModelLoadError(ProtoscanError):
    """A model directory is missing files, has unexpected ones or is unreadable."""

    code = "model_load_error"
