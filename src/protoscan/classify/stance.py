"""Stance-aware scoring: p(label) = p(finding) · p(label | finding).

A sentence about the child's views may state a finding, quote the rule, report a claim or
find compliance; only the first says the handling fell short. The stance-aware backends
therefore learn two things from the corpus: a **stance** distribution (the twelve stances of
``corpora/GUIDELINE.md``; passages get theirs from ``evidence`` and ``voice``) whose positive
stances sum to p(finding), and which labels a text names **given** that it is a finding,
learnt from positive rows only. Their product is the label score every consumer sees, so
thresholds, reports and cascades work unchanged.

With ``scope_in_label_head`` the gate is criticism of any kind: criticism of something outside
the seven labels (``other_deficiency``) passes the stance gate and teaches the label head as a
label-free row. Whether a criticism is one of ours is a question of topic, which the label
head reads; the stance head then only has to tell criticism from rules, claims and facts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from protoscan.corpus.schema import POSITIVE_STANCES, STANCES, CorpusPassage
from protoscan.errors import ConfigError

__all__ = [
    "FALLBACK_NEGATIVE",
    "OUT_OF_SCOPE",
    "check_scope",
    "combine",
    "finding_probability",
    "gate_stances",
    "head_proba",
    "label_and_stance_logits_to_proba",
    "label_head_rows",
    "positive_mask",
    "stance_targets",
]

#: The stance given to a label-free passage whose evidence says nothing more definite.
FALLBACK_NEGATIVE = "neutral_fact"
#: Criticism of something none of the labels covers.
OUT_OF_SCOPE = "other_deficiency"


def gate_stances(scope_in_label_head: bool = False) -> tuple[str, ...]:
    """The stances whose mass is the gate: the findings, and with ``scope_in_label_head``
    criticism outside the labels as well."""
    return POSITIVE_STANCES + ((OUT_OF_SCOPE,) if scope_in_label_head else ())


def check_scope(stance_head: bool, scope_in_label_head: bool) -> None:
    """``scope_in_label_head`` moves work between the two heads; without a stance head there
    is no gate to widen."""
    if scope_in_label_head and not stance_head:
        raise ConfigError("scope_in_label_head needs stance_head = true")


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


def label_head_rows(
    y: np.ndarray, targets: np.ndarray, scope_in_label_head: bool = False
) -> np.ndarray:
    """The rows that teach the label head: the findings, and with ``scope_in_label_head`` the
    criticism outside the labels (label-free rows the head learns to leave unlabelled).
    ``targets`` are the rows' :func:`stance_targets`, which the stance head trains on."""
    rows = y.any(axis=1)
    if scope_in_label_head:
        rows |= targets == STANCES.index(OUT_OF_SCOPE)
    return rows


def positive_mask(
    stances: Sequence[str] = STANCES, gate: Sequence[str] = POSITIVE_STANCES
) -> np.ndarray:
    return np.array([stance in gate for stance in stances])


def finding_probability(
    stance_proba: np.ndarray,
    stances: Sequence[str] = STANCES,
    gate: Sequence[str] = POSITIVE_STANCES,
) -> np.ndarray:
    """p(finding): the probability mass of the gate's stances (by default the positive ones)."""
    return stance_proba[:, positive_mask(stances, gate)].sum(axis=1)


def combine(label_given_finding: np.ndarray, p_finding: np.ndarray) -> np.ndarray:
    return (label_given_finding * p_finding[:, None]).astype(np.float32)


def label_and_stance_logits_to_proba(
    logits: np.ndarray,
    n_labels: int,
    stances: Sequence[str] = STANCES,
    gate: Sequence[str] = POSITIVE_STANCES,
) -> np.ndarray:
    """Label scores from one head's logits laid out as ``[labels | stances]``."""
    label_logits, stance_logits = logits[:, :n_labels], logits[:, n_labels:]
    shifted = stance_logits - stance_logits.max(axis=1, keepdims=True)
    stance_proba = np.exp(shifted)
    stance_proba /= stance_proba.sum(axis=1, keepdims=True)
    given = 1.0 / (1.0 + np.exp(-label_logits))
    return combine(given, finding_probability(stance_proba, stances, gate))


def head_proba(
    logits: np.ndarray, n_labels: int, stance_head: bool, scope_in_label_head: bool = False
) -> np.ndarray:
    """Label scores from a classification head's logits (sigmoid, or the stance product)."""
    if stance_head:
        return label_and_stance_logits_to_proba(
            logits, n_labels, gate=gate_stances(scope_in_label_head)
        )
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
