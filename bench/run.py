"""``python -m bench``: measure protoscan at archive scale against the goals of issue 8.

One run builds (or reuses) the synthetic archive, then measures text extraction, the scan's
worker scaling and peak memory, and tagging speed per backend with int8 quantisation and the
cascade. It prints a table of every measure beside its goal and writes ``bench/results.json``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bench import archive, extraction, measure, report, scaling, startup, tagging

# Library chatter (progress bars while loading weights, torch.ao deprecation notices) would
# bury the benchmark's own lines.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=FutureWarning)

REPO = Path(__file__).resolve().parents[1]
WORK = archive.ARCHIVE_ROOT / "work"
SECTIONS = ("startup", "extraction", "scan", "tagging")

err = Console(stderr=True)
app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)


def _section(name: str, fn: Callable[[], Any]) -> Any:
    """Run one measurement; a failure is recorded as skipped with its reason, not raised."""
    started = time.perf_counter()
    err.print(f"[bold]{name}[/] …")
    try:
        result = fn()
    except Exception as error:  # a benchmark reports what it could measure
        err.print(f"[red]{name} failed[/]: {error}")
        err.print(traceback.format_exc(limit=-4), highlight=False)
        result = {"skipped": f"failed: {type(error).__name__}: {error}"}
    err.print(f"  {name}: {time.perf_counter() - started:.1f} s", highlight=False)
    return result


@app.command()
def main(
    docs: Annotated[
        int, typer.Option(min=2, help="Archive size N (6–12 page PDFs); scans use N/2 and N.")
    ] = 300,
    extract_docs: Annotated[
        int, typer.Option(min=1, help="Documents (of the archive) timed with every PDF engine.")
    ] = 12,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per measure (best counts).")] = 2,
    scan_engine: Annotated[str, typer.Option(help="PDF engine for the scan runs.")] = "pdfium",
    only: Annotated[
        str, typer.Option(help="Comma-separated sections: startup, extraction, scan, tagging.")
    ] = ",".join(SECTIONS),
    out: Annotated[
        Path, typer.Option(dir_okay=False, help="JSON file to write the results to.")
    ] = REPO / "bench" / "results.json",
) -> None:
    """Measure extraction, scan scaling, peak memory and tagging; print and save the table."""
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        raise typer.BadParameter(f"unknown section(s) {unknown}; choose from {SECTIONS}")
    started = time.perf_counter()
    settings = archive.ArchiveSettings()
    results: dict[str, Any] = {
        "generated": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command": f"python -m bench --docs {docs} --extract-docs {extract_docs} "
        f"--repeats {repeats} --scan-engine {scan_engine} --only {','.join(wanted)}",
        "repeats": repeats,
        "machine": measure.machine(),
        "archive": {"settings": settings.__dict__, "key": settings.key(), "documents": docs},
    }
    if "startup" in wanted:
        results["startup"] = _section(
            "startup",
            lambda: startup.measure_startup(REPO / "models" / "default", repeats=max(repeats, 5)),
        )
    t0 = time.perf_counter()
    folder, paths = archive.build_archive(docs, settings)
    results["archive"]["folder"] = str(folder.relative_to(REPO))
    results["archive"]["build_seconds"] = round(time.perf_counter() - t0, 1)
    pages = _count_pages(paths)
    results["archive"]["pages"] = {
        "total": sum(pages),
        "min": min(pages),
        "max": max(pages),
        "mean": round(sum(pages) / len(pages), 2),
    }
    err.print(
        f"archive: {docs} PDFs, {sum(pages)} pages in {folder} "
        f"({results['archive']['build_seconds']} s)",
        highlight=False,
    )
    subset = paths[: min(extract_docs, len(paths))]
    WORK.mkdir(parents=True, exist_ok=True)

    if "extraction" in wanted:
        extraction.protoscan_extract(subset[:1], "pdfium")  # imports, outside the timings
        extraction.protoscan_extract(subset[:1], "pdfplumber")
        results["extraction"] = _section(
            "extraction", lambda: extraction.measure_extraction(subset, repeats)
        )
        results["cleanup"] = _section(
            "cleanup", lambda: extraction.measure_cleanup(subset, max(repeats, 10))
        )
        results["profile"] = {
            engine: _section(
                f"profile {engine}",
                lambda engine=engine: extraction.profile_extraction(
                    subset[:3], engine, save_to=WORK / "profiles" / f"{engine}.txt"
                ),
            )
            for engine in ("pdfplumber", "pdfium")
        }

    archive_texts: list[str] = []
    if "scan" in wanted:
        reason = scaling.scan_available()
        if reason:
            results["scan"] = {"skipped": reason}
        else:
            results["scan"] = _section(
                "scan",
                lambda: scaling.measure_scan(
                    paths,
                    WORK / "scans",
                    engine=scan_engine,
                    model=REPO / "models" / "default",
                    repeats=repeats,
                ),
            )
            archive_texts = scaling.archive_passages(WORK / "scans")

    if "tagging" in wanted:
        test, dev = tagging.load_split("test"), tagging.load_split("dev")
        results["tagging"] = {
            "sample": f"test split ({len(test)} passages; ×10 for linear)",
            "linear": _section(
                "tagging linear", lambda: tagging.measure_linear(test, repeats=repeats)
            ),
            "embedding": _section(
                "tagging embedding", lambda: tagging.measure_embedding(test, repeats=repeats)
            ),
        }
        both = _section(
            "tagging transformer + cascade",
            lambda: tagging.measure_transformer(
                test,
                dev,
                repeats=repeats,
                work_dir=WORK,
                archive_texts=archive_texts,
                real=tagging.load_real(),
            ),
        )
        if "skipped" in both:
            both = {"transformer": both, "cascade": both}
        results["tagging"].update(both)

    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    rows = report.build_rows(results)
    report.print_table(rows)
    report.write_results(out, results, rows)
    err.print(f"results → {out} ({results['total_seconds']} s in all)", highlight=False)


def _count_pages(paths: list[Path]) -> list[int]:
    import pypdfium2 as pdfium

    counts = []
    for path in paths:
        document = pdfium.PdfDocument(str(path))
        counts.append(len(document))
        document.close()
    return counts


if __name__ == "__main__":
    app()
