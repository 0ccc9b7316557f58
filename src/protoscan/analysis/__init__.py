"""Trends over scan results: tables, trend statistics and charts.

``trends_table`` counts documents and documents with each label per group (with Wilson
intervals and, given the model's error rates, Rogan–Gladen corrected rates), ``label_trends``
tests each label for a trend over the years, ``year_models`` fits per-year odds ratios and
marginal rates adjusted for the archive's mix (statsmodels), and ``protoscan.analysis.charts``
draws them (imported separately, since it loads matplotlib).
"""

from __future__ import annotations

from protoscan.analysis.correction import (
    ErrorRates,
    LabelAccuracy,
    correct_rate,
    read_error_rates,
    wilson_interval,
)
from protoscan.analysis.models import YearModel, parse_adjust, year_models
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
    "ErrorRates",
    "LabelAccuracy",
    "LogisticTrend",
    "TrendResult",
    "YearModel",
    "correct_rate",
    "filter_documents",
    "label_name",
    "label_trends",
    "logistic_trend",
    "mann_kendall",
    "parse_adjust",
    "parse_by",
    "read_error_rates",
    "result_labels",
    "select_labels",
    "trends_table",
    "wide_rows",
    "wilson_interval",
    "year_models",
]
