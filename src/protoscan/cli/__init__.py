"""The ``protoscan`` command line: thin commands over the library.

Each command group lives in its own module with a ``register(app)`` function; this module
assembles them and turns every ``ProtoscanError`` into one red line on stderr and exit 1
(a traceback only with ``--debug``).
"""

from __future__ import annotations

import importlib
import logging
from typing import Annotated, Any

import click
import typer
from rich.markup import escape
from typer.core import TyperGroup

from protoscan import __version__
from protoscan.cli.common import err_console, print_warning
from protoscan.errors import ProtoscanError

#: Command modules under ``protoscan.cli``; each defines ``register(app)``.
COMMAND_MODULES: tuple[str, ...] = (
    "extract",
    "model",
    "base",
    "corpus",
    "scan",
    "screen",
    "serve",
    "trainer",
)


class _ProtoscanGroup(TyperGroup):
    """Top-level group that reports expected failures as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProtoscanError as error:
            if ctx.meta.get("protoscan.debug"):
                raise
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=_ProtoscanGroup,
    name="protoscan",
    help="Find where the handling of children's cases fell short in Swedish decisions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


class _WarningLine(logging.Handler):
    """protoscan's warnings as one yellow line each on stderr (the library itself only
    installs a ``NullHandler``; ``--verbose`` logs everything through rich instead)."""

    def emit(self, record: logging.LogRecord) -> None:
        print_warning(self.format(record), soft_wrap=True)


def _show_warnings() -> None:
    package_logger = logging.getLogger("protoscan")
    if not any(isinstance(handler, _WarningLine) for handler in package_logger.handlers):
        package_logger.addHandler(_WarningLine(logging.WARNING))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"protoscan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log progress details.")] = False,
) -> None:
    ctx.meta["protoscan.debug"] = debug
    if verbose:
        from rich.logging import RichHandler

        logging.basicConfig(
            level=logging.INFO, handlers=[RichHandler(console=err_console)], format="%(message)s"
        )
    else:
        _show_warnings()


for _name in COMMAND_MODULES:
    importlib.import_module(f"protoscan.cli.{_name}").register(app)


def main() -> None:
    """Entry point of console scripts installed before ``protoscan.launch`` existed."""
    from protoscan.launch import main as launch

    launch()
