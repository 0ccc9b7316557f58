"""Shared CLI helpers: consoles, warning lines, the default model path, ``--set`` parsing."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from protoscan.classify.model_dir import DEFAULT_MODEL as DEFAULT_MODEL

err_console = Console(stderr=True)


def print_warning(message: str, *, soft_wrap: bool = False) -> None:
    """``warning: message`` in yellow on stderr; the message is shown as text, never as markup."""
    err_console.print(
        f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=soft_wrap
    )


#: ``--threshold`` of the screening commands (CLI and web server).
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        min=0.0,
        max=1.0,
        help="One score threshold for every label (default: the model's tuned thresholds).",
    ),
]


class Engine(str, Enum):
    """PDF text engines (``protoscan.pipeline.ENGINES``)."""

    pdfplumber = "pdfplumber"
    pdfium = "pdfium"


def figure_scale(share: bool) -> tuple[int, int, str]:
    """How the tables show a finding figure: ``(scale, digits, unit)``; shares (label-free
    FP, recall) in per cent to one place, AP to three."""
    return (100, 1, " %") if share else (1, 3, "")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["params.C=4", "name=x"]`` → ``{"params.C": 4, "name": "x"}`` (JSON values, else str)."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--set expects key=value; got {item!r}")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides
