"""``protoscan train``, ``evaluate`` and ``classify``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from protoscan.cli.common import DEFAULT_MODEL, err_console, figure_scale, parse_overrides

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
    from protoscan.training.train import data_description, load_config
    from protoscan.training.train import train as run_training

    recipe = load_config(config, parse_overrides(overrides or []))
    err_console.print(
        f"training [bold]{escape(recipe.name)}[/] ({recipe.backend}) on "
        f"{escape(data_description(recipe.data))} …"
    )
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
    data: Annotated[
        list[Path] | None,
        typer.Option(
            help="Labelled JSONL file or directory of them; repeat for several, e.g. "
            "passages and sentences (needed unless --real)."
        ),
    ] = None,
    model: Annotated[Path, typer.Option(help="Model directory.")] = DEFAULT_MODEL,
    split: Annotated[
        str | None, typer.Option(help="Only passages of this split (train/dev/test).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write metrics.json, PR curves and worst errors here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            "--compare",
            metavar="MODEL_A MODEL_B",
            help="Compare two model directories side by side (instead of --model).",
        ),
    ] = None,
    real: Annotated[
        Path | None,
        typer.Option(
            help="Hand-labelled real sentences (evaluation only): measure per-label "
            "sensitivity and specificity with intervals and write them into the model "
            "directory's metrics.json and model card (used by `protoscan trends`).",
        ),
    ] = None,
    interval: Annotated[
        str, typer.Option(help="Interval for --real/--documents: wilson or clopper-pearson.")
    ] = "wilson",
    documents: Annotated[
        Path | None,
        typer.Option(
            help="A corpus documents folder with manifest.jsonl (expected labels per "
            "document): measure document-level sensitivity and specificity and store them "
            "in the model directory (`trends --error-rates documents`).",
        ),
    ] = None,
    label_free: Annotated[
        list[Path] | None,
        typer.Option(
            "--label-free",
            help="Real documents that hold no finding (statutes, for example), files or "
            "folders; repeat for several: the share of their passages given a label, with "
            "--model or --compare (evaluation only: never train or tune on them).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="With --data: finding AP, label-free FP and any-label recall per value of a "
            "row field (authority, genre, voice, stance, source: by web site, split); counts "
            "and figures only, no rows. Groups with few rows say little.",
        ),
    ] = None,
    figures_only: Annotated[
        bool,
        typer.Option(
            "--figures-only",
            help="Counts and figures only: no row (worst errors, disagreements) in the "
            "printout, --json or --report; for sets whose sentences must not be read, such "
            "as real decisions.",
        ),
    ] = False,
) -> None:
    """Per-label precision/recall/F1, micro/macro F1, confusion summary and worst errors.

    With --compare MODEL_A MODEL_B: both models' per-label F1 side by side; core macro-F1,
    finding AP, label-free FP and any-label recall of each with a paired-bootstrap 95 % CI of
    the difference (B − A); and where they disagree.

    With --real FILE: sensitivity and specificity per label at the model's thresholds on real
    hand-labelled sentences (ambiguous rows left out), stored in the model directory.

    With --label-free PATH: the share of passages of text without findings that the model
    gives a label (with --compare: both models and B − A with a paired-bootstrap interval).

    With --by FIELD (and --data): the finding figures per group of rows, for example per
    authority, to see where a model falls short.

    With --figures-only: no row's text or id is shown or written, only counts and figures.
    """
    from protoscan.classify.model_dir import load_classifier
    from protoscan.corpus.schema import load_passages
    from protoscan.training.evaluate import evaluate_predictions, plot_pr_curves
    from protoscan.training.train import data_description

    modes = [
        name
        for name, given in (
            ("--data", data),
            ("--real", real is not None),
            ("--documents", documents is not None),
            ("--label-free", label_free),
        )
        if given
    ]
    if by is not None:
        _check_breakdown(by, data)
    if as_json and len(modes) > 1:
        # One JSON document per run, so that the output parses as JSON.
        raise typer.BadParameter(
            f"--json prints one JSON document: give one of {', '.join(modes)} per run",
            param_hint="--json",
        )
    if real is not None:
        _evaluate_real(real, model, interval, as_json)
    if documents is not None:
        _evaluate_documents(documents, model, interval, as_json)
    if label_free:
        _evaluate_label_free(label_free, compare or (model,), interval, as_json)
    if modes and not data:
        return
    if not data:
        raise typer.BadParameter(
            "give --data FILE (or --real FILE / --documents DIR / --label-free PATH)",
            param_hint="--data",
        )
    passages = load_passages(data, split=split)
    described = data_description(tuple(data))
    if not passages:
        raise typer.BadParameter(
            f"no passages in {described}" + (f" for split {split}" if split else "")
        )
    if compare is not None:
        _compare(
            compare,
            passages,
            described + (f" (split {split})" if split else ""),
            report,
            as_json,
            by,
            figures_only,
        )
        return
    classifier = load_classifier(model)
    probs = classifier.predict_proba([p.text for p in passages])
    result = evaluate_predictions(passages, probs, classifier.thresholds_, classifier.labels_)
    if figures_only:
        result.worst_errors = []
    breakdown = (
        None
        if by is None
        else _breakdown(
            passages, by, classifier.labels_, {"model": (probs, classifier.thresholds_)}
        )
    )
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        result.write_json(report / "metrics.json")
        plot_pr_curves(passages, probs, classifier.labels_, report)
    if as_json:
        payload = result.to_dict() | ({"by": breakdown} if breakdown else {})
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    title = f"{model} on {described}" + (f" (split: {split})" if split else "")
    console.print(evaluation_table(result.to_dict(), title))
    if breakdown:
        console.print(_breakdown_table(breakdown))
    confusion = Table(title="Confusion summary (gold → wrongly predicted)")
    confusion.add_column("gold")
    confusion.add_column("also predicted (count)")
    for gold, wrong in result.confusion.items():
        if wrong:
            confusion.add_row(gold, ", ".join(f"{k} ({v})" for k, v in sorted(wrong.items())))
    console.print(confusion)
    if not figures_only:
        console.print(f"[bold]{len(result.worst_errors)} worst errors[/]")
        for error in result.worst_errors:
            console.print(
                f"- [dim]{error['id']}[/] gold={error['gold']} predicted={error['predicted']}: "
                f"{error['text'][:220]}",
                highlight=False,
            )
    if report is not None:
        err_console.print(f"report written to {escape(str(report))}")


def _check_interval(interval: str) -> None:
    from protoscan.analysis.correction import INTERVAL_METHODS

    if interval not in INTERVAL_METHODS:
        raise typer.BadParameter(
            f"use one of {', '.join(INTERVAL_METHODS)}; got {interval!r}", param_hint="--interval"
        )


def _evaluate_real(real: Path, model: Path, interval: str, as_json: bool) -> None:
    """``evaluate --real``: measure and store the model's real-text error rates."""
    import datetime as dt

    from protoscan.batch.task import model_fingerprint
    from protoscan.classify.model_dir import load_classifier
    from protoscan.corpus.schema import load_passages
    from protoscan.hashing import file_sha256
    from protoscan.training.evaluate import real_accuracy, write_real_accuracy

    _check_interval(interval)
    if not real.is_file():
        raise typer.BadParameter(f"{real}: no such file", param_hint="--real")
    everything = load_passages(real, include_ambiguous=True)
    passages = load_passages(real)  # whitespace normalised on load
    if not passages:
        raise typer.BadParameter(f"{real}: no unambiguous labelled rows", param_hint="--real")
    classifier = load_classifier(model)
    probs = classifier.predict_proba([p.text for p in passages])
    block = real_accuracy(
        passages, probs, classifier.thresholds_, classifier.labels_, method=interval
    )
    block.update(
        data=str(real),
        data_sha256=file_sha256(real),
        excluded_ambiguous=len(everything) - len(passages),
        model_fingerprint=model_fingerprint(model)["fingerprint"],
        measured=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        note="sentences, whitespace normalised; never used for training or tuning",
    )
    path = write_real_accuracy(model, block)
    _accuracy_output(block, escape(f"{model} on real sentences {real}"), as_json)
    err_console.print(f"error rates → {escape(str(path))} and the model card", highlight=False)


