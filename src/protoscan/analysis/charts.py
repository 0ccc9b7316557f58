"""Trend charts with matplotlib (object API, Agg; the only module importing matplotlib).

Three views of the document records, with Swedish label names: label rates per 100
documents over the years (a panel per label: the tagged rate with its Wilson 95 % interval
and, given the model's error rates, the Rogan–Gladen corrected rate with its interval;
years with few documents drawn hollow), by authority (grouped bars with Wilson intervals)
and the municipalities with most documents (horizontal bars: all documents and those with
at least one finding). Output is PNG or SVG, chosen by suffix, and byte-stable for the same
data.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from protoscan.analysis.correction import ErrorRates
from protoscan.analysis.tables import (
    DEFAULT_MIN_DOCUMENTS,
    authority_name,
    label_name,
    trends_table,
)
from protoscan.errors import ConfigError

__all__ = [
    "CHART_FORMATS",
    "authority_chart",
    "figure_bytes",
    "municipality_chart",
    "save_figure",
    "trends_figure",
    "year_chart",
]

CHART_FORMATS = {".png": "png", ".svg": "svg"}
#: Why a label's rates are not corrected, in the chart's language.
_NO_CORRECTION = {"not_identifiable": "ej identifierbar", "weak": "för osäker"}
_DPI = 110


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _year_panels(
    fig: Any,
    documents: Sequence[dict],
    labels: Sequence[str],
    *,
    error_rates: ErrorRates | None = None,
    passage_counts: dict[str, int] | None = None,
    min_documents: int = DEFAULT_MIN_DOCUMENTS,
) -> None:
    """One small panel per label: tagged rate per year with its Wilson interval, and the
    corrected rate with its interval beside it; hollow markers for small years."""
    rows = [
        r
        for r in trends_table(
            documents,
            ["year"],
            labels,
            error_rates=error_rates,
            passage_counts=passage_counts,
            min_documents=min_documents,
        )
        if r["year"] is not None
    ]
    years = sorted({r["year"] for r in rows})
    columns = 1 if len(labels) == 1 else 2
    grid = fig.subplots(
        max(math.ceil(len(labels) / columns), 1), columns, sharex=True, squeeze=False
    )
    axes = list(grid.flat)
    for ax in axes[len(labels) :]:
        ax.set_visible(False)
    fig.suptitle("Andel beslut med brist per år (per 100 beslut, 95 % konfidensintervall)")
    if not years:
        axes[0].text(0.5, 0.5, "inga daterade beslut", ha="center", va="center")
        return
    shift = 0.18 if error_rates is not None else 0.0
    for ax, colour, label in zip(axes, _colours(len(labels)), labels, strict=False):
        mine = [r for r in rows if r["label"] == label]
        for small in (False, True):
            part = [r for r in mine if r["small"] == small]
            if not part:
                continue
            x = [r["year"] - shift for r in part]
            y = [r["rate_per_100"] for r in part]
            err = [
                [r["rate_per_100"] - r["rate_ci_low"] for r in part],
                [r["rate_ci_high"] - r["rate_per_100"] for r in part],
            ]
            ax.errorbar(
                x, y, yerr=err, fmt="o", color=colour, ecolor=colour, elinewidth=1.4,
                capsize=2.5, markersize=5, markerfacecolor="white" if small else colour,
                label=f"taggade (Wilson){' – färre än ' + str(min_documents) if small else ''}",
            )  # fmt: skip
        corrected = [r for r in mine if r["corrected_per_100"] is not None]
        identified = [r for r in corrected if r["correction"].split(":", 1)[0] != "weak"]
        for clipped in (False, True):
            part = [r for r in identified if r["correction"].startswith("clipped") == clipped]
            if not part:
                continue
            ax.errorbar(
                [r["year"] + shift for r in part],
                [r["corrected_per_100"] for r in part],
                yerr=[
                    [r["corrected_per_100"] - r["corrected_ci_low"] for r in part],
                    [r["corrected_ci_high"] - r["corrected_per_100"] for r in part],
                ],
                fmt="D", color="#333333", ecolor="#888888", elinewidth=0.9, capsize=2,
                markersize=3.5, markerfacecolor="white" if clipped else "#333333",
                label="korrigerad (Rogan–Gladen)"
                + (" – utanför modellens område, avkortad" if clipped else ""),
            )  # fmt: skip
        if not identified and error_rates is not None:
            status = (mine[0]["correction"] if mine else "").split(":", 1)[0]
            reason = _NO_CORRECTION.get(status, "felskattningar saknas")
            ax.text(
                0.99, 0.97, f"ingen korrigering ({reason})", transform=ax.transAxes,
                ha="right", va="top", fontsize="x-small", color="#555555",
            )  # fmt: skip
        ax.set_title(label_name(label), fontsize="medium")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        if len(years) <= 12:
            ax.set_xticks(years, [str(y) for y in years], fontsize="small")
        else:
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    for i, ax in enumerate(axes[: len(labels)]):
        if i + columns >= len(labels):  # lowest visible panel of its column: show the years
            ax.tick_params(labelbottom=True)
    handles, names = [], []
    for ax in axes[: len(labels)]:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    if handles:  # one legend, under the last panel
        axes[len(labels) - 1].legend(
            handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2,
            fontsize="x-small", frameon=False,
        )  # fmt: skip


def _plot_authorities(ax: Any, documents: Sequence[dict], labels: Sequence[str]) -> None:
    rows = trends_table(documents, ["authority"], labels)
    authorities = list(dict.fromkeys(r["authority"] for r in rows))
    width = 0.8 / max(len(authorities), 1)
    for i, (colour, authority) in enumerate(
        zip(_colours(len(authorities)), authorities, strict=True)
    ):
        mine = {r["label"]: r for r in rows if r["authority"] == authority}
        n = next(r["documents"] for r in rows if r["authority"] == authority)
        values = [mine[label]["rate_per_100"] if label in mine else 0.0 for label in labels]
        low = [mine[label]["rate_ci_low"] if label in mine else 0.0 for label in labels]
        high = [mine[label]["rate_ci_high"] if label in mine else 0.0 for label in labels]
        ax.bar(
            [j + (i - (len(authorities) - 1) / 2) * width for j in range(len(labels))],
            values,
            width=width,
            color=colour,
            yerr=[[v - lo for v, lo in zip(values, low, strict=True)],
                  [hi - v for v, hi in zip(values, high, strict=True)]],
            error_kw={"elinewidth": 1.0, "capsize": 2, "ecolor": "#333333"},
            label=f"{authority_name(authority)} (n={n})",
        )  # fmt: skip
    ax.set_xticks(
        range(len(labels)), [label_name(label) for label in labels], rotation=30, ha="right"
    )
    ax.set_title("Andel beslut med brist per myndighet (95 % konfidensintervall, Wilson)")
    ax.set_ylabel("beslut med brist per 100 beslut")
    if authorities:
        ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)


def _plot_municipalities(
    ax: Any, documents: Sequence[dict], labels: Sequence[str], top: int
) -> None:
    totals = Counter(d.get("municipality") for d in documents if d.get("municipality"))
    found = Counter(
        d.get("municipality")
        for d in documents
        if d.get("municipality") and set(d.get("labels") or ()) & set(labels)
    )
    names = sorted(totals, key=lambda m: (-found[m], -totals[m], m))[:top]
    names.reverse()  # largest at the top of a horizontal bar chart
    positions = range(len(names))
    ax.barh(positions, [totals[m] for m in names], color="#c6d3e3", label="alla beslut")
    ax.barh(positions, [found[m] for m in names], color="#2f5f98", label="med minst en brist")
    ax.set_yticks(positions, names)
    ax.set_title(f"Kommuner med flest beslut med brist (topp {len(names)})")
    ax.set_xlabel("antal beslut")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if names:
        ax.legend(fontsize="small", loc="lower right")
    else:
        ax.text(0.5, 0.5, "inga kommuner angivna", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    ax.grid(axis="x", alpha=0.3)


def year_chart(
    documents: Sequence[dict],
    labels: Sequence[str],
    *,
    error_rates: ErrorRates | None = None,
    passage_counts: dict[str, int] | None = None,
    min_documents: int = DEFAULT_MIN_DOCUMENTS,
) -> Any:
    """A panel per label: the rate per 100 documents per year with its Wilson interval and,
    given ``error_rates``, the corrected rate with its interval."""
    fig = _figure(9, 1.2 + 2.3 * math.ceil(max(len(labels), 1) / (1 if len(labels) == 1 else 2)))
    _year_panels(
        fig,
        documents,
        labels,
        error_rates=error_rates,
        passage_counts=passage_counts,
        min_documents=min_documents,
    )
    return fig


def authority_chart(documents: Sequence[dict], labels: Sequence[str]) -> Any:
    """Grouped bars: rate per 100 documents of each label, one bar colour per authority."""
    fig = _figure(9, 4.2)
    _plot_authorities(fig.add_subplot(), documents, labels)
    return fig


def municipality_chart(documents: Sequence[dict], labels: Sequence[str], top: int = 15) -> Any:
    """Horizontal bars: the ``top`` municipalities by documents with a finding."""
    names = {d.get("municipality") for d in documents if d.get("municipality")}
    fig = _figure(9, 1.2 + 0.32 * max(min(top, len(names)), 3))
    _plot_municipalities(fig.add_subplot(), documents, labels, top)
    return fig


def trends_figure(
    documents: Sequence[dict],
    labels: Sequence[str],
    top: int = 15,
    *,
    error_rates: ErrorRates | None = None,
    passage_counts: dict[str, int] | None = None,
    min_documents: int = DEFAULT_MIN_DOCUMENTS,
) -> Any:
    """All three charts in one figure (``protoscan trends --plot``)."""
    rows = math.ceil(max(len(labels), 1) / (1 if len(labels) == 1 else 2))
    year_height = 1.2 + 2.3 * rows
    fig = _figure(10, year_height + 9)
    years, authorities, municipalities = fig.subfigures(3, 1, height_ratios=[year_height, 4, 5])
    _year_panels(
        years,
        documents,
        labels,
        error_rates=error_rates,
        passage_counts=passage_counts,
        min_documents=min_documents,
    )
    _plot_authorities(authorities.add_subplot(), documents, labels)
    _plot_municipalities(municipalities.add_subplot(), documents, labels, top)
    return fig


def figure_bytes(fig: Any, fmt: str = "png") -> bytes:
    """Render a figure to PNG or SVG bytes without timestamps (same data, same bytes)."""
    import matplotlib

    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Software": None} if fmt == "png" else {"Date": None}
    with matplotlib.rc_context({"svg.hashsalt": "protoscan"}):
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def save_figure(fig: Any, path: Path | str) -> Path:
    """Write a figure as PNG or SVG by the suffix of ``path``."""
    path = Path(path)
    fmt = CHART_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(f"{path}: charts are written as .png or .svg; got {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_bytes(fig, fmt))
    return path
