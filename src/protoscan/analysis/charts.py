"""Trend charts with matplotlib (object API, Agg; the only module importing matplotlib).

Three views of the document records, with Swedish label names: label rates per 100
documents over the years (a line per label), by authority (grouped bars) and the
municipalities with most documents (horizontal bars: all documents and those with at least
one finding). Output is PNG or SVG, chosen by suffix, and byte-stable for the same data.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from protoscan.analysis.tables import authority_name, label_name, trends_table
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
_DPI = 110


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _plot_years(ax: Any, documents: Sequence[dict], labels: Sequence[str]) -> None:
    rows = [r for r in trends_table(documents, ["year"], labels) if r["year"] is not None]
    years = sorted({r["year"] for r in rows})
    for colour, label in zip(_colours(len(labels)), labels, strict=True):
        rates = {r["year"]: r["rate_per_100"] for r in rows if r["label"] == label}
        ax.plot(
            years,
            [rates.get(y, 0.0) for y in years],
            marker="o",
            color=colour,
            label=label_name(label),
        )
    ax.set_title("Andel beslut med brist per år")
    ax.set_xlabel("år")
    ax.set_ylabel("beslut med brist per 100 beslut")
    if years:
        if len(years) <= 12:
            ax.set_xticks(years, [str(y) for y in years])
        else:  # long or sparse spans: let matplotlib pick a readable set of whole years
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "inga daterade beslut", ha="center", va="center")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def _plot_authorities(ax: Any, documents: Sequence[dict], labels: Sequence[str]) -> None:
    rows = trends_table(documents, ["authority"], labels)
    authorities = list(dict.fromkeys(r["authority"] for r in rows))
    width = 0.8 / max(len(authorities), 1)
    for i, (colour, authority) in enumerate(
        zip(_colours(len(authorities)), authorities, strict=True)
    ):
        rates = {r["label"]: r["rate_per_100"] for r in rows if r["authority"] == authority}
        n = next(r["documents"] for r in rows if r["authority"] == authority)
        ax.bar(
            [j + (i - (len(authorities) - 1) / 2) * width for j in range(len(labels))],
            [rates.get(label, 0.0) for label in labels],
            width=width,
            color=colour,
            label=f"{authority_name(authority)} (n={n})",
        )
    ax.set_xticks(
        range(len(labels)), [label_name(label) for label in labels], rotation=30, ha="right"
    )
    ax.set_title("Andel beslut med brist per myndighet")
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
        ax.text(0.5, 0.5, "inga kommuner angivna", ha="center", va="center")
    ax.grid(axis="x", alpha=0.3)


def year_chart(documents: Sequence[dict], labels: Sequence[str]) -> Any:
    """Line chart: documents with each label per 100 documents, per year."""
    fig = _figure(9, 4.2)
    _plot_years(fig.add_subplot(), documents, labels)
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


def trends_figure(documents: Sequence[dict], labels: Sequence[str], top: int = 15) -> Any:
    """All three charts in one figure (``protoscan trends --plot``)."""
    fig = _figure(10, 14)
    axes = fig.subplots(3, 1, height_ratios=[1, 1, 1.2])
    _plot_years(axes[0], documents, labels)
    _plot_authorities(axes[1], documents, labels)
    _plot_municipalities(axes[2], documents, labels, top)
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
