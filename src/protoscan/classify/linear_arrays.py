"""A trained linear model as plain arrays: TF-IDF features and logistic heads in numpy.

Loading a scikit-learn pipeline from skops imports most of scikit-learn to check the types
in the file, which cost seconds at every start. The fitted state of a TF-IDF + logistic
regression model is only vocabularies, idf weights and coefficient matrices, so protoscan
stores those in safetensors (``weights.safetensors``) with a JSON description
(``linear.json``) and computes the same features and probabilities with numpy: scikit-learn's
own analysers (word n-grams over ``token_pattern``, ``char_wb`` n-grams), sublinear tf,
idf, l2 normalisation per vectorizer, sigmoid one-vs-rest label heads and a softmax stance
head. Tests check the numbers against scikit-learn's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.errors import ModelLoadError

__all__ = ["ARRAYS_NAME", "CACHE_WORDS", "META_NAME", "LinearScorer", "word_char_ngrams"]

ARRAYS_NAME = "weights.safetensors"
#: Texts scored per numpy product (bounds the per-batch memory of gathered weights).
_BATCH = 256
META_NAME = "linear.json"
#: Distinct words kept. A Zipfian vocabulary reaches a high hit rate long before this, and
#: the cache stays in the tens of megabytes even for long compounds.
CACHE_WORDS = 1 << 15


@lru_cache(maxsize=CACHE_WORDS)
def word_char_ngrams(word: str, min_n: int, max_n: int) -> tuple[str, ...]:
    """The ``char_wb`` n-grams of one word, padded with a space at each end.

    Mirrors scikit-learn's ``_char_wb_ngrams`` exactly, including that a word shorter than
    ``n`` is counted once, as a whole.

    >>> word_char_ngrams("JO", 3, 4)
    (' JO', 'JO ', ' JO ')
    >>> word_char_ngrams("i", 3, 5)
    (' i ',)
    """
    padded = f" {word} "
    length = len(padded)
    ngrams: list[str] = []
    for n in range(min_n, max_n + 1):
        if length <= n:
            ngrams.append(padded)
            break
        ngrams.extend(padded[start : start + n] for start in range(length - n + 1))
    return tuple(ngrams)


def _stored(values: Any) -> np.ndarray:
    """Weights as the file keeps them (float32), in float64 for scoring: a freshly trained
    model then scores exactly as the same model loaded back."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


