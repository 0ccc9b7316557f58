"""The model's errors and what they do to a rate: binomial intervals, sensitivity and
specificity per label, and the Rogan–Gladen correction with a parametric-bootstrap interval.

A tagger with sensitivity Se and specificity Sp turns a true prevalence π into an apparent
(tagged) rate ``a = Se·π + (1 − Sp)·(1 − π)``; Rogan and Gladen (1978) invert it:
``π = (a + Sp − 1) / (Se + Sp − 1)``, clipped to [0, 1]. It is identifiable only when
Se + Sp > 1 and when Se and Sp are measured on enough real examples.

**Where Se and Sp come from.** ``protoscan evaluate --real FILE`` measures them per label at
the model's thresholds on hand-labelled real sentences and stores them in the model
directory's ``metrics.json`` under ``real_accuracy`` (unit ``passage``). A document "has" a
label when any of its k counting passages is tagged, so document-level rates need
document-level errors. From passage-level ones they are derived assuming (1) passage errors
are independent given the truth, (2) a document with the finding has exactly one passage
stating it (more would only raise sensitivity), and (3) the sentence-level rates hold for
scan passages:

    Sp_doc(k) = Sp^k,    Se_doc(k) = 1 − (1 − Se) · Sp^(k − 1),

averaged over the documents of a group (exact for the expected apparent rate when the true
prevalence does not depend on k). Rates measured on whole documents (unit ``document``)
are used as they are. Either way the errors are assumed the same across years, authorities
and document types.

**The interval** carries both sources of uncertainty: the apparent rate, Se and Sp are
drawn from their Jeffreys Beta distributions (or the apparent rate from a logit-normal when it
comes from a regression), each draw is corrected, and the 2.5 and 97.5 percentiles form
the interval. Draws with Se + Sp ≤ 1 carry no information about π; when more than 2.5 % of
draws are such, the interval is the whole range [0, 1] and the estimate is flagged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from protoscan.errors import ConfigError, DataError

__all__ = [
    "DOCUMENTS_KEY",
    "ERROR_RATE_SOURCES",
    "INTERVAL_METHODS",
    "METRICS_KEY",
    "MIN_NEGATIVES",
    "MIN_POSITIVES",
    "Correction",
    "ErrorRates",
    "LabelAccuracy",
    "binomial_interval",
    "correct_rate",
    "document_error_rates",
    "measure_accuracy",
    "read_error_rates",
    "rogan_gladen",
    "wilson_interval",
]

#: Interval methods of ``binomial_interval`` → statsmodels ``proportion_confint`` names.
INTERVAL_METHODS = {"wilson": "wilson", "clopper-pearson": "beta"}
#: Fewer real positives (negatives) than this and a label's correction is not identifiable.
MIN_POSITIVES = 10
MIN_NEGATIVES = 30
#: Key of the real-text error rates in a model directory's ``metrics.json``.
METRICS_KEY = "real_accuracy"
#: Key of the error rates measured on whole corpus documents (``evaluate --documents``).
DOCUMENTS_KEY = "document_accuracy"
#: ``--error-rates`` choices → metrics key.
ERROR_RATE_SOURCES = {"real": METRICS_KEY, "documents": DOCUMENTS_KEY}
_DRAWS = 4000
_SEED = 20260


def binomial_interval(
    k: int, n: int, *, level: float = 0.95, method: str = "wilson"
) -> tuple[float, float]:
    """Confidence interval for a proportion ``k / n`` (Wilson or Clopper–Pearson).

    Returns ``(nan, nan)`` when ``n == 0``.

    Example:
        >>> [round(x, 4) for x in binomial_interval(3, 10)]
        [0.1078, 0.6032]
    """
    from statsmodels.stats.proportion import proportion_confint

    if method not in INTERVAL_METHODS:
        raise ConfigError(f"interval method must be one of {', '.join(INTERVAL_METHODS)}")
    if not 0 < level < 1:
        raise ConfigError(f"confidence level must lie in (0, 1); got {level}")
    if n <= 0:
        return (float("nan"), float("nan"))
    low, high = proportion_confint(k, n, alpha=1 - level, method=INTERVAL_METHODS[method])
    return float(max(low, 0.0)), float(min(high, 1.0))


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k / n``."""
    return binomial_interval(k, n, level=level, method="wilson")


