"""``protoscan corpus …``: validate, stats, split, export and import the passage corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from protoscan.cli.common import err_console, print_warning

console = Console()
corpus_app = typer.Typer(help="Validate, summarise, split and exchange the annotated corpus.")
CORPUS = Path("corpora/passages")
#: Both corpora: passages from imagined documents and stance-tagged sentences.
CORPORA = (CORPUS, Path("corpora/sentences"))
CorpusPath = Annotated[Path, typer.Argument(help="A corpus JSONL file or directory.")]
CorpusPaths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Corpus JSONL files or directories (default: corpora/passages and "
        "corpora/sentences, where present)."
    ),
]


#: Written sets kept out of training; `validate` checks that no corpus row leaks into them.
HELD_OUT = Path("corpora/held_out")


def _corpora(paths: list[Path] | None) -> list[Path]:
    return paths or [path for path in CORPORA if path.exists()]


@corpus_app.command()
def validate(
    paths: CorpusPaths = None,
    held_out: Annotated[
        list[Path] | None,
        typer.Option(
            "--held-out",
            help="A set kept out of training, repeatable (default: corpora/held_out, where "
            "present): a row that repeats or near-duplicates one of its rows is an error.",
        ),
    ] = None,
    no_held_out: Annotated[
        bool, typer.Option("--no-held-out", help="Skip the held-out check.")
    ] = False,
) -> None:
    """Schema, label ids, stance rules, duplicates, near-duplicates, split leakage and leaks
    into held-out sets. Exit 1 on errors."""
    from protoscan.corpus.validate import validate_corpus

    if no_held_out:
        held_out = []
    elif held_out is None:
        held_out = [HELD_OUT] if HELD_OUT.is_dir() else []
    report = validate_corpus(_corpora(paths), held_out=held_out)
    for warning in report.warnings:
        print_warning(str(warning))
    for error in report.errors:
        err_console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
    console.print(
        f"{report.n} passages, {len(report.near_duplicates)} near-duplicate pair(s), "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    if not report.ok:
        raise typer.Exit(code=1)


@corpus_app.command()
def stats(
    paths: CorpusPaths = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts per label, split, voice, evidence and authority; stance and genre for sentences."""
    from protoscan.corpus.schema import load_passages
    from protoscan.corpus.stats import MIN_POSITIVES, corpus_stats
    from protoscan.labels import get_label

    paths = _corpora(paths)
    result = corpus_stats(load_passages(paths))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    where = ", ".join(str(p) for p in paths)
    table = Table(
        title=f"{where}: {result['passages']} rows in {result['documents']} documents "
        f"and {result['groups']} sentence groups"
    )
    splits = list(result["labels_by_split"])
    table.add_column("label")
    for split in splits:
        table.add_column(split, justify="right")
    table.add_column("total", justify="right")
    table.add_column("test share", justify="right")
    table.add_column("minimum", justify="right")
    for label, total in result["labels"].items():
        name = f"{label} ({get_label(label).name_sv})"
        cells = [str(result["labels_by_split"][s][label]) for s in splits]
        table.add_row(
            name,
            *cells,
            str(total),
            f"{result['test_share'][label]:.0%}",
            str(MIN_POSITIVES[label]),
        )
    table.add_row(
        "(no label)",
        *[str(result["labels_by_split"][s]["(none)"]) for s in splits],
        str(result["negatives"]),
        "",
        "",
    )
    console.print(table)
    console.print(
        f"negatives: {result['negative_share']:.1%}; multi-label passages: "
        f"{result['multi_label']}; split sizes: {result['split_sizes']}"
    )
    for key in ("voices", "evidence", "authorities", "sections", "stances", "genres"):
        if result[key]:
            console.print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in result[key].items()))
    if result["labels_by_stance"]:
        console.print(_stance_table(result["labels_by_stance"]))


