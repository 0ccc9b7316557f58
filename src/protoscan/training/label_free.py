"""How often a model gives a label to real text that holds no finding: statutes, for example.

A statute states rules. None of its passages says that the handling of a case fell short, so
every passage a model gives a label is a false positive, on real text and in thousands (the
labelled real sentences have a few hundred label-free rows, and their false-positive rate has
an interval a few points wide). Rules are also a known trap: they are written in the words
findings use (``utan dröjsmål``, ``ska dokumenteras``, ``barnets bästa``).

The figure is the model's own, passage by passage, as ``protoscan scan`` tags a document: the
voice rules that keep a statute's passages out of a document's findings are not applied.
Passages under :data:`MIN_WORDS` words (section numbers, chapter headings) are left out; no
model flags them and they would only dilute the rate. The interval is per passage and treats
passages as independent, which passages of one statute are not: read it as a lower bound on
the uncertainty.

Texts measured here must never be used for training or tuning, or the figure means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MIN_WORDS", "LabelFreeText", "compare_flag_rates", "flag_rate", "read_label_free"]

#: Passages with fewer words are not scored.
MIN_WORDS = 4


@dataclass(frozen=True)
class LabelFreeText:
    """One document's scored passages."""

    name: str
    passages: tuple[str, ...]


def read_label_free(paths: Sequence[Path | str]) -> list[LabelFreeText]:
    """Read the documents under ``paths`` (files or folders) into their passages.

    Raises:
        InputNotFoundError: A path does not exist.
        IngestError: No readable document, or a document cannot be read.
        DataError: No passage of ``MIN_WORDS`` words or more in any document.
    """
    from protoscan.batch.worklist import collect_inputs
    from protoscan.errors import DataError
    from protoscan.pipeline import read_document

    texts = []
    for path in collect_inputs(paths):
        document = read_document(path)
        kept = tuple(p.text for p in document.passages if len(p.text.split()) >= MIN_WORDS)
        texts.append(LabelFreeText(path.name, kept))
    if not any(t.passages for t in texts):
        raise DataError(f"no passage of {MIN_WORDS} words or more in {len(texts)} document(s)")
    return texts


def _flags(texts: Sequence[LabelFreeText], classifier: Any) -> np.ndarray:
    """Boolean ``(passages, labels)``: which labels each passage is given."""
    flat = [p for t in texts for p in t.passages]
    return np.asarray(classifier.predict_proba(flat)) >= np.asarray(classifier.thresholds_)


def _block(
    texts: Sequence[LabelFreeText], flags: np.ndarray, labels: Sequence[str], method: str
) -> dict[str, Any]:
    from protoscan.analysis.correction import binomial_interval

    flagged = flags.any(axis=1)
    low, high = binomial_interval(int(flagged.sum()), len(flagged), method=method)
    parts = np.split(flagged, np.cumsum([len(t.passages) for t in texts])[:-1])
    documents = [
        {"document": text.name, "passages": int(part.size), "flagged": int(part.sum())}
        for text, part in zip(texts, parts, strict=True)
    ]
    return {
        "passages": int(flagged.size),
        "flagged": int(flagged.sum()),
        "flag_rate": float(flagged.mean()),
        "ci_low": low,
        "ci_high": high,
        "interval": method,
        "per_label": {label: int(n) for label, n in zip(labels, flags.sum(axis=0), strict=True)},
        "documents": documents,
    }


def flag_rate(
    texts: Sequence[LabelFreeText], classifier: Any, *, method: str = "wilson"
) -> dict[str, Any]:
    """Share of passages given any label, with its 95 % interval, per label and per document.

    Example:
        >>> flag_rate(read_label_free(["sfs/"]), model)["flag_rate"]  # doctest: +SKIP
        0.0063
    """
    return _block(texts, _flags(texts, classifier), classifier.labels_, method)


def compare_flag_rates(
    texts: Sequence[LabelFreeText],
    classifier_a: Any,
    classifier_b: Any,
    *,
    method: str = "wilson",
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Both models' :func:`flag_rate` blocks and B − A with a paired-bootstrap 95 % interval
    (the same resampled passages for both)."""
    from protoscan.training.evaluate import bootstrap_differences

    flags_a, flags_b = _flags(texts, classifier_a), _flags(texts, classifier_b)
    any_a, any_b = flags_a.any(axis=1), flags_b.any(axis=1)
    [difference] = bootstrap_differences(
        lambda idx: (np.array([any_a[idx].mean()]), np.array([any_b[idx].mean()])),
        len(any_a),
        n_resamples=n_resamples,
        seed=seed,
    )
    return {
        "a": _block(texts, flags_a, classifier_a.labels_, method),
        "b": _block(texts, flags_b, classifier_b.labels_, method),
        "difference": difference,
    }
