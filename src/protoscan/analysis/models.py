"""Year effects adjusted for the archive's mix, with statsmodels.

For each label, two binomial GLMs (logit link) on one row per dated document:

- **trend**: ``logit P(label) = a + b·(year − mean) [+ covariates]``: the odds ratio per
  year ``exp(b)`` with its 95 % Wald interval, unadjusted and adjusted;
- **per year**: ``logit P(label) = C(year) [+ covariates]``: the odds ratio of each year
  against the first estimable year, and the **marginal (average) predicted rate** per year,
  i.e. the rate every year would have had with the covariate mix of the whole selection
  (standardisation / g-computation: predict every document as if decided in that year and
  average). Its interval is the delta method on the logit scale. Without covariates the
  marginal rate is the raw rate.

Covariates (``--adjust authority,doc_type``) enter as categorical main effects (reference:
the most common value; a missing value is a level of its own). A year or covariate level
where every document has, or no document has, the label separates the data: those
documents are left out of the fit (their coefficient would be infinite, and they carry no
information about the others), and the year gets no odds ratio or marginal rate, only its
raw rate. With ``cluster`` the standard errors are cluster-robust by that field (few
clusters make them unreliable; below 10 clusters a note says so).

With error rates, every rate also gets its Rogan–Gladen correction
(``protoscan.analysis.correction``): the raw one from the year's counts and the adjusted one
from the marginal rate and its standard error.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from protoscan.analysis.correction import Correction, ErrorRates, correct_rate, wilson_interval
from protoscan.analysis.stats import fit_binomial
from protoscan.errors import ConfigError

__all__ = [
    "ADJUST_KEYS",
    "DEFAULT_MIN_DOCUMENTS",
    "YearEstimate",
    "YearModel",
    "parse_adjust",
    "year_models",
]

#: Document fields a model can adjust (or cluster) for.
ADJUST_KEYS: tuple[str, ...] = ("authority", "doc_type", "municipality", "outcome", "law_version")
#: Groups with fewer documents are shown but flagged.
DEFAULT_MIN_DOCUMENTS = 10
_MISSING = "(okänd)"
_MIN_CLUSTERS = 10
_Z = 1.959963984540054


def parse_adjust(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"authority,doc_type"`` → ``("authority", "doc_type")``; ``ConfigError`` otherwise."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else [v for x in value for v in x.split(",")]
    keys = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [key for key in keys if key not in ADJUST_KEYS]
    if unknown:
        raise ConfigError(
            f"--adjust takes comma-separated keys from {', '.join(ADJUST_KEYS)}; got {value!r}"
        )
    return keys


@dataclass(frozen=True)
class YearEstimate:
    """One year of one label: raw counts and rate with its Wilson interval, the odds ratio
    against the reference year (unadjusted and adjusted), the marginal predicted rate, and
    the corrected rates (raw → ``corrected_*``, adjusted marginal → ``adj_corrected_*``).
    Rates are 0–1; ``None`` where not estimable."""

    year: int
    documents: int
    with_label: int
    small: bool
    rate: float
    rate_ci_low: float
    rate_ci_high: float
    odds_ratio: float | None = None
    or_ci_low: float | None = None
    or_ci_high: float | None = None
    adj_odds_ratio: float | None = None
    adj_or_ci_low: float | None = None
    adj_or_ci_high: float | None = None
    marginal: float | None = None
    marginal_ci_low: float | None = None
    marginal_ci_high: float | None = None
    corrected: float | None = None
    corrected_ci_low: float | None = None
    corrected_ci_high: float | None = None
    corrected_status: str = ""
    adj_corrected: float | None = None
    adj_corrected_ci_low: float | None = None
    adj_corrected_ci_high: float | None = None
    adj_corrected_status: str = ""
    note: str = ""


@dataclass(frozen=True)
class YearModel:
    """Per-label trend and per-year estimates, unadjusted beside adjusted."""

    label: str
    label_name: str
    adjust: tuple[str, ...]
    cluster: str | None
    reference_year: int | None
    adj_reference_year: int | None
    documents: int
    trend_or: float | None
    trend_ci_low: float | None
    trend_ci_high: float | None
    trend_p: float | None
    adj_trend_or: float | None
    adj_trend_ci_low: float | None
    adj_trend_ci_high: float | None
    adj_trend_p: float | None
    years: list[YearEstimate] = field(default_factory=list)
    correction: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- design matrices ------------------------------------------------------------------------


def _level(value: Any) -> str:
    return _MISSING if value is None or value == "" else str(value)


@dataclass
class _Design:
    """Columns: intercept, year part (dummies or centred year), covariate dummies."""

    X: np.ndarray
    year_columns: list[int]
    year_levels: list[int]  # for dummies: the year of each dummy column


def _cells(documents: Sequence[dict], label: str, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Documents aggregated to cells of equal ``year`` and ``fields``: ``{"year", <field>:
    level, "n": documents, "k": documents with the label}``. A binomial GLM on the cells has
    the same estimates and (also cluster-robust, when the cluster field is among ``fields``)
    standard errors as one on the documents."""
    n: Counter[tuple] = Counter()
    k: Counter[tuple] = Counter()
    for d in documents:
        key = (int(d["year"]), *(_level(d.get(f)) for f in fields))
        n[key] += 1
        k[key] += label in (d.get("labels") or ())
    return [
        {"year": key[0], **dict(zip(fields, key[1:], strict=True)), "n": n[key], "k": k[key]}
        for key in sorted(n)
    ]


