"""Bad uploads → an HTTP status and one Swedish sentence for the lawyer.

The English messages of ``protoscan.errors`` name the temporary file the upload was saved
to; the web app never shows them. Each expected failure gets a status (4xx) and a message
that says what was wrong and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from protoscan.errors import (
    ConversionError,
    ConverterMissingError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    IngestError,
    NoTextLayerError,
    ProcessingLimitError,
    ProtoscanError,
    UnsupportedFormatError,
)

__all__ = ["UploadError", "upload_error"]

_ACCEPTED = "PDF, DOCX, DOC, ODT, RTF, HTML eller TXT"
#: File types the page offers in its file picker (what ``protoscan.ingest`` reads).
ACCEPTED_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm", ".xhtml", ".txt")


@dataclass
class UploadError(Exception):
    """Why an upload could not be screened: HTTP status, a short code and a Swedish message."""

    status: int
    code: str
    message: str

    def to_dict(self) -> dict[str, dict[str, str | int]]:
        return {"error": {"status": self.status, "code": self.code, "message": self.message}}


def too_large(max_bytes: int) -> UploadError:
    return UploadError(
        413,
        "too_large",
        f"Filen är för stor. Gränsen är {_megabytes(max_bytes)}; dela upp utkastet eller spara "
        "det utan inbäddade bilder.",
    )


def too_long() -> UploadError:
    return UploadError(
        413,
        "limit_exceeded",
        "Dokumentet är för långt för att granskas här. Ladda upp själva utkastet, inte ett "
        "helt ärende eller arkiv.",
    )


def archive() -> UploadError:
    return UploadError(
        415,
        "archive",
        "Filen är ett arkiv (zip). Ladda upp ett utkast i taget, packat upp.",
    )


def no_file() -> UploadError:
    return UploadError(400, "no_file", f"Ingen fil skickades. Välj ett utkast ({_ACCEPTED}).")


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 else f"{n} byte"


def _unreadable() -> UploadError:
    return UploadError(
        422,
        "unreadable",
        "Filen kunde inte läsas; den verkar vara skadad eller är inte den filtyp namnet "
        f"anger. Spara om utkastet som {_ACCEPTED} och försök igen.",
    )


def upload_error(error: ProtoscanError, max_bytes: int) -> UploadError:
    """The web app's answer to an expected failure while reading or screening an upload."""
    if isinstance(error, EmptyDocumentError):
        return UploadError(400, "empty", "Filen är tom eller innehåller ingen text att granska.")
    if isinstance(error, FileTooLargeError):
        return too_large(max_bytes)
    if isinstance(error, EncryptedDocumentError) or (
        isinstance(error, UnsupportedFormatError) and "password" in str(error)
    ):
        return UploadError(
            422,
            "encrypted",
            "Filen är krypterad eller lösenordsskyddad. Spara en kopia utan lösenord och "
            "försök igen.",
        )
    if isinstance(error, ConverterMissingError):
        return UploadError(
            415,
            "converter_missing",
            "Den här datorn saknar programmet som läser den filtypen. Spara utkastet som DOCX "
            "eller PDF och försök igen.",
        )
    if isinstance(error, ConversionError):
        return _unreadable()
    if isinstance(error, UnsupportedFormatError):
        return UploadError(
            415,
            "unsupported_format",
            f"Filtypen kan inte granskas. Spara utkastet som {_ACCEPTED} och försök igen.",
        )
    if isinstance(error, NoTextLayerError):
        return UploadError(
            422,
            "no_text_layer",
            "PDF-filen saknar textlager (en inskannad bild?). Kör textigenkänning (OCR) först "
            "eller ladda upp originalet.",
        )
    if isinstance(error, ProcessingLimitError):
        return too_long()
    if isinstance(error, IngestError):
        return _unreadable()
    return UploadError(400, error.code, "Utkastet kunde inte granskas.")
