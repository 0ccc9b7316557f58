"""Goals, their measured values, the rich table and ``results.json``."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One line of the table: a measured value beside its goal (or ``None`` for context)."""

    section: str
    measure: str
    value: float | None
    unit: str
    goal: str | None = None
    met: bool | None = None
    note: str = ""


def _get(results: dict[str, Any], *keys: str) -> Any:
    value: Any = results
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _skip_reason(section: Any) -> str | None:
    if not section or not isinstance(section, dict):
        return "not run"
    return section.get("skipped")


def _goal(
    rows: list[Row],
    section: str,
    measure: str,
    value: float | None,
    unit: str,
    goal: str,
    test: Callable[[float], bool],
    note: str = "",
    skip: str | None = None,
) -> None:
    if value is None:
        rows.append(Row(section, measure, None, unit, goal, None, skip or note or "not measured"))
    else:
        rows.append(Row(section, measure, value, unit, goal, bool(test(value)), note))


def _by_round(ratios: list[float] | None) -> str:
    """``; by round: median 4.3× (3.6–6.2×)``, or nothing for results without rounds."""
    if not ratios:
        return ""
    return (
        f"; by round: median {statistics.median(ratios):.2f}× "
        f"({min(ratios):.2f}–{max(ratios):.2f}×)"
    )