def _covariate_dummies(
    cells: Sequence[dict], keys: Sequence[str], reference_cells: Sequence[dict]
) -> np.ndarray:
    """Dummies for every level of each key; the reference is the most common level (by
    documents) among ``reference_cells`` (those fitted)."""
    columns = []
    for key in keys:
        values = [c[key] for c in cells]
        counts: Counter[str] = Counter()
        for c in reference_cells:
            counts[c[key]] += c["n"]
        reference = max(sorted(counts), key=lambda v: counts[v]) if counts else None
        for level in sorted(set(values)):
            if level != reference:
                columns.append([float(v == level) for v in values])
    if not columns:
        return np.empty((len(cells), 0))
    return np.asarray(columns).T


def _design(
    cells: Sequence[dict],
    keys: Sequence[str],
    *,
    years: list[int] | None,
    reference_cells: Sequence[dict] | None = None,
) -> _Design:
    """Design matrix; ``years`` (reference first) gives year dummies, ``None`` a centred year."""
    year = np.array([float(c["year"]) for c in cells])
    cov = _covariate_dummies(cells, keys, reference_cells or cells)
    intercept = np.ones((len(cells), 1))
    if years is None:
        weights = np.array([c["n"] for c in cells], dtype=float)
        year_part = (year - np.average(year, weights=weights))[:, None]
        levels: list[int] = []
    else:
        levels = years[1:]
        year_part = np.empty((len(cells), 0))
        if levels:
            year_part = np.column_stack([year == y for y in levels]).astype(float)
    X = np.hstack([intercept, year_part, cov])
    return _Design(X, list(range(1, 1 + year_part.shape[1])), levels)


def _separated_subset(cells: Sequence[dict], keys: Sequence[str]) -> list[dict]:
    """Drop the cells of year or covariate levels where the label is always or never present
    (repeat until none is left: dropping one level can separate another)."""
    current = list(cells)
    while True:
        keep = current
        for key in keys:
            hits: Counter[Any] = Counter()
            totals: Counter[Any] = Counter()
            for c in keep:
                totals[c[key]] += c["n"]
                hits[c[key]] += c["k"]
            bad = {v for v in totals if hits[v] in (0, totals[v])}
            if bad and len(bad) < len(totals):
                keep = [c for c in keep if c[key] not in bad]
        if len(keep) == len(current):
            return keep
        current = keep


def _drop_constant_columns(X: np.ndarray) -> np.ndarray:
    """Columns that vary (the intercept always stays): a covariate level missing from the fit
    would make the design singular."""
    keep = [0, *(j for j in range(1, X.shape[1]) if np.ptp(X[:, j]) > 0)]
    return np.asarray(keep)


def _groups(cells: Sequence[dict], key: str | None) -> np.ndarray | None:
    if key is None:
        return None
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(c[key], len(codes)) for c in cells])


def _endog(cells: Sequence[dict]) -> np.ndarray:
    return np.array([[c["k"], c["n"] - c["k"]] for c in cells], dtype=float)


# -- fits -----------------------------------------------------------------------------------


def _trend(
    cells: Sequence[dict], keys: Sequence[str], cluster: str | None
) -> tuple[float, float, float, float] | None:
    """Odds ratio per year with its 95 % interval and p-value; ``None`` if not estimable."""
    fit_cells = _separated_subset(cells, keys) if keys else list(cells)
    if len({c["year"] for c in fit_cells}) < 2:
        return None
    endog = _endog(fit_cells)
    if endog[:, 0].sum() == 0 or endog[:, 1].sum() == 0:
        return None
    design = _design(fit_cells, keys, years=None)
    columns = _drop_constant_columns(design.X)
    result = fit_binomial(endog, design.X[:, columns], _groups(fit_cells, cluster))
    if result is None:
        return None
    low, high = result.ci(1)
    return (math.exp(result.params[1]), math.exp(low), math.exp(high), result.p_value(1))


