"""The FastAPI app behind ``protoscan serve``.

``create_app(model_dir)`` loads the model once; every request reuses it. Routes:

- ``GET /``: the page (Swedish) where a lawyer drops or picks a draft.
- ``POST /screen`` (form, field ``file``): the same page with the report ``screen --html``
  writes, plus buttons to download it as HTML and JSON. Works without JavaScript.
- ``POST /api/screen`` (multipart, field ``file``): the JSON of ``protoscan screen --json``.
- ``GET /healthz``: liveness and the model in use.

Uploads are copied into a private temporary directory that is removed when the request
ends, whatever happens; nothing uploaded is kept or logged. Personnummer are masked as in
``screen``. Routes are plain functions, so FastAPI runs requests side by side in its
thread pool. Bad uploads get a 4xx status and one Swedish sentence (``web.errors``).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from protoscan import __version__
from protoscan.errors import ProtoscanError
from protoscan.render.screen_html import build_screen_html, screen_context
from protoscan.render.templating import CONTENT_SECURITY_POLICY, render_page
from protoscan.screen.report import ScreenReport, screen_document
from protoscan.web.errors import (
    ACCEPTED_SUFFIXES,
    UploadError,
    archive,
    no_file,
    too_large,
    too_long,
    upload_error,
)

__all__ = ["DEFAULT_MAX_BYTES", "ScreenService", "create_app"]

logger = logging.getLogger(__name__)

#: Uploads larger than this are refused (``--max-upload-mb``).
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
#: Longer documents are refused before they are segmented (a draft is a few pages; 25 MB of
#: plain text would hold one request for many minutes).
MAX_PAGES = 500
MAX_CHARS = 2_000_000
#: Room for the multipart envelope around the file when the request's length is checked.
_ENVELOPE_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r"[^\w .-]")
_INTERNAL = "Utkastet kunde inte granskas på grund av ett internt fel. Försök igen."
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _display_name(filename: str | None) -> str:
    """The upload's base name as the browser sent it (no folders, no control characters)."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    return _CONTROL.sub("", name)[:200] or "utkast"


def _disk_name(name: str) -> str:
    """A safe file name for the temporary copy that keeps the upload's name and suffix, so
    that whatever ingestion reads from a name is what ``screen FILE`` reads."""
    safe = _UNSAFE.sub("_", name).lstrip(".- ")[-120:]
    return safe or "utkast"


class ScreenService:
    """The loaded model and the limits: screens one upload at a time, any number at once."""

    def __init__(
        self,
        classifier: Any,
        *,
        model_path: str | None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        threshold: float | None = None,
        tmp_dir: Path | None = None,
    ) -> None:
        self.classifier = classifier
        self.model_path = model_path
        self.max_bytes = max_bytes
        self.threshold = threshold
        self.tmp_dir = tmp_dir

    def screen(self, upload: UploadFile | None) -> ScreenReport:
        """Screen an uploaded draft.

        Raises:
            UploadError: The upload is missing, empty, too large, of the wrong type or
                unreadable.
        """
        from protoscan.ingest import extract_text
        from protoscan.structure import build_document

        if upload is None or not upload.filename:
            raise no_file()
        name = _display_name(upload.filename)
        suffix = _SUFFIX.search(name)
        if suffix and suffix.group().lower() == ".zip":
            raise archive()
        with tempfile.TemporaryDirectory(prefix="protoscan-", dir=self.tmp_dir) as tmp:
            path = Path(tmp) / _disk_name(name)
            size = self._copy(upload, path)
            if size == 0:
                raise UploadError(400, "empty", "Filen är tom. Välj utkastet igen.")
            try:
                # As ``read_document``, with a length check between extraction and structure.
                extracted = extract_text(path, max_pages=MAX_PAGES, max_bytes=self.max_bytes)
                if len(extracted.text) > MAX_CHARS:
                    raise too_long()
                doc = dataclasses.replace(build_document(extracted), source=name)
                return screen_document(
                    doc, self.classifier, self.threshold, model_path=self.model_path
                )
            except ProtoscanError as error:
                raise upload_error(error, self.max_bytes) from None

    def _copy(self, upload: UploadFile, path: Path) -> int:
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_large(self.max_bytes)
                out.write(chunk)
        return size


