"""``protoscan report``: one self-contained HTML page over a scan's results.

The page holds the trend tables (per label, per year, per authority, top municipalities),
the charts as inline base64 PNG, the trend statistics and, per label, the top-scoring
example passages that count as findings, each with its source file and page. Styles are
inline and nothing is fetched from elsewhere, so the file can be mailed or archived alone.
The page is the Jinja2 template ``report.html`` (autoescaped, like every protoscan page); this
module only prepares its data.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from protoscan.analysis.sources import resolve_error_rates
from protoscan.analysis.stats import TrendResult, label_trends
from protoscan.analysis.tables import (
    DEFAULT_MIN_DOCUMENTS,
    authority_name,
    counting_passages,
    label_name,
    result_labels,
    trends_table,
    wide_rows,
)
from protoscan.render.templating import render_page

__all__ = ["build_report", "example_passages", "write_report"]

TEMPLATE = "report.html"


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}".replace(".", ",")


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0,0001" if value < 1e-4 else _num(value, 4)


def example_passages(
    passages: Sequence[dict[str, Any]], label: str, n: int = 5
) -> list[dict[str, Any]]:
    """The ``n`` highest-scoring passages tagged ``label`` that count as findings (the
    supervisor's own text in JO/IVO decisions, the municipality's in its own documents)."""
    from protoscan.findings import counts_as_finding

    tagged = [
        p
        for p in passages
        if label in (p.get("labels") or ())
        and counts_as_finding(p.get("authority") or "other", p.get("voice") or "")
    ]
    tagged.sort(
        key=lambda p: (-((p.get("scores") or {}).get(label) or 0.0), p["sha256"], p["start_char"])
    )
    return tagged[:n]


def _image(png: bytes, alt: str, caption: str) -> dict[str, str]:
    return {"data": base64.b64encode(png).decode("ascii"), "alt": alt, "caption": caption}


def _charts(
    documents: Sequence[dict], labels: Sequence[str], **corrections: Any
) -> dict[str, dict[str, str]]:
    from protoscan.analysis.charts import (
        authority_chart,
        figure_bytes,
        municipality_chart,
        year_chart,
    )

    return {
        "year": _image(
            figure_bytes(year_chart(documents, labels, **corrections)),
            "Diagram per brist: andel beslut med bristen per år med 95 % konfidensintervall",
            "Beslut där bristen konstaterats, per 100 beslut och år, med 95 % "
            "konfidensintervall (Wilson); ofyllda punkter: år med få beslut. Svarta romber: "
            "andelen korrigerad för modellens fel (Rogan–Gladen), när felen är uppmätta.",
        ),
        "authority": _image(
            figure_bytes(authority_chart(documents, labels)),
            "Stapeldiagram: andel beslut med varje brist per myndighet",
            "Beslut där bristen konstaterats, per 100 beslut från varje myndighet.",
        ),
        "municipality": _image(
            figure_bytes(municipality_chart(documents, labels)),
            "Liggande staplar: kommuner med flest beslut med brist",
            "Antal beslut per kommun; mörk del: beslut med minst en konstaterad brist.",
        ),
    }


def _wide_table(
    documents: Sequence[dict],
    by: str,
    labels: Sequence[str],
    heading: str,
    *,
    limit: int | None = None,
    intervals: bool = False,
) -> dict[str, Any]:
    rows = trends_table(documents, [by], labels)
    _, groups = wide_rows(rows, labels)
    ci = {(r[by], r["label"]): (r["rate_ci_low"], r["rate_ci_high"]) for r in rows}
    if by == "municipality":
        groups = [g for g in groups if g["municipality"]]
        groups.sort(key=lambda g: (-sum(k for k, _ in g["cells"].values()), -g["documents"]))
    if limit is not None:
        groups = groups[:limit]
    body = []
    for group in groups:
        value = group[by]
        shown = authority_name(value) if by == "authority" else value
        name = shown if shown is not None else "(okänd)"
        cells = [(k, _num(rate)) for k, rate in group["cells"].values()]
        if intervals:  # rate; Wilson 95 % interval, and * on groups with few documents
            if group["documents"] < DEFAULT_MIN_DOCUMENTS:
                name = f"{name} *"
            cells = [
                (k, f"{_num(rate)}; {_num(ci[(value, label)][0])}–{_num(ci[(value, label)][1])}")
                for label, (k, rate) in group["cells"].items()
            ]
        body.append({"name": name, "documents": group["documents"], "cells": cells})
    return {"heading": heading, "labels": [label_name(x) for x in labels], "rows": body}


def _overview(
    documents: Sequence[dict], labels: Sequence[str], examples: dict
) -> list[dict[str, Any]]:
    total = len(documents)
    rows = []
    for label in labels:
        k = sum(label in (d.get("labels") or ()) for d in documents)
        rows.append(
            {
                "label": label,
                "name": label_name(label),
                "documents": k,
                "rate": _num(100 * k / total if total else 0.0),
                "passages": sum((d.get("label_counts") or {}).get(label) or 0 for d in documents),
                "alleged": sum((d.get("alleged_counts") or {}).get(label) or 0 for d in documents),
                "has_examples": bool(examples.get(label)),
            }
        )
    return rows


def _trend_rows(trends: Sequence[TrendResult]) -> list[dict[str, Any]]:
    rows = []
    for t in trends:
        ci = (
            f"[{_num(t.slope_ci_low, 3)}; {_num(t.slope_ci_high, 3)}]"
            if t.slope is not None
            else "–"
        )
        rows.append(
            {
                "name": t.label_name,
                "years": t.years,
                "share": f"{t.with_label} / {t.documents}",
                "tau": _num(t.mk_tau, 3),
                "mk_p": _p(t.mk_p),
                "slope": _num(t.slope, 3),
                "ci": ci,
                "odds_ratio": _num(t.odds_ratio, 3),
                "slope_p": _p(t.slope_p),
                "note": t.note,
            }
        )
    return rows


def _corrections(
    documents: Sequence[dict], labels: Sequence[str], source: Any, counts: Any
) -> dict[str, Any]:
    """Raw rate with its Wilson interval beside the corrected rate, over all documents."""
    rows = trends_table(
        documents, ["label"], labels, error_rates=source.rates, passage_counts=counts
    )

    def interval(low: float | None, high: float | None) -> str:
        return "–" if low is None or high is None else f"{_num(low)}–{_num(high)}"

    return {
        "source": source.message,
        "used": source.rates is not None,
        "rows": [
            {
                "name": r["label_name"],
                "documents": r["documents"],
                "rate": _num(r["rate_per_100"]),
                "ci": interval(r["rate_ci_low"], r["rate_ci_high"]),
                "corrected": _num(r["corrected_per_100"]),
                "corrected_ci": interval(r["corrected_ci_low"], r["corrected_ci_high"]),
                "note": "" if r["correction"] == "ok" else r["correction"],
            }
            for r in rows
        ],
        "min_documents": DEFAULT_MIN_DOCUMENTS,
    }


def _legal_basis(label: str) -> str | None:
    from protoscan.labels import get_label

    try:
        return get_label(label).legal_basis
    except KeyError:
        return None


def _examples(label: str, passages: Sequence[dict]) -> list[dict[str, Any]]:
    items = []
    for p in passages:
        where = " · ".join(
            str(part)
            for part in (
                authority_name(p.get("authority")),
                p.get("dnr"),
                p.get("decision_date"),
                p.get("section"),
            )
            if part
        )
        items.append(
            {
                "score": _num((p.get("scores") or {}).get(label), 2),
                "source": p.get("source"),
                "pages": ", ".join(str(n) for n in p.get("page_numbers") or ()) or "–",
                "where": where,
                "text": p.get("text"),
                # cue words, stored by `scan --explain` (absent otherwise)
                "cues": ", ".join(((p.get("cues") or {}).get(label)) or ()),
            }
        )
    return items


def build_report(
    records: Sequence[dict[str, Any]],
    *,
    title: str = "protoscan – trender i beslut",
    source_name: str = "",
    manifest: dict[str, Any] | None = None,
    examples: int = 5,
) -> str:
    """Render the report page for scan result records.

    Args:
        records: Document and passage records (``read_results``).
        title: Page title.
        source_name: Name of the result file, shown in the header.
        manifest: The scan's manifest, for the model and version facts, if available.
        examples: Example passages per label.

    Returns:
        The HTML page as a string (the autoescaped template ``report.html``).
    """
    documents = [r for r in records if r["record"] == "document"]
    passages = [r for r in records if r["record"] == "passage" and r.get("labels")]
    labels = result_labels(documents)
    picked = {label: example_passages(passages, label, examples) for label in labels}
    years = sorted({d["year"] for d in documents if d.get("year") is not None})
    flagged = sum(bool(d.get("labels")) for d in documents)
    source = resolve_error_rates(Path(source_name or "results"), manifest=manifest or {})
    counts = (
        counting_passages(r for r in records if r["record"] == "passage")
        if source.rates is not None
        else None
    )

    facts = [
        ("resultatfil", source_name),
        ("beslut", str(len(documents))),
        ("beslut med minst en brist", str(flagged)),
        ("period", f"{years[0]}–{years[-1]}" if years else "okänd"),
        ("myndigheter", ", ".join(sorted({authority_name(d.get("authority")) for d in documents}))),
    ]
    if manifest:
        model = manifest.get("model") or {}
        facts.append(
            (
                "modell",
                f"{model.get('dir', '')} ({model.get('backend', '')}, "
                f"{str(model.get('fingerprint', ''))[:12]})",
            )
        )
        versions = manifest.get("versions") or {}
        facts.append(("protoscan", versions.get("protoscan", "")))
        if manifest.get("failed"):
            facts.append(("filer som inte kunde läsas", str(manifest["failed"])))
    return render_page(
        TEMPLATE,
        title=title,
        facts=facts,
        nav=[
            ("oversikt", "Översikt"),
            ("per-ar", "Per år"),
            ("per-myndighet", "Per myndighet"),
            ("kommuner", "Kommuner"),
            ("trendtest", "Trendtest"),
            ("korrigerat", "Osäkerhet"),
            ("exempel", "Exempel"),
        ],
        overview=_overview(documents, labels, picked),
        charts=_charts(documents, labels, error_rates=source.rates, passage_counts=counts),
        by_year=_wide_table(documents, "year", labels, "år", intervals=True),
        by_authority=_wide_table(documents, "authority", labels, "myndighet"),
        by_municipality=_wide_table(
            documents, "municipality", labels, "kommun", limit=25, intervals=True
        ),
        corrections=_corrections(documents, labels, source, counts),
        trends=_trend_rows(label_trends(documents, labels)),
        label_sections=[
            {
                "label": label,
                "name": label_name(label),
                "legal_basis": _legal_basis(label),
                "examples": _examples(label, picked[label]),
            }
            for label in labels
        ],
    )


def write_report(
    results: Path | str, html_path: Path | str, *, examples: int = 5, title: str | None = None
) -> Path:
    """Read a scan's results (and its manifest, when beside it) and write the HTML report.

    Args:
        results: A ``.jsonl``, ``.parquet`` or ``.csv`` result file of ``protoscan scan``.
        html_path: Where to write the page.
        examples: Example passages per label.
        title: Page title; a default Swedish title otherwise.

    Returns:
        ``html_path``.

    Example:
        >>> write_report("resultat.parquet", "rapport.html")  # doctest: +SKIP
    """
    from protoscan.batch.store import manifest_path, read_results, write_atomic
    from protoscan.errors import DataError

    results = Path(results)
    records = read_results(results)
    if not any(r["record"] == "document" for r in records):
        raise DataError(f"{results}: no document records; nothing to report")
    manifest = None
    if manifest_path(results).is_file():
        try:
            manifest = json.loads(manifest_path(results).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            manifest = None
    page = build_report(
        records,
        source_name=results.name,
        manifest=manifest,
        examples=examples,
        **({"title": title} if title else {}),
    )
    html_path = Path(html_path)
    write_atomic(html_path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return html_path