@dataclass(frozen=True)
class LabelAccuracy:
    """Sensitivity and specificity of one label at the model's threshold, with counts."""

    label: str
    tp: int
    fn: int
    tn: int
    fp: int
    sensitivity: float | None
    sensitivity_ci: tuple[float, float] | None
    specificity: float | None
    specificity_ci: tuple[float, float] | None

    @property
    def n_positive(self) -> int:
        return self.tp + self.fn

    @property
    def n_negative(self) -> int:
        return self.tn + self.fp

    def problem(self) -> str | None:
        """Why the correction is not identifiable for this label, or ``None``."""
        if self.n_positive < MIN_POSITIVES:
            return f"only {self.n_positive} positives measured (need ≥ {MIN_POSITIVES})"
        if self.n_negative < MIN_NEGATIVES:
            return f"only {self.n_negative} negatives measured (need ≥ {MIN_NEGATIVES})"
        assert self.sensitivity is not None and self.specificity is not None
        if self.sensitivity + self.specificity <= 1:
            return (
                f"sensitivity + specificity = {self.sensitivity + self.specificity:.3f} ≤ 1: "
                "the tags carry no information about the truth"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(n_positive=self.n_positive, n_negative=self.n_negative)
        for key in ("sensitivity_ci", "specificity_ci"):
            out[key] = list(out[key]) if out[key] is not None else None
        return out

    @classmethod
    def from_dict(cls, label: str, data: dict[str, Any]) -> LabelAccuracy:
        try:
            tp, fn, tn, fp = (int(data[k]) for k in ("tp", "fn", "tn", "fp"))
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"error rates for {label}: need integer tp, fn, tn, fp") from error
        return cls.from_counts(label, tp, fn, tn, fp)

    @classmethod
    def from_counts(
        cls, label: str, tp: int, fn: int, tn: int, fp: int, *, method: str = "wilson"
    ) -> LabelAccuracy:
        if min(tp, fn, tn, fp) < 0:
            raise DataError(f"error rates for {label}: counts must be ≥ 0")
        pos, neg = tp + fn, tn + fp
        return cls(
            label=label,
            tp=tp,
            fn=fn,
            tn=tn,
            fp=fp,
            sensitivity=tp / pos if pos else None,
            sensitivity_ci=binomial_interval(tp, pos, method=method) if pos else None,
            specificity=tn / neg if neg else None,
            specificity_ci=binomial_interval(tn, neg, method=method) if neg else None,
        )


def measure_accuracy(
    gold: np.ndarray, pred: np.ndarray, labels: Sequence[str], *, method: str = "wilson"
) -> dict[str, LabelAccuracy]:
    """Per-label sensitivity and specificity of boolean predictions ``(n, k)`` against gold."""
    gold, pred = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    if gold.shape != pred.shape or gold.ndim != 2 or gold.shape[1] != len(labels):
        raise DataError(
            f"gold {gold.shape} and predictions {pred.shape} must both be (n, {len(labels)})"
        )
    out = {}
    for j, label in enumerate(labels):
        g, p = gold[:, j], pred[:, j]
        out[label] = LabelAccuracy.from_counts(
            label,
            tp=int((g & p).sum()),
            fn=int((g & ~p).sum()),
            tn=int((~g & ~p).sum()),
            fp=int((~g & p).sum()),
            method=method,
        )
    return out


@dataclass(frozen=True)
class ErrorRates:
    """A model's measured error rates: per label, the unit they were measured on
    (``passage``: derive document-level rates; ``document``: use as they are) and where."""

    per_label: dict[str, LabelAccuracy]
    unit: Literal["passage", "document"] = "passage"
    source: str = ""
    model_fingerprint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        how = (
            "document-level rates derived from passage-level ones (Sp_doc = Sp^k, "
            "Se_doc = 1 − (1 − Se)·Sp^(k−1), k counting passages per document; passage errors "
            "assumed independent)"
            if self.unit == "passage"
            else "document-level rates measured on whole documents"
        )
        return f"{how}; measured on {self.source or 'an unnamed set'}"


