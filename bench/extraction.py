"""Text extraction: protoscan's engines against plain pdfplumber, and where the time goes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.measure import interleaved

REPO = Path(__file__).resolve().parents[1]
PROTOSCAN_SRC = str(REPO / "src" / "protoscan")
_SITE = re.compile(r"[/\\](?:site|dist)-packages[/\\]([^/\\]+)")


def raw_pdfplumber(paths: Sequence[Path]) -> int:
    """What a user of pdfplumber writes: ``page.extract_text()`` on every page."""
    import pdfplumber

    pages = 0
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                pages += 1
    return pages


def protoscan_extract(paths: Sequence[Path], engine: str) -> int:
    """protoscan's ingestion (read, detect, extract, clean, page map) on every file."""
    from protoscan.ingest import extract_text

    return sum(len(extract_text(path, engine=engine).pages) for path in paths)


def measure_extraction(paths: Sequence[Path], repeats: int) -> dict[str, Any]:
    """Time the three paths on the same files, interleaved; best of ``repeats`` counts.

    Extraction is single-threaded, so the ratios use process CPU time (not inflated by other
    processes on the machine); wall-clock ratios are reported beside them.
    """
    calls = {
        "pdfplumber_raw": lambda: raw_pdfplumber(paths),
        "protoscan_pdfplumber": lambda: protoscan_extract(paths, "pdfplumber"),
        "protoscan_pdfium": lambda: protoscan_extract(paths, "pdfium"),
    }
    series, pages = interleaved(calls, repeats)
    out: dict[str, Any] = {"documents": len(paths), "pages": pages["pdfplumber_raw"]}
    for name, s in series.items():
        out[name] = {
            **s.to_dict(),
            "pages": pages[name],
            "pages_per_s_cpu": round(pages[name] / s.best_cpu, 1),
            "pages_per_s_wall": round(pages[name] / s.best_wall, 1),
        }
    raw, plumber, pdfium = (series[k] for k in calls)
    out["ratios"] = {
        "plumber_vs_raw_cpu": round(plumber.best_cpu / raw.best_cpu, 3),
        "plumber_vs_raw_wall": round(plumber.best_wall / raw.best_wall, 3),
        "pdfium_speedup_cpu": round(raw.best_cpu / pdfium.best_cpu, 2),
        "pdfium_speedup_wall": round(raw.best_wall / pdfium.best_wall, 2),
    }
    return out


def _owner(frame: Any, parent_owner: str) -> str:
    path = frame.file_path or ""
    if path.startswith(PROTOSCAN_SRC):
        return "protoscan"
    match = _SITE.search(path)
    if match:
        return match.group(1).split(".")[0]
    return parent_owner  # the standard library and built-ins count for whoever called them


def profile_extraction(paths: Sequence[Path], engine: str, *, save_to: Path | None = None) -> dict:
    """Profile protoscan's extraction with pyinstrument and split the time by owner.

    Returns the total, the share of the time spent in protoscan's own code (including the
    standard library it calls) against the PDF libraries, and protoscan's heaviest functions.
    """
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    protoscan_extract(paths, engine)
    profiler.stop()
    root = profiler.last_session.root_frame()
    by_owner: Counter[str] = Counter()
    own_functions: defaultdict[str, float] = defaultdict(float)

    def walk(frame: Any, parent_owner: str) -> None:
        owner = _owner(frame, parent_owner)
        self_time = frame.time - sum(child.time for child in frame.children)
        by_owner[owner] += self_time
        if owner == "protoscan" and (frame.file_path or "").startswith(PROTOSCAN_SRC):
            rel = Path(frame.file_path).relative_to(PROTOSCAN_SRC).as_posix()
            own_functions[f"{rel}:{frame.function}"] += frame.time
        for child in frame.children:
            walk(child, owner)

    walk(root, "other")
    total = root.time
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        save_to.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    top_own = sorted(own_functions.items(), key=lambda kv: -kv[1])
    # Entry points (extract_text, read_pdf_pages) include the engines' time: keep the leaves
    # that do protoscan's own work, i.e. functions not calling into the PDF libraries.
    cleanup = {k: v for k, v in top_own if k.startswith("ingest/clean.py")}
    return {
        "engine": engine,
        "documents": len(paths),
        "seconds": round(total, 3),
        "share_by_owner": {k: round(v / total, 4) for k, v in by_owner.most_common() if v > 0},
        "protoscan_share": round(by_owner["protoscan"] / total, 4) if total else 0.0,
        "cleanup_seconds": round(cleanup.get("ingest/clean.py:clean_pages", 0.0), 3),
        "top_protoscan_functions": [
            {"function": k, "seconds": round(v, 3), "share": round(v / total, 4)}
            for k, v in top_own[:8]
        ],
        "profile_file": str(save_to.relative_to(REPO)) if save_to else None,
    }


def measure_cleanup(paths: Sequence[Path], repeats: int) -> dict[str, Any]:
    """pages/s of protoscan's own cleanup (``clean_pages``) on pdfium's raw page text.

    On the pdfium path the cleanup is a third of the time, so this is where it matters.
    """
    from protoscan.ingest.clean import clean_pages
    from protoscan.ingest.pdf import read_pdf_pages

    raw = [read_pdf_pages(path.read_bytes(), path, "pdfium") for path in paths]
    pages = sum(map(len, raw))
    series, _ = interleaved({"cleanup": lambda: [clean_pages(d) for d in raw]}, repeats)
    return {
        "engine": "pdfium",
        "pages": pages,
        "best_cpu_s": round(series["cleanup"].best_cpu, 4),
        "pages_per_s_cpu": round(pages / series["cleanup"].best_cpu, 1),
    }
