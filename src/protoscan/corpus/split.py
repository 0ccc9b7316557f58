"""Assign train/dev/test splits by unit, stratified over labels.

A unit is a passage's imagined document or a sentence's contrast group: all of it lands in
one split (no leakage through shared case facts), and each label keeps at least
``min_test_share`` of its positives in test.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from protoscan.corpus.schema import CorpusPassage
from protoscan.errors import DataError

__all__ = ["assign_splits", "split_shares"]

DEFAULT_SHARES = {"train": 0.68, "dev": 0.14, "test": 0.18}


def split_shares(passages: Sequence[CorpusPassage]) -> dict[str, dict[str, float]]:
    """Share of each label's positives (and of negatives) per split."""
    totals: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = defaultdict(Counter)
    for passage in passages:
        for label in passage.labels or ("(none)",):
            totals[label] += 1
            per_split[passage.split or "(unassigned)"][label] += 1
    return {
        split: {label: counts[label] / totals[label] for label in totals}
        for split, counts in per_split.items()
    }


def _score(
    assignment: dict[str, str],
    doc_labels: dict[str, Counter[str]],
    doc_sizes: dict[str, int],
    shares: dict[str, float],
    min_test_share: float,
) -> tuple[bool, float]:
    """(meets the test-share floor, closeness of every label and of sizes to the shares)."""
    totals: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = {s: Counter() for s in shares}
    sizes: Counter[str] = Counter()
    for doc, split in assignment.items():
        totals.update(doc_labels[doc])
        per_split[split].update(doc_labels[doc])
        sizes[split] += doc_sizes[doc]
    n = sum(doc_sizes.values())
    ok = all(per_split["test"][lab] / totals[lab] >= min_test_share for lab in totals) and all(
        per_split["dev"][lab] > 0 for lab in totals
    )
    error = sum(
        abs(per_split[s][lab] / totals[lab] - shares[s]) for s in shares for lab in totals
    ) + sum(abs(sizes[s] / n - shares[s]) for s in shares) * len(totals)
    return ok, -error


def assign_splits(
    passages: Sequence[CorpusPassage],
    *,
    shares: dict[str, float] | None = None,
    min_test_share: float = 0.15,
    seed: int = 0,
    attempts: int = 3000,
) -> list[CorpusPassage]:
    """Return passages with ``split`` set by unit (``doc_id``, or ``group`` for sentences).

    Raises:
        DataError: A row has neither, or no assignment met ``min_test_share``.
    """
    shares = shares or DEFAULT_SHARES
    docs: dict[str, list[CorpusPassage]] = defaultdict(list)
    for passage in passages:
        if not passage.unit:
            raise DataError(
                f"row {passage.id} has no doc_id or group; splits are assigned by document "
                "or sentence group"
            )
        docs[passage.unit].append(passage)
    doc_labels = {d: Counter(lab for p in ps for lab in p.labels) for d, ps in docs.items()}
    doc_sizes = {d: len(ps) for d, ps in docs.items()}
    names, weights = list(shares), list(shares.values())
    rng = random.Random(seed)
    best, best_key = None, (False, float("-inf"))
    for _ in range(attempts):
        # Random search over document assignments; scores favour matching every label's shares.
        assignment = {d: rng.choices(names, weights)[0] for d in sorted(docs)}
        key = _score(assignment, doc_labels, doc_sizes, shares, min_test_share)
        if key > best_key:
            best, best_key = assignment, key
    if best is None or not best_key[0]:
        raise DataError(
            f"could not give every label >= {min_test_share:.0%} of its positives in test and "
            "some in dev; add documents with the rare labels"
        )
    return [replace(p, split=best[p.unit]) for p in passages]
