"""The ``protoscan screen`` report for a terminal (rich): summary first, then by section.

Everything shown comes from a ``ScreenReport``, whose text is already masked unless personal
data was asked for. Markup in the draft's text is never interpreted: all of it goes through
``rich.text.Text``.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from protoscan.screen.checks import CheckResult
from protoscan.screen.report import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    PassageFinding,
    ScreenReport,
    group_findings,
    sections_with_passages,
)

__all__ = ["STATUS_SV", "print_screen_report", "screen_renderable"]

STATUS_SV = {"passed": "uppfyllt", "failed": "saknas", "not_applicable": "ej tillämplig"}
_STATUS_STYLE = {"passed": "green", "failed": "bold red", "not_applicable": "dim"}
_STATUS_MARK = {"passed": "✓", "failed": "✗", "not_applicable": "·"}
_EXCERPT_CHARS = 700


def _summary(report: ScreenReport) -> Panel:
    counts = report.counts()
    doc = report.document
    meta = doc.metadata
    facts = [
        ("Fil", doc.source or "–"),
        ("Avsändare", meta.authority),
        ("Dokumenttyp", meta.doc_type or doc.doc_type),
        ("Kommun", meta.municipality or "–"),
        ("Datum", meta.decision_date or "–"),
    ]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, value in facts:
        table.add_row(key, Text(str(value)))
    table.add_row(
        "Fynd i texten",
        f"{counts['findings']} (i {counts['finding_passages']} "
        f"{'stycke' if counts['finding_passages'] == 1 else 'stycken'})"
        + (f", {counts['allegations']} påståenden i anmälan" if counts["allegations"] else "")
        + (f", {counts['set_aside']} markeringar som inte är fynd" if counts["set_aside"] else ""),
    )
    table.add_row(
        "Frånvarokontroller",
        f"{counts['checks_failed']} saknas, {counts['checks_passed']} uppfyllda, "
        f"{counts['checks_not_applicable']} ej tillämpliga (härledda)",
    )
    readability = report.readability
    if readability.lix is not None:
        table.add_row("Läsbarhet", f"LIX {readability.lix:.0f} ({readability.band})")
    threshold = (
        f"{report.threshold:.2f} för alla etiketter"
        if report.threshold is not None
        else "modellens tröskel per etikett"
    )
    table.add_row("Tröskel", threshold)
    if report.personal_numbers:
        table.add_row(
            "Personnummer",
            f"{report.personal_numbers} st, "
            + ("maskerade" if report.personal_data_masked else "visas (--show-personal-data)"),
        )
    if report.has_findings:
        verdict = Text(
            f"Exit {EXIT_FINDINGS}: utkastet har fynd att se över innan beslutet expedieras.",
            style="bold red",
        )
    else:
        verdict = Text(
            f"Exit {EXIT_CLEAN}: inga fynd vid vald tröskel och inga saknade delar.",
            style="bold green",
        )
    return Panel(Group(table, Text(), verdict), title="Granskning av utkast", expand=True)


def _highlighted(finding: PassageFinding, text: str, start: int) -> Text:
    rendered = Text(text)
    for cue in finding.cues:
        s, e = cue.start_char - start, cue.end_char - start
        if 0 <= s < e <= len(text):
            rendered.stylize("bold black on yellow", s, e)
    if len(rendered) > _EXCERPT_CHARS:
        rendered.truncate(_EXCERPT_CHARS)
        rendered.append(" …")
    return rendered


def _finding_block(findings: list[PassageFinding]) -> RenderableType:
    first = findings[0]
    parts: list[RenderableType] = []
    for finding in findings:
        head = Text()
        style = "bold red" if finding.counted else "bold magenta"
        head.append(f"● {finding.kind_sv}: ", style=style)
        head.append(finding.name_sv, style="bold")
        head.append(f"  säkerhet {finding.score:.2f} (tröskel {finding.threshold:.2f})")
        if finding.page_numbers:
            head.append(f"  s. {', '.join(map(str, finding.page_numbers))}", style="dim")
        parts.append(head)
        cue_words = ", ".join(dict.fromkeys(c.text for c in finding.cues))
        source = (
            "modellens starkaste ord" if finding.cue_source == "model" else "etikettens nyckelord"
        )
        if cue_words:
            parts.append(Text(f"  Ledtrådar ({source}): {cue_words}", style="yellow"))
        parts.append(Text(f"  Krav: {finding.legal_basis}", style="cyan"))
        if finding.set_aside_reason:
            parts.append(Text(f"  Därför inget fynd: {finding.set_aside_reason}", style="magenta"))
    parts.append(Text(""))
    excerpt = _highlighted(first, first.text, first.start_char)
    for finding in findings[1:]:
        for cue in finding.cues:
            s, e = cue.start_char - first.start_char, cue.end_char - first.start_char
            if 0 <= s < e <= len(excerpt):
                excerpt.stylize("bold black on yellow", s, e)
    return Panel(
        Group(*parts, excerpt),
        expand=True,
        border_style="red" if any(f.counted for f in findings) else "magenta",
    )


def _check_list(checks: tuple[CheckResult, ...], applicable: bool, reason: str) -> RenderableType:
    title = "Frånvarokontroller (härledda: bygger på vad som inte står i utkastet, lägre säkerhet)"
    if not applicable:
        return Group(Rule(title), Text(f"Körs inte: {reason}", style="dim"))
    parts: list[RenderableType] = [Rule(title)]
    for check in checks:
        line = Text()
        line.append(f"{_STATUS_MARK[check.status]} ", style=_STATUS_STYLE[check.status])
        line.append(check.requirement_sv, style="bold")
        line.append(f": {STATUS_SV[check.status]}", style=_STATUS_STYLE[check.status])
        if check.failed:
            line.append(f"  (härledd, säkerhet {check.confidence:.2f})", style="dim")
        parts.append(line)
        style = "dim" if check.status == "not_applicable" else ""
        parts.append(Padding(Text(check.summary, style=style), (0, 0, 0, 4)))
        if check.failed:
            parts.append(
                Padding(Text(f"Letade efter: {check.looked_for}", style="dim"), (0, 0, 0, 4))
            )
            parts.append(Padding(Text(f"Krav: {check.legal_basis}", style="cyan"), (0, 0, 0, 4)))
    return Group(*parts)


def _readability(report: ScreenReport) -> RenderableType:
    readability = report.readability
    parts: list[RenderableType] = [Rule("Läsbarhet (råd, inte brister)")]
    if readability.lix is None:
        parts.append(Text("För lite text för att beräkna LIX."))
    else:
        parts.append(
            Text(
                f"LIX {readability.lix:.1f}: {readability.band} ({readability.band_description}); "
                f"{readability.words} ord i {readability.sentences} meningar, räknat på "
                f"{readability.scope}."
            )
        )
    if readability.long_sentences:
        parts.append(Text(f"Meningar med fler än {readability.max_sentence_words} ord:"))
        for sentence in readability.long_sentences:
            excerpt = " ".join(sentence.text.split())
            excerpt = excerpt if len(excerpt) <= 120 else excerpt[:119] + "…"
            parts.append(Text(f"  • {sentence.words} ord: {excerpt}"))
    if readability.abbreviations:
        parts.append(Text("Förkortningar som inte skrivs ut någonstans i utkastet:"))
        for item in readability.abbreviations:
            parts.append(Text(f"  • {item.abbreviation} ({item.expansion}), {item.count} gång(er)"))
    if not readability.long_sentences and not readability.abbreviations:
        parts.append(Text("Inga överlånga meningar och inga oförklarade förkortningar."))
    return Group(*parts)


def screen_renderable(report: ScreenReport) -> RenderableType:
    """The whole report as one rich renderable."""
    parts: list[RenderableType] = [_summary(report)]
    grouped = group_findings(report.tagged)
    parts.append(Rule("Fynd i texten, per avsnitt"))
    if not grouped:
        parts.append(Text("Modellen markerade inga stycken vid vald tröskel."))
    for section, passages in sections_with_passages(report.document):
        blocks = [_finding_block(grouped[p.id]) for p in passages if p.id in grouped]
        if blocks:
            title = (
                (section.title if section and section.title else "(inledning)") if section else "–"
            )
            parts.append(Text(f"§ {title}", style="bold underline"))
            parts.extend(blocks)
    parts.append(_check_list(report.checks, report.checks_applicable, report.checks_reason))
    parts.append(_readability(report))
    parts.append(
        Text(
            f"Exitstatus: {EXIT_CLEAN} = inga fynd, {EXIT_FINDINGS} = fynd eller saknade delar, "
            "1 = fel.",
            style="dim",
        )
    )
    return Group(*parts)


def print_screen_report(report: ScreenReport, console: Console | None = None) -> None:
    """Print the report to ``console`` (stdout by default)."""
    (console or Console()).print(screen_renderable(report))
