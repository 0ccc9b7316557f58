"""Absence checks for municipal drafts: what a decision about a child should contain and does not.

The passage model finds what a text *says* went wrong; these checks look for what a draft
*leaves out* (annotation guide §5, "absence-based inference"): the child's views, a barnets
bästa assessment, reasons, lagrum, a risk assessment when violence is mentioned, the 14-day
and four-month time limits, and, for a decision that goes against a party, kommunicering
before it and an överklagandehänvisning with it. They run only on municipal documents
(authority ``municipality``, or an unknown authority with municipal headings) and never on JO
or IVO decisions, which discuss only the issues they choose, so silence there means nothing.

Every result is *inferred*: it carries a confidence below that of a passage finding, says
in plain Swedish what it looked for and quotes what it found. Negation is read per clause:
"barnet har inte kunnat höras på grund av sin ålder" still shows that the child was
considered, while "ingen riskbedömning har gjorts" is not a risk assessment.

One module per check family, each with its ``CHECKS`` over the ``Check`` contract of
``base``: ``child`` (the child's voice and best interest), ``reasons`` (reasons and lagrum),
``violence`` (violence and risk), ``time_limits`` (14 days, four months), ``appeal`` (appeal
notice) and ``kommunicering`` (party information); ``decision`` says whether a decision goes
against a party, ``negation`` reads negation per clause. A new check is a ``Check`` in the
family module it belongs to.

May import: ``document``, ``labels``, ``structure`` and its own modules; never the report,
``render`` or ``cli``.
"""

from __future__ import annotations

import dataclasses
import re

from protoscan.document import Document
from protoscan.screen.checks import appeal, child, kommunicering, reasons, time_limits, violence
from protoscan.screen.checks.base import STATUSES, Check, CheckResult, Context, Evidence

__all__ = [
    "CHECKS",
    "CHECK_IDS",
    "STATUSES",
    "Check",
    "CheckResult",
    "Evidence",
    "checks_apply",
    "run_checks",
]

_I = re.IGNORECASE
_SUPERVISORS = frozenset({"JO", "IVO"})
_NOT_CASE_DOCUMENTS = frozenset({"lex_sarah", "statute", "court_ruling", "ivo_rapport"})
#: Headings (lower case) that only municipal case documents use (annotation guide §7.4).
_MUNICIPAL_HEADINGS = frozenset({
    "aktualisering", "skyddsbedömning", "förhandsbedömning", "barnets inställning",
    "barnets berättelse", "samtal med barnet", "barnets behov", "föräldrarnas förmåga",
    "familj och miljö", "familjen och nätverket", "förslag till beslut", "lagrum",
    "överklagandehänvisning", "hur man överklagar", "hur man överklagar beslutet",
    "beslutsfattare",
})  # fmt: skip
_MUNICIPAL_TITLE = re.compile(r"^(?:utredning enligt|beslut om|förhandsbedömning)", _I)


#: Every check, in report order.
CHECKS: tuple[Check, ...] = (
    *child.CHECKS,
    *reasons.CHECKS,
    *violence.CHECKS,
    *time_limits.CHECKS,
    *appeal.CHECKS,
    *kommunicering.CHECKS,
)
CHECK_IDS: tuple[str, ...] = tuple(check.id for check in CHECKS)


def checks_apply(doc: Document) -> tuple[bool, str]:
    """Whether absence checks may run on this document, and why (Swedish).

    Example:
        >>> from protoscan.document import Metadata
        >>> checks_apply(Document("d", None, "0" * 64, "jo_beslut", "…",
        ...                       metadata=Metadata(authority="JO")))[0]
        False
    """
    authority = doc.metadata.authority
    doc_type = doc.metadata.doc_type or doc.doc_type
    if authority in _SUPERVISORS:
        return False, (
            f"{authority}-beslut tar bara upp de frågor myndigheten väljer; att något inte "
            "nämns säger inget om handläggningen."
        )
    if doc_type in _NOT_CASE_DOCUMENTS:
        return False, f"Dokumenttypen {doc_type} är inget kommunalt beslut om ett barn."
    if authority == "municipality":
        return True, "Kommunalt dokument."
    titles = [(s.title or "").strip().casefold() for s in doc.sections]
    if any(t in _MUNICIPAL_HEADINGS or _MUNICIPAL_TITLE.match(t) for t in titles):
        return True, "Okänd avsändare men kommunala rubriker."
    return False, "Dokumentet verkar inte vara ett kommunalt beslut (inga kommunala rubriker)."


def _placed(doc: Document, evidence: Evidence) -> Evidence:
    """The evidence with the heading of the section it stands under."""
    section = doc.section_at(evidence.start_char)
    title = section.title if section is not None else ""
    return dataclasses.replace(evidence, section=title) if title else evidence


def run_checks(doc: Document) -> tuple[CheckResult, ...]:
    """Run every absence check on a document.

    Args:
        doc: A structured document (from ``protoscan.pipeline.read_document``).

    Returns:
        One result per check in ``CHECKS`` order. On documents the checks do not apply to
        (JO, IVO, lex Sarah …) every result is ``not_applicable`` with the reason.

    Example:
        >>> from protoscan.pipeline import read_document
        >>> results = run_checks(read_document("utkast.docx"))  # doctest: +SKIP
        >>> [r.id for r in results if r.failed]  # doctest: +SKIP
        ['child_views_missing', 'appeal_notice_missing']
    """
    applies, why = checks_apply(doc)
    results: list[CheckResult] = []
    ctx = Context(doc) if applies else None
    for check in CHECKS:
        if ctx is None:
            status, summary, evidence = "not_applicable", why, []
        else:
            status, summary, evidence = check.run(ctx)
        results.append(
            CheckResult(
                id=check.id,
                name_sv=check.name_sv,
                requirement_sv=check.requirement_sv,
                status=status,
                label=check.label,
                legal_basis=check.legal_basis,
                looked_for=check.looked_for,
                summary=summary,
                confidence=check.confidence,
                evidence=tuple(_placed(doc, e) for e in evidence),
            )
        )
    return tuple(results)
