"""``protoscan screen --html``: one self-contained page with the draft and its findings in place.

The page has a summary at the top, then the draft's text section by section with every
tagged passage wrapped in a ``<span class="finding">`` (the cue words inside it in
``<mark class="cue">``) and, beside it, a card with the label, the confidence and the legal
requirement. Absence checks follow in their own section marked *härledd* (inferred), with
links to the sentences they point at, and readability advice closes the page. Styles are
inline; nothing is fetched. Every string from the draft goes through ``html.escape``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

from protoscan.checks import CheckResult
from protoscan.document import Passage
from protoscan.screen import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    PassageFinding,
    ScreenReport,
    group_findings,
    sections_with_passages,
)

__all__ = ["build_screen_html", "write_screen_html"]

_STATUS_SV = {"passed": "uppfyllt", "failed": "saknas", "not_applicable": "ej tillämplig"}
_LABEL_COLOURS = {
    "child_perspective": "#f4a261",
    "reasoning": "#e76f51",
    "documentation": "#2a9d8f",
    "violence_investigation": "#d62828",
    "delay": "#8e7dbe",
    "placement_follow_up": "#457b9d",
    "party_information": "#bc6c25",
}
_STYLE = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#d9d9de; --bg:#fafafa; }
* { box-sizing: border-box; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); margin: 0; }
header, main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem; }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.2rem; border-bottom: 2px solid var(--line); padding-bottom: .3rem;
     margin-top: 2rem; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
.meta { color: var(--muted); }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: .7rem;
           margin: 1rem 0; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.stat b { display: block; font-size: 1.6rem; }
.verdict { padding: .7rem 1rem; border-radius: 8px; font-weight: 600; }
.verdict.findings { background: #fde2e1; border: 1px solid #e5a1a0; }
.verdict.clean { background: #dff3e4; border: 1px solid #9fd3ad; }
.row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.2rem;
       align-items: start; margin: .35rem 0; }
.text { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem;
        white-space: pre-wrap; }
.finding { background: rgba(231, 111, 81, .12); border-bottom: 2px solid var(--label, #e76f51);
           box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.finding.allegation { background: rgba(120, 120, 120, .10); border-bottom: 2px dashed #888; }
mark.cue { background: #ffe066; padding: 0 .1em; border-radius: 2px; }
.long { text-decoration: underline dotted #888; text-underline-offset: 3px; }
.inferred { outline: 2px dashed #b5179e; outline-offset: 1px; }
.tag { display: inline-block; font-size: .75rem; font-weight: 600; color: #fff;
       background: var(--label, #e76f51); border-radius: 3px; padding: 0 .35rem; margin-left: .3rem;
       white-space: nowrap; }
.tag.allegation { background: #777; }
.card { background: #fff; border-left: 4px solid var(--label, #e76f51); border-radius: 4px;
        padding: .4rem .7rem; margin-bottom: .5rem; font-size: .9rem; }
.card.allegation { border-left-style: dashed; border-left-color: #888; }
.card .basis { color: #1b4965; }
.card .definition, .small { color: var(--muted); font-size: .85rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 700; text-transform: uppercase;
         letter-spacing: .03em; border-radius: 3px; padding: .05rem .4rem; }
.badge.inferred-badge { background: #f3d9ef; color: #7b1163; }
.check { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem;
         margin: .6rem 0; }
.check.failed { border-left: 5px solid #c1121f; }
.check.passed { border-left: 5px solid #2d6a4f; }
.check.not_applicable { border-left: 5px solid #adb5bd; color: var(--muted); }
.status { font-weight: 700; }
.status.failed { color: #c1121f; } .status.passed { color: #2d6a4f; }
details summary { cursor: pointer; color: var(--muted); }
ul.evidence { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .9rem; }
@media (max-width: 800px) { .row { grid-template-columns: 1fr; } }
@media print { .row { break-inside: avoid; } }
"""


