"""Trend tables over document records: how many documents, how many with each label, and the
rate per 100 documents, grouped by year, authority, municipality, outcome …

Everything works on the document records of a scan (``read_results(..., record="document")``);
a document "has" a label when the label is among its findings (``labels``), i.e. it was found
in the voice that counts (the supervisor's in JO/IVO decisions).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from protoscan.analysis.correction import ErrorRates
from protoscan.errors import ConfigError
from protoscan.labels import ALL_LABELS, get_label, validate_labels

__all__ = [
    "AUTHORITY_NAMES",
    "DEFAULT_MIN_DOCUMENTS",
    "GROUP_KEYS",
    "TABLE_COLUMNS",
    "authority_name",
    "counting_passages",
    "filter_documents",
    "label_name",
    "parse_by",
    "parse_date_bound",
    "result_labels",
    "select_labels",
    "trends_table",
    "wide_rows",
]

#: Fields a table can be grouped by (``label`` orders the label dimension among them).
GROUP_KEYS: tuple[str, ...] = (
    "year",
    "authority",
    "municipality",
    "label",
    "outcome",
    "doc_type",
    "law_version",
)
#: Value columns of every long-format table row, after the group keys: counts, the raw rate
#: per 100 with its Wilson 95 % interval, ``small`` (fewer documents than the minimum), the
#: Rogan–Gladen corrected rate per 100 with its interval and status (``correction``), and the
#: document-level sensitivity and specificity it used (derived or measured).
TABLE_COLUMNS: tuple[str, ...] = (
    "label_name",
    "documents",
    "with_label",
    "rate_per_100",
    "rate_ci_low",
    "rate_ci_high",
    "small",
    "corrected_per_100",
    "corrected_ci_low",
    "corrected_ci_high",
    "correction",
    "doc_sensitivity",
    "doc_specificity",
)
#: Groups with fewer documents are shown but flagged ``small``.
DEFAULT_MIN_DOCUMENTS = 10

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_by(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"year,authority"`` → ``("year", "authority")``; ``ConfigError`` for unknown keys."""
    if value is None:
        return ("year",)
    items = value.split(",") if isinstance(value, str) else [v for x in value for v in x.split(",")]
    keys = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [key for key in keys if key not in GROUP_KEYS]
    if unknown or not keys:
        raise ConfigError(
            f"--by takes comma-separated keys from {', '.join(GROUP_KEYS)}; got {value!r}"
        )
    return keys


def parse_date_bound(value: str | None, *, end: bool) -> str | None:
    """``"2019"``/``"2019-05"``/``"2019-05-03"`` → an ISO date for comparing with
    ``decision_date``; a start bound pads with the first day, an end bound with the last."""
    if value is None:
        return None
    match = _DATE.match(value.strip())
    if not match:
        raise ConfigError(f"dates are YYYY, YYYY-MM or YYYY-MM-DD; got {value!r}")
    year, month, day = match.groups()
    month = month or ("12" if end else "01")
    day = day or ("31" if end else "01")  # "31" is a safe string upper bound for any month
    return f"{year}-{month}-{day}"


def filter_documents(
    documents: Iterable[dict[str, Any]], *, date_from: str | None = None, date_to: str | None = None
) -> list[dict[str, Any]]:
    """Documents whose decision date lies in ``[date_from, date_to]`` (bounds as accepted by
    ``parse_date_bound``); without bounds every document, with any bound only dated ones."""
    start = parse_date_bound(date_from, end=False)
    stop = parse_date_bound(date_to, end=True)
    if start is None and stop is None:
        return list(documents)
    kept = []
    for doc in documents:
        date = doc.get("decision_date")
        if not date:
            continue
        if (start is None or date >= start) and (stop is None or date[: len(stop)] <= stop):
            kept.append(doc)
    return kept


