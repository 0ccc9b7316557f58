"""``protoscan screen --html``: one self-contained page with the draft and its findings in place.

The page has a summary at the top, then the draft's text section by section with every
tagged passage wrapped in a ``<span class="finding">`` (the cue words inside it in
``<mark class="cue">``) and, beside it, a card with the label, the confidence and the legal
requirement. Absence checks follow in their own section marked *härledd* (inferred), with
links to the sentences they point at, and readability advice closes the page. Styles are
inline; nothing is fetched.

This module only prepares plain data (``screen_context``); the page itself is the Jinja2
template ``screen.html`` (autoescaped), which the web app extends, so the file written here
and the page a lawyer sees in ``protoscan serve`` are the same page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from protoscan.document import Passage
from protoscan.render.templating import render_page
from protoscan.screen.checks import CheckResult
from protoscan.screen.report import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    PassageFinding,
    ScreenReport,
    group_findings,
    sections_with_passages,
)

__all__ = ["build_screen_html", "screen_context", "write_screen_html"]

TEMPLATE = "screen.html"
STATUS_SV = {"passed": "uppfyllt", "failed": "saknas", "not_applicable": "ej tillämplig"}
LABEL_COLOURS = {
    "child_perspective": "#f4a261",
    "reasoning": "#e76f51",
    "documentation": "#2a9d8f",
    "violence_investigation": "#d62828",
    "delay": "#8e7dbe",
    "placement_follow_up": "#457b9d",
    "party_information": "#bc6c25",
}
_DEFAULT_COLOUR = "#e76f51"
_CONTEXT_SV = {
    "letterhead": "brevhuvud",
    "metadata": "uppgift",
    "signature": "underskrift",
    "heading": "rubrik",
}


@dataclass(frozen=True, slots=True)
class Wrapper:
    """An element around a piece of text: ``<mark class="cue">`` or ``<span class=…>``."""

    tag: str
    css: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of passage text with the elements that cover it, outermost first."""

    text: str
    wrappers: tuple[Wrapper, ...]


# A span to mark inside a passage: (start, end, css class, attributes), offsets in the document.
_Span = tuple[int, int, str, dict[str, str]]


def _clip(passage: Passage, spans: Iterable[_Span]) -> list[_Span]:
    """Spans clipped to the passage, with offsets relative to it."""
    clipped = []
    for start, end, css, attrs in spans:
        s, e = max(start, passage.start_char), min(end, passage.end_char)
        if s < e:
            clipped.append((s - passage.start_char, e - passage.start_char, css, attrs))
    return clipped


def _pieces(text: str, spans: list[_Span]) -> list[Piece]:
    """Cut ``text`` at every span boundary; each piece lists the spans covering it.

    Each piece is wrapped on its own, so overlapping spans never produce crossing tags. An
    ``id`` is kept only on the first piece of a span.
    """
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    pieces: list[Piece] = []
    opened: set[int] = set()
    for left, right in pairwise(cuts):
        wrappers = []
        for index, (s, e, css, attrs) in enumerate(spans):
            if s <= left and right <= e:
                if index in opened:
                    attrs = {k: v for k, v in attrs.items() if k != "id"}
                opened.add(index)
                wrappers.append(Wrapper("mark" if css == "cue" else "span", css, attrs))
        pieces.append(Piece(text[left:right], tuple(wrappers)))
    return pieces


def _card(finding: PassageFinding) -> dict[str, Any]:
    return {
        "label": finding.label,
        "name_sv": finding.name_sv,
        "colour": LABEL_COLOURS.get(finding.label, _DEFAULT_COLOUR),
        "allegation": finding.allegation,
        "muted": not finding.counted,
        "kind": finding.kind_sv + (", inte ett fynd" if finding.allegation else ""),
        "set_aside_reason": finding.set_aside_reason,
        "score": f"{finding.score:.2f}",
        "threshold": f"{finding.threshold:.2f}",
        "pages": ", ".join(map(str, finding.page_numbers)),
        "cues": ", ".join(dict.fromkeys(c.text for c in finding.cues)),
        "cue_source": (
            "modellens starkaste ord" if finding.cue_source == "model" else "etikettens nyckelord"
        ),
        "legal_basis": finding.legal_basis,
        "definition": finding.definition,
    }


def _row(
    passage: Passage, findings: list[PassageFinding], extra: list[_Span], context: str | None
) -> dict[str, Any]:
    spans = _clip(passage, extra)
    for finding in findings:
        spans.extend(
            _clip(passage, [(c.start_char, c.end_char, "cue", {"title": "ledtråd"})
                            for c in finding.cues])
        )  # fmt: skip
    row: dict[str, Any] = {
        "pieces": _pieces(passage.text, spans),
        "findings": [],
        "context": context,
        "context_sv": _CONTEXT_SV.get(context or "", ""),
    }
    if findings:
        row.update(
            findings=[_card(f) for f in findings],
            allegation=all(f.allegation for f in findings),
            muted=not any(f.counted for f in findings),
            colour=LABEL_COLOURS.get(findings[0].label, _DEFAULT_COLOUR),
            labels=" ".join(dict.fromkeys(f.label for f in findings)),
            title="; ".join(f"{f.name_sv} {f.score:.2f}" for f in findings),
            anchor="finding-" + passage.id.replace(":", "-"),
        )
    return row