def _evaluate_documents(folder: Path, model: Path, interval: str, as_json: bool) -> None:
    """``evaluate --documents``: document-level error rates on a corpus's whole documents."""
    import datetime as dt

    from protoscan.analysis.correction import DOCUMENTS_KEY
    from protoscan.batch.task import model_fingerprint
    from protoscan.classify.model_dir import load_classifier
    from protoscan.training.evaluate import document_accuracy, write_real_accuracy

    _check_interval(interval)
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder}: no such folder", param_hint="--documents")
    block = document_accuracy(folder, load_classifier(model), method=interval)
    block.update(
        data=str(folder),
        model_fingerprint=model_fingerprint(model)["fingerprint"],
        measured=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        note="whole corpus documents, tagged as protoscan scan does; the corpus is written by "
        "the team and may overlap the training text, so these rates can be optimistic",
    )
    path = write_real_accuracy(model, block, key=DOCUMENTS_KEY)
    _accuracy_output(block, escape(f"{model} on the documents of {folder}"), as_json)
    err_console.print(
        f"document-level error rates → {escape(str(path))} and the model card", highlight=False
    )


def _evaluate_label_free(
    paths: list[Path], models: tuple[Path, ...], interval: str, as_json: bool
) -> None:
    """``evaluate --label-free``: how often one model, or each of two, flags text without
    findings."""
    from protoscan.classify.model_dir import load_classifier
    from protoscan.training.label_free import compare_flag_rates, flag_rate, read_label_free

    _check_interval(interval)
    texts = read_label_free(paths)
    classifiers = [load_classifier(m) for m in models]
    if len(classifiers) == 2:
        result = compare_flag_rates(texts, *classifiers, method=interval)
        blocks = [result["a"], result["b"]]
    else:
        result = flag_rate(texts, classifiers[0], method=interval)
        blocks = [result]
    if as_json:
        typer.echo(json.dumps({"label_free": result}, ensure_ascii=False, indent=2))
        return
    table = Table(title="Passages of text without findings given a label")
    table.add_column("document")
    table.add_column("passages", justify="right")
    for name in ("flagged A", "flagged B") if len(blocks) == 2 else ("flagged",):
        table.add_column(name, justify="right")
    for i, doc in enumerate(blocks[0]["documents"]):
        table.add_row(
            escape(doc["document"]),
            str(doc["passages"]),
            *(str(block["documents"][i]["flagged"]) for block in blocks),
        )
    table.add_row(
        "[bold]all[/]",
        str(blocks[0]["passages"]),
        *(
            f"{b['flagged']} ({100 * b['flag_rate']:.2f} %, "
            f"{100 * b['ci_low']:.2f}–{100 * b['ci_high']:.2f})"
            for b in blocks
        ),
    )
    names = " vs ".join(f"{tag} = {m}" for tag, m in zip("AB", models, strict=False))
    table.caption = escape(
        (names if len(models) == 2 else str(models[0])) + f"; {interval} 95 % intervals"
    )
    console.print(table)
    if len(blocks) == 2:
        d = result["difference"]
        console.print(
            f"flag rate B − A {100 * d['difference']:+.2f} points, paired bootstrap 95 % CI "
            f"[{100 * d['ci_low']:+.2f}, {100 * d['ci_high']:+.2f}]",
            highlight=False,
        )