def result_labels(documents: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The label ids present in the records' ``label_counts``, in taxonomy order."""
    seen: set[str] = set()
    for doc in documents:
        seen.update((doc.get("label_counts") or {}).keys())
        seen.update(doc.get("labels") or ())
    known = [label for label in ALL_LABELS if label in seen]
    return (*known, *sorted(seen - set(known)))


def select_labels(available: Sequence[str], wanted: Sequence[str] | None) -> tuple[str, ...]:
    """``wanted`` (ids, comma-separated allowed) checked against the taxonomy, or all."""
    if not wanted:
        return tuple(available) or ALL_LABELS
    items = [v.strip() for x in wanted for v in x.split(",") if v.strip()]
    unknown = validate_labels(items)
    if unknown:
        raise ConfigError(f"unknown label(s) {', '.join(unknown)}; valid: {', '.join(ALL_LABELS)}")
    return tuple(dict.fromkeys(items))


#: Swedish display names of the authority values in the metadata.
AUTHORITY_NAMES = {"municipality": "kommun", "court": "domstol", "other": "övrig"}


def authority_name(authority: str | None) -> str:
    """Display name of an authority value (``JO``, ``IVO``, ``kommun`` …)."""
    if authority is None:
        return "(okänd)"
    return AUTHORITY_NAMES.get(authority, authority)


def label_name(label: str) -> str:
    """The Swedish display name of a label id (the id itself if unknown)."""
    try:
        return get_label(label).name_sv
    except KeyError:
        return label


def _sort_value(key: str, value: Any, labels: Sequence[str]) -> tuple:
    if key == "label":
        return (0, labels.index(value) if value in labels else len(labels), "")
    if value is None:
        return (1, 0, "")
    return (0, value, "") if isinstance(value, int) else (0, 0, str(value))


def counting_passages(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Passages per document (by ``sha256``) whose tags count as findings (the voice that
    counts), from the passage records of a scan: the k of the document-level error rates."""
    from protoscan.findings import counts_as_finding

    counts: Counter[str] = Counter()
    for record in records:
        if record.get("record") == "passage" and counts_as_finding(
            record.get("authority") or "other", record.get("voice") or ""
        ):
            counts[str(record.get("sha256"))] += 1
    return dict(counts)


def passages_of(doc: dict[str, Any], counts: dict[str, int] | None) -> int:
    """The k of a document: its counting passages from ``counts`` (0 when it has none), or,
    without passage records, all its passages (``n_passages``)."""
    if counts:
        return int(counts.get(str(doc.get("sha256")), 0))
    return int(doc.get("n_passages") or 1)


def _per_100(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 2)


def trends_table(
    documents: Sequence[dict[str, Any]],
    by: Sequence[str] = ("year",),
    labels: Sequence[str] | None = None,
    *,
    error_rates: ErrorRates | None = None,
    passage_counts: dict[str, int] | None = None,
    min_documents: int = DEFAULT_MIN_DOCUMENTS,
) -> list[dict[str, Any]]:
    """Documents, documents with each label and the rate per 100, per group and label, with
    the Wilson 95 % interval and, given the model's error rates, the corrected rate.

    Args:
        documents: Document records of a scan.
        by: Group keys from ``GROUP_KEYS``. ``label`` is always a dimension of the table;
            naming it sets where it sorts (``("label", "year")`` lists each label's years).
        labels: Label ids to count; all labels of the records by default.
        error_rates: The model's error rates (``read_error_rates``); without them the
            corrected columns are ``None``.
        passage_counts: Counting passages per document ``sha256`` (``counting_passages``),
            for deriving document-level errors from passage-level ones; without passage
            records ``n_passages`` (every passage) stands in.
        min_documents: Groups with fewer documents get ``small = True``.

    Returns:
        Long-format rows ``{<group keys>, "label", *TABLE_COLUMNS}``, sorted by the group keys
        (unknown values last); a missing group value is ``None``. Rates and interval bounds
        are per 100 documents.

    Example:
        >>> docs = [{"year": 2020, "labels": ["delay"]}, {"year": 2020, "labels": []}]
        >>> row = trends_table(docs, by=["year"], labels=["delay"])[0]
        >>> row["rate_per_100"], row["rate_ci_low"], row["small"]
        (50.0, 9.45, True)
    """
    from protoscan.analysis.correction import correct_rate, wilson_interval

    by = parse_by(list(by))
    labels = tuple(labels) if labels else result_labels(documents)
    keys = by if "label" in by else (*by, "label")
    group_keys = [k for k in keys if k != "label"]
    totals: Counter[tuple] = Counter()
    hits: dict[tuple, Counter[str]] = defaultdict(Counter)
    ks: dict[tuple, list[int]] = defaultdict(list)
    counts = passage_counts or {}
    for doc in documents:
        group = tuple(doc.get(k) for k in group_keys)
        totals[group] += 1
        hits[group].update(set(doc.get("labels") or ()) & set(labels))
        ks[group].append(passages_of(doc, counts))
    rows = []
    for group, n in totals.items():
        values = dict(zip(group_keys, group, strict=True))
        for label in labels:
            k = hits[group][label]
            row = {key: (label if key == "label" else values[key]) for key in keys}
            low, high = wilson_interval(k, n)
            row.update(
                label_name=label_name(label),
                documents=n,
                with_label=k,
                rate_per_100=round(100.0 * k / n, 2),
                rate_ci_low=_per_100(low),
                rate_ci_high=_per_100(high),
                small=n < min_documents,
            )
            if error_rates is None:
                row.update(
                    corrected_per_100=None,
                    corrected_ci_low=None,
                    corrected_ci_high=None,
                    correction="no error rates",
                    doc_sensitivity=None,
                    doc_specificity=None,
                )
            else:
                c = correct_rate(
                    error_rates.per_label.get(label),
                    k=k,
                    n=n,
                    ks=ks[group] if error_rates.unit == "passage" else None,
                )
                row.update(
                    corrected_per_100=_per_100(c.rate),
                    corrected_ci_low=_per_100(c.ci_low),
                    corrected_ci_high=_per_100(c.ci_high),
                    correction=c.status if c.status == "ok" else f"{c.status}: {c.note}",
                    doc_sensitivity=None if c.sensitivity is None else round(c.sensitivity, 4),
                    doc_specificity=None if c.specificity is None else round(c.specificity, 4),
                )
            rows.append(row)
    rows.sort(key=lambda r: tuple(_sort_value(k, r[k], labels) for k in keys))
    return rows


def wide_rows(
    rows: Sequence[dict[str, Any]], labels: Sequence[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Pivot long rows to one row per group with ``{label: (with_label, rate)}`` cells.

    Returns:
        The group keys and rows ``{<group keys>, "documents", "cells": {label: (k, rate)}}``
        in first-seen order.
    """
    if not rows:
        return [], []
    group_keys = [k for k in rows[0] if k not in ("label", *TABLE_COLUMNS)]
    pivot: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        group = tuple(row[k] for k in group_keys)
        entry = pivot.setdefault(
            group, {**dict(zip(group_keys, group, strict=True)), "documents": row["documents"]}
        )
        entry.setdefault("cells", {})[row["label"]] = (row["with_label"], row["rate_per_100"])
    for entry in pivot.values():
        entry["cells"] = {label: entry["cells"].get(label, (0, 0.0)) for label in labels}
    return group_keys, list(pivot.values())