@dataclass
class _Vectorizer:
    name: str
    analyzer: str
    ngram_range: tuple[int, int]
    token_pattern: str | None
    lowercase: bool
    sublinear_tf: bool
    terms: list[str]
    idf: np.ndarray
    offset: int = 0
    _vocabulary: dict[str, int] = field(default_factory=dict, repr=False)
    _word_cache: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._vocabulary = {term: i for i, term in enumerate(self.terms)}
        self._token = re.compile(self.token_pattern) if self.token_pattern else None

    def meta(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "token_pattern": self.token_pattern,
            "lowercase": self.lowercase,
            "sublinear_tf": self.sublinear_tf,
        }

    def _char_ids(self, word: str) -> tuple[int, ...]:
        try:
            return self._word_cache[word]
        except KeyError:
            pass
        if len(self._word_cache) >= CACHE_WORDS:
            self._word_cache.clear()
        vocabulary = self._vocabulary
        found = tuple(
            vocabulary[ngram]
            for ngram in word_char_ngrams(word, *self.ngram_range)
            if ngram in vocabulary
        )
        self._word_cache[word] = found
        return found

    def _word_ids(self, text: str) -> list[int]:
        tokens = self._token.findall(text) if self._token else text.split()
        min_n, max_n = self.ngram_range
        vocabulary = self._vocabulary
        ids = []
        for n in range(min_n, max_n + 1):
            for start in range(len(tokens) - n + 1):
                gram = tokens[start] if n == 1 else " ".join(tokens[start : start + n])
                index = vocabulary.get(gram)
                if index is not None:
                    ids.append(index)
        return ids

    def raw_ids(self, text: str) -> list[int]:
        """Vocabulary ids of every n-gram occurrence in ``text`` (repeats kept)."""
        if self.lowercase:
            text = text.lower()
        if self.analyzer != "char_wb":
            return self._word_ids(text)
        ids: list[int] = []
        for word in text.split():
            ids.extend(self._char_ids(word))
        return ids

    def batch_features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column (with offset) and l2-normalised tf-idf value of every non-zero feature
        of ``texts``, rows ascending: the CSR triplets, built with numpy for the whole batch."""
        per_text = [self.raw_ids(text) for text in texts]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(texts))
        flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))
        size = len(self.terms)
        keys = np.repeat(np.arange(len(texts), dtype=np.int64), lengths) * size + flat
        unique, counts = np.unique(keys, return_counts=True)
        rows, cols = np.divmod(unique, size)
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values *= self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
        values /= norms[rows]
        return rows, cols + self.offset, values


@dataclass
class LinearScorer:
    """TF-IDF features and the label (and optional stance) heads of a fitted linear model."""

    vectorizers: list[_Vectorizer]
    label_coef: np.ndarray  # (n_features, n_labels)
    label_intercept: np.ndarray
    stance_coef: np.ndarray | None = None  # (n_features, n_stance_classes)
    stance_intercept: np.ndarray | None = None
    stance_classes: np.ndarray | None = None  # indices into STANCES
    _joined: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def clear_caches(self) -> None:
        """Forget every memoised word (benchmarks time a cold start with this)."""
        word_char_ngrams.cache_clear()
        for vectorizer in self.vectorizers:
            vectorizer._word_cache.clear()

    # -- scoring ------------------------------------------------------------------------------
    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        """Label logits, then stance logits: one sparse-times-dense product per batch."""
        coef, intercept = self._heads()
        out = np.tile(intercept, (len(texts), 1))
        for start in range(0, len(texts), _BATCH):
            batch = texts[start : start + _BATCH]
            parts = [v.batch_features(batch) for v in self.vectorizers]
            rows = np.concatenate([p[0] for p in parts])
            order = np.argsort(rows, kind="stable")
            rows, cols = rows[order], np.concatenate([p[1] for p in parts])[order]
            values = np.concatenate([p[2] for p in parts])[order]
            if not len(rows):
                continue
            contributions = values[:, None] * coef[cols]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[start + rows[starts]] += np.add.reduceat(contributions, starts, axis=0)
        return out

    def _heads(self) -> tuple[np.ndarray, np.ndarray]:
        """Both heads side by side, so each text's features are gathered once."""
        if self._joined is None:
            coefs, intercepts = [self.label_coef], [self.label_intercept]
            if self.stance_coef is not None:
                coefs.append(self.stance_coef)
                intercepts.append(self.stance_intercept)
            self._joined = (np.hstack(coefs), np.concatenate(intercepts))
        return self._joined

    def proba(self, texts: Sequence[str], n_stances: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Sigmoid one-vs-rest label probabilities, and softmax stance probabilities with one
        column per stance (absent classes stay 0; None without a stance head)."""
        logits = self._logits(texts)
        n_labels = self.label_coef.shape[1]
        labels = 1.0 / (1.0 + np.exp(-logits[:, :n_labels]))
        if self.stance_coef is None:
            return labels, None
        stance = logits[:, n_labels:]
        stance -= stance.max(axis=1, keepdims=True)
        np.exp(stance, out=stance)
        stance /= stance.sum(axis=1, keepdims=True)
        full = np.zeros((len(texts), n_stances), dtype=np.float64)
        full[:, self.stance_classes] = stance
        return labels, full

    # -- conversion -----------------------------------------------------------------------------
    @classmethod
    def from_sklearn(cls, pipeline: Any, stance_model: Any | None = None) -> LinearScorer:
        """Read the fitted state out of a ``FeatureUnion`` → ``OneVsRestClassifier`` pipeline."""
        features, head = (step for _, step in pipeline.steps)
        vectorizers, offset = [], 0
        for name, vectorizer in features.transformer_list:
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            vectorizers.append(
                _Vectorizer(
                    name=name,
                    analyzer=vectorizer.analyzer,
                    ngram_range=tuple(vectorizer.ngram_range),
                    token_pattern=vectorizer.token_pattern
                    if vectorizer.analyzer == "word"
                    else None,
                    lowercase=bool(vectorizer.lowercase),
                    sublinear_tf=bool(vectorizer.sublinear_tf),
                    terms=terms,
                    idf=_stored(vectorizer.idf_),
                    offset=offset,
                )
            )
            offset += len(terms)
        coef = np.stack([e.coef_[0] for e in head.estimators_], axis=1)
        intercept = np.array([e.intercept_[0] for e in head.estimators_])
        scorer = cls(vectorizers, _stored(coef), _stored(intercept))
        if stance_model is not None:
            coef = np.asarray(stance_model.coef_, dtype=np.float64)
            intercept = np.asarray(stance_model.intercept_, dtype=np.float64)
            if coef.shape[0] == 1:  # two classes: one logit z, i.e. softmax over (0, z)
                coef = np.vstack([np.zeros_like(coef), coef])
                intercept = np.concatenate([[0.0], intercept])
            scorer.stance_coef = _stored(np.ascontiguousarray(coef.T))
            scorer.stance_intercept = _stored(intercept)
            scorer.stance_classes = np.asarray(stance_model.classes_, dtype=np.int64)
        return scorer

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        tensors = {
            "label_coef": self.label_coef.astype(np.float32),
            "label_intercept": self.label_intercept.astype(np.float32),
        }
        for vectorizer in self.vectorizers:
            # Terms never contain a newline: analysers split on whitespace.
            text = "\n".join(vectorizer.terms).encode("utf-8")
            tensors[f"{vectorizer.name}.terms"] = np.frombuffer(text, dtype=np.uint8).copy()
            tensors[f"{vectorizer.name}.idf"] = vectorizer.idf.astype(np.float32)
        if self.stance_coef is not None:
            tensors["stance_coef"] = self.stance_coef.astype(np.float32)
            tensors["stance_intercept"] = self.stance_intercept.astype(np.float32)
            tensors["stance_classes"] = self.stance_classes
        save_file(tensors, str(path / ARRAYS_NAME))
        meta = {"vectorizers": [v.meta() for v in self.vectorizers]}
        (path / META_NAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinearScorer:
        from safetensors.numpy import load_file

        try:
            meta = json.loads((path / META_NAME).read_text(encoding="utf-8"))
            tensors = load_file(str(path / ARRAYS_NAME))
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"{path}: unreadable linear model ({error})") from None
        vectorizers, offset = [], 0
        try:
            for spec in meta["vectorizers"]:
                name = spec["name"]
                terms = bytes(tensors[f"{name}.terms"]).decode("utf-8").split("\n")
                vectorizers.append(
                    _Vectorizer(
                        name=name,
                        analyzer=spec["analyzer"],
                        ngram_range=tuple(spec["ngram_range"]),
                        token_pattern=spec["token_pattern"],
                        lowercase=spec["lowercase"],
                        sublinear_tf=spec["sublinear_tf"],
                        terms=terms,
                        idf=tensors[f"{name}.idf"].astype(np.float64),
                        offset=offset,
                    )
                )
                offset += len(terms)
            scorer = cls(
                vectorizers,
                tensors["label_coef"].astype(np.float64),
                tensors["label_intercept"].astype(np.float64),
            )
        except KeyError as error:
            raise ModelLoadError(f"{path}: linear model lacks {error}") from None
        if scorer.label_coef.shape[0] != offset:
            raise ModelLoadError(
                f"{path}: {scorer.label_coef.shape[0]} coefficient rows for {offset} features"
            )
        if "stance_coef" in tensors:
            scorer.stance_coef = tensors["stance_coef"].astype(np.float64)
            scorer.stance_intercept = tensors["stance_intercept"].astype(np.float64)
            scorer.stance_classes = tensors["stance_classes"]
        return scorer
