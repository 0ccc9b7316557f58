"""``protoscan extract``: print the structured Document for one or more files."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from protoscan.cli.common import Engine
from protoscan.document import Document


class OutputFormat(str, Enum):
    json = "json"
    text = "text"


def _render_text(doc: Document) -> str:
    meta = doc.metadata
    lines = [
        f"# {doc.source}",
        f"authority={meta.authority} doc_type={meta.doc_type} dnr={meta.dnr} "
        f"date={meta.decision_date} municipality={meta.municipality} body={meta.body} "
        f"outcome={meta.outcome} law={meta.law_version}",
        f"pages={len(doc.pages)} chars={len(doc.text)} sections={len(doc.sections)} "
        f"passages={len(doc.passages)}",
    ]
    current = None
    for passage in doc.passages:
        if passage.section != current:
            current = passage.section
            lines.append(f"\n== {current or '(ingen rubrik)'} ==")
        pages = ",".join(str(n) for n in passage.page_numbers)
        lines.append(f"[p{pages} {passage.start_char}:{passage.end_char}] {passage.text}")
    return "\n".join(lines)


def extract(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="PDF, DOCX, DOC, RTF, ODT, HTML/XHTML or TXT files, or zip members "
            "(ARCHIVE.zip!/MEMBER)."
        ),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="json (one Document per line) or text.")
    ] = OutputFormat.json,
    engine: Annotated[
        Engine, typer.Option(help="PDF text engine: pdfplumber (careful) or pdfium (fast).")
    ] = Engine.pdfplumber,
    indent: Annotated[int | None, typer.Option(help="Pretty-print JSON with this indent.")] = None,
) -> None:
    """Extract text, sections, passages and metadata from decision files."""
    from protoscan.pipeline import read_document

    for path in files:
        doc = read_document(path, engine=engine.value)
        if output_format is OutputFormat.json:
            typer.echo(json.dumps(doc.to_dict(), ensure_ascii=False, indent=indent))
        else:
            typer.echo(_render_text(doc))


def register(app: typer.Typer) -> None:
    app.command()(extract)
