"""Which error rates describe a result file's tags: the model directory named by the user or
by the scan's manifest, checked against the fingerprint of the model that scanned."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protoscan.analysis.correction import ErrorRates, read_error_rates

__all__ = ["ErrorRateSource", "flat_year_rows", "resolve_error_rates"]


@dataclass(frozen=True)
class ErrorRateSource:
    """The error rates to correct with (``None``: raw rates only) and a one-line account of
    where they come from or why there are none."""

    rates: ErrorRates | None
    model_dir: Path | None
    message: str
    warning: bool = False


def _manifest(results: Path) -> dict[str, Any]:
    from protoscan.batch.store import manifest_path

    path = manifest_path(results)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def resolve_error_rates(
    results: Path,
    model: Path | None = None,
    *,
    manifest: dict[str, Any] | None = None,
    which: str = "real",
) -> ErrorRateSource:
    """Error rates for the tags in ``results``: from ``model`` if given, else from the model
    directory recorded in the scan's manifest. Rates of a model whose fingerprint differs from
    the one that scanned are used only when ``model`` was named explicitly (with a warning).
    ``which``: ``real`` (passage-level rates on real sentences, ``evaluate --real``) or
    ``documents`` (document-level rates on corpus documents, ``evaluate --documents``).
    """
    from protoscan.batch.task import model_fingerprint
    from protoscan.errors import ProtoscanError

    manifest = _manifest(results) if manifest is None else manifest
    scanned = (manifest.get("model") or {}).get("fingerprint")
    explicit = model is not None
    if model is None:
        recorded = (manifest.get("model") or {}).get("dir")
        if not recorded:
            return ErrorRateSource(None, None, "no model directory known: raw rates only")
        model = Path(recorded)
    if not (model / "config.json").is_file():
        return ErrorRateSource(
            None, model, f"{model}: not a model directory: raw rates only", warning=True
        )
    rates = read_error_rates(model, which)
    if rates is None:
        command = "--real FILE" if which == "real" else "--documents DIR"
        return ErrorRateSource(
            None,
            model,
            f"{model} has no {which} error rates (run `protoscan evaluate {command} "
            f"--model {model}`): raw rates only",
            warning=True,
        )
    try:
        current = model_fingerprint(model)["fingerprint"]
    except ProtoscanError:
        current = None
    problems = []
    if scanned and current and scanned != current:
        problems.append("the model directory has changed since the scan")
    if rates.model_fingerprint and current and rates.model_fingerprint != current:
        problems.append("its error rates were measured on another version of the model")
    if problems and not explicit:
        return ErrorRateSource(
            None, model, f"{model}: {'; '.join(problems)}: raw rates only", warning=True
        )
    message = f"error rates of {model}: {rates.describe()}"
    if problems:
        message += f" (warning: {'; '.join(problems)})"
    return ErrorRateSource(rates, model, message, warning=bool(problems))


def flat_year_rows(models: list[Any]) -> list[dict[str, Any]]:
    """``YearModel`` results as one flat row per label and year (for CSV/Parquet)."""
    rows = []
    for model in models:
        for year in model.years:
            row = {
                "label": model.label,
                "label_name": model.label_name,
                "adjust": ",".join(model.adjust),
                "reference_year": model.reference_year,
                "adj_reference_year": model.adj_reference_year,
            }
            row.update(vars(year))
            row.update(
                trend_or=model.trend_or,
                trend_ci_low=model.trend_ci_low,
                trend_ci_high=model.trend_ci_high,
                adj_trend_or=model.adj_trend_or,
                adj_trend_ci_low=model.adj_trend_ci_low,
                adj_trend_ci_high=model.adj_trend_ci_high,
            )
            rows.append(row)
    return rows
