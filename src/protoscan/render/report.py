"""``protoscan report``: one self-contained HTML page over a scan's results.

The page holds the trend tables (per label, per year, per authority, top municipalities),
the charts as inline base64 PNG, the trend statistics and, per label, the top-scoring
example passages that count as findings, each with its source file and page. Styles are
inline and nothing is fetched from elsewhere, so the file can be mailed or archived alone.
Every piece of text from the results is escaped with ``html.escape``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from protoscan.analysis.stats import TrendResult, label_trends
from protoscan.analysis.tables import (
    authority_name,
    label_name,
    result_labels,
    trends_table,
    wide_rows,
)

__all__ = ["build_report", "example_passages", "write_report"]

TEMPLATE = "report.html"


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}".replace(".", ",")


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "&lt; 0,0001" if value < 1e-4 else _num(value, 4)


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


def _image(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _charts(documents: Sequence[dict], labels: Sequence[str]) -> dict[str, str]:
    from protoscan.analysis.charts import (
        authority_chart,
        figure_bytes,
        municipality_chart,
        year_chart,
    )

    return {
        "year": _image(
            figure_bytes(year_chart(documents, labels)),
            "Linjediagram: andel beslut med varje brist per år",
            "Beslut där bristen konstaterats, per 100 beslut och år.",
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
) -> str:
    rows = trends_table(documents, [by], labels)
    _, groups = wide_rows(rows, labels)
    if by == "municipality":
        groups = [g for g in groups if g["municipality"]]
        groups.sort(key=lambda g: (-sum(k for k, _ in g["cells"].values()), -g["documents"]))
    if limit is not None:
        groups = groups[:limit]
    head = "".join(f'<th class="num">{_e(label_name(label))}</th>' for label in labels)
    body = []
    for group in groups:
        value = group[by]
        shown = authority_name(value) if by == "authority" else value
        cells = "".join(
            f'<td class="num">{k} <span class="muted">({_num(rate)})</span></td>'
            for k, rate in group["cells"].values()
        )
        body.append(
            f"<tr><td>{_e(shown if shown is not None else '(okänd)')}</td>"
            f'<td class="num">{group["documents"]}</td>{cells}</tr>'
        )
    return (
        f'<div class="table-scroll"><table><thead><tr><th>{_e(heading)}</th>'
        f'<th class="num">beslut</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        "</table></div>"
    )


def _overview(documents: Sequence[dict], labels: Sequence[str], examples: dict) -> str:
    total = len(documents)
    rows = []
    for label in labels:
        k = sum(label in (d.get("labels") or ()) for d in documents)
        passages = sum((d.get("label_counts") or {}).get(label) or 0 for d in documents)
        alleged = sum((d.get("alleged_counts") or {}).get(label) or 0 for d in documents)
        link = f'<a href="#ex-{_e(label)}-1">exempel</a>' if examples.get(label) else "inga exempel"
        rows.append(
            f'<tr><td><a href="#label-{_e(label)}">{_e(label_name(label))}</a>'
            f'<br><span class="muted">{_e(label)}</span></td>'
            f'<td class="num">{k}</td><td class="num">{_num(100 * k / total if total else 0.0)}'
            f'</td><td class="num">{passages}</td><td class="num">{alleged}</td>'
            f"<td>{link}</td></tr>"
        )
    return (
        '<div class="table-scroll"><table><thead><tr><th>brist</th>'
        '<th class="num">beslut med bristen</th><th class="num">per 100 beslut</th>'
        '<th class="num">stycken (konstaterat)</th><th class="num">stycken (påstått)</th>'
        "<th></th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _trend_table(trends: Sequence[TrendResult]) -> str:
    rows = []
    for t in trends:
        ci = (
            f"[{_num(t.slope_ci_low, 3)}; {_num(t.slope_ci_high, 3)}]"
            if t.slope is not None
            else "–"
        )
        rows.append(
            f"<tr><td>{_e(t.label_name)}</td><td class='num'>{t.years}</td>"
            f"<td class='num'>{t.with_label} / {t.documents}</td>"
            f"<td class='num'>{_num(t.mk_tau, 3)}</td><td class='num'>{_p(t.mk_p)}</td>"
            f"<td class='num'>{_num(t.slope, 3)}</td><td class='num'>{ci}</td>"
            f"<td class='num'>{_num(t.odds_ratio, 3)}</td><td class='num'>{_p(t.slope_p)}</td>"
            f"<td class='meta'>{_e(t.note)}</td></tr>"
        )
    return (
        '<div class="table-scroll"><table><thead><tr><th>brist</th><th class="num">år</th>'
        '<th class="num">beslut med brist / daterade beslut</th>'
        '<th class="num">Mann–Kendall τ</th><th class="num">p (MK)</th>'
        '<th class="num">lutning per år (log-odds)</th><th class="num">95 % KI (Wald)</th>'
        '<th class="num">oddskvot per år</th><th class="num">p (Wald)</th><th>anm.</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _legal_basis(label: str) -> str:
    from protoscan.labels import get_label

    try:
        return f'<p class="meta">Rättslig grund: {_e(get_label(label).legal_basis)}</p>'
    except KeyError:
        return ""


def _examples(label: str, passages: Sequence[dict]) -> str:
    if not passages:
        return '<p class="muted">Inga stycken med denna brist i tillsynsmyndighetens text.</p>'
    items = []
    for i, p in enumerate(passages, start=1):
        pages = ", ".join(str(n) for n in p.get("page_numbers") or ()) or "–"
        score = (p.get("scores") or {}).get(label)
        where = " · ".join(
            _e(part)
            for part in (
                authority_name(p.get("authority")),
                p.get("dnr"),
                p.get("decision_date"),
                p.get("section"),
            )
            if part
        )
        items.append(
            f'<li id="ex-{_e(label)}-{i}"><span class="score">{_num(score, 2)}</span> '
            f'<span class="meta">källa: <code>{_e(p.get("source"))}</code>, s. {_e(pages)}'
            f" · {where}</span><blockquote>{_e(p.get('text'))}</blockquote></li>"
        )
    return f'<ol class="examples">{"".join(items)}</ol>'


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
        The HTML page as a string.
    """
    documents = [r for r in records if r["record"] == "document"]
    passages = [r for r in records if r["record"] == "passage" and r.get("labels")]
    labels = result_labels(documents)
    picked = {label: example_passages(passages, label, examples) for label in labels}
    charts = _charts(documents, labels)
    trends = label_trends(documents, labels)
    years = sorted({d["year"] for d in documents if d.get("year") is not None})
    flagged = sum(bool(d.get("labels")) for d in documents)

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
    nav = [
        ("oversikt", "Översikt"),
        ("per-ar", "Per år"),
        ("per-myndighet", "Per myndighet"),
        ("kommuner", "Kommuner"),
        ("trendtest", "Trendtest"),
        ("exempel", "Exempel"),
    ]
    label_sections = "".join(
        f'<section id="label-{_e(label)}"><h3>{_e(label_name(label))} '
        f'<span class="muted">({_e(label)})</span></h3>{_legal_basis(label)}'
        f"{_examples(label, picked[label])}</section>"
        for label in labels
    )
    body = f"""
<header>
<h1>{_e(title)}</h1>
<p class="lead">Brister i handläggningen av barnärenden enligt protoscans modell.</p>
<dl class="facts">{"".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)}</dl>
<nav><ul>{"".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t in nav)}</ul></nav>
</header>
<p class="note">Ett beslut räknas som ett beslut med en brist när modellen hittat bristen i
tillsynsmyndighetens egen text (JO:s eller IVO:s bedömning och beslut) eller, i kommunala
dokument, i kommunens egen text. Anmälarens påståenden räknas separat som påstådda.
Siffrorna är modellens bedömningar, inte en manuell granskning.</p>
<section id="oversikt"><h2>Översikt per brist</h2>
{_overview(documents, labels, picked)}</section>
<section id="per-ar"><h2>Per år</h2>
{charts["year"]}
{_wide_table(documents, "year", labels, "år")}
<p class="muted">Cellerna visar antal beslut med bristen och (inom parentes) per 100 beslut.</p>
</section>
<section id="per-myndighet"><h2>Per myndighet</h2>
{charts["authority"]}
{_wide_table(documents, "authority", labels, "myndighet")}
</section>
<section id="kommuner"><h2>Kommuner</h2>
{charts["municipality"]}
{_wide_table(documents, "municipality", labels, "kommun", limit=25)}
</section>
<section id="trendtest"><h2>Trendtest per brist över åren</h2>
<p>Två test per brist. <strong>Mann–Kendall</strong>: Kendalls τ mellan år och årlig andel
beslut med bristen (alla år väger lika). <strong>Logistisk regression</strong> av
”beslutet har bristen” på år: lutningen är förändringen i log-odds per år med 95 %
konfidensintervall (Wald); oddskvoten per år är e<sup>lutning</sup>. Ett intervall som inte
omfattar 0 tyder på en trend. Testen tar inte hänsyn till att urvalet av myndigheter och
dokumenttyper kan skifta mellan åren.</p>
{_trend_table(trends)}
</section>
<section id="exempel"><h2>Exempel per brist</h2>
<p class="muted">De högst poängsatta styckena per brist där bristen räknas som konstaterad,
med källfil och sida.</p>
{label_sections}
</section>
"""
    template = Template(
        resources.files("protoscan.render").joinpath("templates", TEMPLATE).read_text("utf-8")
    )
    return template.substitute(title=_e(title), body=body)


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