@corpus_app.command()
def cues(
    paths: CorpusPaths = None,
    min_rows: Annotated[
        int, typer.Option(min=1, help="Count a phrase only if this many rows hold it.")
    ] = 150,
    max_words: Annotated[int, typer.Option(min=1, max=4, help="Longest phrase, in words.")] = 2,
    top: Annotated[int, typer.Option(min=1, help="Phrases shown at each end.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Phrase shortcuts: the phrases whose rows are most often findings, and most often
    label-free, against the corpus's share of rows with a label."""
    from dataclasses import asdict

    from protoscan.corpus.cues import phrase_cues
    from protoscan.corpus.schema import load_passages

    result = phrase_cues(
        load_passages(_corpora(paths)), min_rows=min_rows, max_words=max_words, top=top
    )
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return
    console.print(
        f"{result.rows} rows, {result.finding_share:.0%} with a label; "
        + (
            f"phrases held by at least {min_rows} rows:"
            if result.findings
            else f"no phrase is held by {min_rows} rows"
        )
    )
    for title, found in (
        ("most often in rows with a label", result.findings),
        ("most often in label-free rows", result.label_free),
    ):
        if not found:
            continue
        table = Table(title=title)
        table.add_column("phrase")
        table.add_column("rows", justify="right")
        table.add_column("with a label", justify="right")
        for cue in found:
            table.add_row(escape(cue.phrase), str(cue.rows), f"{cue.finding_share:.0%}")
        console.print(table)


def _stance_table(by_stance: dict[str, dict[str, int]]) -> Table:
    from protoscan.labels import ALL_LABELS

    table = Table(title="sentences: labels by stance")
    table.add_column("stance")
    for label in (*ALL_LABELS, "(none)"):
        table.add_column(label, justify="right")
    for stance, counts in by_stance.items():
        table.add_row(stance, *[str(counts.get(label, 0)) for label in (*ALL_LABELS, "(none)")])
    return table


@corpus_app.command()
def split(
    path: CorpusPath = CORPUS,
    seed: Annotated[int, typer.Option(help="Random seed of the assignment search.")] = 0,
) -> None:
    """(Re)assign train/dev/test by document or sentence group, stratified by label; rewrites
    the files."""
    from protoscan.corpus.schema import load_passages, write_passages
    from protoscan.corpus.split import assign_splits
    from protoscan.corpus.stats import corpus_stats

    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    per_file = {file: load_passages(file) for file in files}
    assigned = assign_splits([p for ps in per_file.values() for p in ps], seed=seed)
    by_id = {p.id: p for p in assigned}
    for file, passages in per_file.items():
        write_passages([by_id[p.id] for p in passages], file)
    shares = corpus_stats(assigned)["test_share"]
    console.print("test share per label: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))


@corpus_app.command()
def dedupe(paths: CorpusPaths = None) -> None:
    """Remove near-duplicates across documents and sentence groups (keeping the first of
    each); rewrites the files."""
    from protoscan.corpus.schema import corpus_files, load_passages, write_passages
    from protoscan.corpus.validate import drop_near_duplicates

    files = corpus_files(_corpora(paths))
    per_file = {file: load_passages(file) for file in files}
    kept, removed = drop_near_duplicates([p for ps in per_file.values() for p in ps])
    keep_ids = {p.id for p in kept}
    for file, passages in per_file.items():
        write_passages([p for p in passages if p.id in keep_ids], file)
    for first, dropped, similarity in removed:
        console.print(f"removed {dropped} (near-duplicate of {first}, {similarity:.2f})")
    console.print(f"{len(removed)} near-duplicate passage(s) removed; {len(kept)} kept")


@corpus_app.command()
def render(
    out: Annotated[Path, typer.Option("--out", help="Directory for the rendered files.")],
    manifest: Annotated[Path, typer.Option(help="Document manifest.")] = Path(
        "corpora/documents/manifest.jsonl"
    ),
    only: Annotated[
        list[str] | None, typer.Option(help="Render only these doc_ids (repeatable).")
    ] = None,
    all_pdf: Annotated[bool, typer.Option(help="Also render every document as PDF.")] = False,
) -> None:
    """Render the synthetic document corpus to PDF/DOCX/TXT (demos, tests, benchmarks)."""
    from protoscan.corpus.render import render_corpus
    from protoscan.corpus.schema import iter_jsonl

    entries = [entry for _, entry in iter_jsonl(manifest)]
    if only:
        entries = [entry for entry in entries if entry["doc_id"] in set(only)]
    paths = render_corpus(
        entries, out, formats=("own", "pdf") if all_pdf else None, source_dir=manifest.parent
    )
    err_console.print(f"rendered {len(paths)} file(s) into {escape(str(out))}")


@corpus_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Output .json (Label Studio) or .jsonl (Prodigy).")],
    path: Annotated[Path, typer.Option("--corpus", help="Corpus file or directory.")] = CORPUS,
    fmt: Annotated[str | None, typer.Option("--format", help="label-studio or prodigy.")] = None,
    split_name: Annotated[str | None, typer.Option("--split", help="Only this split.")] = None,
) -> None:
    """Export passages for labelling in Label Studio or Prodigy."""
    from protoscan.corpus.exchange import write_label_studio, write_prodigy
    from protoscan.corpus.schema import load_passages

    passages = load_passages(path, split=split_name)
    fmt = fmt or ("label-studio" if out.suffix == ".json" else "prodigy")
    (write_label_studio if fmt == "label-studio" else write_prodigy)(passages, out)
    err_console.print(f"wrote {len(passages)} passages to {escape(str(out))} ({fmt})")


@corpus_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Labelled Label Studio JSON or Prodigy JSONL.")],
    source: Annotated[str, typer.Option(help="Provenance name, e.g. 'round1-2026'.")],
    corpus: Annotated[Path, typer.Option(help="Corpus directory.")] = CORPUS,
    fmt: Annotated[str | None, typer.Option("--format", help="label-studio or prodigy.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Report without writing.")] = False,
) -> None:
    """Merge labelled passages into the corpus, refusing duplicates and split leakage."""
    from protoscan.corpus.exchange import read_exchange
    from protoscan.corpus.importing import import_passages

    result = import_passages(read_exchange(file, fmt), corpus, source, dry_run=dry_run)
    for passage_id, reason in result.refused:
        err_console.print(
            f"[yellow]refused[/] {escape(f'{passage_id}: {reason}')}", highlight=False
        )
    where = f" → {result.written}" if result.written else ""
    console.print(f"added {len(result.added)}, refused {len(result.refused)}{where}")


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
