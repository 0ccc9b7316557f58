"""``protoscan screen``: check a draft decision before it is issued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from protoscan.cli.common import DEFAULT_MODEL, ThresholdOption, err_console

console = Console()

_HELP = (
    "Screen a draft decision about a child before it is issued.\n\n"
    "Shows the passages the model tags as deficient (with the words that drove each score and "
    "the legal requirement behind it), absence checks for municipal drafts (the child's views, "
    "barnets bästa, reasons, lagrum, violence without a risk assessment, the 14-day and "
    "four-month time limits, kommunicering and appeal notice for decisions against a party; "
    "marked as inferred) and readability advice (LIX, "
    "long sentences, unexplained abbreviations). Personnummer and samordningsnummer are masked "
    "in every output unless --show-personal-data is given. Letterhead, metadata lines, "
    "headings and signatures are context and never a finding on their own.\n\n"
    "Exit status: 0 = no findings at or above the threshold and no failed absence check; "
    "3 = findings present (passage findings or failed absence checks); 1 = error (unreadable "
    "file, bad model directory, bad option)."
)


def screen(
    file: Annotated[
        str,
        typer.Argument(
            help="The draft: PDF, DOCX, HTML/XHTML or TXT; '-' reads pasted text from stdin.",
            show_default=False,
        ),
    ],
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Also write a self-contained HTML report with the findings highlighted in place.",
            dir_okay=False,
            writable=True,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the report as JSON (schema protoscan.screen/1)."),
    ] = False,
    threshold: ThresholdOption = None,
    model: Annotated[Path, typer.Option("--model", help="Model directory.")] = DEFAULT_MODEL,
    show_personal_data: Annotated[
        bool,
        typer.Option(
            "--show-personal-data",
            help="Show personnummer and samordningsnummer unmasked in every output.",
        ),
    ] = False,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from protoscan.classify.model_dir import load_classifier
    from protoscan.screen.report import document_from_text, screen_document
    from protoscan.structure.segment import get_nlp

    # The model loads (mostly in ONNX Runtime and numpy, outside the GIL) while the draft is
    # read and spaCy is imported: a lawyer waits for the longer of the two, not their sum.
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(load_classifier, model)
        if file == "-":
            doc = document_from_text(typer.get_text_stream("stdin").read(), source="-")
        else:
            from protoscan.pipeline import read_document

            doc = read_document(Path(file))
        get_nlp()
        classifier = loading.result()
    report = screen_document(
        doc,
        classifier,
        threshold,
        show_personal_data=show_personal_data,
        model_path=str(model),
    )
    if html is not None:
        from protoscan.render.screen_html import write_screen_html

        written = write_screen_html(report, html)
        err_console.print(f"wrote HTML report to {written}", highlight=False)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        from protoscan.render.terminal import print_screen_report

        print_screen_report(report, console)
    raise typer.Exit(code=report.exit_code)


def register(app: typer.Typer) -> None:
    app.command(name="screen", help=_HELP)(screen)
