"""Frozen encoder + logistic-regression head: the cheap middle between linear and fine-tuning.

Passages are embedded once with the offline base (mean-pooled, L2-normalised, with the
``passage: `` prefix e5 models expect) and cached by text hash, so retraining the head or
re-scoring known passages costs no encoder time. The head is saved with skops; the encoder is
referenced by path (``base_model`` in ``config.json``) rather than copied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier
from protoscan.classify.model_dir import load_skops_model, save_skops_model
from protoscan.classify.transformer import DEFAULT_BASE, resolve_device
from protoscan.corpus.schema import CorpusPassage
from protoscan.errors import ConfigError

__all__ = ["EmbeddingCache", "EmbeddingClassifier", "Encoder"]

HEAD_NAME = "head.skops"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings by text hash, in memory and optionally in an ``.npz`` file (no pickle)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            self._vectors = {k.decode(): v for k, v in zip(keys, vectors, strict=True)}
        self._dirty = False

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._vectors[key] = vector
        self._dirty = True

    def save(self) -> None:
        if self.path is None or not self._dirty or not self._vectors:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array([k.encode() for k in self._vectors], dtype="S64")
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self._vectors.values())))
        tmp.replace(self.path)
        self._dirty = False


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings from a local encoder checkpoint."""

    def __init__(
        self,
        base_model: str,
        *,
        prefix: str = "passage: ",
        max_length: int = 256,
        batch_size: int = 64,
        device: str = "auto",
        cache: EmbeddingCache | None = None,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        if not Path(base_model).is_dir():
            raise ConfigError(
                f"encoder {base_model!r} is not a directory; "
                "build it with `protoscan base import-e5`"
            )
        self.prefix, self.max_length, self.batch_size = prefix, max_length, batch_size
        self.device = resolve_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True)
        self.model = AutoModel.from_pretrained(base_model, local_files_only=True).to(self.device)
        self.model.eval()
        self.cache = cache or EmbeddingCache()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        keys = [text_key(self.prefix + t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if self.cache.get(k) is None}.items(),
            key=lambda kv: len(kv[1]),
        )
        with torch.inference_mode():
            for start in range(0, len(missing), self.batch_size):
                chunk = missing[start : start + self.batch_size]
                enc = self.tokenizer(
                    [self.prefix + t for _, t in chunk],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
                for (key, _), vector in zip(chunk, pooled, strict=True):
                    self.cache.put(key, vector)
        return np.stack([self.cache.get(k) for k in keys]) if keys else np.zeros((0, 0))


class EmbeddingClassifier(BaseClassifier):
    backend: ClassVar[str] = "embedding"

    def __init__(
        self,
        *,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
        base_model: str = DEFAULT_BASE,
        C: float = 4.0,
        max_length: int = 256,
        batch_size: int = 64,
        cache_dir: str | None = ".cache/embeddings",
        device: str = "auto",
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.base_model = base_model
        self.C = C
        self.max_length = max_length
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.device = device

    def hyperparameters(self) -> dict[str, Any]:
        keys = ("base_model", "C", "max_length", "batch_size", "cache_dir")
        return {**super().hyperparameters(), **{k: getattr(self, k) for k in keys}}

    def _encoder(self) -> Encoder:
        if getattr(self, "encoder_", None) is None:
            cache_path = None
            if self.cache_dir:
                tag = hashlib.sha256(str(Path(self.base_model).resolve()).encode()).hexdigest()[:12]
                cache_path = Path(self.cache_dir) / f"{Path(self.base_model).name}-{tag}.npz"
            self.encoder_ = Encoder(
                self.base_model,
                max_length=self.max_length,
                batch_size=self.batch_size,
                device=self.device,
                cache=EmbeddingCache(cache_path),
            )
        return self.encoder_

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        encoder = self._encoder()
        vectors = encoder.encode(list(texts))
        encoder.cache.save()
        return vectors

    def _fit(
        self, passages: Sequence[CorpusPassage], y: np.ndarray, dev: Sequence[CorpusPassage] | None
    ) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        features = self.embed([p.text for p in passages])
        self.head_ = OneVsRestClassifier(
            LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        ).fit(features, y)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.head_.predict_proba(self.embed(texts)).astype(np.float32)

    def save(self, path: Path) -> None:
        self._check_fitted()
        save_skops_model(path, self, self.head_, HEAD_NAME)

    @classmethod
    def load(cls, path: Path) -> EmbeddingClassifier:
        model, head = load_skops_model(cls, path, HEAD_NAME)
        model.head_ = head
        return model
