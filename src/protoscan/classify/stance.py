"""Stance-aware scoring: p(label) = p(finding) · p(label | finding).

A sentence about the child's views may state a finding, quote the rule, report a claim or
find compliance; only the first says the handling fell short. The stance-aware backends
therefore learn two things from the corpus: a **stance** distribution (the twelve stances of
``corpora/GUIDELINE.md``; passages get theirs from ``evidence`` and ``voice``) whose positive
stances sum to p(finding), and which labels a text names **given** that it is a finding,
learnt from positive rows only. Their product is the label score every consumer sees, so
thresholds, reports and cascades work unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from protoscan.corpus.schema import POSITIVE_STANCES, STANCES, CorpusPassage

__all__ = [
    "FALLBACK_NEGATIVE",
    "combine",
    "finding_probability",
    "head_proba",
    "label_and_stance_logits_to_proba",
    "positive_mask",
    "stance_targets",
]

#: The stance given to a label-free passage whose evidence says nothing more definite.
FALLBACK_NEGATIVE = "neutral_fact"


def stance_targets(
    passages: Sequence[CorpusPassage], stances: Sequence[str] = STANCES
) -> np.ndarray:
    """Stance index per row: the sentence's stance, the one its evidence implies, or (where
    neither says) ``finding`` for a labelled row and ``neutral_fact`` for a label-free one."""
    index = {stance: i for i, stance in enumerate(stances)}
    targets = np.empty(len(passages), dtype=np.int64)
    for row, passage in enumerate(passages):
        stance = passage.stance_or_evidence
        if stance is None or (stance in POSITIVE_STANCES) != bool(passage.labels):
            stance = "finding" if passage.labels else FALLBACK_NEGATIVE
        targets[row] = index[stance]
    return targets


def positive_mask(stances: Sequence[str] = STANCES) -> np.ndarray:
    return np.array([stance in POSITIVE_STANCES for stance in stances])


def finding_probability(stance_proba: np.ndarray, stances: Sequence[str] = STANCES) -> np.ndarray:
    """p(finding): the probability mass of the positive stances."""
    return stance_proba[:, positive_mask(stances)].sum(axis=1)


def combine(label_given_finding: np.ndarray, p_finding: np.ndarray) -> np.ndarray:
    return (label_given_finding * p_finding[:, None]).astype(np.float32)


def label_and_stance_logits_to_proba(
    logits: np.ndarray, n_labels: int, stances: Sequence[str] = STANCES
) -> np.ndarray:
    """Label scores from one head's logits laid out as ``[labels | stances]``."""
    label_logits, stance_logits = logits[:, :n_labels], logits[:, n_labels:]
    shifted = stance_logits - stance_logits.max(axis=1, keepdims=True)
    stance_proba = np.exp(shifted)
    stance_proba /= stance_proba.sum(axis=1, keepdims=True)
    given = 1.0 / (1.0 + np.exp(-label_logits))
    return combine(given, finding_probability(stance_proba, stances))


def head_proba(logits: np.ndarray, n_labels: int, stance_head: bool) -> np.ndarray:
    """Label scores from a classification head's logits (sigmoid, or the stance product)."""
    if stance_head:
        return label_and_stance_logits_to_proba(logits, n_labels)
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