_ID = re.compile(r' id="[^"]*"')


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _spans_in(
    passage: Passage, spans: Iterable[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    """``(start, end, class, attribute-html)`` spans clipped to the passage, relative to it."""
    clipped = []
    for start, end, css, attributes in spans:
        s, e = max(start, passage.start_char), min(end, passage.end_char)
        if s < e:
            clipped.append((s - passage.start_char, e - passage.start_char, css, attributes))
    return clipped


def _markup(text: str, spans: list[tuple[int, int, str, str]]) -> str:
    """Escape ``text`` and wrap each piece in the spans that cover it (always well nested).

    The text is cut at every span boundary; each piece is wrapped on its own, so overlapping
    spans never produce crossing tags. An ``id`` is written only on the first piece of a span.
    """
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out: list[str] = []
    opened: set[int] = set()
    for left, right in pairwise(cuts):
        piece = _e(text[left:right])
        for index, (s, e, css, attributes) in enumerate(spans):
            if s <= left and right <= e:
                extra = attributes if index not in opened else _ID.sub("", attributes)
                opened.add(index)
                tag = "mark" if css == "cue" else "span"
                piece = f'<{tag} class="{css}"{extra}>{piece}</{tag}>'
        out.append(piece)
    return "".join(out)


def _label_style(label: str) -> str:
    return f' style="--label:{_LABEL_COLOURS.get(label, "#e76f51")}"'


def _card(finding: PassageFinding) -> str:
    kind = "Påstående i anmälan, inte ett fynd" if finding.allegation else "Fynd"
    cues = ", ".join(dict.fromkeys(c.text for c in finding.cues))
    cue_source = (
        "modellens starkaste ord" if finding.cue_source == "model" else "etikettens nyckelord"
    )
    pages = f" · s. {_e(', '.join(map(str, finding.page_numbers)))}" if finding.page_numbers else ""
    return (
        f'<div class="card{" allegation" if finding.allegation else ""}"'
        f'{_label_style(finding.label)} data-label="{_e(finding.label)}">'
        f"<div><b>{_e(finding.name_sv)}</b> · {_e(kind)}</div>"
        f'<div class="small">säkerhet {finding.score:.2f} (tröskel {finding.threshold:.2f}){pages}'
        "</div>"
        + (f'<div class="small">Ledtrådar ({_e(cue_source)}): {_e(cues)}</div>' if cues else "")
        + f'<div class="basis">Krav: {_e(finding.legal_basis)}</div>'
        f'<div class="definition">{_e(finding.definition)}</div></div>'
    )


def _passage_row(
    passage: Passage,
    findings: list[PassageFinding],
    extra_spans: list[tuple[int, int, str, str]],
) -> str:
    spans = list(_spans_in(passage, extra_spans))
    for finding in findings:
        spans.extend(
            _spans_in(
                passage,
                [(c.start_char, c.end_char, "cue", ' title="ledtråd"') for c in finding.cues],
            )
        )
    body = _markup(passage.text, spans)
    notes = ""
    if findings:
        allegation = all(f.allegation for f in findings)
        labels = " ".join(dict.fromkeys(f.label for f in findings))
        title = "; ".join(f"{f.name_sv} {f.score:.2f}" for f in findings)
        tags = "".join(
            f'<span class="tag{" allegation" if f.allegation else ""}"'
            f"{_label_style(f.label)}>{_e(f.name_sv)} {f.score:.2f}</span>"
            for f in findings
        )
        body = (
            f'<span class="finding{" allegation" if allegation else ""}"'
            f'{_label_style(findings[0].label)} data-labels="{_e(labels)}" title="{_e(title)}"'
            f' id="finding-{_e(passage.id.replace(":", "-"))}">{body}</span>{tags}'
        )
        notes = "".join(_card(f) for f in findings)
    return (
        f'<div class="row"><div class="text">{body}</div><aside class="notes">{notes}</aside></div>'
    )


def _check_spans(checks: Iterable[CheckResult]) -> list[tuple[int, int, str, str]]:
    spans = []
    for check in checks:
        if not check.failed:
            continue
        for n, item in enumerate(check.evidence):
            title = f"{check.name_sv} (härledd): {item.note}"
            spans.append(
                (item.start_char, item.end_char, "inferred",
                 f' id="check-{_e(check.id)}-{n}" title="{_e(title)}"')
            )  # fmt: skip
    return spans


def _summary(report: ScreenReport) -> str:
    counts = report.counts()
    doc = report.document
    meta = doc.metadata
    readability = report.readability
    stats = [
        (counts["findings"], "fynd i texten"),
        (counts["checks_failed"], "saknade delar (härledda)"),
        (counts["allegations"], "påståenden i anmälan"),
        (f"{readability.lix:.0f}" if readability.lix is not None else "–",
         f"LIX ({readability.band or 'okänt'})"),
        (counts["long_sentences"], "överlånga meningar"),
        (counts["unexplained_abbreviations"], "oförklarade förkortningar"),
    ]  # fmt: skip
    boxes = "".join(f'<div class="stat"><b>{_e(v)}</b>{_e(k)}</div>' for v, k in stats)
    if report.has_findings:
        verdict = (
            f'<div class="verdict findings">Exit {EXIT_FINDINGS}: utkastet har fynd att se över '
            "innan beslutet expedieras.</div>"
        )
    else:
        verdict = (
            f'<div class="verdict clean">Exit {EXIT_CLEAN}: inga fynd vid vald tröskel och inga '
            "saknade delar.</div>"
        )
    threshold = (
        f"tröskel {report.threshold:.2f} för alla etiketter"
        if report.threshold is not None
        else "modellens tröskel per etikett"
    )
    masked = ""
    if report.personal_numbers:
        masked = f" · {report.personal_numbers} personnummer " + (
            "maskerade" if report.personal_data_masked else "visas"
        )
    facts = " · ".join(
        _e(v)
        for v in (
            meta.authority,
            meta.doc_type or doc.doc_type,
            meta.municipality,
            meta.decision_date,
            meta.dnr and f"Dnr {meta.dnr}",
        )
        if v
    )
    return (
        f'<section class="summary-block"><p class="meta">{_e(doc.source or "inklistrad text")}'
        f" · {facts} · {_e(threshold)}{_e(masked)}</p>"
        f'<div class="summary">{boxes}</div>{verdict}</section>'
    )


def _checks_section(report: ScreenReport) -> str:
    head = (
        '<h2>Frånvarokontroller <span class="badge inferred-badge">härledd</span></h2>'
        '<p class="small">Kontrollerna bygger på vad som <em>inte</em> står i utkastet. De är '
        "härledda, har lägre säkerhet än fynden i texten och ska läsas som frågor att pröva.</p>"
    )
    if not report.checks_applicable:
        return f'<section id="checks">{head}<p>Körs inte: {_e(report.checks_reason)}</p></section>'
    items = []
    for check in report.checks:
        evidence = ""
        if check.evidence:
            entries = []
            for n, item in enumerate(check.evidence):
                anchor = (
                    f'<a href="#check-{_e(check.id)}-{n}">”{_e(item.text)}”</a>'
                    if check.failed
                    else f"”{_e(item.text)}”"
                )
                entries.append(f"<li>{anchor} ({_e(item.note)}): {_e(item.sentence)}</li>")
            evidence = f'<ul class="evidence">{"".join(entries)}</ul>'
        confidence = f" · säkerhet {check.confidence:.2f}" if check.failed else ""
        items.append(
            f'<div class="check {_e(check.status)}" data-check="{_e(check.id)}">'
            f'<div><span class="status {_e(check.status)}">{_e(_STATUS_SV[check.status])}</span>'
            f" · <b>{_e(check.requirement_sv)}</b>"
            f' <span class="badge inferred-badge">härledd</span>{confidence}</div>'
            f"<div>{_e(check.summary)}</div>"
            f'<div class="basis small">Krav: {_e(check.legal_basis)}</div>'
            f"<details><summary>Vad kontrollen letade efter</summary>"
            f"<p>{_e(check.looked_for)}</p>{evidence}</details></div>"
        )
    return f'<section id="checks">{head}{"".join(items)}</section>'


def _readability_section(report: ScreenReport) -> str:
    readability = report.readability
    parts = [
        '<section id="readability"><h2>Läsbarhet '
        '<span class="small">(råd, inte brister)</span></h2>'
    ]
    if readability.lix is None:
        parts.append("<p>För lite text för att beräkna LIX.</p>")
    else:
        parts.append(
            f"<p>LIX <b>{readability.lix:.1f}</b>: {_e(readability.band)} "
            f"({_e(readability.band_description)}); {readability.words} ord i "
            f"{readability.sentences} meningar, räknat på {_e(readability.scope)}.</p>"
        )
    if readability.long_sentences:
        items = "".join(
            f"<li>{s.words} ord: {_e(' '.join(s.text.split()))}</li>"
            for s in readability.long_sentences
        )
        parts.append(
            f"<p>Meningar med fler än {readability.max_sentence_words} ord (prickunderstrukna i "
            f"texten):</p><ul>{items}</ul>"
        )
    if readability.abbreviations:
        items = "".join(
            f"<li><b>{_e(a.abbreviation)}</b> ({_e(a.expansion)}), {a.count} gång(er)</li>"
            for a in readability.abbreviations
        )
        parts.append(
            f"<p>Förkortningar som inte skrivs ut någonstans i utkastet:</p><ul>{items}</ul>"
        )
    parts.append("</section>")
    return "".join(parts)


def build_screen_html(report: ScreenReport) -> str:
    """Render a screening report as one self-contained HTML page.

    Args:
        report: The result of ``protoscan.screen.screen_document``.

    Returns:
        The page as a string (UTF-8, no external resources).
    """
    doc = report.document
    grouped = group_findings([*report.findings, *report.allegations])
    extra = _check_spans(report.checks)
    extra += [(s.start_char, s.end_char, "long", ' title="lång mening"')
              for s in report.readability.long_sentences]  # fmt: skip
    body: list[str] = []
    for section, passages in sections_with_passages(doc):
        if section is not None and section.title:
            body.append(f'<h3 data-kind="{_e(section.kind)}">{_e(section.title)}</h3>')
        body.extend(_passage_row(p, grouped.get(p.id, []), extra) for p in passages)
    title = doc.metadata.title or doc.source or "utkast"
    return (
        '<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Granskning: {_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>Granskning av utkast</h1>{_summary(report)}</header><main>"
        f'<section id="document"><h2>Utkastets text</h2>{"".join(body)}</section>'
        f"{_checks_section(report)}{_readability_section(report)}"
        '<p class="small">Exitstatus: 0 = inga fynd, 3 = fynd eller saknade delar, 1 = fel. '
        "Fynden kommer från en modell och frånvarokontrollerna från regler; båda ska prövas av "
        "en jurist.</p></main></body></html>\n"
    )


def write_screen_html(report: ScreenReport, path: Path | str) -> Path:
    """Write the page to ``path`` (parent folders are created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_screen_html(report), encoding="utf-8")
    return path
