"""TF-IDF (word and character n-grams) + one-vs-rest logistic regression.

Trains in seconds with scikit-learn and tags thousands of passages per second per core. The
fitted state is saved as arrays (safetensors + JSON, :mod:`protoscan.classify.linear_arrays`)
and tagging runs on numpy alone, so loading imports neither scikit-learn nor skops. Model
directories from earlier versions (``model.skops``) still load, through skops' type checks.

With ``stance_head`` the label head learns p(label | finding) from the findings only and a
multinomial stance model gives p(finding) (:mod:`protoscan.classify.stance`); with
``scope_in_label_head`` the label head also learns from criticism outside the labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier
from protoscan.classify.linear_arrays import ARRAYS_NAME, META_NAME, LinearScorer
from protoscan.classify.model_dir import (
    check_model_dir,
    load_skops,
    read_config,
    write_config,
)
from protoscan.classify.stance import check_scope, combine, finding_probability, gate_stances
from protoscan.corpus.schema import STANCES, CorpusPassage
from protoscan.errors import ModelLoadError

__all__ = ["LinearClassifier"]

#: Weights of model directories written before the array format (loaded through skops).
LEGACY_WEIGHTS_NAME = "model.skops"
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
        scope_in_label_head: bool = False,
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
        self.scope_in_label_head = scope_in_label_head

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
            "scope_in_label_head": self.scope_in_label_head,
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
        check_scope(self.stance_head, self.scope_in_label_head)
        empty = [self.labels_[j] for j in range(y.shape[1]) if not y[:, j].any()]
        if empty:
            raise ValueError(f"no positive training passages for label(s) {', '.join(empty)}")
        pipeline = self._build()
        texts = [p.text for p in passages]
        stance_model = None
        if self.stance_head:
            stance_model = self._fit_stance_aware(pipeline, passages, texts, y)
        else:
            pipeline.fit(texts, y)
        self.scorer_ = LinearScorer.from_sklearn(pipeline, stance_model)

    def _fit_stance_aware(
        self, pipeline: Any, passages: Sequence[CorpusPassage], texts: list[str], y: np.ndarray
    ) -> Any:
        """Features on every row; the stance model on every row; the label head on the rows
        that are findings (and out-of-scope criticism), so that it learns p(label | finding)."""
        from sklearn.linear_model import LogisticRegression

        from protoscan.classify.stance import label_head_rows, stance_targets

        features, head = (step for _, step in pipeline.steps)
        matrix = features.fit_transform(texts)
        targets = stance_targets(passages)
        rows = label_head_rows(y, targets, self.scope_in_label_head)
        head.fit(matrix[rows], y[rows])
        return LogisticRegression(
            C=self.stance_C, class_weight=self.class_weight, max_iter=3000
        ).fit(matrix, targets)

    def stance_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities over ``STANCES`` (stance-aware models only)."""
        self._check_fitted()
        _, stance = self.scorer_.proba(list(texts), len(STANCES))
        if stance is None:
            raise ModelLoadError("this linear model has no stance head")
        return stance.astype(np.float32)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        given, stance = self.scorer_.proba(texts, len(STANCES))
        if stance is None:
            return given.astype(np.float32)
        return combine(
            given, finding_probability(stance, gate=gate_stances(self.scope_in_label_head))
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.scorer_.save(path)
        write_config(path, self)

    @classmethod
    def load(cls, path: Path) -> LinearClassifier:
        path = Path(path)
        config = read_config(path)
        model = cls.from_config(config)
        if (path / LEGACY_WEIGHTS_NAME).is_file():
            check_model_dir(path, required={LEGACY_WEIGHTS_NAME})
            weights = load_skops(path / LEGACY_WEIGHTS_NAME)
            if isinstance(weights, dict):
                model.scorer_ = LinearScorer.from_sklearn(weights["pipeline"], weights["stance"])
            else:
                model.scorer_ = LinearScorer.from_sklearn(weights)
        else:
            check_model_dir(path, required={ARRAYS_NAME, META_NAME})
            model.scorer_ = LinearScorer.load(path)
        if model.stance_head and model.scorer_.stance_coef is None:
            raise ModelLoadError(f"{path}: config asks for a stance head but the weights lack one")
        return model
