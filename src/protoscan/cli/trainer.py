"""``protoscan annotate suggest``, ``models list|promote`` and ``learning-curve``: the
trainer's loop from newly scanned decisions to a better model."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from protoscan.cli.common import err_console, figure_scale, parse_overrides

console = Console()
annotate_app = typer.Typer(help="Pick passages to label next.", no_args_is_help=True)
models_app = typer.Typer(
    help="List the training runs, judge one by the rule for replacing the default, "
    "promote one, prune old ones.",
    no_args_is_help=True,
)
CORPUS = Path("corpora/passages")


class Strategy(str, Enum):
    uncertainty = "uncertainty"
    disagreement = "disagreement"
    diverse = "diverse"


@annotate_app.command()
def suggest(
    results: Annotated[Path, typer.Argument(help="Result file of `protoscan scan`.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Tasks to label: .json (Label Studio) or .jsonl (Prodigy)."
        ),
    ],
    n: Annotated[int, typer.Option("--n", min=1, help="How many passages to pick.")] = 200,
    strategy: Annotated[
        Strategy, typer.Option(help="How to rank the passages.")
    ] = Strategy.uncertainty,
    model: Annotated[
        Path | None,
        typer.Option(help="The model that scanned RESULTS (default: the one its manifest names)."),
    ] = None,
    model_b: Annotated[
        Path | None, typer.Option(help="Second model for --strategy disagreement.")
    ] = None,
    corpus: Annotated[
        Path | None,
        typer.Option(
            help="Labelled corpus whose passages and near-duplicates are left out "
            "(default: corpora/passages when present)."
        ),
    ] = None,
    per_doc: Annotated[int, typer.Option(min=1, help="Most picks from one document.")] = 5,
    min_words: Annotated[int, typer.Option(min=1, help="Skip passages with fewer words.")] = 5,
    all_sections: Annotated[
        bool, typer.Option("--all-sections", help="Also suggest statute and complaint passages.")
    ] = False,
) -> None:
    """Pick the passages of a scan whose labels would teach the model most.

    The tasks come pre-filled with the model's labels; correct them, then merge them with
    `protoscan corpus import FILE --source NAME`.
    """
    from rich.markup import escape

    from protoscan.training.annotate import (
        SKIPPED_SECTION_KINDS,
        suggest_passages,
        write_suggestions,
    )

    if corpus is None and CORPUS.is_dir():
        corpus = CORPUS
    report = suggest_passages(
        results,
        n=n,
        strategy=strategy.value,
        model=model,
        model_b=model_b,
        corpus=corpus,
        per_document=per_doc,
        min_words=min_words,
        skip_section_kinds=frozenset() if all_sections else SKIPPED_SECTION_KINDS,
    )
    write_suggestions(report, out)
    table = Table(title=f"{len(report.suggestions)} passages to label ({report.strategy})")
    table.add_column("#", justify="right")
    table.add_column("passage", no_wrap=True)
    table.add_column("predicted", min_width=12)
    table.add_column("margin", justify="right", no_wrap=True)
    table.add_column("text", overflow="ellipsis", no_wrap=True, max_width=60)
    if report.strategy == "disagreement":
        table.add_column("disagree", justify="right")
    for s in report.suggestions[:25]:
        row = [
            str(s.rank),
            s.passage.id,
            ", ".join(s.passage.labels) or "–",
            f"{s.margin:.3f}",
            escape(s.passage.text[:90]),
        ]
        if report.strategy == "disagreement":
            row.append(f"{s.disagreement} ({s.score_distance:.2f})")
        table.add_row(*row)
    console.print(table)
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(report.skipped.items()))
    err_console.print(
        f"{report.passages} passages, {report.candidates} candidates; passed over: "
        f"{skipped or 'none'}",
        highlight=False,
    )
    err_console.print(
        f"wrote {len(report.suggestions)} tasks to {out}"
        + (f" (corpus {corpus} excluded)" if corpus else " (no corpus to exclude)"),
        highlight=False,
    )


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None else format(value, spec)


@models_app.command("list")
def list_runs(
    runs: Annotated[Path, typer.Option(help="Runs directory.")] = Path("models/runs"),
    default: Annotated[Path, typer.Option(help="Default model directory.")] = Path(
        "models/default"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every training run, oldest first, with its test and real-data numbers."""
    from protoscan.training.runs import list_runs as read_runs
    from protoscan.training.runs import same_model

    infos = read_runs(runs)
    if as_json:
        rows = [{**r.to_dict(), "is_default": same_model(r.path, default)} for r in infos]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich import box

    table = Table(
        title=f"{len(infos)} run(s) in {runs}",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
    )
    table.add_column("run", overflow="fold", min_width=16)
    table.add_column("backend", overflow="fold")
    table.add_column("created")
    table.add_column("data")
    for column in ("train", "test F1", "real FP"):
        table.add_column(column, justify="right")
    for r in infos:
        table.add_row(
            f"{r.name} [bold](default)[/]" if same_model(r.path, default) else r.name,
            r.backend,
            (r.created or "–").replace("T", " ")[:16],
            (r.data_sha256 or "–")[:8],
            str(r.n_train) if r.n_train is not None else "–",
            _fmt(r.test_core_macro_f1),
            _fmt(r.jo_ivo_dev_fp_rate),
        )
    table.caption = (
        "created: UTC; data: training-corpus hash prefix; test F1: core macro-F1 on the test "
        "split; real FP: share of label-free real JO/IVO sentences given a label"
    )
    console.print(table)


