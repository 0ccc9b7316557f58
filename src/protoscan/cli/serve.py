"""``protoscan serve``: the local web app where a lawyer screens a draft in the browser."""

from __future__ import annotations

import ipaddress
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from protoscan.cli.common import DEFAULT_MODEL, ThresholdOption, err_console

_HELP = (
    "Serve a page where a draft can be screened in the browser (the report of `screen "
    "--html`, with downloads as HTML and JSON) and the API POST /api/screen (multipart field "
    "`file`, the JSON of `screen --json`).\n\n"
    "The model is loaded once at start. Binds to 127.0.0.1 unless --host says otherwise. "
    "Uploads are removed as soon as each answer is sent; personnummer are masked."
)


#: Host names a loopback-bound server answers to.
LOCAL_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8000,
    model: Annotated[Path, typer.Option("--model", help="Model directory.")] = DEFAULT_MODEL,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.001, help="Largest upload accepted, in MB.")
    ] = 25.0,
    threshold: ThresholdOption = None,
) -> None:
    import uvicorn

    from protoscan.web import create_app

    if not is_loopback(host):
        err_console.print(
            f"[bold yellow]warning:[/] binding to {host}: other machines can reach this server "
            "and the drafts uploaded to it. Use only on a trusted network.",
            highlight=False,
        )
    # Each upload gets its own temporary folder, removed when its answer is sent.
    app = create_app(
        model,
        max_bytes=int(max_upload_mb * 1024 * 1024),
        threshold=threshold,
        # On loopback, answer only to local names (no DNS rebinding from a web page).
        allowed_hosts=LOCAL_NAMES if is_loopback(host) else None,
    )
    err_console.print(f"protoscan serve: http://{host}:{port}/ (model {model})", highlight=False)
    # uvicorn stops gracefully on SIGTERM and then raises the signal again; exiting through
    # Python (not the default handler) lets exit handlers remove the converters' temporary
    # profiles.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(0)


def register(app: typer.Typer) -> None:
    app.command(name="serve", help=_HELP)(serve)
