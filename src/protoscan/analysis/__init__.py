"""Trends over scan results: tables, trend statistics and charts.

``trends_table`` counts documents and documents with each label per group, ``label_trends``
tests each label for a trend over the years, and ``protoscan.analysis.charts`` draws them
(imported separately, since it loads matplotlib).
"""

from __future__ import annotations

from protoscan.analysis.stats import (
    LogisticTrend,
    TrendResult,
    label_trends,
    logistic_trend,
    mann_kendall,
)
from protoscan.analysis.tables import (
    GROUP_KEYS,
    filter_documents,
    label_name,
    parse_by,
    result_labels,
    select_labels,
    trends_table,
    wide_rows,
)

__all__ = [
    "GROUP_KEYS",
    "LogisticTrend",
    "TrendResult",
    "filter_documents",
    "label_name",
    "label_trends",
    "logistic_trend",
    "mann_kendall",
    "parse_by",
    "result_labels",
    "select_labels",
    "trends_table",
    "wide_rows",
]
