"""The finding figures per group of rows: where a model falls short, by authority, genre …

One figure over a whole labelled set hides where the errors are. Split by a row field (the
authority whose voice it is, the genre, the stance of a sentence, the site a real sentence
was taken from), the same three figures the real-text goals are written in show, for
example, that label-free rows given a label come mostly from one kind of document. Only
counts and figures are reported, never the rows themselves, so a breakdown of a real
evaluation set can be shared without its sentences.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from protoscan.corpus.schema import CorpusPassage
from protoscan.training.evaluate import finding_figures

__all__ = ["BREAKDOWN_FIELDS", "NO_VALUE", "figures_by", "group_of"]

#: Row fields a breakdown can group by (``source``: by web site where it is a URL).
BREAKDOWN_FIELDS = ("authority", "genre", "voice", "stance", "source", "split")
#: The group of rows that leave the field empty.
NO_VALUE = "(none)"


def group_of(passage: CorpusPassage, field: str) -> str:
    """The group a row falls in: its ``field`` value (a URL's host for ``source``).

    Example:
        >>> row = CorpusPassage("1", "…", (), source="https://www.jo.se/besluten/1")
        >>> group_of(row, "source"), group_of(row, "authority")
        ('www.jo.se', '(none)')
    """
    if field not in BREAKDOWN_FIELDS:
        raise ValueError(f"cannot group by {field!r}; use one of {', '.join(BREAKDOWN_FIELDS)}")
    value = getattr(passage, field)
    if not value:
        return NO_VALUE
    if field == "source":
        return urlsplit(value).netloc or value
    return str(value)


def _finite(figures: dict[str, float]) -> dict[str, float | None]:
    """NaN (a figure a group cannot have, such as AP without a labelled row) as None, so the
    result is valid JSON."""
    return {name: None if math.isnan(value) else value for name, value in figures.items()}


def figures_by(
    passages: Sequence[CorpusPassage],
    field: str,
    gold: np.ndarray,
    models: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> list[dict[str, Any]]:
    """Per group of ``field``: its rows, how many carry a label, and for each named model
    (``name → (probs, pred)``, rows in ``passages`` order) its :func:`finding_figures`.
    Groups come largest first."""
    keys = np.array([group_of(p, field) for p in passages], dtype=object)
    labelled = gold.any(axis=1)
    groups = []
    for key, count in sorted(Counter(keys.tolist()).items(), key=lambda kc: (-kc[1], kc[0])):
        rows = keys == key
        groups.append(
            {
                "group": key,
                "rows": count,
                "with_label": int(labelled[rows].sum()),
                **{
                    name: _finite(finding_figures(gold[rows], probs[rows], pred[rows]))
                    for name, (probs, pred) in models.items()
                },
            }
        )
    return groups