def read_error_rates(model_dir: Path | str, which: str = "real") -> ErrorRates | None:
    """Error rates of a model directory, or ``None`` if not measured: ``real`` (the
    ``real_accuracy`` block of ``evaluate --real``, per passage) or ``documents`` (the
    ``document_accuracy`` block of ``evaluate --documents``, per document).

    Raises:
        ConfigError: ``which`` is neither.
        DataError: ``metrics.json`` is unreadable or the block is malformed.
    """
    if which not in ERROR_RATE_SOURCES:
        raise ConfigError(f"error rates are {' or '.join(ERROR_RATE_SOURCES)}; got {which!r}")
    key = ERROR_RATE_SOURCES[which]
    path = Path(model_dir) / "metrics.json"
    if not path.is_file():
        return None
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not readable JSON ({error})") from error
    block = metrics.get(key)
    if not block:
        return None
    if not isinstance(block, dict) or not isinstance(block.get("per_label"), dict):
        raise DataError(f"{path}: '{key}' must hold a 'per_label' object")
    unit = block.get("unit", "passage")
    if unit not in ("passage", "document"):
        raise DataError(f"{path}: '{key}.unit' must be passage or document; got {unit!r}")
    return ErrorRates(
        per_label={k: LabelAccuracy.from_dict(k, v) for k, v in block["per_label"].items()},
        unit=unit,
        source=str(block.get("data", "")),
        model_fingerprint=block.get("model_fingerprint"),
        extra={k: v for k, v in block.items() if k != "per_label"},
    )


# -- Rogan–Gladen ---------------------------------------------------------------------------


def rogan_gladen(apparent: Any, se: Any, sp: Any) -> Any:
    """Corrected prevalence ``(a + Sp − 1) / (Se + Sp − 1)`` clipped to [0, 1]; NaN where
    Se + Sp ≤ 1. Works elementwise on arrays.

    Example:
        >>> round(float(rogan_gladen(0.31, 0.7, 0.9)), 4)
        0.35
    """
    apparent, se, sp = np.asarray(apparent, float), np.asarray(se, float), np.asarray(sp, float)
    denom = se + sp - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.clip((apparent + sp - 1) / denom, 0.0, 1.0)
    return np.where(denom > 0, value, np.nan)


def document_error_rates(se: Any, sp: Any, ks: Sequence[int] | np.ndarray) -> tuple[Any, Any]:
    """Document-level (Se, Sp) from passage-level ones, averaged over documents with ``ks``
    counting passages (see the module docstring). ``se``/``sp`` may be arrays of draws."""
    values, counts = np.unique(np.maximum(np.asarray(ks, dtype=int), 0), return_counts=True)
    weights = counts / counts.sum()
    se, sp = np.asarray(se, float)[..., None], np.asarray(sp, float)[..., None]
    sp_doc = (sp**values * weights).sum(axis=-1)
    # A document without a counting passage is never tagged: Se 0, Sp 1.
    se_each = np.where(values > 0, 1 - (1 - se) * sp ** np.maximum(values - 1, 0), 0.0)
    se_doc = (se_each * weights).sum(axis=-1)
    return se_doc, sp_doc


@dataclass(frozen=True)
class Correction:
    """A Rogan–Gladen corrected rate (0–1) with its interval, the document-level Se/Sp used
    and ``status``: ``ok``; ``clipped`` (the tagged rate lies clearly outside [1 − Sp, Se],
    so the estimate is 0 or 1: the error rates do not fit these documents); ``weak``
    (Se + Sp ≤ 1 in too many bootstrap draws: the interval is [0, 1]); ``not_identifiable``
    (no estimate)."""

    rate: float | None
    ci_low: float | None
    ci_high: float | None
    sensitivity: float | None
    specificity: float | None
    status: str
    note: str = ""


