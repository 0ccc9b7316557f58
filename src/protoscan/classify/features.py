"""Character n-gram TF-IDF whose per-word n-grams are memoised.

scikit-learn's ``char_wb`` analyzer rebuilds every word's n-grams in a Python loop each time
the word occurs, which made it the single largest cost of the linear model (about half of its
tagging time). Words in decisions repeat heavily (``vårdnadshavare``, ``utredningen``,
``barnets``), so computing each distinct word's n-grams once and reusing them gives the same
features at a fraction of the cost. The class is saved by skops as an ordinary scikit-learn
estimator; :func:`protoscan.classify.model_dir.load_skops` trusts it by its exact name.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from protoscan.classify.linear_arrays import CACHE_WORDS, word_char_ngrams

__all__ = ["CachedCharTfidfVectorizer", "clear_caches", "word_char_ngrams"]


#: Per fitted vectorizer: word → the vocabulary ids of its n-grams. Kept outside the
#: estimator so that saving a model never writes the cache into the skops file.
_WORD_IDS: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, ...]]] = weakref.WeakKeyDictionary()


def clear_caches() -> None:
    """Forget every memoised word (benchmarks time a cold start with this)."""
    word_char_ngrams.cache_clear()
    _WORD_IDS.clear()


class CachedCharTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer(analyzer="char_wb")`` with each word's n-grams computed once.

    Fitting is scikit-learn's own. Transforming with the fitted vocabulary maps each distinct
    word to the vocabulary ids of its n-grams once and counts ids per document with numpy,
    instead of looking every n-gram up in the vocabulary each time it occurs.
    """

    def _char_wb_ngrams(self, text_document: str) -> list[str]:
        min_n, max_n = self.ngram_range
        ngrams: list[str] = []
        extend = ngrams.extend
        # str.split() without arguments already splits on any run of whitespace, which is
        # what the parent's whitespace normalisation before its split achieves.
        for word in text_document.split():
            extend(word_char_ngrams(word, min_n, max_n))
        return ngrams

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> Any:
        if not fixed_vocab or self.analyzer != "char_wb":
            return super()._count_vocab(raw_documents, fixed_vocab)
        word_ids = self._word_ids()
        preprocess: Callable[[str], str] = self.build_preprocessor()
        indptr = [0]
        indices: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        for doc in raw_documents:
            ids: list[int] = []
            for word in preprocess(self.decode(doc)).split():
                ids.extend(word_ids(word))
            unique, count = np.unique(np.asarray(ids, dtype=np.int32), return_counts=True)
            indices.append(unique)
            counts.append(count)
            indptr.append(indptr[-1] + len(unique))
        matrix = sp.csr_array(
            (
                np.concatenate(counts) if counts else np.zeros(0, np.intp),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(indptr) - 1, len(self.vocabulary_)),
            dtype=self.dtype,
        )
        return self.vocabulary_, matrix

    def _word_ids(self) -> Callable[[str], tuple[int, ...]]:
        """A memoised word → n-gram ids function for the fitted vocabulary."""
        cache = _WORD_IDS.setdefault(self, {})
        vocabulary = self.vocabulary_
        min_n, max_n = self.ngram_range

        def lookup(word: str) -> tuple[int, ...]:
            try:
                return cache[word]
            except KeyError:
                pass
            if len(cache) >= CACHE_WORDS:
                cache.clear()
            found = tuple(
                vocabulary[ngram]
                for ngram in word_char_ngrams(word, min_n, max_n)
                if ngram in vocabulary
            )
            cache[word] = found
            return found

        return lookup
