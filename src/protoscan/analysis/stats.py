"""Is a label becoming more or less common over the years? Two answers per label.

- **Mann–Kendall trend test** on the yearly rates (share of documents with the label):
  Kendall's τ between year and rate, with its two-sided p-value (``scipy.stats.kendalltau``).
  It uses only the order of the yearly rates, so a year with 3 documents weighs as much as
  one with 300.
- **Logistic regression** of "document has the label" on year, a statsmodels binomial GLM
  on the yearly counts (the same estimate as one row per document). The slope is the change
  in log-odds per year, reported with its 95 % Wald confidence interval and as an odds ratio
  per year; unlike Mann–Kendall it weighs years by their number of documents.

Neither accounts for a changing mix of authorities or document types; ``protoscan.analysis.
models`` fits the same slope with covariates, and per-year marginal rates.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "BinomialFit",
    "LogisticTrend",
    "TrendResult",
    "fit_binomial",
    "label_trends",
    "logistic_trend",
    "mann_kendall",
]

#: A slope this steep (log-odds per year) means the fit ran away: the data are separable.
_SEPARATION = 25.0


@dataclass(frozen=True)
class LogisticTrend:
    """Slope per year in log-odds with its standard error, 95 % Wald CI and p-value."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    odds_ratio: float
    intercept: float
    iterations: int


@dataclass(frozen=True)
class TrendResult:
    """Both trend statistics for one label; ``None`` where a statistic is not estimable,
    with the reason in ``note``."""

    label: str
    label_name: str
    years: int
    first_year: int | None
    last_year: int | None
    documents: int
    with_label: int
    mk_tau: float | None
    mk_p: float | None
    slope: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    slope_p: float | None
    odds_ratio: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mann_kendall(years: Sequence[float], rates: Sequence[float]) -> tuple[float, float] | None:
    """Kendall's τ between time and value, and its two-sided p-value.

    Returns:
        ``(tau, p)``, or ``None`` with fewer than 3 points or constant rates.
    """
    from scipy.stats import kendalltau

    if len(years) < 3 or len(set(rates)) < 2:
        return None
    result = kendalltau(years, rates)
    if not np.isfinite(result.statistic):
        return None
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True)
class BinomialFit:
    """Coefficients and their covariance from ``fit_binomial``, with Wald helpers."""

    params: np.ndarray
    cov: np.ndarray
    iterations: int

    def se(self, j: int) -> float:
        return math.sqrt(self.cov[j, j])

    def ci(self, j: int, level: float = 0.95) -> tuple[float, float]:
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        return self.params[j] - z * self.se(j), self.params[j] + z * self.se(j)

    def p_value(self, j: int) -> float:
        from scipy.stats import norm

        return float(2 * norm.sf(abs(self.params[j] / self.se(j))))