def _check_spans(checks: Iterable[CheckResult]) -> list[_Span]:
    spans: list[_Span] = []
    for check in checks:
        if not check.failed:
            continue
        for n, item in enumerate(check.evidence):
            title = f"{check.name_sv} (härledd): {item.note}"
            spans.append((item.start_char, item.end_char, "inferred",
                          {"id": f"check-{check.id}-{n}", "title": title}))  # fmt: skip
    return spans


def _summary(report: ScreenReport) -> dict[str, Any]:
    counts = report.counts()
    doc = report.document
    meta = doc.metadata
    readability = report.readability
    lix = f"{readability.lix:.0f}" if readability.lix is not None else "–"
    stats = [
        (counts["findings"], "fynd i texten"),
        (counts["checks_failed"], "saknade delar (härledda)"),
        (counts["allegations"], "påståenden i anmälan"),
        (counts["set_aside"], "markeringar som inte är fynd"),
        (lix, f"LIX ({readability.band or 'okänt'})"),
        (counts["long_sentences"], "överlånga meningar"),
        (counts["unexplained_abbreviations"], "oförklarade förkortningar"),
    ]
    threshold = (
        f"tröskel {report.threshold:.2f} för alla etiketter"
        if report.threshold is not None
        else "modellens tröskel per etikett"
    )
    masked = ""
    if report.personal_numbers:
        state = "maskerade" if report.personal_data_masked else "visas"
        masked = f"{report.personal_numbers} personnummer {state}"
    facts = [
        v
        for v in (
            doc.source or "inklistrad text",
            meta.authority,
            meta.doc_type or doc.doc_type,
            meta.municipality,
            meta.decision_date,
            meta.dnr and f"Dnr {meta.dnr}",
            threshold,
            masked,
        )
        if v
    ]
    return {
        "facts": facts,
        "stats": stats,
        "has_findings": report.has_findings,
        "exit_findings": EXIT_FINDINGS,
        "exit_clean": EXIT_CLEAN,
    }


def _checks(report: ScreenReport) -> list[dict[str, Any]]:
    items = []
    for check in report.checks:
        items.append(
            {
                "id": check.id,
                "status": check.status,
                "status_sv": STATUS_SV[check.status],
                "failed": check.failed,
                "requirement_sv": check.requirement_sv,
                "confidence": f"{check.confidence:.2f}",
                "summary": check.summary,
                "legal_basis": check.legal_basis,
                "looked_for": check.looked_for,
                "evidence": [
                    {
                        "anchor": f"check-{check.id}-{n}",
                        "text": e.text,
                        "note": e.note,
                        "sentence": e.sentence,
                        "section": e.section,
                    }
                    for n, e in enumerate(check.evidence)
                ],
            }
        )
    return items


def _readability(report: ScreenReport) -> dict[str, Any]:
    r = report.readability
    return {
        "lix": f"{r.lix:.1f}" if r.lix is not None else None,
        "band": r.band,
        "band_description": r.band_description,
        "words": r.words,
        "sentences": r.sentences,
        "scope": r.scope,
        "max_sentence_words": r.max_sentence_words,
        "long_sentences": [(s.words, " ".join(s.text.split())) for s in r.long_sentences],
        "abbreviations": [(a.abbreviation, a.expansion, a.count) for a in r.abbreviations],
    }


def screen_context(report: ScreenReport) -> dict[str, Any]:
    """Everything the ``screen.html`` template shows, as plain data.

    Args:
        report: The result of ``protoscan.screen.screen_document``.

    Returns:
        A dict with ``title``, ``summary``, ``sections`` (heading and rows of pieces),
        ``checks``, ``checks_applicable``, ``checks_reason`` and ``readability``.
    """
    doc = report.document
    grouped = group_findings(report.tagged)
    extra = _check_spans(report.checks)
    extra += [(s.start_char, s.end_char, "long", {"title": "lång mening"})
              for s in report.readability.long_sentences]  # fmt: skip
    sections = []
    for section, passages in sections_with_passages(doc):
        sections.append(
            {
                "title": section.title if section is not None else "",
                "kind": section.kind if section is not None else "",
                "rows": [
                    _row(p, grouped.get(p.id, []), extra, report.context.get(p.id))
                    for p in passages
                ],
            }
        )
    return {
        "title": doc.metadata.title or doc.source or "utkast",
        "summary": _summary(report),
        "sections": sections,
        "checks": _checks(report),
        "checks_applicable": report.checks_applicable,
        "checks_reason": report.checks_reason,
        "readability": _readability(report),
    }


def build_screen_html(report: ScreenReport) -> str:
    """Render a screening report as one self-contained HTML page.

    Args:
        report: The result of ``protoscan.screen.screen_document``.

    Returns:
        The page as a string (UTF-8, no external resources).
    """
    return render_page(TEMPLATE, report=screen_context(report))


def write_screen_html(report: ScreenReport, path: Path | str) -> Path:
    """Write the page to ``path`` (parent folders are created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_screen_html(report), encoding="utf-8")
    return path
