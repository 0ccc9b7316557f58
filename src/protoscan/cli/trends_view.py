"""Terminal tables and table files of ``protoscan trends``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

__all__ = [
    "corrected_table",
    "counts_table",
    "stats_table",
    "write_table",
    "year_model_table",
]


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def _interval(low: float | None, high: float | None, spec: str = ".1f") -> str:
    return "–" if low is None or high is None else f"[{low:{spec}}, {high:{spec}}]"


def _shown(key: str, value: Any) -> str:
    from protoscan.analysis.tables import authority_name

    if value is None:
        return "(unknown)"
    return authority_name(value) if key == "authority" else str(value)


def counts_table(
    rows: list[dict[str, Any]], by: tuple[str, ...], labels: tuple[str, ...], min_documents: int
) -> Table:
    """Documents with each label and the raw rate per 100, wide (a column per label) unless
    ``label`` is among the group keys; groups below ``min_documents`` marked with *."""
    from protoscan.analysis import label_name, wide_rows

    table = Table(
        title="Documents with each label (raw rate per 100 documents)",
        caption=f"* fewer than {min_documents} documents: rates are shown but unreliable",
    )
    if "label" in by:
        for key in by:
            table.add_column(key)
        for column in ("documents", "with label", "per 100", "95 % CI (Wilson)"):
            table.add_column(column, justify="right")
        for row in rows:
            cells = [row["label_name"] if key == "label" else _shown(key, row[key]) for key in by]
            table.add_row(
                *cells,
                f"{row['documents']}{'*' if row['small'] else ''}",
                str(row["with_label"]),
                f"{row['rate_per_100']:.1f}",
                _interval(row["rate_ci_low"], row["rate_ci_high"]),
            )
        return table
    keys, groups = wide_rows(rows, labels)
    for key in keys:
        table.add_column(key)
    table.add_column("documents", justify="right")
    for label in labels:
        table.add_column(label_name(label), justify="right")
    for group in groups:
        table.add_row(
            *(_shown(key, group[key]) for key in keys),
            f"{group['documents']}{'*' if group['documents'] < min_documents else ''}",
            *(f"{k} ({rate:.1f})" for k, rate in group["cells"].values()),
        )
    return table


def corrected_table(
    rows: list[dict[str, Any]], by: Sequence[str], title: str, *, corrected: bool = True
) -> Table:
    """Raw rate with its Wilson interval and, with ``corrected``, the Rogan–Gladen corrected
    rate with its bootstrap interval, per group and label (rates per 100)."""
    caption = "raw: documents tagged per 100, Wilson 95 % CI."
    if corrected:
        caption += (
            " corrected: Rogan–Gladen for the model's sensitivity and specificity, 95 % CI "
            "from a parametric bootstrap over the counts and the error-rate estimates. "
            "Se/Sp (doc): the document-level sensitivity and specificity used."
        )
    table = Table(title=title, caption=caption + " * fewer documents than the minimum.")
    keys = [k for k in by if k != "label"]
    for key in (*keys, "label"):
        table.add_column(key)
    columns = ("corrected", "95 % CI", "Se/Sp (doc)") if corrected else ()
    for column in ("docs", "raw", "95 % CI", *columns):
        table.add_column(column, justify="right")
    if corrected:
        table.add_column("note")
    for row in rows:
        cells = [
            *(_shown(k, row.get(k)) for k in keys),
            row["label_name"],
            f"{row['documents']}{'*' if row['small'] else ''}",
            f"{row['rate_per_100']:.1f}",
            _interval(row["rate_ci_low"], row["rate_ci_high"]),
        ]
        if corrected:
            cells += [
                _fmt(row["corrected_per_100"]),
                _interval(row["corrected_ci_low"], row["corrected_ci_high"]),
                "–"
                if row["doc_sensitivity"] is None
                else f"{row['doc_sensitivity']:.2f}/{row['doc_specificity']:.2f}",
                "" if row["correction"] == "ok" else row["correction"],
            ]
        table.add_row(*cells)
    return table


def stats_table(trends: list[Any], models: list[Any] | None = None) -> Table:
    """Mann–Kendall and the logistic slope per label; with ``models`` also the adjusted odds
    ratio per year beside the unadjusted one."""
    table = Table(
        title="Trend per label over years",
        caption=(
            "Mann–Kendall: Kendall's τ of yearly rates against year (two-sided p). "
            "Logistic regression (statsmodels binomial GLM) of 'document has label' on year: "
            "slope in log-odds per year with 95 % Wald CI, and the odds ratio per year"
            + (
                "; adjusted: the same with the covariates as categorical main effects"
                if models
                else ""
            )
            + ". A CI that excludes 0 (OR: 1) suggests a trend. Raw tags, not corrected."
        ),
    )
    for column in ("label", "years", "docs with / dated"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for column in ("MK τ", "MK p", "slope/yr", "95 % CI", "OR/yr", "p"):
        table.add_column(column, justify="right")
    if models:
        table.add_column("adjusted OR/yr [95 % CI]", justify="right")
    adjusted = {m.label: m for m in models or ()}
    for t in trends:
        ci = f"[{t.slope_ci_low:.3f}, {t.slope_ci_high:.3f}]" if t.slope is not None else "–"
        cells = [
            t.label_name,
            str(t.years),
            f"{t.with_label}/{t.documents}",
            _fmt(t.mk_tau, ".3f"),
            _fmt(t.mk_p, ".4g"),
            _fmt(t.slope, ".3f"),
            ci,
            _fmt(t.odds_ratio, ".3f"),
            _fmt(t.slope_p, ".4g"),
        ]
        if models:
            m = adjusted.get(t.label)
            cells.append(
                f"{m.adj_trend_or:.3f} {_interval(m.adj_trend_ci_low, m.adj_trend_ci_high, '.3f')}"
                if m is not None and m.adj_trend_or is not None
                else "–"
            )
        table.add_row(*cells)
    return table


def year_model_table(model: Any) -> Table:
    """Per year of one label: raw and corrected rates, the odds ratio against the reference
    year unadjusted and adjusted, the adjusted marginal rate and its correction."""
    adjust = ", ".join(model.adjust) or "nothing"
    table = Table(
        title=f"{model.label_name}: per year, adjusted for {adjust}",
        caption=(
            f"rates per 100. OR: odds ratio against {model.reference_year}"
            + (
                f" (adjusted: against {model.adj_reference_year})"
                if model.adj_reference_year not in (None, model.reference_year)
                else ""
            )
            + " (95 % Wald CI). "
            "marginal: average predicted rate had every year the covariate mix of the whole "
            "selection (delta-method CI). corrected: Rogan–Gladen. * small year."
            + (f" {model.note}." if model.note else "")
        ),
    )
    for column in (
        "year",
        "docs",
        "raw [CI]",
        "corrected [CI]",
        "OR [CI]",
        "adj. OR [CI]",
        "marginal [CI]",
        "adj.+corr. [CI]",
    ):
        table.add_column(column, justify="right")

    def rate(value: float | None, low: float | None, high: float | None) -> str:
        if value is None:
            return "–"
        return f"{100 * value:.1f} {_interval(_pc(low), _pc(high))}"

    def odds(value: float | None, low: float | None, high: float | None) -> str:
        return "–" if value is None else f"{value:.2f} {_interval(low, high, '.2f')}"

    for y in model.years:
        table.add_row(
            str(y.year),
            f"{y.documents}{'*' if y.small else ''}",
            rate(y.rate, y.rate_ci_low, y.rate_ci_high),
            rate(y.corrected, y.corrected_ci_low, y.corrected_ci_high),
            "ref."
            if y.year == model.reference_year
            else odds(y.odds_ratio, y.or_ci_low, y.or_ci_high),
            "ref."
            if y.year == model.adj_reference_year
            else odds(y.adj_odds_ratio, y.adj_or_ci_low, y.adj_or_ci_high),
            rate(y.marginal, y.marginal_ci_low, y.marginal_ci_high),
            rate(y.adj_corrected, y.adj_corrected_ci_low, y.adj_corrected_ci_high),
        )
    return table


def _pc(value: float | None) -> float | None:
    return None if value is None else 100 * value


def write_table(path: Path, payload: dict[str, Any]) -> list[Path]:
    """Write the long table as .json (everything), .csv or .parquet (the rows; the per-year
    model rows, if any, beside it as ``<stem>.years.<suffix>``). Returns the paths written."""
    import csv

    from protoscan.batch.store import write_atomic
    from protoscan.errors import ConfigError

    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return [path]
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"{path}: tables are written as .csv, .parquet or .json; got {suffix!r}")
    tables = [(path, payload["rows"])]
    if payload.get("year_rows"):
        tables.append((path.with_name(f"{path.stem}.years{suffix}"), payload["year_rows"]))
    for target, rows in tables:
        if suffix == ".csv":

            def write(tmp: Path, rows: list[dict[str, Any]] = rows) -> None:
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    writer = csv.DictWriter(
                        handle, fieldnames=list(rows[0]) if rows else [], lineterminator="\n"
                    )
                    writer.writeheader()
                    writer.writerows(rows)

        else:

            def write(tmp: Path, rows: list[dict[str, Any]] = rows) -> None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pylist(rows), tmp)

        write_atomic(target, write)
    return [target for target, _ in tables]