def fit_binomial(
    endog: np.ndarray, exog: np.ndarray, groups: np.ndarray | None = None
) -> BinomialFit | None:
    """statsmodels binomial GLM (logit link) on counts ``endog = [[k, n − k], …]`` (or 0/1).

    ``groups`` (one cluster code per row) asks for cluster-robust errors; each row must lie
    in one cluster. The small-sample factor G/(G − 1)·(N − 1)/(N − K) counts N in documents,
    so aggregated rows give the same errors as one row per document.

    Returns ``None`` when the fit does not converge or the data are (quasi-)separated.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    model = sm.GLM(endog, exog, family=sm.families.Binomial())
    kwargs: dict[str, Any] = {}
    if groups is not None:
        kwargs = {
            "cov_type": "cluster",
            "cov_kwds": {"groups": groups, "use_correction": False},
        }
    # statsmodels warns on any perfect fit (also a flat series); separation is checked below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(maxiter=100, **kwargs)
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError):
            return None
    params, cov, mu = (np.asarray(v) for v in (result.params, result.cov_params(), result.mu))
    if groups is not None:
        n_groups = len(np.unique(groups))
        documents = float(np.asarray(endog).sum()) if np.ndim(endog) == 2 else len(endog)
        if n_groups < 2 or documents <= len(params):
            return None
        cov = cov * n_groups / (n_groups - 1) * (documents - 1) / (documents - len(params))
    runaway = len(params) > 1 and np.max(np.abs(params[1:])) > _SEPARATION
    degenerate = np.any(mu < 1e-8) or np.any(mu > 1 - 1e-8)
    finite = np.all(np.isfinite(np.diag(cov))) and np.all(np.diag(cov) >= 0)
    if not result.converged or not finite or runaway or degenerate:
        return None
    return BinomialFit(params, cov, int(result.fit_history["iteration"]))


def logistic_trend(
    years: Sequence[float],
    successes: Sequence[int],
    trials: Sequence[int],
) -> LogisticTrend | None:
    """Binomial logistic regression ``logit p = a + b · (year − mean year)`` on yearly counts
    (statsmodels GLM; the same estimate as one row per document).

    Args:
        years: The x values (one per group; usually calendar years).
        successes: Documents with the label per year.
        trials: Documents per year.

    Returns:
        The slope ``b`` per year with a 95 % Wald interval, or ``None`` when it is not
        estimable: fewer than two years, no or only positive documents, or (quasi-)complete
        separation.

    Example:
        >>> fit = logistic_trend([2018, 2019, 2020, 2021], [2, 5, 9, 14], [20, 20, 20, 20])
        >>> fit.slope > 0 and fit.ci_low > 0
        True
    """
    x = np.asarray(years, dtype=float)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    keep = n > 0
    x, k, n = x[keep], k[keep], n[keep]
    if len(np.unique(x)) < 2 or k.sum() == 0 or k.sum() == n.sum():
        return None
    design = np.column_stack([np.ones_like(x), x - np.average(x, weights=n)])
    result = fit_binomial(np.column_stack([k, n - k]), design)
    if result is None:
        return None
    slope, se = float(result.params[1]), result.se(1)
    low, high = (float(v) for v in result.ci(1))
    return LogisticTrend(
        slope=slope,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=result.p_value(1),
        odds_ratio=math.exp(slope),
        intercept=float(result.params[0]),
        iterations=result.iterations,
    )


def label_trends(documents: Sequence[dict[str, Any]], labels: Sequence[str]) -> list[TrendResult]:
    """Mann–Kendall and logistic-regression trends over years, one result per label.

    Documents without a year are left out.

    Args:
        documents: Document records of a scan.
        labels: Label ids.

    Example:
        >>> docs = [{"year": 2015 + i, "labels": ["delay"] * (i % 2)} for i in range(6)]
        >>> label_trends(docs, ["delay"])[0].years
        6
    """
    from protoscan.analysis.tables import label_name

    dated = [d for d in documents if d.get("year") is not None]
    per_year = Counter(int(d["year"]) for d in dated)
    years = sorted(per_year)
    trials = [per_year[y] for y in years]
    results = []
    for label in labels:
        counts = Counter(int(d["year"]) for d in dated if label in (d.get("labels") or ()))
        successes = [counts[y] for y in years]
        rates = [k / n for k, n in zip(successes, trials, strict=True)]
        mk = mann_kendall(years, rates)
        fit = logistic_trend(years, successes, trials)
        notes = []
        if mk is None:
            notes.append("Mann–Kendall needs ≥ 3 years with varying rates")
        if fit is None:
            notes.append(
                "no slope: needs ≥ 2 years and both documents with and without the label, "
                "without perfect separation"
            )
        results.append(
            TrendResult(
                label=label,
                label_name=label_name(label),
                years=len(years),
                first_year=years[0] if years else None,
                last_year=years[-1] if years else None,
                documents=len(dated),
                with_label=sum(successes),
                mk_tau=round(mk[0], 4) if mk else None,
                mk_p=float(f"{mk[1]:.4g}") if mk else None,
                slope=round(fit.slope, 4) if fit else None,
                slope_ci_low=round(fit.ci_low, 4) if fit else None,
                slope_ci_high=round(fit.ci_high, 4) if fit else None,
                slope_p=float(f"{fit.p_value:.4g}") if fit else None,
                odds_ratio=round(fit.odds_ratio, 4) if fit else None,
                note="; ".join(notes),
            )
        )
    return results
