"""``protoscan scan``, ``trends`` and ``report``: tag an archive, then look at the trends."""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import ProgressColumn
from rich.table import Table
from rich.text import Text

from protoscan.batch.task import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_TIMEOUT
from protoscan.cli.common import DEFAULT_MODEL, Engine, err_console, print_warning

if TYPE_CHECKING:
    from protoscan.batch import ScanProgress, ScanSummary

console = Console()

#: Seconds between progress lines when stderr is not a terminal.
LOG_EVERY = 10.0


class Backend(str, Enum):
    local = "local"
    dask = "dask"


_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: str) -> int:
    """``"25M"`` → 26214400: bytes, or K/M/G (powers of 1024, ``B``/``iB`` optional).

    Raises:
        typer.BadParameter: Not a size.
    """
    text = value.strip().lower().removesuffix("b").removesuffix("i")
    number, unit = (text[:-1], text[-1]) if text and text[-1] in "kmg" else (text, "")
    try:
        size = float(number) * _SIZE_UNITS[unit]
    except (ValueError, KeyError):
        raise typer.BadParameter(
            f"expected a size such as 25M or 26214400; got {value!r}"
        ) from None
    if size < 0:
        raise typer.BadParameter(f"a size cannot be negative; got {value!r}")
    return int(size)


class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} documents/s" if speed else "– documents/s", style="cyan")