def _beta_draws(rng: np.random.Generator, k: int, n: int, size: int) -> np.ndarray:
    return rng.beta(k + 0.5, n - k + 0.5, size)


def correct_rate(
    accuracy: LabelAccuracy | None,
    *,
    k: int | None = None,
    n: int | None = None,
    apparent: float | None = None,
    apparent_logit_se: float | None = None,
    ks: Sequence[int] | np.ndarray | None = None,
    level: float = 0.95,
    draws: int = _DRAWS,
    seed: int = _SEED,
) -> Correction:
    """Correct an apparent rate for the tagger's errors, with a parametric-bootstrap interval.

    The apparent rate is either counts (``k`` of ``n`` documents tagged; drawn from
    Beta(k + ½, n − k + ½)) or an estimate with a standard error on the logit scale (from a
    regression; drawn logit-normal). With ``ks`` (counting passages per document) passage-level
    errors are turned into document-level ones; without, ``accuracy`` is used as it is.

    Example:
        >>> acc = LabelAccuracy.from_counts("delay", tp=70, fn=30, tn=450, fp=50)
        >>> c = correct_rate(acc, k=31, n=100)
        >>> round(c.rate, 3), c.status, c.ci_low < c.rate < c.ci_high
        (0.35, 'ok', True)
    """
    if accuracy is None:
        return Correction(None, None, None, None, None, "not_identifiable", "no error rates")
    problem = accuracy.problem()
    if problem:
        return Correction(None, None, None, None, None, "not_identifiable", problem)
    rng = np.random.default_rng(seed)
    se_draws = _beta_draws(rng, accuracy.tp, accuracy.n_positive, draws)
    sp_draws = _beta_draws(rng, accuracy.tn, accuracy.n_negative, draws)
    se, sp = float(accuracy.sensitivity), float(accuracy.specificity)  # type: ignore[arg-type]
    if ks is not None and len(ks):
        se, sp = (float(x) for x in document_error_rates(se, sp, ks))
        se_draws, sp_draws = document_error_rates(se_draws, sp_draws, ks)
    if se + sp <= 1:
        return Correction(
            None, None, None, se, sp, "not_identifiable",
            f"document-level sensitivity + specificity = {se + sp:.3f} ≤ 1",
        )  # fmt: skip
    if apparent is None:
        if k is None or n is None or n <= 0:
            raise DataError("correct_rate needs k and n, or apparent")
        apparent = k / n
        a_draws = _beta_draws(rng, k, n, draws)
    elif apparent_logit_se is not None:
        from scipy.special import expit, logit

        centre = logit(np.clip(apparent, 1e-9, 1 - 1e-9))
        a_draws = expit(rng.normal(centre, apparent_logit_se, draws))
    else:
        raise DataError("correct_rate needs apparent_logit_se with apparent")
    rate = float(rogan_gladen(apparent, se, sp))
    corrected = rogan_gladen(a_draws, se_draws, sp_draws)
    # Outside [1 − Sp, Se] the estimate is clipped to 0 or 1; that is chance with few
    # documents, but when the tagged rate is clearly outside, the error rates do not fit.
    status, note, alpha = "ok", "", 1 - level
    if np.mean(a_draws > se_draws) > 1 - alpha / 2:
        status = "clipped"
        note = f"tagged {100 * apparent:.1f} > Se_doc {100 * se:.1f}: error rates do not fit"
    elif np.mean(a_draws < 1 - sp_draws) > 1 - alpha / 2:
        status = "clipped"
        note = f"tagged {100 * apparent:.1f} < 1 − Sp_doc {100 * (1 - sp):.1f}: rates do not fit"
    lost = float(np.isnan(corrected).mean())
    if lost > alpha / 2:
        return Correction(
            rate, 0.0, 1.0, se, sp, "weak",
            f"sensitivity + specificity ≤ 1 in {100 * lost:.0f} % of bootstrap draws",
        )  # fmt: skip
    low, high = np.nanpercentile(corrected, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Correction(rate, float(low), float(high), se, sp, status, note)
