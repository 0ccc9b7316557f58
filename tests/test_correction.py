"""Error-adjusted and mix-adjusted trends: intervals and Rogan–Gladen against hand
computations, statsmodels fits against closed forms and per-document fits, the coverage
simulation, ``evaluate --real`` and ``trends`` with error rates."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import beta, norm
from typer.testing import CliRunner

from conftest import realdata_file
from protoscan.analysis import label_trends, logistic_trend
from protoscan.analysis.correction import (
    ErrorRates,
    LabelAccuracy,
    binomial_interval,
    correct_rate,
    document_error_rates,
    measure_accuracy,
    read_error_rates,
    rogan_gladen,
    wilson_interval,
)
from protoscan.analysis.models import parse_adjust, year_models
from protoscan.analysis.simulation import coverage
from protoscan.analysis.tables import trends_table
from protoscan.batch import write_results
from protoscan.cli import app
from protoscan.errors import ConfigError, DataError
from protoscan.labels import ALL_LABELS

Z = norm.ppf(0.975)

# -- intervals and the correction, by hand ---------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 7), (3, 10), (45, 120), (9, 9)])
def test_wilson_and_clopper_pearson_match_their_formulas(k: int, n: int) -> None:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half), abs=1e-9)
    low = beta.ppf(0.025, k, n - k + 1) if k else 0.0
    high = beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    assert binomial_interval(k, n, method="clopper-pearson") == pytest.approx((low, high))
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ConfigError):
        binomial_interval(1, 2, method="wald")


def test_rogan_gladen_by_hand() -> None:
    # a = Se·π + (1 − Sp)(1 − π) with π = 0.35, Se = 0.7, Sp = 0.9 gives a = 0.31.
    assert float(rogan_gladen(0.31, 0.7, 0.9)) == pytest.approx(0.35)
    assert float(rogan_gladen(0.05, 0.7, 0.9)) == 0.0  # below 1 − Sp: clipped
    assert math.isnan(float(rogan_gladen(0.3, 0.4, 0.5)))  # Se + Sp ≤ 1


def test_document_error_rates_from_passage_rates() -> None:
    se_doc, sp_doc = document_error_rates(0.6, 0.98, [5])
    assert sp_doc == pytest.approx(0.98**5)
    assert se_doc == pytest.approx(1 - 0.4 * 0.98**4)
    # Averaged over the documents of a group; a document without counting passages is never
    # tagged (Se 0, Sp 1).
    se_mix, sp_mix = document_error_rates(0.6, 0.98, [1, 3, 0])
    assert sp_mix == pytest.approx((0.98 + 0.98**3 + 1) / 3)
    assert se_mix == pytest.approx((0.6 + (1 - 0.4 * 0.98**2) + 0) / 3)


def test_measure_accuracy_counts_and_identifiability() -> None:
    gold = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [1, 1]], dtype=bool)
    pred = np.array([[1, 0], [0, 1], [0, 1], [0, 0], [1, 0]], dtype=bool)
    a, b = measure_accuracy(gold, pred, ["delay", "reasoning"]).values()
    assert (a.tp, a.fn, a.tn, a.fp) == (2, 1, 2, 0)
    assert a.sensitivity == pytest.approx(2 / 3) and a.specificity == 1.0
    assert a.sensitivity_ci == pytest.approx(wilson_interval(2, 3))
    assert (b.tp, b.fn, b.tn, b.fp) == (1, 1, 2, 1)
    assert "positives measured" in a.problem()  # 3 positives are too few
    enough = LabelAccuracy.from_counts("delay", tp=30, fn=20, tn=190, fp=10)
    assert enough.problem() is None
    useless = LabelAccuracy.from_counts("delay", tp=20, fn=30, tn=100, fp=100)
    assert "≤ 1" in useless.problem()
    assert correct_rate(useless, k=5, n=10).status == "not_identifiable"
    with pytest.raises(DataError):
        measure_accuracy(gold, pred[:, :1], ["delay", "reasoning"])


def test_corrected_interval_covers_point_and_widens_with_fewer_validation_rows() -> None:
    big = LabelAccuracy.from_counts("delay", tp=700, fn=300, tn=4500, fp=500)
    small = LabelAccuracy.from_counts("delay", tp=14, fn=6, tn=90, fp=10)
    a = correct_rate(big, k=310, n=1000)
    b = correct_rate(small, k=310, n=1000)
    assert a.rate == pytest.approx(0.35) and a.status == "ok"
    assert a.ci_low < 0.35 < a.ci_high
    assert (b.ci_high - b.ci_low) > 2 * (a.ci_high - a.ci_low)
    # Barely informative error rates: too many draws with Se + Sp ≤ 1.
    weak = LabelAccuracy.from_counts("delay", tp=6, fn=5, tn=26, fp=8)
    assert correct_rate(weak, k=30, n=100).status in ("weak", "not_identifiable")
    clipped = correct_rate(big, k=900, n=1000)
    assert clipped.status == "clipped" and clipped.rate == 1.0


# -- statsmodels against hand computations ---------------------------------------------------


def _docs(table: dict[tuple[int, str], tuple[int, int]]) -> list[dict]:
    """Documents from ``{(year, authority): (with label, without)}``."""
    docs = []
    for (year, authority), (k, m) in table.items():
        docs += [{"year": year, "authority": authority, "labels": ["delay"]}] * k
        docs += [{"year": year, "authority": authority, "labels": []}] * m
    return docs


def test_two_year_table_matches_the_cross_product_ratio() -> None:
    a, b, c, d = 12, 28, 25, 15  # 2019: 12 with, 28 without; 2020: 25 with, 15 without
    docs = _docs({(2019, "JO"): (a, b), (2020, "JO"): (c, d)})
    odds_ratio = (c * b) / (a * d)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)  # Woolf
    (model,) = year_models(docs, ["delay"])
    first, second = model.years
    assert model.reference_year == 2019 and first.odds_ratio is None
    assert second.odds_ratio == pytest.approx(odds_ratio)
    assert second.or_ci_low == pytest.approx(odds_ratio * math.exp(-Z * se))
    assert second.or_ci_high == pytest.approx(odds_ratio * math.exp(Z * se))
    # Unadjusted marginal rate = the raw rate; the trend slope over two years = log OR.
    assert second.marginal == pytest.approx(c / (c + d))
    assert model.trend_or == pytest.approx(odds_ratio)
    fit = logistic_trend([2019, 2020], [a, c], [a + b, c + d])
    assert fit.slope == pytest.approx(math.log(odds_ratio)) and fit.se == pytest.approx(se)


TABLE = {
    (2018, "JO"): (9, 21), (2018, "IVO"): (3, 12), (2018, "kommun"): (1, 4),
    (2019, "JO"): (7, 13), (2019, "IVO"): (4, 16), (2019, "kommun"): (2, 13),
    (2020, "JO"): (4, 6), (2020, "IVO"): (6, 19), (2020, "kommun"): (3, 27),
}  # fmt: skip


def test_adjusted_fit_matches_per_document_statsmodels_formula() -> None:
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.api import families

    docs = _docs(TABLE)
    frame = pd.DataFrame(
        {
            "y": [int("delay" in d["labels"]) for d in docs],
            "year": [d["year"] for d in docs],
            "authority": [d["authority"] for d in docs],
        }
    )
    reference = smf.glm(
        "y ~ C(year) + C(authority, Treatment('JO'))", frame, family=families.Binomial()
    ).fit()
    (model,) = year_models(docs, ["delay"], adjust=["authority"])
    by_year = {y.year: y for y in model.years}
    for year in (2019, 2020):
        name = f"C(year)[T.{year}]"
        assert by_year[year].adj_odds_ratio == pytest.approx(
            math.exp(reference.params[name]), rel=1e-5
        )
        low, high = np.exp(reference.conf_int().loc[name])
        assert by_year[year].adj_or_ci_low == pytest.approx(low, rel=1e-4)
        assert by_year[year].adj_or_ci_high == pytest.approx(high, rel=1e-4)
    # Marginal rate: every document predicted as if decided in that year, averaged.
    for year in (2018, 2019, 2020):
        predicted = reference.predict(frame.assign(year=year)).mean()
        assert by_year[year].marginal == pytest.approx(predicted, rel=1e-5)
    # Cluster-robust errors on the aggregated cells equal those of the per-document fit.
    robust = smf.glm("y ~ year", frame.assign(year=frame.year - frame.year.mean()),
                     family=families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame.authority)[0]}
    )  # fmt: skip
    (clustered,) = year_models(docs, ["delay"], cluster="authority")
    assert clustered.trend_or == pytest.approx(math.exp(robust.params["year"]))
    assert clustered.trend_ci_high == pytest.approx(math.exp(robust.conf_int().loc["year", 1]))
    assert "clusters" in clustered.note  # 3 clusters: flagged as unreliable


def test_separated_years_and_levels_are_reported_not_fitted() -> None:
    table = dict(TABLE)
    table[(2021, "JO")] = (0, 12)  # a year without any document with the label
    table[(2019, "court")] = (0, 5)  # an authority level without any
    (model,) = year_models(_docs(table), ["delay"], adjust=["authority"])
    last = model.years[-1]
    assert last.year == 2021 and last.rate == 0.0 and last.marginal is None
    assert last.adj_odds_ratio is None and "no marginal rate" in last.note
    assert model.years[0].marginal is not None
    with pytest.raises(ConfigError, match="--adjust"):
        parse_adjust("authority,kommun")
    with pytest.raises(ConfigError, match="--cluster"):
        year_models(_docs(TABLE), ["delay"], cluster="year")


def test_label_trends_still_use_the_logistic_slope() -> None:
    docs = _docs({(2018 + i, "JO"): (2 + 3 * i, 30 - 3 * i) for i in range(5)})
    (trend,) = label_trends(docs, ["delay"])
    assert trend.slope > 0 and trend.slope_ci_low > 0 and trend.mk_tau == pytest.approx(1.0)


# -- the simulation ---------------------------------------------------------------------------


def test_corrected_adjusted_intervals_cover_the_truth_and_raw_ones_do_not() -> None:
    table = coverage(replications=40, seed=7)
    assert table["adjusted + corrected"]["coverage"] >= 0.88
    assert abs(table["adjusted + corrected"]["mean_error_pp"]) < 1.0
    assert table["raw"]["coverage"] < 0.6
    assert table["adjusted"]["coverage"] < 0.6  # mix handled, tagger errors not
    assert table["corrected"]["coverage"] < table["adjusted + corrected"]["coverage"] - 0.1


# -- evaluate --real and trends with error rates ----------------------------------------------


def _real_rows() -> list[dict]:
    from passage_samples import sample_passages

    rows = []
    for i, p in enumerate(sample_passages()):
        rows.append(
            {"id": f"r{i}", "authority": "JO", "text": p.text, "labels": list(p.labels),
             "ambiguous": i % 17 == 0, "note": ""}
        )  # fmt: skip
    return rows


@pytest.fixture()
def measured_model(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    real = tmp_path / "real.jsonl"
    real.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _real_rows()))
    result = CliRunner().invoke(app, ["evaluate", "--model", str(target), "--real", str(real)])
    assert result.exit_code == 0, result.output
    return target


def test_evaluate_real_writes_metrics_and_card(measured_model: Path) -> None:
    metrics = json.loads((measured_model / "metrics.json").read_text(encoding="utf-8"))
    block = metrics["real_accuracy"]
    assert block["unit"] == "passage" and block["interval"] == "wilson"
    assert block["excluded_ambiguous"] > 0 and len(block["data_sha256"]) == 64
    delay = block["per_label"]["delay"]
    assert delay["tp"] + delay["fn"] == delay["n_positive"] > 0
    assert delay["sensitivity_ci"][0] <= delay["sensitivity"] <= delay["sensitivity_ci"][1]
    rates = read_error_rates(measured_model)
    assert rates is not None and rates.per_label["delay"].tp == delay["tp"]
    card = (measured_model / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Sensitivity and specificity on real text" in card
    # The directory still loads and predicts (metrics.json is not fingerprinted).
    from protoscan.classify.model_dir import load_classifier

    assert load_classifier(measured_model).predict_proba(["Handläggningen dröjde."]).shape[0] == 1


def test_evaluate_real_rejects_bad_options(model_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--model", str(model_dir), "--real", "nope.jsonl"])
    assert result.exit_code == 2 and "no such file" in result.output
    result = runner.invoke(
        app, ["evaluate", "--model", str(model_dir), "--real", "x", "--interval", "wald"]
    )
    assert result.exit_code == 2
    result = runner.invoke(app, ["evaluate", "--model", str(model_dir)])
    assert result.exit_code == 2 and "--data" in result.output


def test_read_error_rates_rejects_malformed_blocks(tmp_path: Path) -> None:
    assert read_error_rates(tmp_path) is None
    (tmp_path / "metrics.json").write_text('{"real_accuracy": {"per_label": {"delay": {}}}}')
    with pytest.raises(DataError, match="tp, fn, tn, fp"):
        read_error_rates(tmp_path)
    (tmp_path / "metrics.json").write_text('{"real_accuracy": {"unit": "page", "per_label": {}}}')
    with pytest.raises(DataError, match="unit"):
        read_error_rates(tmp_path)


def _results(tmp_path: Path, model: Path | None) -> Path:
    rng = np.random.default_rng(3)
    records = []
    for i in range(120):
        year = 2018 + i % 4
        authority = ("JO", "IVO", "municipality")[i % 3]
        labels = ["delay"] if rng.random() < 0.2 + 0.05 * (year - 2018) else []
        sha = f"{i:064d}"
        doc = {
            "record": "document", "doc_id": f"d{i}", "source": f"a/{i}.txt", "sha256": sha,
            "authority": authority, "doc_type": "other", "dnr": None,
            "decision_date": f"{year}-03-01", "year": year, "municipality": None, "body": None,
            "outcome": None, "law_version": "SoL2001", "engine": "text", "n_pages": 1,
            "n_passages": 3, "labels": labels,
            "label_counts": {x: int(x in labels) for x in ALL_LABELS},
            "alleged_counts": dict.fromkeys(ALL_LABELS, 0),
        }  # fmt: skip
        records.append([doc])
    path = tmp_path / "results.jsonl"
    write_results(records, path, ALL_LABELS)
    if model is not None:
        from protoscan.batch.task import model_fingerprint

        manifest = {"model": model_fingerprint(model)}
        path.with_name(path.name + ".manifest.json").write_text(json.dumps(manifest))
    return path


def test_trends_cli_reports_corrected_and_adjusted_rates(
    measured_model: Path, tmp_path: Path
) -> None:
    results = _results(tmp_path, measured_model)
    out = tmp_path / "t.csv"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["trends", str(results), "--label", "delay", "--adjust", "authority",
         "--min-documents", "40", "--out", str(out), "--plot", str(tmp_path / "t.png")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "corrected" in result.stdout and "adjusted for authority" in result.stdout
    assert "derived from passage-level" in result.stderr
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"rate_ci_low", "corrected_per_100", "correction", "small"} <= set(rows[0])
    assert all(r["small"] == "True" for r in rows)  # 30 documents a year < 40
    with open(tmp_path / "t.years.csv", encoding="utf-8", newline="") as handle:
        years = list(csv.DictReader(handle))
    assert [int(r["year"]) for r in years] == [2018, 2019, 2020, 2021]
    assert {"marginal", "adj_odds_ratio", "adj_corrected"} <= set(years[0])
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"

    # The model changed since the scan: its error rates are not used unless named.
    (measured_model / "recipe.toml").write_text("# changed\n")
    result = runner.invoke(app, ["trends", str(results), "--label", "delay"])
    assert result.exit_code == 0 and "changed since the scan" in result.stderr
    assert "Raw and corrected rate per group" not in result.stdout
    json_out = tmp_path / "t.json"
    result = runner.invoke(
        app, ["trends", str(results), "--model", str(measured_model), "--out", str(json_out)]
    )
    assert result.exit_code == 0 and "warning" in result.stderr
    assert json.loads(json_out.read_text())["error_rates"]["used"] is True


def test_trends_table_with_document_level_rates() -> None:
    docs = _docs({(2020, "JO"): (31, 69)})
    rates = ErrorRates(
        {"delay": LabelAccuracy.from_counts("delay", tp=70, fn=30, tn=450, fp=50)},
        unit="document",
    )
    (row,) = trends_table(docs, ["year"], ["delay"], error_rates=rates, min_documents=5)
    assert row["corrected_per_100"] == pytest.approx(35.0)
    assert row["corrected_ci_low"] < 35 < row["corrected_ci_high"]
    assert row["correction"] == "ok" and row["small"] is False
    assert (row["doc_sensitivity"], row["doc_specificity"]) == (0.7, 0.9)  # used as measured


def test_real_sentences_give_identifiable_rates_for_some_labels(
    model_dir: Path, tmp_path: Path
) -> None:
    real = realdata_file("labelled/jo_ivo_dev.jsonl")
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    result = CliRunner().invoke(
        app, ["evaluate", "--model", str(target), "--real", str(real), "--json"]
    )
    assert result.exit_code == 0, result.output
    rates = read_error_rates(target)
    assert rates is not None and rates.extra["n"] > 800
    assert rates.per_label["violence_investigation"].problem() is not None  # 4 positives


def test_evaluate_documents_measures_document_level_rates(model_dir: Path, tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpora" / "documents"
    lines = (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    folder = tmp_path / "docs"
    folder.mkdir()
    for line in lines:
        shutil.copy(corpus / json.loads(line)["file"], folder)
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--model", str(target), "--documents", str(folder)])
    assert result.exit_code == 0, result.output
    rates = read_error_rates(target, "documents")
    assert rates is not None and rates.unit == "document" and rates.extra["n"] == 4
    assert read_error_rates(target, "real") is None
    assert "whole corpus documents" in (target / "MODEL_CARD.md").read_text(encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", str(target), "--documents", str(tmp_path)])
    assert result.exit_code == 1 and "manifest.jsonl" in result.stderr
    with pytest.raises(ConfigError):
        read_error_rates(target, "sentences")


def test_counting_passages_decide_k() -> None:
    from protoscan.analysis.tables import counting_passages, passages_of

    records = [
        {"record": "passage", "sha256": "a", "authority": "JO", "voice": "supervisor"},
        {"record": "passage", "sha256": "a", "authority": "JO", "voice": "complainant"},
        {"record": "passage", "sha256": "b", "authority": "municipality", "voice": "record"},
    ]
    counts = counting_passages(records)
    assert counts == {"a": 1, "b": 1}
    assert passages_of({"sha256": "c", "n_passages": 9}, counts) == 0  # no counting passage
    assert passages_of({"sha256": "c", "n_passages": 9}, {}) == 9  # no passage records