def build_rows(results: dict[str, Any]) -> list[Row]:
    """Every goal of issue 8 with its measured value, plus context rows."""
    rows: list[Row] = []
    start = results.get("startup", {})
    for name, label in (
        ("classify", "classify one sentence ÷ protoscan --help"),
        ("screen", "screen a one-page draft ÷ protoscan --help"),
        ("scan_first_document", "first document of a 2-worker scan ÷ protoscan --help"),
    ):
        goal = (start.get("goals") or {}).get(name)
        seconds = (start.get("seconds") or {}).get(name)
        _goal(
            rows,
            "startup",
            label,
            (start.get("ratios") or {}).get(name),
            "×",
            f"≤ {goal:g}×" if goal else "",
            lambda v, goal=goal: goal is not None and v <= goal,
            f"{seconds} s; --help {(start.get('seconds') or {}).get('help')} s; best of "
            f"{start.get('repeats')}, fresh processes"
            + _by_round((start.get("ratios_by_round") or {}).get(name))
            if seconds
            else "",
            _skip_reason(start),
        )
    ex = results.get("extraction", {})
    skip = _skip_reason(ex)
    ratios = _get(ex, "ratios") or {}
    pages = ex.get("pages")
    where = f"{ex.get('documents')} docs, {pages} pages; CPU time, best of {results['repeats']}"
    _goal(
        rows,
        "extraction",
        "protoscan pdfplumber ÷ raw pdfplumber (time)",
        ratios.get("plumber_vs_raw_cpu"),
        "×",
        "≤ 1.2×",
        lambda v: v <= 1.2,
        f"{where}; wall {ratios.get('plumber_vs_raw_wall')}×",
        skip,
    )
    _goal(
        rows,
        "extraction",
        "protoscan pdfium speed-up over raw pdfplumber",
        ratios.get("pdfium_speedup_cpu"),
        "×",
        "≥ 15×",
        lambda v: v >= 15,
        f"wall {ratios.get('pdfium_speedup_wall')}×",
        skip,
    )
    for key, label in (
        ("pdfplumber_raw", "raw pdfplumber extract_text"),
        ("protoscan_pdfplumber", "protoscan pdfplumber"),
        ("protoscan_pdfium", "protoscan pdfium"),
    ):
        value = _get(ex, key, "pages_per_s_cpu")
        note = "CPU time" if value is not None else _skip_reason(ex) or "not run"
        rows.append(Row("extraction", label, value, "pages/s", note=note))
    cleanup = results.get("cleanup", {})
    rows.append(
        Row(
            "extraction",
            "protoscan cleanup alone (clean_pages)",
            cleanup.get("pages_per_s_cpu"),
            "pages/s",
            note="on pdfium's raw pages, CPU time; 1,534 pages/s before the fix (README)"
            if cleanup.get("pages_per_s_cpu")
            else "not run",
        )
    )
    for engine in ("pdfplumber", "pdfium"):
        profile = _get(results, "profile", engine) or {}
        share = profile.get("protoscan_share")
        rows.append(
            Row(
                "profile",
                f"share of {engine} path in protoscan's own code",
                None if share is None else round(100 * share, 1),
                "%",
                note=f"cleanup {profile.get('cleanup_seconds')} s of {profile.get('seconds')} s"
                " (profiled)",
            )
        )

    scan = results.get("scan", {})
    skip = _skip_reason(scan)
    runs = scan.get("runs", {}) if isinstance(scan, dict) else {}
    one = runs.get("w1_full", {})
    two = runs.get("w2_full", {})
    _goal(
        rows,
        "scan",
        "--workers 2 ÷ --workers 1 throughput",
        scan.get("scaling_steady"),
        "×",
        "≥ 1.8×",
        lambda v: v >= 1.8,
        f"{one.get('documents')} docs, engine {scan.get('engine')}; after the first document, "
        f"best of {one.get('tries')}; wall {scan.get('scaling_wall')}×; background load in "
        f"those runs {one.get('background_cores')}/{two.get('background_cores')} cores",
        skip,
    )
    rows.append(
        Row(
            "scan",
            "documents/s, 1 worker (after first)",
            one.get("documents_per_s_after_first"),
            "docs/s",
        )
    )
    rows.append(
        Row(
            "scan",
            "documents/s, 2 workers (after first)",
            two.get("documents_per_s_after_first"),
            "docs/s",
        )
    )
    halves = scan.get("independent_halves_ratio_by_pair") if isinstance(scan, dict) else None
    if halves:
        rows.append(
            Row(
                "scan",
                "control: two independent 1-worker scans (a half each) ÷ one 1-worker scan",
                max(halves),
                "×",
                note=f"per pair of runs {halves}; scan --workers 2 per pair "
                f"{scan.get('scaling_by_pair')} (same work, no coordination: what the machine "
                "allows)",
            )
        )
    control = scan.get("machine_scaling_pure_python") if isinstance(scan, dict) else None
    if control:
        rows.append(
            Row(
                "scan",
                "control: this machine, 2 processes ÷ 1 on pure-Python work",
                max(control),
                "×",
                note=f"before each pair of scans: {control} "
                "(what the machine gives two plain processes)",
            )
        )
    memory = scan.get("memory", {}) if isinstance(scan, dict) else {}
    _goal(
        rows,
        "memory",
        "peak RSS of the scan (whole process tree)",
        memory.get("peak_mb"),
        "MB",
        "≤ 1,536 MB",
        lambda v: v <= 1536,
        f"N/2, N (1 worker), N (2 workers) = {memory.get('mb')} MB",
        skip,
    )
    _goal(
        rows,
        "memory",
        "peak RSS at N ÷ at N/2 documents (1 worker)",
        memory.get("growth_n_to_2n"),
        "×",
        "flat (≤ 1.10×)",
        lambda v: v <= 1.10,
        f"documents {memory.get('documents', [None, None])[:2]}",
        skip,
    )

    tagging = results.get("tagging", {})
    linear = tagging.get("linear", {})
    _goal(
        rows,
        "tagging",
        "linear, single-threaded",
        linear.get("passages_per_s_cpu"),
        "passages/s",
        "≥ 5,000",
        lambda v: v >= 5000,
        f"{linear.get('passages')} distinct corpus passages, word caches emptied each run, "
        f"CPU time; "
        f"wall {linear.get('passages_per_s_wall')}/s",
        _skip_reason(linear),
    )
    embedding = tagging.get("embedding", {})
    rows.append(
        Row(
            "tagging",
            f"embedding ({embedding.get('threads', '?')} threads)",
            embedding.get("passages_per_s_wall"),
            "passages/s",
            note=embedding.get("skipped")
            or f"{embedding.get('passages')} test passages; core macro-F1 "
            f"{embedding.get('core_macro_f1_in_metrics_json')} (metrics.json)",
        )
    )
    transformer = tagging.get("transformer", {})
    skip = _skip_reason(transformer)
    threads = transformer.get("threads", "?")
    for key, what in (
        ("fp32", f"PyTorch fp32, batches of 16 as protoscan runs it ({threads} threads)"),
        ("fp32_batch64", f"PyTorch fp32, batches of 64 ({threads} threads)"),
        ("int8", f"PyTorch dynamic int8 ({threads} threads)"),
        ("onnx_int8", "ONNX Runtime int8, one passage per call, a core per thread"),
    ):
        part = transformer.get(key, {})
        rows.append(
            Row(
                "tagging",
                f"transformer: {what}",
                part.get("passages_per_s_wall"),
                "passages/s",
                note=skip or f"core macro-F1 {part.get('core_macro_f1')}",
            )
        )
    baseline = transformer.get("baseline")
    where = f"{transformer.get('passages')} test passages, wall, best of {results['repeats']}"
    _goal(
        rows,
        "tagging",
        "CPU-optimised path (ONNX Runtime int8) ÷ PyTorch fp32",
        transformer.get("onnx_int8_speedup"),
        "×",
        "≥ 3×",
        lambda v: v >= 3,
        f"{where}; baseline: PyTorch fp32 at its faster batch size ({baseline})",
        skip,
    )
    _goal(
        rows,
        "tagging",
        "ONNX int8 core macro-F1 change",
        transformer.get("onnx_int8_f1_change_points"),
        "points",
        "|Δ| ≤ 1",
        lambda v: abs(v) <= 1,
        "test split, the fp32 model's thresholds",
        skip,
    )
    rows.append(
        Row(
            "tagging",
            "PyTorch dynamic int8 ÷ PyTorch fp32 (for comparison)",
            transformer.get("int8_speedup"),
            "×",
            note=skip or f"core macro-F1 change {transformer.get('int8_f1_change_points')} points",
        )
    )
    batch = transformer.get("batch_dependence", {})
    for key in ("fp32", "int8", "onnx_int8"):
        if key in batch:
            rows.append(
                Row(
                    "tagging",
                    f"{key}: largest score change when batched differently",
                    batch[key]["max_score_change"],
                    "",
                    note=f"{batch[key]['decisions_changed']} (passage, label) decisions changed "
                    f"over {batch[key]['passages']} passages (a cascade's routed ones)",
                )
            )
    cascade = tagging.get("cascade", {})
    skip = _skip_reason(cascade)
    onnx = cascade.get("cascade_onnx", {})
    fp32 = cascade.get("cascade_fp32", {})
    tuning = onnx.get("tuning", {})
    _goal(
        rows,
        "cascade",
        "cascade speed-up over transformer-only (same ONNX int8 model)",
        onnx.get("speedup_vs_its_precise_model"),
        "×",
        "≥ 5×",
        lambda v: v >= 5,
        f"test split, best of {results['repeats']}; gate {tuning.get('gate')} routes "
        f"{_pct(onnx.get('routed_share_test'))} of the passages",
        skip,
    )
    _goal(
        rows,
        "cascade",
        "cascade core macro-F1 change (same ONNX int8 model)",
        onnx.get("f1_change_points_vs_its_precise_model"),
        "points",
        "|Δ| ≤ 1",
        lambda v: abs(v) <= 1,
        f"test split; the gate keeps {_pct(tuning.get('recall_of_precise_positives'))} of the "
        "transformer's dev positives",
        skip,
    )
    rows.append(
        Row(
            "cascade",
            "cascade (ONNX int8) ÷ PyTorch fp32 transformer-only",
            onnx.get("speedup_vs_pytorch_fp32"),
            "×",
            note=skip
            or f"core macro-F1 change {onnx.get('f1_change_points_vs_pytorch_fp32')} points",
        )
    )
    rows.append(
        Row(
            "cascade",
            "cascade (PyTorch fp32) ÷ PyTorch fp32 transformer-only",
            fp32.get("speedup_vs_its_precise_model"),
            "×",
            note=skip
            or f"core macro-F1 change {fp32.get('f1_change_points_vs_its_precise_model')} "
            f"points; routes {_pct(fp32.get('routed_share_test'))}",
        )
    )
    trade_off = ", ".join(
        f"{_pct(row['target_recall'])} → {_pct(row['routed_share'])}"
        for row in tuning.get("trade_off", [])
    )
    if trade_off:
        rows.append(
            Row(
                "cascade",
                "dev: recall target → share routed to the transformer",
                None,
                "",
                note=f"{trade_off} (1 ÷ share bounds the speed-up)",
            )
        )
    real = cascade.get("real_sentences", {})
    for name, what in (("cascade_onnx", "ONNX int8"), ("cascade_fp32", "PyTorch fp32")):
        part = real.get(name)
        if part:
            rows.append(
                Row(
                    "cascade",
                    f"real JO/IVO sentences: cascade ÷ transformer-only ({what})",
                    part["speedup_vs_its_precise_model"],
                    "×",
                    note=f"{real['passages']} sentences ({real['labelled']} labelled), "
                    f"{_pct(part['routed_share'])} routed; core macro-F1 change "
                    f"{part['f1_change_points']:+.2f} points ({part['precise_core_macro_f1']} → "
                    f"{part['core_macro_f1']}); best of {results['repeats']}",
                )
            )
    part = real.get("cascade_onnx", {})
    if "speedup_vs_pytorch_fp32" in part:
        rows.append(
            Row(
                "cascade",
                "real JO/IVO sentences: cascade (ONNX int8) ÷ PyTorch fp32 transformer-only",
                part["speedup_vs_pytorch_fp32"],
                "×",
                note=f"core macro-F1 change {part['f1_change_points_vs_pytorch_fp32']:+.2f} "
                "points against the PyTorch fp32 transformer",
            )
        )
    estimate = cascade.get("archive_estimate", {}).get("cascade_onnx", {})
    if estimate:
        rows.append(
            Row(
                "cascade",
                "estimated cascade speed-up on archive passages (ONNX int8)",
                estimate.get("estimated_speedup_vs_its_precise_model"),
                "×",
                note=f"{estimate.get('passages')} scanned passages, "
                f"{_pct(estimate.get('routed_share'))} routed; "
                f"{estimate.get('estimated_speedup_vs_pytorch_fp32')}× over PyTorch fp32 "
                "(estimates from measured per-passage costs)",
            )
        )
    # A row without a value says why (its note would only show the missing numbers).
    return [
        Row(r.section, r.measure, r.value, r.unit, r.goal, r.met, "not run")
        if r.value is None and "None" in r.note
        else r
        for r in rows
    ]


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f} %"


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def print_table(rows: list[Row], console: Console | None = None, title: str = "") -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=max(console.width, 180))
    table = Table(title=title or "protoscan benchmark (issue 8 goals)", show_lines=False)
    for column, justify in (
        ("section", "left"),
        ("measure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("goal", "left"),
        ("met", "center"),
        ("note", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for row in rows:
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: "" if not row.goal else "–"}
        table.add_row(
            row.section,
            row.measure,
            _fmt(row.value),
            row.unit,
            row.goal or "",
            met[row.met],
            row.note,
        )
    console.print(table)


def write_results(path: Path, results: dict[str, Any], rows: list[Row]) -> None:
    payload = {"goals": [asdict(row) for row in rows], **results}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