def _page(
    status: int = 200,
    *,
    report: ScreenReport | None = None,
    error: UploadError | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "report": screen_context(report) if report is not None else None,
        "report_json": report.to_dict() if report is not None else None,
        "standalone": build_screen_html(report) if report is not None else None,
        "error": error,
        "max_bytes": max_bytes,
        "max_mb": max_bytes // (1024 * 1024),
        "accept": ",".join(ACCEPTED_SUFFIXES),
    }
    return HTMLResponse(render_page("web.html", **context), status_code=status, headers=_HEADERS)


def _json(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=_HEADERS)


def _screen(service: ScreenService, upload: UploadFile | None) -> ScreenReport | UploadError:
    try:
        return service.screen(upload)
    except UploadError as error:
        return error
    except Exception:  # the server goes on serving; the upload is already removed
        logger.exception("screening an upload failed")
        return UploadError(500, "internal_error", _INTERNAL)


def create_app(
    model_dir: Path | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    threshold: float | None = None,
    tmp_dir: Path | None = None,
    classifier: Any = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """Build the web app with the model loaded once.

    Args:
        model_dir: The model directory (as ``screen --model``); recorded in every report.
        max_bytes: The largest upload accepted (default 25 MB).
        threshold: One threshold for every label; ``None`` uses the model's.
        tmp_dir: Where uploads are briefly written (default: the system's temp folder).
        classifier: An already loaded classifier (tests); loaded from ``model_dir`` if omitted.
        allowed_hosts: Host names the app answers to (``Host`` header); others get 400, so a
            web page cannot reach the server through a rebound DNS name. ``None``: any.

    Raises:
        ModelLoadError: The model directory cannot be loaded.

    Example:
        >>> import uvicorn  # doctest: +SKIP
        >>> uvicorn.run(create_app("models/default"), host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    if classifier is None:
        from protoscan.classify.model_dir import load_classifier

        classifier = load_classifier(model_dir)
    service = ScreenService(
        classifier,
        model_path=str(model_dir),
        max_bytes=max_bytes,
        threshold=threshold,
        tmp_dir=tmp_dir,
    )
    app = FastAPI(title="protoscan", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    app.state.service = service
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def refuse_oversized(request: Request, call_next: Any) -> Response:
        # Refuse a declared oversized body before it is read and spooled to disk.
        length = request.headers.get("content-length", "")
        if (
            request.method == "POST"
            and length.isdigit()
            and int(length) > service.max_bytes + _ENVELOPE_BYTES
        ):
            error = too_large(service.max_bytes)
            if request.url.path.startswith("/api/"):
                return _json(error.to_dict(), error.status)
            return _page(error.status, error=error, max_bytes=service.max_bytes)
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return _page(max_bytes=service.max_bytes)

    @app.post("/screen", response_class=HTMLResponse)
    def screen_page(file: Annotated[UploadFile | None, File()] = None) -> HTMLResponse:
        result = _screen(service, file)
        if isinstance(result, UploadError):
            return _page(result.status, error=result, max_bytes=service.max_bytes)
        return _page(report=result, max_bytes=service.max_bytes)

    @app.post("/api/screen")
    def screen_api(file: Annotated[UploadFile | None, File()] = None) -> JSONResponse:
        result = _screen(service, file)
        if isinstance(result, UploadError):
            return _json(result.to_dict(), result.status)
        return _json(result.to_dict())

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return _json(
            {
                "status": "ok",
                "version": __version__,
                "model": {
                    "backend": getattr(service.classifier, "backend", None),
                    "path": service.model_path,
                },
                "max_upload_bytes": service.max_bytes,
            }
        )

    return app