class _ProgressView:
    """A rich progress bar on a terminal, plain periodic lines on stderr otherwise."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.progress: Any = None
        self.task: Any = None
        self.started = time.monotonic()
        self.last_line = 0.0

    def __call__(self, event: ScanProgress) -> None:
        if self.interactive:
            self._bar(event)
        else:
            self._line(event)

    def _bar(self, event: ScanProgress) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        if self.progress is None:
            self.progress = Progress(
                TextColumn("[bold]scan[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                _RateColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=err_console,
            )
            self.progress.start()
            self.task = self.progress.add_task("scan", total=event.total, failed=0)
        self.progress.update(self.task, completed=event.completed, failed=event.failed)

    def _line(self, event: ScanProgress) -> None:
        now = time.monotonic()
        final = event.completed == event.total
        if event.completed and not final and now - self.last_line < LOG_EVERY:
            return
        if not event.total:
            return
        self.last_line = now
        elapsed = now - self.started
        rate = event.completed / elapsed if elapsed > 0 else 0.0
        eta = (event.total - event.completed) / rate if rate > 0 else None
        print(
            f"scan: {event.completed}/{event.total} documents ({event.failed} failed), "
            f"{rate:.2f} documents/s, ETA {_duration(eta)}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _failure_table(failures: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(failures)} file(s) could not be processed", title_style="bold red")
    table.add_column("file", overflow="fold")
    table.add_column("code")
    table.add_column("type")
    table.add_column("message", overflow="fold")
    for failure in failures:
        message = failure.get("message") or ""
        prefix = f"{failure.get('path')}: "
        table.add_row(
            failure.get("path") or "",
            failure.get("code") or "",
            failure.get("type") or "",
            message[len(prefix) :] if message.startswith(prefix) else message,
        )
    return table


def _report_summary(summary: ScanSummary) -> None:
    rate = (
        f", {summary.documents_per_second:.2f} documents/s" if summary.documents_per_second else ""
    )
    err_console.print(
        f"{summary.inputs} input file(s): {summary.documents} document(s) in the results "
        f"({summary.processed} processed now, {summary.skipped} already in the journal"
        + (f", {summary.duplicates} duplicate(s) skipped" if summary.duplicates else "")
        + f"), {len(summary.failures)} failed; {summary.seconds:.1f} s{rate}",
        highlight=False,
    )
    err_console.print(
        f"results → {summary.results} ({summary.records} records); manifest → {summary.manifest}",
        highlight=False,
    )
    if summary.failures:
        err_console.print(_failure_table(summary.failures))


def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (searched recursively).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Result file: .jsonl, .parquet or .csv (format by suffix)."
        ),
    ],
    glob: Annotated[
        str | None, typer.Option(help="Only files in folders whose name matches, e.g. '*.pdf'.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: the number of CPUs)."),
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="PDF text engine: pdfplumber (careful) or pdfium (fast).")
    ] = Engine.pdfplumber,
    model: Annotated[Path, typer.Option(help="Model directory.")] = DEFAULT_MODEL,
    cascade: Annotated[
        Path | None,
        typer.Option(
            help="Cascade model directory (linear screening in front of a transformer; "
            "train one with training/cascade.toml). Used instead of --model."
        ),
    ] = None,
    max_pages: Annotated[
        int,
        typer.Option(min=0, help="Record PDFs with more pages as failed (0: no limit)."),
    ] = DEFAULT_MAX_PAGES,
    timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds per document before it is recorded as failed (0: no limit)."
        ),
    ] = DEFAULT_TIMEOUT,
    max_bytes: Annotated[
        str,
        typer.Option(
            help="Record larger files as failed, without reading them: bytes or K/M/G "
            "(0: no limit).",
        ),
    ] = f"{DEFAULT_MAX_BYTES // 1024**2}M",
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Process files that failed before again.")
    ] = False,
    pseudonymize: Annotated[
        bool,
        typer.Option(
            "--pseudonymize",
            help="Replace personal numbers and flagged names of persons in every output with "
            "pseudonyms, stable within the scan. The key is kept in the journal (owner-only "
            "file): share the results and manifest, not the journal.",
        ),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Store the cue words behind each label of a passage (the words whose removal "
            "lowers the label's score most) in a 'cues' field. Costs one extra model call per "
            "labelled passage, scoring the passage once per word.",
        ),
    ] = False,
    backend: Annotated[
        Backend,
        typer.Option(help="Where documents are processed: local processes, or dask.distributed."),
    ] = Backend.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="With --backend dask: a running scheduler, e.g. tcp://host:8786 "
            "(default: start a local cluster of --workers processes).",
        ),
    ] = None,
) -> None:
    """Tag every decision under PATHS and write one result file.

    Files are .pdf, .docx, .doc, .rtf, .odt, .html, .xhtml, .htm and .txt (.doc, .rtf and
    .odt through antiword or LibreOffice); a .zip archive stands for the documents in it,
    each recorded as ARCHIVE.zip!/MEMBER (nested archives are refused). Finished documents go to
    RESULTS.journal.jsonl as they complete: run the same command again to resume after an
    interruption (done documents are skipped by content hash; failed files are not retried
    without --retry-failed). RESULTS.manifest.json records the model, versions, limits,
    counts, errors and timing. Files that cannot be read, are too large, have too many pages
    or take too long are recorded with a typed error and the scan goes on.

    On a cluster (--backend dask --scheduler tcp://host:8786): start `dask scheduler` on one
    machine and `dask worker tcp://host:8786 --nthreads 1` on each worker machine. Every
    worker needs the same protoscan version installed with its "distributed" extra, and
    must see the model directory and the input files at the same absolute paths as this
    machine (a shared file system, or identical copies). This machine alone writes the
    journal and results, so resuming works as for a local scan.

    Exit status: 0 when every file was processed; 1 when some files failed (listed at the
    end and in the manifest) or the scan could not run; 2 for bad command-line usage.
    """
    from protoscan.batch import ScanOptions, run_scan

    size_limit = parse_size(max_bytes)
    if cascade is not None:
        from protoscan.classify.model_dir import read_config

        if read_config(cascade)["backend"] != "cascade":
            raise typer.BadParameter(f"{cascade} is not a cascade model", param_hint="--cascade")
        model = cascade
    options = ScanOptions(
        model=model,
        engine=engine.value,
        workers=workers,
        max_pages=max_pages or None,
        timeout=timeout or None,
        max_bytes=size_limit or None,
        retry_failed=retry_failed,
        glob=glob,
        backend=backend.value,
        scheduler=scheduler,
        pseudonymize=pseudonymize,
        explain=explain,
    )
    view = _ProgressView(err_console.is_terminal)
    try:
        summary = run_scan(paths, out, options, on_progress=view)
    except KeyboardInterrupt:
        view.close()  # before printing, so the message is not drawn over
        err_console.print(
            "[yellow]interrupted[/]: finished documents are in the journal; "
            "run the same command again to resume"
        )
        raise typer.Exit(code=130) from None
    finally:
        view.close()
    _report_summary(summary)
    if not summary.ok:
        raise typer.Exit(code=1)


def _load_documents(
    results: Path, label: list[str] | None, date_from: str | None, date_to: str | None
) -> tuple[list[dict[str, Any]], int, tuple[str, ...]]:
    """Document records in the date window, the number before filtering, the labels."""
    from protoscan.analysis import filter_documents, result_labels, select_labels
    from protoscan.batch import read_results
    from protoscan.errors import DataError

    everything = read_results(results, record="document")
    documents = filter_documents(everything, date_from=date_from, date_to=date_to)
    if not documents:
        window = (
            f" decided between {date_from or '…'} and {date_to or '…'}"
            if date_from or date_to
            else ""
        )
        raise DataError(f"{results}: no document records{window}")
    return documents, len(everything), select_labels(result_labels(everything), label)


def trends(
    results: Annotated[Path, typer.Argument(help="Result file of `protoscan scan`.")],
    by: Annotated[
        str,
        typer.Option(
            help="Group by these, comma-separated: year, authority, municipality, label, "
            "outcome, doc_type, law_version."
        ),
    ] = "year",
    label: Annotated[
        list[str] | None, typer.Option(help="Only these label ids (repeat or comma-separate).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Decisions on or after YYYY[-MM[-DD]].")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Decisions on or before YYYY[-MM[-DD]].")
    ] = None,
    adjust: Annotated[
        str | None,
        typer.Option(
            help="Fit per-year models adjusted for these, comma-separated: authority, doc_type, "
            "municipality, outcome, law_version (odds ratios and marginal rates per year)."
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="Cluster-robust standard errors by this field (e.g. municipality)."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            help="Model directory whose real-text error rates correct the rates (default: the "
            "model recorded in the scan's manifest)."
        ),
    ] = None,
    error_rates: Annotated[
        str,
        typer.Option(
            help="Which error rates correct the rates: real (passage-level, on real "
            "sentences; document-level derived) or documents (measured on corpus documents)."
        ),
    ] = "real",
    min_documents: Annotated[
        int, typer.Option(min=1, help="Flag groups with fewer documents than this.")
    ] = 10,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the table (long format) as .csv, .parquet or .json."
        ),
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the charts as one .png or .svg.")] = None,
) -> None:
    """Documents with each label and the rate per 100 documents, by year, authority …

    Each rate gets a Wilson 95 % interval and, when the model directory carries real-text
    error rates (`protoscan evaluate --real`), the Rogan–Gladen corrected rate with an
    interval. Also tests each label for a trend over the years (Mann–Kendall and a logistic
    slope); with --adjust, per-year odds ratios and marginal rates adjusted for the mix.
    """
    from protoscan.analysis import label_trends, parse_by, trends_table
    from protoscan.analysis.models import parse_adjust, year_models
    from protoscan.analysis.sources import flat_year_rows, resolve_error_rates
    from protoscan.analysis.tables import counting_passages
    from protoscan.batch import read_results
    from protoscan.cli.trends_view import (
        corrected_table,
        counts_table,
        stats_table,
        write_table,
        year_model_table,
    )

    keys = parse_by(by)
    adjust_keys = parse_adjust(adjust)
    documents, total, labels = _load_documents(results, label, date_from, date_to)
    source = resolve_error_rates(results, model, which=error_rates)
    rates = source.rates
    counts = None
    if rates is not None and rates.unit == "passage":
        counts = counting_passages(read_results(results, record="passage"))
    options: dict[str, Any] = {
        "error_rates": rates,
        "passage_counts": counts,
        "min_documents": min_documents,
    }
    rows = trends_table(documents, keys, labels, **options)
    overall = trends_table(documents, ("label",), labels, **options)
    stats = label_trends(documents, labels)
    models = []
    if adjust_keys or cluster:
        models = year_models(
            documents,
            labels,
            adjust=adjust_keys,
            cluster=cluster,
            error_rates=rates,
            passage_counts=counts,
            min_documents=min_documents,
        )
    console.print(counts_table(rows, keys, labels, min_documents))
    corrected = rates is not None
    console.print(
        corrected_table(
            overall,
            (),
            "All selected documents: raw and corrected rate" if corrected else "All documents",
            corrected=corrected,
        )
    )
    if corrected or "label" not in keys:
        title = "Raw and corrected rate per group" if corrected else "Rate per group"
        console.print(corrected_table(rows, keys, title, corrected=corrected))
    console.print(stats_table(stats, models))
    for year_model in models:
        console.print(year_model_table(year_model))
    if source.warning:
        print_warning(source.message)
    else:
        err_console.print(escape(source.message), highlight=False)
    err_console.print(
        f"{len(documents)} of {total} documents"
        + (f" decided {date_from or '…'} – {date_to or '…'}" if date_from or date_to else ""),
        highlight=False,
    )
    if out is not None:
        written = write_table(
            out,
            {
                "results": str(results),
                "by": list(keys),
                "labels": list(labels),
                "from": date_from,
                "to": date_to,
                "documents": len(documents),
                "min_documents": min_documents,
                "error_rates": {
                    "model": str(source.model_dir) if source.model_dir else None,
                    "used": rates is not None,
                    "message": source.message,
                },
                "rows": rows,
                "overall": overall,
                "trends": [t.to_dict() for t in stats],
                "year_models": [m.to_dict() for m in models],
                "year_rows": flat_year_rows(models),
            },
        )
        err_console.print(f"table → {', '.join(map(str, written))}", highlight=False)
    if plot is not None:
        from protoscan.analysis.charts import save_figure, trends_figure

        save_figure(
            trends_figure(
                documents,
                labels,
                error_rates=rates,
                passage_counts=counts,
                min_documents=min_documents,
            ),
            plot,
        )
        err_console.print(f"charts → {plot}", highlight=False)


def report(
    results: Annotated[Path, typer.Argument(help="Result file of `protoscan scan`.")],
    html: Annotated[Path, typer.Option("--html", help="The HTML page to write.")],
    examples: Annotated[int, typer.Option(min=0, help="Example passages per label.")] = 5,
    title: Annotated[str | None, typer.Option(help="Page title.")] = None,
) -> None:
    """One self-contained HTML page: tables, charts, trend tests and example passages."""
    from protoscan.render.report import write_report

    path = write_report(results, html, examples=examples, title=title)
    err_console.print(f"report → {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(scan)
    app.command()(trends)
    app.command()(report)
