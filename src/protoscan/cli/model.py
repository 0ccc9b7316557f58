"""``protoscan train``, ``evaluate`` and ``classify``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from protoscan.cli.common import DEFAULT_MODEL, err_console, parse_overrides

console = Console()


def train(
    config: Annotated[Path, typer.Option("--config", "-c", help="Recipe (TOML) in training/.")],
    output: Annotated[
        Path | None, typer.Option(help="Also copy the finished model here (e.g. models/default).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a recipe value, e.g. --set params.C=4.0"),
    ] = None,
) -> None:
    """Train a classifier from a recipe; the run is recorded under models/runs/."""
    from protoscan.train import load_config
    from protoscan.train import train as run_training

    recipe = load_config(config, parse_overrides(overrides or []))
    err_console.print(f"training [bold]{recipe.name}[/] ({recipe.backend}) on {recipe.data} …")
    result = run_training(recipe, output=output)
    console.print(evaluation_table(result.test.to_dict(), f"{recipe.name}: test split"))
    if result.real_eval_dict():
        console.print(evaluation_table(result.real_eval_dict(), "real JO/IVO sentences"))
    err_console.print(
        f"trained in {result.seconds:.1f} s → {result.run_dir}"
        + (f" (copied to {result.output})" if result.output else "")
    )


def evaluation_table(evaluation: dict[str, Any], title: str) -> Table:
    from protoscan.labels import get_label

    table = Table(title=title)
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, m in evaluation["per_label"].items():
        table.add_row(
            f"{label} ({get_label(label).name_sv})",
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["support"]),
        )
    for scope in ("core", "all"):
        averages = evaluation[scope]
        table.add_row(
            f"[bold]{scope} micro[/]",
            f"{averages['micro_precision']:.3f}",
            f"{averages['micro_recall']:.3f}",
            f"{averages['micro_f1']:.3f}",
            "",
        )
        table.add_row(f"[bold]{scope} macro[/]", "", "", f"{averages['macro_f1']:.3f}", "")
    table.caption = (
        f"{evaluation['n']} passages; label-free passages given a label: "
        f"{evaluation['negatives_false_positive_rate']:.3f}"
    )
    return table


def evaluate(
    data: Annotated[Path, typer.Option(help="Labelled JSONL file or directory of them.")],
    model: Annotated[Path, typer.Option(help="Model directory.")] = DEFAULT_MODEL,
    split: Annotated[
        str | None, typer.Option(help="Only passages of this split (train/dev/test).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write metrics.json, PR curves and worst errors here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
) -> None:
    """Per-label precision/recall/F1, micro/macro F1, confusion summary and worst errors."""
    from protoscan.classify.model_dir import load_classifier
    from protoscan.corpus.schema import load_passages
    from protoscan.evaluate import evaluate_predictions, plot_pr_curves

    classifier = load_classifier(model)
    passages = load_passages(data, split=split)
    if not passages:
        raise typer.BadParameter(
            f"no passages in {data}" + (f" for split {split}" if split else "")
        )
    probs = classifier.predict_proba([p.text for p in passages])
    result = evaluate_predictions(passages, probs, classifier.thresholds_, classifier.labels_)
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        result.write_json(report / "metrics.json")
        plot_pr_curves(passages, probs, classifier.labels_, report)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    console.print(
        evaluation_table(result.to_dict(), f"{model} on {data}" + (f" [{split}]" if split else ""))
    )
    confusion = Table(title="Confusion summary (gold → wrongly predicted)")
    confusion.add_column("gold")
    confusion.add_column("also predicted (count)")
    for gold, wrong in result.confusion.items():
        if wrong:
            confusion.add_row(gold, ", ".join(f"{k} ({v})" for k, v in sorted(wrong.items())))
    console.print(confusion)
    console.print(f"[bold]{len(result.worst_errors)} worst errors[/]")
    for error in result.worst_errors:
        console.print(
            f"- [dim]{error['id']}[/] gold={error['gold']} predicted={error['predicted']}: "
            f"{error['text'][:220]}",
            highlight=False,
        )
    if report is not None:
        err_console.print(f"report written to {report}")


def _read_lines(stream: TextIO, bad: list[str]) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
        except ValueError as error:
            bad.append(f"line {number}: {error}")
            err_console.print(f"[yellow]skipped line {number}:[/] {error}", highlight=False)
            continue
        yield str(obj.get("id", number)), obj["text"]


def classify(
    source: Annotated[
        str, typer.Argument(help='JSONL file of {"id", "text"} lines, or - for stdin.')
    ] = "-",
    model: Annotated[Path, typer.Option(help="Model directory.")] = DEFAULT_MODEL,
    batch_size: Annotated[int, typer.Option(help="Passages per model call.")] = 256,
) -> None:
    """Tag already-extracted passages: JSONL in, JSONL {id, labels, scores} out.

    Exit status: 0 when every line was read, 1 when some lines were skipped as invalid.
    """
    from protoscan.classify.model_dir import load_classifier

    classifier = load_classifier(model)
    bad: list[str] = []
    if source != "-" and not Path(source).is_file():
        raise typer.BadParameter(f"{source}: no such file", param_hint="SOURCE")
    stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    with stream:
        batch: list[tuple[str, str]] = []
        for item in _read_lines(stream, bad):
            batch.append(item)
            if len(batch) >= batch_size:
                _emit(classifier, batch)
                batch = []
        _emit(classifier, batch)
    if bad:
        err_console.print(f"[red]{len(bad)} invalid line(s) skipped[/]")
        raise typer.Exit(code=1)


def _emit(classifier: Any, batch: list[tuple[str, str]]) -> None:
    if not batch:
        return
    probs = classifier.predict_proba([text for _, text in batch])
    for (item_id, _), row, labels in zip(batch, probs, classifier.decide(probs), strict=True):
        scores = {
            label: round(float(p), 4) for label, p in zip(classifier.labels_, row, strict=True)
        }
        sys.stdout.write(
            json.dumps(
                {"id": item_id, "labels": list(labels), "scores": scores}, ensure_ascii=False
            )
            + "\n"
        )


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(evaluate)
    app.command()(classify)
