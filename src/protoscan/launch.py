"""The console script's entry point: a scan's worker processes start before the CLI loads.

Importing the command line (typer, rich and every command's options) takes a few tenths of a
second, and so does a scan's fork server, which imports the pipeline and the model's runtime
before it forks the first worker. Started here, from the bare command line, the fork server
does its imports on the second core while this process imports the CLI, instead of after.
Everything else about the command line is left to typer: when the arguments are not a plain
local scan, or are malformed, nothing starts early and ``run_scan`` starts the fork server
when it begins.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Sequence
from pathlib import Path

#: Options of the top-level command that may come before the command name.
_ROOT_FLAGS = frozenset({"--debug", "-v", "--verbose"})


def main() -> None:
    """Console-script and ``python -m protoscan`` entry point."""
    mark_launcher_main()
    model = local_scan_model(sys.argv[1:])
    if model is not None:
        from protoscan.fork_server import start_fork_server

        start_fork_server(model)
    from protoscan.cli import app

    app()


def local_scan_model(args: Sequence[str]) -> Path | None:
    """The model directory of a ``scan`` command line that runs local workers, else None.

    Example:
        >>> local_scan_model(["-v", "scan", "arkiv", "--model=models/linear", "--out", "r"])
        PosixPath('models/linear')
        >>> local_scan_model(["scan", "arkiv", "--backend", "dask"]) is None
        True
    """
    from protoscan.classify.model_dir import DEFAULT_MODEL

    position = 0
    while position < len(args) and args[position] in _ROOT_FLAGS:
        position += 1
    if position >= len(args) or args[position] != "scan":
        return None
    values = {"--model": str(DEFAULT_MODEL), "--cascade": None, "--backend": "local"}
    rest = iter(args[position + 1 :])
    for arg in rest:
        if arg == "--":
            break
        if arg == "--help":
            return None
        name, equals, value = arg.partition("=")
        if name in values:
            values[name] = value if equals else next(rest, None)
    if values["--backend"] != "local":
        return None
    model = values["--cascade"] or values["--model"]
    return Path(model) if model and Path(model, "config.json").is_file() else None


def mark_launcher_main() -> None:
    """Give the console script's ``__main__`` the spec of ``protoscan.__main__``.

    A scan worker re-runs the parent's main script before its first task unless the main
    module's spec names a ``__main__`` module (as ``python -m protoscan`` does); for the
    console script, a launcher that defines nothing, that re-run imports the whole CLI in
    every worker, on the path to the first result.
    """
    launcher = sys.modules.get("__main__")
    if launcher is not None and getattr(launcher, "__spec__", None) is None:
        launcher.__spec__ = importlib.machinery.ModuleSpec("protoscan.__main__", None)
