"""``protoscan trends``: tables on a hand-made result file, the trend statistics, charts."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from protoscan.analysis import (
    filter_documents,
    label_trends,
    logistic_trend,
    mann_kendall,
    parse_by,
    trends_table,
    wide_rows,
)
from protoscan.batch import read_results, write_results
from protoscan.cli import app
from protoscan.errors import ConfigError
from protoscan.labels import ALL_LABELS

LABELS = ("delay", "reasoning")

#: (authority, municipality, decision_date, labels) of the hand-made documents.
DOCS = [
    ("JO", "Tranås", "2019-02-01", ["delay"]),
    ("JO", "Gnesta", "2019-06-30", []),
    ("IVO", "Tranås", "2019-11-05", ["delay", "reasoning"]),
    ("JO", "Gnesta", "2020-01-15", []),
    ("municipality", "Gnesta", "2020-05-05", ["reasoning"]),
    ("municipality", "Kiruna", "2020-12-31", []),
    ("JO", "Kiruna", "2021-03-03", ["delay"]),
    ("JO", None, "2021-09-09", ["delay"]),
    ("IVO", "Tranås", None, ["delay"]),
]


def _document(i: int, authority: str, municipality: str | None, date: str | None, labels):
    counts = {label: int(label in labels) for label in ALL_LABELS}
    return {
        "record": "document",
        "doc_id": f"d{i:02d}",
        "source": f"arkiv/beslut-{i:02d}.txt",
        "sha256": f"{i:02d}" * 32,
        "authority": authority,
        "doc_type": "jo_beslut" if authority == "JO" else "other",
        "dnr": f"{i}-2019",
        "decision_date": date,
        "year": int(date[:4]) if date else None,
        "municipality": municipality,
        "body": None,
        "outcome": "kritik" if labels else "ingen_kritik",
        "law_version": "SoL2001",
        "engine": "text",
        "n_pages": 1,
        "n_passages": 0,
        "labels": [label for label in ALL_LABELS if label in labels],
        "label_counts": counts,
        "alleged_counts": dict.fromkeys(ALL_LABELS, 0),
    }


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [_document(i, *row) for i, row in enumerate(DOCS)]


@pytest.fixture(scope="module")
def results_file(documents: list[dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trends") / "resultat.jsonl"
    write_results(([d] for d in documents), path, ALL_LABELS)
    return path


def _row(rows: list[dict], **where) -> dict:
    (match,) = [r for r in rows if all(r[k] == v for k, v in where.items())]
    return match


def test_table_by_year_counts_and_rates(documents: list[dict]) -> None:
    rows = trends_table(documents, ["year"], LABELS)
    assert [(r["year"], r["label"]) for r in rows] == [
        (2019, "delay"), (2019, "reasoning"),
        (2020, "delay"), (2020, "reasoning"),
        (2021, "delay"), (2021, "reasoning"),
        (None, "delay"), (None, "reasoning"),
    ]  # fmt: skip
    assert _row(rows, year=2019, label="delay") == {
        "year": 2019,
        "label": "delay",
        "label_name": "Dröjsmål i handläggningen",
        "documents": 3,
        "with_label": 2,
        "rate_per_100": 66.67,
        "rate_ci_low": 20.77,  # Wilson: 2/3
        "rate_ci_high": 93.85,
        "small": True,
        "corrected_per_100": None,
        "corrected_ci_low": None,
        "corrected_ci_high": None,
        "correction": "no error rates",
        "doc_sensitivity": None,
        "doc_specificity": None,
    }
    assert _row(rows, year=2020, label="reasoning")["rate_per_100"] == 33.33
    assert _row(rows, year=2020, label="delay")["with_label"] == 0
    assert _row(rows, year=2021, label="delay")["rate_per_100"] == 100.0
    assert _row(rows, year=None, label="delay")["documents"] == 1


def test_table_by_authority_and_label_order(documents: list[dict]) -> None:
    rows = trends_table(documents, ["label", "authority"], LABELS)
    assert [(r["label"], r["authority"]) for r in rows][:3] == [
        ("delay", "IVO"), ("delay", "JO"), ("delay", "municipality"),
    ]  # fmt: skip
    jo = _row(rows, label="delay", authority="JO")
    assert (jo["documents"], jo["with_label"], jo["rate_per_100"]) == (5, 3, 60.0)
    ivo = _row(rows, label="reasoning", authority="IVO")
    assert (ivo["documents"], ivo["with_label"], ivo["rate_per_100"]) == (2, 1, 50.0)
    by_municipality = trends_table(documents, ["municipality"], ["delay"])
    assert _row(by_municipality, municipality="Tranås")["with_label"] == 3
    assert by_municipality[-1]["municipality"] is None  # unknown last


def test_wide_rows_pivot(documents: list[dict]) -> None:
    keys, groups = wide_rows(trends_table(documents, ["authority"], LABELS), LABELS)
    assert keys == ["authority"]
    jo = next(g for g in groups if g["authority"] == "JO")
    assert jo["documents"] == 5 and jo["cells"] == {"delay": (3, 60.0), "reasoning": (0, 0.0)}


def test_date_window_and_options(documents: list[dict]) -> None:
    window = filter_documents(documents, date_from="2019-06", date_to="2020")
    assert [d["decision_date"] for d in window] == [
        "2019-06-30", "2019-11-05", "2020-01-15", "2020-05-05", "2020-12-31",
    ]  # fmt: skip
    assert len(filter_documents(documents)) == len(documents)
    assert parse_by("year, authority") == ("year", "authority")
    with pytest.raises(ConfigError, match="--by"):
        parse_by("year,kommun")
    with pytest.raises(ConfigError, match="dates"):
        filter_documents(documents, date_from="05/2019")


def test_results_round_trip_for_trends(results_file: Path, documents: list[dict]) -> None:
    assert read_results(results_file, record="document") == documents


def test_trends_cli_outputs(results_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    table_csv, table_json, chart = tmp_path / "t.csv", tmp_path / "t.json", tmp_path / "t.png"
    result = runner.invoke(
        app,
        ["trends", str(results_file), "--by", "authority", "--label", "delay,reasoning",
         "--out", str(table_csv), "--plot", str(chart)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Dröjsmål i handläggningen" in result.stdout and "Mann–Kendall" in result.stdout
    with open(table_csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 2
    jo = next(r for r in rows if r["authority"] == "JO" and r["label"] == "delay")
    assert (jo["documents"], jo["with_label"], jo["rate_per_100"]) == ("5", "3", "60.0")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = runner.invoke(
        app,
        ["trends", str(results_file), "--from", "2020", "--to", "2021-12-31",
         "--label", "delay", "--out", str(table_json), "--plot", str(tmp_path / "t.svg")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(table_json.read_text(encoding="utf-8"))
    assert payload["documents"] == 5 and payload["labels"] == ["delay"]
    assert [(r["year"], r["with_label"]) for r in payload["rows"]] == [(2020, 0), (2021, 2)]
    assert payload["trends"][0]["label"] == "delay"
    svg = (tmp_path / "t.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_trends_cli_errors(results_file: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["trends", str(results_file), "--label", "slarv"])
    assert result.exit_code == 1 and "unknown label" in result.stderr
    result = runner.invoke(app, ["trends", str(results_file), "--from", "2030"])
    assert result.exit_code == 1 and "no document records" in result.stderr
    result = runner.invoke(app, ["trends", str(results_file.with_suffix(".csv"))])
    assert result.exit_code == 1 and "no such result file" in result.stderr


# -- trend statistics -----------------------------------------------------------------------

YEARS = list(range(2010, 2021))


def test_increasing_trend_is_detected() -> None:
    trials = [60] * len(YEARS)
    successes = [round(60 * (0.08 + 0.05 * i)) for i in range(len(YEARS))]
    fit = logistic_trend(YEARS, successes, trials)
    assert fit is not None and fit.slope > 0
    assert 0 < fit.ci_low < fit.slope < fit.ci_high
    assert fit.p_value < 1e-6 and fit.odds_ratio > 1
    tau, p = mann_kendall(YEARS, [k / n for k, n in zip(successes, trials, strict=True)])
    assert tau > 0.9 and p < 0.001


def test_flat_series_has_no_trend() -> None:
    trials = [50] * len(YEARS)
    successes = [10, 12, 9, 11, 10, 8, 12, 10, 9, 11, 10]
    fit = logistic_trend(YEARS, successes, trials)
    assert fit is not None and fit.ci_low < 0 < fit.ci_high
    assert abs(fit.slope) < 0.05 and fit.p_value > 0.3
    tau, p = mann_kendall(YEARS, [k / n for k, n in zip(successes, trials, strict=True)])
    assert abs(tau) < 0.3 and p > 0.3


def test_slope_matches_per_document_logistic_regression() -> None:
    from sklearn.linear_model import LogisticRegression

    successes, trials = [3, 5, 4, 9, 12, 15], [40, 38, 45, 41, 39, 44]
    years = YEARS[: len(trials)]
    x, y = [], []
    for year, k, n in zip(years, successes, trials, strict=True):
        x += [[year - 2012.5]] * n
        y += [1] * k + [0] * (n - k)
    reference = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(x, y)
    fit = logistic_trend(years, successes, trials)
    assert fit is not None
    assert fit.slope == pytest.approx(reference.coef_[0, 0], abs=1e-5)
    # Wald standard error from the observed information of the per-document likelihood.
    p = reference.predict_proba(x)[:, 1]
    design = np.column_stack([np.ones(len(x)), np.asarray(x)[:, 0]])
    covariance = np.linalg.inv(design.T @ (design * (p * (1 - p))[:, None]))
    assert fit.se == pytest.approx(math.sqrt(covariance[1, 1]), rel=1e-4)


def test_not_estimable_cases() -> None:
    assert logistic_trend([2019, 2020], [0, 0], [5, 5]) is None  # never
    assert logistic_trend([2019, 2020], [5, 5], [5, 5]) is None  # always
    assert logistic_trend([2020, 2020], [1, 2], [5, 5]) is None  # one year
    assert logistic_trend(YEARS[:4], [0, 0, 5, 5], [5, 5, 5, 5]) is None  # separation
    assert mann_kendall([2019, 2020], [0.1, 0.2]) is None
    assert mann_kendall(YEARS[:4], [0.2] * 4) is None


def test_label_trends_on_documents() -> None:
    documents = []
    for i, year in enumerate(YEARS):
        for j in range(20):
            labels = ["delay"] if j < 2 + i else []
            labels += ["reasoning"] if j % 4 == 0 else []
            documents.append({"year": year, "labels": labels})
    documents.append({"year": None, "labels": ["delay"]})
    delay, reasoning = label_trends(documents, ["delay", "reasoning"])
    assert delay.documents == 20 * len(YEARS) and delay.years == len(YEARS)
    assert delay.slope > 0 and delay.slope_ci_low > 0 and delay.mk_tau > 0.9
    assert reasoning.slope_ci_low < 0 < reasoning.slope_ci_high
    assert reasoning.mk_tau is None and "Mann–Kendall" in reasoning.note  # constant rate