@models_app.command()
def promote(
    run: Annotated[str, typer.Argument(help="Run directory, or its name in --runs.")],
    force: Annotated[bool, typer.Option("--force", help="Promote even if it is worse.")] = False,
    runs: Annotated[Path, typer.Option(help="Runs directory.")] = Path("models/runs"),
    default: Annotated[Path, typer.Option(help="Default model directory.")] = Path(
        "models/default"
    ),
    data: Annotated[
        list[Path] | None,
        typer.Option(
            help="Corpus whose test split decides when stored metrics differ; repeat for "
            "several (default: corpora/passages and corpora/sentences, where present)."
        ),
    ] = None,
    rule: Annotated[
        Path | None,
        typer.Option(
            help="A rule for replacing the default the run must also pass "
            "(training/rules/default.toml; see `models check`)."
        ),
    ] = None,
) -> None:
    """Copy a run to the default model unless it is worse on the test split: core macro-F1
    lower or more label-free passages given a label (and, with --rule, unless it fails the
    rule)."""
    from protoscan.training.runs import promote_run

    result = promote_run(
        run, default=default, runs_dir=runs, data=data or None, force=force, rule=rule
    )
    basis = (
        f"re-evaluated on the current test split ({result.n_test} passages)"
        if result.reevaluated
        else "stored metrics"
    )
    figures = f"test core macro-F1 {result.run_f1:.4f}"
    if result.default_f1 is not None:
        figures += f" vs default {result.default_f1:.4f}"
    if result.run_label_free is not None:
        figures += f", label-free given a label {result.run_label_free:.2%}"
        if result.default_label_free is not None:
            figures += f" vs default {result.default_label_free:.2%}"
    if result.default is None:
        figures += " (no default)"
    forced = " (forced)" if force and not result.not_worse else ""
    if rule is not None and result.default is not None:
        basis += ", rule not checked (forced)" if force else f", passes {rule}"
    err_console.print(
        f"promoted {result.run.name} → {default}: {figures}, {basis}{forced}", highlight=False
    )


def learning_curve(
    config: Annotated[Path, typer.Option("--config", "-c", help="Recipe (TOML).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Plot (.png or .svg); the data go beside as .json.")
    ] = Path("report/learning_curve.png"),
    fractions: Annotated[
        str, typer.Option(help="Shares of the training documents, comma-separated.")
    ] = "0.1,0.2,0.4,0.6,0.8,1.0",
    seeds: Annotated[int, typer.Option(min=1, help="Subsamples per fraction.")] = 3,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a recipe value.")
    ] = None,
    evaluation: Annotated[
        Path | None,
        typer.Option(
            "--eval",
            exists=True,
            help="A labelled set (real decisions' sentences, say) every fit is also scored on: "
            "finding AP, label-free FP, any-label recall; ambiguous rows left out (evaluation "
            "only: never train or tune on it).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the data as JSON.")] = False,
) -> None:
    """Train on growing document subsamples and plot core macro-F1 (nothing goes to runs/).

    With --eval FILE each fit is also scored on FILE, to see whether more corpus of the same
    kind transfers beyond it.
    """
    from protoscan.errors import ConfigError
    from protoscan.training.learning_curve import learning_curve as run_curve
    from protoscan.training.learning_curve import write_learning_curve
    from protoscan.training.train import load_config

    try:
        shares = [float(f) for f in fractions.split(",") if f.strip()]
    except ValueError:
        raise ConfigError(
            f"--fractions must be numbers like 0.1,0.5,1.0; got {fractions!r}"
        ) from None
    recipe = load_config(config, parse_overrides(overrides or []))

    def progress(fraction: float, seed: int, f1: float) -> None:
        err_console.print(f"fraction {fraction:.2f}, seed {seed}: test core macro-F1 {f1:.3f}")

    scored = []
    if evaluation is not None:
        from protoscan.corpus.schema import load_passages

        scored = load_passages(evaluation)
        if not scored:
            raise ConfigError(f"{evaluation}: no unambiguous rows to score")
    curve = run_curve(
        recipe,
        fractions=shares,
        seeds=seeds,
        evaluation=scored,
        evaluation_name=evaluation.name if evaluation is not None else "evaluation",
        on_progress=progress,
    )
    image, data = write_learning_curve(curve, out)
    backend = f" ({recipe.backend})" if recipe.backend != recipe.name else ""
    table = Table(title=f"Learning curve: {recipe.name}{backend}, {seeds} seed(s)")
    columns = ["fraction", "documents", "passages", "test core macro-F1", "dev core macro-F1"]
    if scored:
        columns += ["eval finding AP", "eval label-free FP", "eval any-label recall"]
    for column in columns:
        table.add_column(column, justify="right")
    for point in curve.to_dict()["points"]:
        cells = [
            f"{point['fraction']:.2f}",
            f"{sum(point['n_documents']) / len(point['n_documents']):.0f}",
            f"{point['n_train_mean']:.0f}",
            _mean_std(point["test"]),
            _mean_std(point["dev"]),
        ]
        if scored:
            figures = point["evaluation"]
            cells += [
                _mean_std(figures["finding_ap"]),
                _mean_std(figures["label_free_fp"], share=True),
                _mean_std(figures["any_label_recall"], share=True),
            ]
        table.add_row(*cells)
    (err_console if as_json else console).print(table)
    if as_json:
        typer.echo(json.dumps(curve.to_dict(), ensure_ascii=False, indent=2))
    err_console.print(f"plot → {image}; data → {data}", highlight=False)


