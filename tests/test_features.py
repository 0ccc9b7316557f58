from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from passage_samples import sample_passages
from protoscan.classify import features
from protoscan.classify.features import CachedCharTfidfVectorizer, clear_caches
from protoscan.classify.model_dir import dump_skops, load_skops

TRICKY = [
    "Barnet har inte hörts.",
    "  JO  i\tIVO-tillsyn\n\n11 kap. 1 § SoL  ",
    "",
    "Å Ä Ö å ä ö — ett, två; tre: fyra!",
    "a b c de fgh ijklmnop",
    "Vårdnadshavarna kommunicerades inte förrän den 3 mars 2024 (dnr 1234-2024).",
]


def _vectorizers() -> tuple[TfidfVectorizer, CachedCharTfidfVectorizer]:
    params = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True, "min_df": 1}
    train = [p.text for p in sample_passages()] + TRICKY
    return TfidfVectorizer(**params).fit(train), CachedCharTfidfVectorizer(**params).fit(train)


@pytest.mark.parametrize("ngram_range", [(1, 1), (2, 4), (3, 5)])
def test_ngrams_match_scikit_learn(ngram_range: tuple[int, int]) -> None:
    plain = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range).build_analyzer()
    cached = CachedCharTfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range)
    for text in TRICKY:
        assert sorted(cached.build_analyzer()(text)) == sorted(plain(text))


def test_features_equal_scikit_learn_on_unseen_text() -> None:
    plain, cached = _vectorizers()
    assert plain.vocabulary_ == cached.vocabulary_
    unseen = [*TRICKY, "Helt nya ord: gränsdragningsproblematik och barnkonventionen."]
    for _ in range(2):  # the second pass reads every word from the cache
        expected, got = plain.transform(unseen), cached.transform(unseen)
        assert type(got) is type(expected)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-6)


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    _, cached = _vectorizers()
    clear_caches()
    monkeypatch.setattr(features, "CACHE_WORDS", 3)
    cached.transform(["ett två tre fyra fem sex sju"])
    assert len(features._WORD_IDS[cached]) <= 3


def test_saved_model_loads_without_the_cache(tmp_path: Path) -> None:
    _, cached = _vectorizers()
    expected = cached.transform(TRICKY).toarray()
    file = tmp_path / "char.skops"
    dump_skops(cached, file)
    with zipfile.ZipFile(file) as archive:
        assert not any("WORD_IDS" in name for name in archive.namelist())
    loaded = load_skops(file)
    assert isinstance(loaded, CachedCharTfidfVectorizer)
    np.testing.assert_allclose(loaded.transform(TRICKY).toarray(), expected, rtol=1e-6)