@dataclass
class _PerYear:
    odds: dict[int, tuple[float, float, float]]
    marginal: dict[int, tuple[float, float]]  # year → (rate, se on logit scale)
    reference: int | None


def _per_year(cells: Sequence[dict], keys: Sequence[str], cluster: str | None) -> _PerYear | None:
    fit_cells = _separated_subset(cells, ("year", *keys))
    fitted = {id(c) for c in fit_cells}
    in_fit = np.array([id(c) in fitted for c in cells], dtype=bool)
    years = sorted({c["year"] for c in fit_cells})
    endog = _endog(cells)
    if not years or endog[in_fit, 0].sum() == 0 or endog[in_fit, 1].sum() == 0:
        return None
    design = _design(cells, keys, years=years, reference_cells=fit_cells)
    columns = _drop_constant_columns(design.X[in_fit])
    groups = _groups(fit_cells, cluster)
    result = fit_binomial(endog[in_fit], design.X[in_fit][:, columns], groups)
    if result is None:
        return None
    params = np.zeros(design.X.shape[1])
    params[columns] = result.params
    cov = np.zeros((design.X.shape[1],) * 2)
    cov[np.ix_(columns, columns)] = result.cov
    odds = {}
    for j, year in zip(design.year_columns, design.year_levels, strict=True):
        se = math.sqrt(cov[j, j])
        odds[year] = (
            math.exp(params[j]),
            math.exp(params[j] - _Z * se),
            math.exp(params[j] + _Z * se),
        )
    # Standardise over every dated document: documents of a covariate level left out as
    # separated keep their level's constant outcome whatever the year; the others (also
    # those of separated years) are predicted with the year set.
    fitted_levels = {key: {c[key] for c in fit_cells} for key in keys}
    constant = np.array(
        [any(c[key] not in fitted_levels[key] for key in keys) for c in cells], dtype=bool
    )
    n = endog.sum(axis=1)
    total = n.sum()
    marginal = {}
    for year in years:
        X = _with_year(design.X[~constant], design, year)
        p = 1 / (1 + np.exp(-(X @ params)))
        weights = n[~constant]
        m = ((weights * p).sum() + endog[constant, 0].sum()) / total
        gradient = (weights * p * (1 - p)) @ X / total
        var = float(gradient @ cov @ gradient)
        if 0 < m < 1:
            marginal[year] = (float(m), math.sqrt(max(var, 0.0)) / (m * (1 - m)))
    return _PerYear(odds, marginal, years[0])


def _with_year(X: np.ndarray, design: _Design, year: int) -> np.ndarray:
    out = X.copy()
    for j, level in zip(design.year_columns, design.year_levels, strict=True):
        out[:, j] = float(level == year)
    return out


# -- the public entry -----------------------------------------------------------------------


def _correction_fields(prefix: str, c: Correction | None) -> dict[str, Any]:
    if c is None:
        return {}
    return {
        f"{prefix}": c.rate,
        f"{prefix}_ci_low": c.ci_low,
        f"{prefix}_ci_high": c.ci_high,
        f"{prefix}_status": c.status if c.status == "ok" else f"{c.status}: {c.note}",
    }


