"""A simulated archive to check the corrected, adjusted rates: known true prevalence per
authority and year, an authority mix that shifts over the years, a tagger with known
sensitivity and specificity, and a validation set that estimates them afresh each time.

The estimand is the **standardised true prevalence** of each year: the share of documents
with the finding had every year had the mix of the whole archive. Four intervals per year
are checked against it: raw (Wilson on the tagged rate), corrected only (Rogan–Gladen on the
year's counts), adjusted only (marginal predicted rate, tagged), corrected and adjusted.

``python -m protoscan.analysis.simulation [REPLICATIONS]`` prints the coverage table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from protoscan.analysis.correction import ErrorRates, LabelAccuracy
from protoscan.analysis.models import year_models

__all__ = ["Scenario", "coverage", "simulate_archive"]

ESTIMATES = {
    "raw": ("rate_ci_low", "rate_ci_high"),
    "corrected": ("corrected_ci_low", "corrected_ci_high"),
    "adjusted": ("marginal_ci_low", "marginal_ci_high"),
    "adjusted + corrected": ("adj_corrected_ci_low", "adj_corrected_ci_high"),
}


@dataclass(frozen=True)
class Scenario:
    """The simulated world (document level)."""

    years: tuple[int, ...] = (2016, 2017, 2018, 2019, 2020, 2021)
    per_year: int = 400
    #: True prevalence of the finding per authority at the middle year.
    prevalence: tuple[tuple[str, float], ...] = (("JO", 0.40), ("IVO", 0.20), ("kommun", 0.08))
    #: Change in log-odds per year (the same in every authority).
    slope: float = 0.12
    #: Share of each authority in the first and the last year (linear in between).
    mix_first: tuple[float, ...] = (0.6, 0.3, 0.1)
    mix_last: tuple[float, ...] = (0.1, 0.3, 0.6)
    sensitivity: float = 0.55
    specificity: float = 0.95
    validation_positives: int = 150
    validation_negatives: int = 600


def simulate_archive(
    scenario: Scenario, rng: np.random.Generator
) -> tuple[list[dict], ErrorRates, dict[int, float]]:
    """Documents (tagged by the imperfect tagger), the error rates measured on a fresh
    validation set, and the standardised true prevalence per year."""
    names = [a for a, _ in scenario.prevalence]
    base = np.log([p / (1 - p) for _, p in scenario.prevalence])
    middle = (scenario.years[0] + scenario.years[-1]) / 2
    first, last = np.asarray(scenario.mix_first), np.asarray(scenario.mix_last)
    documents, authority_index = [], []
    span = max(len(scenario.years) - 1, 1)
    for i, year in enumerate(scenario.years):
        mix = first + (last - first) * i / span
        drawn = rng.choice(len(names), size=scenario.per_year, p=mix / mix.sum())
        truth = rng.random(scenario.per_year) < 1 / (
            1 + np.exp(-(base[drawn] + scenario.slope * (year - middle)))
        )
        u = rng.random(scenario.per_year)
        tagged = np.where(truth, u < scenario.sensitivity, u > scenario.specificity)
        for a, t in zip(drawn, tagged, strict=True):
            documents.append(
                {"year": year, "authority": names[a], "labels": ["delay"] if t else []}
            )
            authority_index.append(a)
    # Standardised truth: every document's authority, every year's log-odds.
    index = np.asarray(authority_index)
    truth_by_year = {
        year: float(np.mean(1 / (1 + np.exp(-(base[index] + scenario.slope * (year - middle))))))
        for year in scenario.years
    }
    tp = int(rng.binomial(scenario.validation_positives, scenario.sensitivity))
    tn = int(rng.binomial(scenario.validation_negatives, scenario.specificity))
    accuracy = LabelAccuracy.from_counts(
        "delay",
        tp=tp,
        fn=scenario.validation_positives - tp,
        tn=tn,
        fp=scenario.validation_negatives - tn,
    )
    rates = ErrorRates({"delay": accuracy}, unit="document", source="simulated validation")
    return documents, rates, truth_by_year


def coverage(
    replications: int = 200, scenario: Scenario | None = None, seed: int = 1
) -> dict[str, dict[str, float]]:
    """Share of years whose 95 % interval covers the standardised truth, and mean error
    (estimate − truth, percentage points), per estimate."""
    scenario = scenario or Scenario()
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(ESTIMATES, 0)
    errors: dict[str, list[float]] = {name: [] for name in ESTIMATES}
    total = 0
    points = {
        "raw": "rate",
        "corrected": "corrected",
        "adjusted": "marginal",
        "adjusted + corrected": "adj_corrected",
    }
    for _ in range(replications):
        documents, rates, truth = simulate_archive(scenario, rng)
        (model,) = year_models(documents, ["delay"], adjust=["authority"], error_rates=rates)
        for estimate in model.years:
            total += 1
            value = truth[estimate.year]
            for name, (low, high) in ESTIMATES.items():
                lo, hi = getattr(estimate, low), getattr(estimate, high)
                hits[name] += lo is not None and lo <= value <= hi
                point = getattr(estimate, points[name])
                if point is not None:
                    errors[name].append(100 * (point - value))
    return {
        name: {
            "coverage": hits[name] / total,
            "mean_error_pp": float(np.mean(errors[name])) if errors[name] else float("nan"),
            "intervals": total,
        }
        for name in ESTIMATES
    }


def main(argv: list[str]) -> None:
    replications = int(argv[0]) if argv else 200
    table = coverage(replications)
    print(f"{'estimate':<22} {'coverage of 95 % CI':>20} {'mean error (pp)':>16}")
    for name, row in table.items():
        print(f"{name:<22} {row['coverage']:>20.3f} {row['mean_error_pp']:>16.2f}")
    print(f"({replications} archives × {len(Scenario().years)} years)")


if __name__ == "__main__":
    main(sys.argv[1:])