def _accuracy_output(block: dict[str, Any], title: str, as_json: bool) -> None:
    from protoscan.analysis.correction import MIN_NEGATIVES, MIN_POSITIVES
    from protoscan.labels import get_label

    if as_json:
        typer.echo(json.dumps(block, ensure_ascii=False, indent=2))
        return

    def ci(pair: list[float] | None) -> str:
        return f"[{pair[0]:.3f}, {pair[1]:.3f}]" if pair else "–"

    def value(x: float | None) -> str:
        return "–" if x is None else f"{x:.3f}"

    table = Table(title=title)
    for column in ("label", "pos", "neg", "sensitivity", "95 % CI", "specificity", "95 % CI"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, m in block["per_label"].items():
        table.add_row(
            f"{label} ({get_label(label).name_sv})",
            str(m["n_positive"]),
            str(m["n_negative"]),
            value(m["sensitivity"]),
            ci(m["sensitivity_ci"]),
            value(m["specificity"]),
            ci(m["specificity_ci"]),
        )
    left_out = block.get("excluded_ambiguous")
    table.caption = (
        f"{block['n']} {block['unit']}s"
        + (f" ({left_out} ambiguous left out)" if left_out else "")
        + f"; {block['interval']} intervals. Trends correct a label only with ≥ "
        f"{MIN_POSITIVES} positives, ≥ {MIN_NEGATIVES} negatives and sensitivity + "
        "specificity > 1."
    )
    console.print(table)


def _compare(
    models: tuple[Path, Path],
    passages: list[Any],
    where: str,
    report: Path | None,
    as_json: bool,
    by: str | None = None,
    figures_only: bool = False,
) -> None:
    from protoscan.classify.model_dir import load_classifier
    from protoscan.labels import get_label
    from protoscan.training.evaluate import compare_predictions

    model_a, model_b = (load_classifier(path) for path in models)
    labels = tuple(label for label in model_a.labels_ if label in model_b.labels_)
    texts = [p.text for p in passages]

    def columns(classifier: Any) -> tuple[Any, Any]:
        index = [list(classifier.labels_).index(label) for label in labels]
        return classifier.predict_proba(texts)[:, index], classifier.thresholds_[index]

    (probs_a, thr_a), (probs_b, thr_b) = columns(model_a), columns(model_b)
    result = compare_predictions(passages, probs_a, thr_a, probs_b, thr_b, labels)
    if figures_only:
        result.disagreements, result.a.worst_errors, result.b.worst_errors = [], [], []
    payload = {"model_a": str(models[0]), "model_b": str(models[1]), **result.to_dict()}
    if by is not None:
        payload["by"] = _breakdown(
            passages, by, labels, {"a": (probs_a, thr_a), "b": (probs_b, thr_b)}
        )
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        (report / "comparison.json").write_text(text, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    data = result.to_dict()
    table = Table(title=escape(f"A = {models[0]}  vs  B = {models[1]} on {where}"))
    for column in ("label", "F1 A", "F1 B", "B − A", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, row in data["per_label"].items():
        table.add_row(
            f"{label} ({get_label(label).name_sv})",
            f"{row['a_f1']:.3f}",
            f"{row['b_f1']:.3f}",
            f"{row['difference']:+.3f}",
            str(row["support"]),
        )
    for scope in ("core", "all"):
        a, b = data[f"{scope}_macro_f1"]["a"], data[f"{scope}_macro_f1"]["b"]
        table.add_row(f"[bold]{scope} macro[/]", f"{a:.3f}", f"{b:.3f}", f"{b - a:+.3f}", "")
    fp = data["negatives_false_positive_rate"]
    table.add_row(
        "label-free passages given a label",
        f"{fp['a']:.3f}",
        f"{fp['b']:.3f}",
        f"{fp['b'] - fp['a']:+.3f}",
        "",
    )
    boot = result.bootstrap
    table.caption = (
        f"{result.a.n} passages. Core macro-F1 B − A = {boot['difference']:+.4f}, paired "
        f"bootstrap 95 % CI [{boot['ci_low']:+.4f}, {boot['ci_high']:+.4f}], "
        f"share of resamples with B not better {boot['p_b_not_better']:.3f}"
    )
    console.print(table)
    console.print(_findings_table(result.findings))
    if by is not None:
        console.print(_breakdown_table(payload["by"], compared=models))
    console.print(
        f"[bold]{result.n_disagreements} passages decided differently[/] (only A right: "
        f"{result.a_only_correct}, only B right: {result.b_only_correct})"
        + ("" if figures_only else f"; showing {len(result.disagreements)}")
    )
    for row in result.disagreements:
        mark = "A" if row["a_correct"] else "B" if row["b_correct"] else "-"
        console.print(
            f"- [dim]{row['id']}[/] gold={row['gold']} A={row['a']} B={row['b']} "
            f"(right: {mark}): {escape(row['text'][:200])}",
            highlight=False,
        )


def _check_breakdown(by: str, data: list[Path] | None) -> None:
    from protoscan.training.breakdown import BREAKDOWN_FIELDS

    if by not in BREAKDOWN_FIELDS:
        raise typer.BadParameter(
            f"use one of {', '.join(BREAKDOWN_FIELDS)}; got {by!r}", param_hint="--by"
        )
    if not data:
        raise typer.BadParameter(
            "--by groups the rows of --data: give --data FILE", param_hint="--by"
        )


def _breakdown(
    passages: list[Any],
    by: str,
    labels: tuple[str, ...],
    models: dict[str, tuple[Any, Any]],
) -> dict[str, Any]:
    """``--by``: the finding figures per group, for each model (``name → (probs,
    thresholds)``)."""
    from protoscan.corpus.schema import label_matrix
    from protoscan.training.breakdown import figures_by

    gold = label_matrix(passages, labels).astype(bool)
    predicted = {name: (probs, probs >= thr[None, :]) for name, (probs, thr) in models.items()}
    return {
        "field": by,
        "models": list(models),
        "groups": figures_by(passages, by, gold, predicted),
    }


def _breakdown_table(breakdown: dict[str, Any], compared: tuple[Path, Path] | None = None) -> Table:
    """One row per group; with the two ``compared`` models each figure shows A → B."""
    table = Table(title=f"Finding figures by {breakdown['field']}")
    table.add_column(breakdown["field"], overflow="fold")
    for column in ("rows", "labelled", *(r[0] for r in _FINDING_ROWS)):
        table.add_column(column, justify="right", no_wrap=True)
    for group in breakdown["groups"]:
        table.add_row(
            escape(group["group"]),
            str(group["rows"]),
            str(group["with_label"]),
            *(
                " → ".join(_figure_text(group[name][key], share) for name in breakdown["models"])
                for _, key, share in _FINDING_ROWS
            ),
        )
    table.caption = escape(
        (f"A = {compared[0]}, B = {compared[1]}; each figure A → B. " if compared else "")
        + "Groups with few rows, or few with a label, say little."
    )
    return table


def _figure_text(value: float | None, share: bool) -> str:
    """A finding figure as the tables show it: shares in per cent, AP to three places."""
    if value is None:
        return "–"
    scale, digits, unit = figure_scale(share)
    return f"{scale * value:.{digits}f}{unit}"


#: Finding figures as the comparison table shows them: name, and whether they are shares.
_FINDING_ROWS = (
    ("finding AP", "finding_ap", False),
    ("label-free FP", "label_free_fp", True),
    ("any-label recall", "any_label_recall", True),
)


def _findings_table(findings: dict[str, dict[str, float]]) -> Table:
    """Finding AP, label-free FP and any-label recall of A and B, with B − A and its paired
    bootstrap interval (the figures the real-text goals are written in)."""
    table = Table(title="Finding score (each passage's highest label score)")
    for column in ("figure", "A", "B", "B − A", "95 % CI of B − A"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for title, key, share in _FINDING_ROWS:
        row = findings[key]
        scale, digits, _ = figure_scale(share)
        points = " pt" if share else ""
        table.add_row(
            title,
            _figure_text(row["a"], share),
            _figure_text(row["b"], share),
            f"{scale * row['difference']:+.{digits}f}{points}",
            f"[{scale * row['ci_low']:+.{digits}f}, {scale * row['ci_high']:+.{digits}f}]",
        )
    table.caption = "An interval that holds 0 does not show that B differs from A."
    return table


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
            err_console.print(
                f"[yellow]skipped line {number}:[/] {escape(str(error))}", highlight=False
            )
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


def export_onnx(
    source: Annotated[Path, typer.Argument(help="Trained transformer model directory.")],
    output: Annotated[Path, typer.Option(help="New model directory for the export.")],
    fp32: Annotated[
        bool, typer.Option("--fp32", help="Keep float32 weights (no int8 quantisation).")
    ] = False,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            help="Annotated corpora (repeatable): compare both models on the test split and "
            "write the export's metrics.json and MODEL_CARD.md."
        ),
    ] = None,
) -> None:
    """Export a transformer to ONNX (fused, int8 by default) for fast CPU tagging.

    The result is a model directory of its own (backend "onnx") with the source's labels and
    thresholds; use it with --model anywhere, or as a cascade's precise member.
    """
    import time

    from protoscan.classify.model_dir import load_classifier
    from protoscan.classify.onnx_backend import export_onnx as run_export
    from protoscan.corpus.schema import load_passages
    from protoscan.training.evaluate import evaluate_predictions

    started = time.perf_counter()
    exported = run_export(source, output, quantize=not fp32)
    size = (output / "model.onnx").stat().st_size / 2**20
    err_console.print(
        f"exported {source} → {output} ({'int8' if exported.quantized else 'fp32'}, "
        f"{size:.1f} MiB) in {time.perf_counter() - started:.1f} s"
    )
    if data is None:
        return
    passages = load_passages(data, split="test")
    if not passages:
        raise typer.BadParameter("no test passages in --data", param_hint="--data")
    texts = [p.text for p in passages]
    scores = {}
    for name, model in (("source", load_classifier(source)), ("onnx", exported)):
        started = time.perf_counter()
        probs = model.predict_proba(texts)
        seconds = time.perf_counter() - started
        result = evaluate_predictions(passages, probs, model.thresholds_, model.labels_)
        scores[name] = (100 * result.core["macro_f1"], len(texts) / seconds)
    change = scores["onnx"][0] - scores["source"][0]
    for name, (f1, rate) in scores.items():
        console.print(f"{name}: test core macro-F1 {f1:.2f}, {rate:.1f} passages/s")
    console.print(f"core macro-F1 change {change:+.2f} points on {len(texts)} test passages")
    from protoscan.training.train import describe_model

    describe_model(
        output,
        tuple(data),
        {"export": {"source": str(source), "source_test_core_macro_f1": scores["source"][0] / 100}},
    )
    err_console.print(f"metrics.json and MODEL_CARD.md written to {escape(str(output))}")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(evaluate)
    app.command()(classify)
    app.command("export-onnx")(export_onnx)