def year_models(
    documents: Sequence[dict[str, Any]],
    labels: Sequence[str],
    *,
    adjust: Sequence[str] = (),
    cluster: str | None = None,
    error_rates: ErrorRates | None = None,
    passage_counts: dict[str, int] | None = None,
    min_documents: int = DEFAULT_MIN_DOCUMENTS,
) -> list[YearModel]:
    """Trend and per-year estimates for each label, unadjusted beside adjusted for ``adjust``.

    Args:
        documents: Document records of a scan; those without a year are left out.
        labels: Label ids.
        adjust: Covariates from ``ADJUST_KEYS``.
        cluster: A field for cluster-robust standard errors, or ``None``.
        error_rates: The model's error rates; with them the rates get Rogan–Gladen corrections.
        passage_counts: Counting passages per document ``sha256`` (for deriving
            document-level errors from passage-level ones); ``n_passages`` otherwise.
        min_documents: Years with fewer documents are flagged ``small``.

    Example:
        >>> docs = [{"year": 2019 + i % 3, "authority": "JO" if i % 2 else "IVO",
        ...          "labels": ["delay"] if i % 4 == 0 else []} for i in range(60)]
        >>> (model,) = year_models(docs, ["delay"], adjust=["authority"])
        >>> [round(y.rate, 2) for y in model.years]
        [0.25, 0.25, 0.25]
    """
    from protoscan.analysis.tables import label_name

    adjust = parse_adjust(list(adjust))
    if cluster is not None and cluster not in ADJUST_KEYS:
        raise ConfigError(f"--cluster takes one of {', '.join(ADJUST_KEYS)}; got {cluster!r}")
    if min_documents < 1:
        raise ConfigError(f"--min-documents must be ≥ 1; got {min_documents}")
    dated = [d for d in documents if d.get("year") is not None]
    ks = _passage_counts(dated, error_rates, passage_counts)
    per_year_docs: dict[int, list[int]] = {}
    for i, d in enumerate(dated):
        per_year_docs.setdefault(int(d["year"]), []).append(i)
    notes = []
    if cluster is not None and len({_level(d.get(cluster)) for d in dated}) < _MIN_CLUSTERS:
        notes.append(f"fewer than {_MIN_CLUSTERS} clusters: cluster-robust errors unreliable")
    cell_fields = tuple(dict.fromkeys((*adjust, *((cluster,) if cluster else ()))))
    out = []
    for label in labels:
        accuracy = error_rates.per_label.get(label) if error_rates else None
        cells = _cells(dated, label, cell_fields)
        unadjusted_trend = _trend(cells, (), cluster)
        adjusted_trend = _trend(cells, adjust, cluster) if adjust else None
        raw_fit = _per_year(cells, (), cluster)
        adj_fit = _per_year(cells, adjust, cluster) if adjust else raw_fit
        years = []
        for year in sorted(per_year_docs):
            index = per_year_docs[year]
            n = len(index)
            k = sum(label in (dated[i].get("labels") or ()) for i in index)
            low, high = wilson_interval(k, n)
            fields: dict[str, Any] = {}
            if raw_fit is not None and year in raw_fit.odds:
                names = ("odds_ratio", "or_ci_low", "or_ci_high")
                fields.update(zip(names, raw_fit.odds[year], strict=True))
            if adjust and adj_fit is not None and year in adj_fit.odds:
                names = ("adj_odds_ratio", "adj_or_ci_low", "adj_or_ci_high")
                fields.update(zip(names, adj_fit.odds[year], strict=True))
            note = ""
            if adj_fit is not None and year in adj_fit.marginal:
                m, se = adj_fit.marginal[year]
                z = _Z * se
                centre = math.log(m / (1 - m))
                fields.update(
                    marginal=m,
                    marginal_ci_low=1 / (1 + math.exp(-(centre - z))),
                    marginal_ci_high=1 / (1 + math.exp(-(centre + z))),
                )
            else:
                note = "no marginal rate: no document, or every document, has the label"
            if error_rates is not None:
                year_ks = ks[index] if ks is not None else None
                fields.update(
                    _correction_fields("corrected", correct_rate(accuracy, k=k, n=n, ks=year_ks))
                )
                if "marginal" in fields and adj_fit is not None:
                    m, se = adj_fit.marginal[year]
                    fields.update(
                        _correction_fields(
                            "adj_corrected",
                            correct_rate(accuracy, apparent=m, apparent_logit_se=se, ks=ks),
                        )
                    )
            years.append(
                YearEstimate(
                    year=year,
                    documents=n,
                    with_label=k,
                    small=n < min_documents,
                    rate=k / n,
                    rate_ci_low=low,
                    rate_ci_high=high,
                    note=note,
                    **fields,
                )
            )
        reference = raw_fit.reference if raw_fit else None
        adj_reference = adj_fit.reference if adjust and adj_fit else None
        model_notes = list(notes)
        if unadjusted_trend is None:
            model_notes.append("no trend odds ratio: needs ≥ 2 years and no separation")
        out.append(
            YearModel(
                label=label,
                label_name=label_name(label),
                adjust=adjust,
                cluster=cluster,
                reference_year=reference,
                adj_reference_year=adj_reference,
                documents=len(dated),
                **_trend_fields("trend", unadjusted_trend),
                **_trend_fields("adj_trend", adjusted_trend),
                years=years,
                correction=error_rates.describe() if error_rates else "",
                note="; ".join(model_notes),
            )
        )
    return out


def _trend_fields(prefix: str, fit: tuple[float, float, float, float] | None) -> dict[str, Any]:
    names = (f"{prefix}_or", f"{prefix}_ci_low", f"{prefix}_ci_high", f"{prefix}_p")
    return dict(zip(names, fit if fit else (None,) * 4, strict=True))


def _passage_counts(
    documents: Sequence[dict],
    error_rates: ErrorRates | None,
    counts: dict[str, int] | None,
) -> np.ndarray | None:
    """Counting passages per document, when passage-level errors must be turned into
    document-level ones."""
    if error_rates is None or error_rates.unit == "document":
        return None
    from protoscan.analysis.tables import passages_of

    return np.array([passages_of(d, counts) for d in documents], dtype=int)