@models_app.command()
def check(
    run: Annotated[str, typer.Argument(help="Run directory, or its name in --runs.")],
    rule: Annotated[Path, typer.Option(help="The rule for replacing the default (TOML).")] = Path(
        "training/rules/default.toml"
    ),
    runs: Annotated[Path, typer.Option(help="Runs directory.")] = Path("models/runs"),
    default: Annotated[Path, typer.Option(help="Default model directory.")] = Path(
        "models/default"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Judge a run by the rule for replacing the default: score it and the default on the
    rule's written sets and measure every bar. Exits 3 when the run fails the rule (1 on
    an error), as `screen` exits 3 on a draft with findings.

    Start-up, also part of the rule, is measured by `make bench`.
    """
    from rich import box

    from protoscan.training.default_rule import FIGURES, check_rule, load_rule
    from protoscan.training.runs import resolve_run

    candidate = resolve_run(run, runs)
    the_rule = load_rule(rule)
    verdict = check_rule(candidate, default, the_rule)
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"{candidate.name} against {default}", box=box.SIMPLE_HEAD)
        for column in ("rows", "figure", "default", "candidate", "bar", ""):
            table.add_column(column, justify="left" if column in ("rows", "figure") else "right")
        for result in verdict.results:
            higher = FIGURES[result.check.figure]
            table.add_row(
                result.check.rows_name,
                result.check.figure,
                f"{result.default:.4f}",
                f"{result.candidate:.4f}",
                f"{'≥' if higher else '≤'} {result.bar:.4f}",
                "pass" if result.passed else "[bold red]FAIL[/]",
            )
        if verdict.max_size_mb is not None:
            table.add_row(
                "model directory",
                "size (MB)",
                "",
                f"{verdict.size_mb:.1f}",
                f"≤ {verdict.max_size_mb:g}",
                "pass" if verdict.size_ok else "[bold red]FAIL[/]",
            )
        console.print(table)
    outcome = "passes" if verdict.passed else "fails"
    err_console.print(
        f"{candidate.name} {outcome} {rule}"
        f"{f' (written {the_rule.written})' if the_rule.written else ''} on the written sets "
        f"({', '.join(f'{name} {n}' for name, n in verdict.rows.items())} rows); start-up: "
        "`make bench`",
        highlight=False,
    )
    if not verdict.passed:
        raise typer.Exit(3)


@models_app.command()
def prune(
    keep: Annotated[int, typer.Option(min=1, help="Newest runs to keep per recipe.")] = 3,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be removed.")
    ] = False,
    runs: Annotated[Path, typer.Option(help="Runs directory.")] = Path("models/runs"),
    default: Annotated[Path, typer.Option(help="Default model directory.")] = Path(
        "models/default"
    ),
) -> None:
    """Remove all but the newest --keep runs of each recipe.

    Only runs named by `protoscan train` (<stamp>-<recipe>) are touched: a directory a recipe
    names as its output (the ensemble's members, say) and a run identical to the default
    are kept.
    """
    from protoscan.training.runs import prune_runs

    removed = prune_runs(runs, keep=keep, default=default, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for run in removed:
        err_console.print(f"{verb} {run.name} ({run.size_bytes / 1e6:.1f} MB)", highlight=False)
    total = sum(r.size_bytes for r in removed) / 1e6
    err_console.print(
        f"{verb} {len(removed)} run(s), {total:.1f} MB; kept the newest {keep} of each recipe",
        highlight=False,
    )


def _mean_std(stats: dict[str, float | None], *, share: bool = False) -> str:
    """``mean ± std`` of a figure, scaled as the evaluation tables show it."""
    if stats["mean"] is None or stats["std"] is None:
        return "–"
    scale, digits, unit = figure_scale(share)
    return f"{stats['mean'] * scale:.{digits}f} ± {stats['std'] * scale:.{digits}f}{unit}"


def register(app: typer.Typer) -> None:
    app.add_typer(annotate_app, name="annotate")
    app.add_typer(models_app, name="models")
    app.command("learning-curve")(learning_curve)
