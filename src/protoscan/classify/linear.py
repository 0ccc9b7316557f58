"""TF-IDF (word and character n-grams) + one-vs-rest logistic regression.

The offline default: trains in seconds, tags thousands of passages per second per core and
saves with skops (never pickle). Loading accepts only scikit-learn/numpy/scipy types.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier
from protoscan.classify.model_dir import load_skops_model, save_skops_model
from protoscan.corpus.schema import STANCES, CorpusPassage

__all__ = ["LinearClassifier"]

WEIGHTS_NAME = "model.skops"
#: Letters, digits and inner hyphens/colons: keeps "IVO-tillsyn", "JO:s", "11 kap." parts.
TOKEN_PATTERN = r"(?u)\b\w[\w:-]*\w\b|\b\w\b"


class LinearClassifier(BaseClassifier):
    backend: ClassVar[str] = "linear"

    def __init__(
        self,
        *,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
        C: float = 8.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (3, 5),
        min_df: int = 2,
        max_features: int | None = 200_000,
        class_weight: str | None = "balanced",
        stance_head: bool = False,
        stance_C: float = 4.0,
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.C = C
        self.word_ngrams = tuple(word_ngrams)
        self.char_ngrams = tuple(char_ngrams)
        self.min_df = min_df
        self.max_features = max_features
        self.class_weight = class_weight
        self.stance_head = stance_head
        self.stance_C = stance_C

    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            "C": self.C,
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "class_weight": self.class_weight,
            "stance_head": self.stance_head,
            "stance_C": self.stance_C,
        }

    def _build(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion, Pipeline

        from protoscan.classify.features import CachedCharTfidfVectorizer

        features = FeatureUnion(
            [
                (
                    "word",
                    TfidfVectorizer(
                        token_pattern=TOKEN_PATTERN,
                        ngram_range=self.word_ngrams,
                        min_df=self.min_df,
                        sublinear_tf=True,
                        max_features=self.max_features,
                        dtype=np.float32,
                    ),
                ),
                (
                    "char",
                    CachedCharTfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=self.char_ngrams,
                        min_df=self.min_df,
                        sublinear_tf=True,
                        max_features=self.max_features,
                        dtype=np.float32,
                    ),
                ),
            ]
        )
        head = OneVsRestClassifier(
            LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=2000, solver="liblinear"
            )
        )
        return Pipeline([("features", features), ("head", head)])

    def _fit(
        self, passages: Sequence[CorpusPassage], y: np.ndarray, dev: Sequence[CorpusPassage] | None
    ) -> None:
        empty = [self.labels_[j] for j in range(y.shape[1]) if not y[:, j].any()]
        if empty:
            raise ValueError(f"no positive training passages for label(s) {', '.join(empty)}")
        self.pipeline_ = self._build()
        texts = [p.text for p in passages]
        if self.stance_head:
            self._fit_stance_aware(passages, texts, y)
        else:
            self.pipeline_.fit(texts, y)
        for _, vectorizer in self.pipeline_.named_steps["features"].transformer_list:
            # `stop_words_` lists every pruned term (introspection only), and numpy-int
            # vocabulary values become one file each in a skops archive: both would
            # dominate the saved model's size and save time.
            if hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_
            vectorizer.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}

    def _fit_stance_aware(
        self, passages: Sequence[CorpusPassage], texts: list[str], y: np.ndarray
    ) -> None:
        """Features on every row; the stance model on every row; the label head on the rows
        that are findings, so that it learns p(label | finding)."""
        from sklearn.linear_model import LogisticRegression

        from protoscan.classify.stance import stance_targets

        features, head = (step for _, step in self.pipeline_.steps)
        matrix = features.fit_transform(texts)
        positive = y.any(axis=1)
        head.fit(matrix[positive], y[positive])
        self.stance_model_ = LogisticRegression(
            C=self.stance_C, class_weight=self.class_weight, max_iter=3000
        ).fit(matrix, stance_targets(passages))

    def stance_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities over ``STANCES`` (stance-aware models only)."""
        matrix = self.pipeline_.named_steps["features"].transform(list(texts))
        proba = np.zeros((len(texts), len(STANCES)), dtype=np.float32)
        proba[:, self.stance_model_.classes_] = self.stance_model_.predict_proba(matrix)
        return proba

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        if not self.stance_head:
            return self.pipeline_.predict_proba(texts).astype(np.float32)
        from protoscan.classify.stance import combine, finding_probability

        features, head = (step for _, step in self.pipeline_.steps)
        matrix = features.transform(texts)
        stance = np.zeros((len(texts), len(STANCES)), dtype=np.float64)
        stance[:, self.stance_model_.classes_] = self.stance_model_.predict_proba(matrix)
        return combine(head.predict_proba(matrix), finding_probability(stance))

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        self._check_fitted()
        weights = (
            {"pipeline": self.pipeline_, "stance": self.stance_model_}
            if self.stance_head
            else self.pipeline_
        )
        save_skops_model(path, self, weights, WEIGHTS_NAME)

    @classmethod
    def load(cls, path: Path) -> LinearClassifier:
        model, weights = load_skops_model(cls, path, WEIGHTS_NAME)
        if model.stance_head:
            model.pipeline_, model.stance_model_ = weights["pipeline"], weights["stance"]
        else:
            model.pipeline_ = weights
        return model
