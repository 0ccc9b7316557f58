"""Messages that name an extra (``protoscan[offline-base]``) reach the user whole: rich
console markup must not eat text in square brackets."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from protoscan.cli import _ProtoscanGroup
from protoscan.errors import ConfigError


def test_error_text_in_square_brackets_is_printed_verbatim() -> None:
    app = typer.Typer(cls=_ProtoscanGroup)

    @app.command()
    def fail() -> None:
        raise ConfigError("install it with `pip install 'protoscan[offline-base]'` [red]x[/]")

    @app.command()
    def other() -> None:  # a second command keeps `fail` a sub-command
        pass

    result = CliRunner().invoke(app, ["fail"])
    assert result.exit_code == 1
    assert "pip install 'protoscan[offline-base]'" in result.output
    assert "[red]x[/]" in result.output
