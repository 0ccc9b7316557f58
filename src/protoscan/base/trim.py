"""Vocabulary-trimmed copies of a base encoder, and merging a model fine-tuned on one back.

A multilingual encoder's word-embedding table (250k pieces for e5-small) is most of its
weight, yet a fine-tuning corpus uses a few percent of it. ``trim_base`` keeps the pieces
the given texts need (plus the special tokens) and writes a smaller base whose tokenizer
segments those texts exactly as the full one does: a Unigram model over a subset of the
pieces still finds the same best segmentation when that segmentation only uses kept
pieces. This is what lets a fine-tuning run travel to a machine that cannot hold or fetch
the full base. ``merge_trimmed`` turns the result back into a model over the full
vocabulary: fine-tuned pieces take their trained rows, all others keep the base's.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from protoscan.errors import ModelLoadError

__all__ = ["TRIM_INFO", "frequent_latin_pieces", "merge_trimmed", "trim_base"]

TRIM_INFO = "trim.json"
_WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
_TOKENIZER_FILES = ("tokenizer_config.json", "special_tokens_map.json")


def _remap_tokenizer(tokenizer: dict[str, Any], keep: list[int]) -> dict[str, Any]:
    new_id = {old: new for new, old in enumerate(keep)}
    model = tokenizer["model"]
    if model.get("type") != "Unigram":
        raise ModelLoadError(f"trimming supports Unigram tokenizers; got {model.get('type')}")
    trimmed = json.loads(json.dumps(tokenizer))
    trimmed["model"]["vocab"] = [model["vocab"][i] for i in keep]
    trimmed["model"]["unk_id"] = new_id[model["unk_id"]]
    for token in trimmed["added_tokens"]:
        token["id"] = new_id[token["id"]]
    specials = (trimmed.get("post_processor") or {}).get("special_tokens", {})
    for entry in specials.values():
        entry["ids"] = [new_id[i] for i in entry["ids"]]
    return trimmed


#: Pieces written in the Latin script (with the word-start mark, digits and punctuation):
#: the candidates ``extra_pieces`` draws from, so that text outside the corpus still finds
#: its usual pieces.
_LATIN_PIECE = re.compile(r"^▁?[A-Za-zÀ-ÿ0-9§.,:;()\-–%/\"']+$")


def frequent_latin_pieces(tokenizer_data: dict[str, Any], n: int) -> list[int]:
    """Ids of the ``n`` Latin-script pieces with the highest unigram scores (the pieces a
    Swedish text outside the corpus is most likely to need)."""
    vocab = tokenizer_data["model"]["vocab"]
    latin = [i for i, (piece, _) in enumerate(vocab) if _LATIN_PIECE.match(piece)]
    latin.sort(key=lambda i: -vocab[i][1])
    return latin[:n]


def trim_base(
    model_dir: Path,
    texts: Iterable[str],
    out_dir: Path,
    *,
    dtype: str = "float16",
    extra_pieces: int = 0,
) -> dict[str, Any]:
    """Write a copy of ``model_dir`` whose vocabulary holds only what ``texts`` need, plus
    the ``extra_pieces`` most frequent Latin-script pieces of the full vocabulary.

    Returns the ``trim.json`` content: the kept full-vocabulary ids in new-id order.
    """
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    tokenizer_data = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_str(json.dumps(tokenizer_data))
    used = {token["id"] for token in tokenizer_data["added_tokens"]}
    used.add(tokenizer_data["model"]["unk_id"])
    for encoding in tokenizer.encode_batch(list(texts)):
        used.update(encoding.ids)
    used.update(frequent_latin_pieces(tokenizer_data, extra_pieces))
    keep = sorted(used)
    state = load_file(str(model_dir / "model.safetensors"))
    state[_WORD_EMBEDDINGS] = state[_WORD_EMBEDDINGS][keep]
    state = {k: v.astype(dtype) if v.dtype == np.float32 else v for k, v in state.items()}
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    full_vocab = config["vocab_size"]
    config["vocab_size"] = len(keep)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / "model.safetensors"))
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    trimmed = _remap_tokenizer(tokenizer_data, keep)
    (out_dir / "tokenizer.json").write_text(json.dumps(trimmed, ensure_ascii=False))
    for name in _TOKENIZER_FILES:
        if (model_dir / name).exists():
            shutil.copyfile(model_dir / name, out_dir / name)
    info = {"source": str(model_dir), "full_vocab_size": full_vocab, "keep": keep}
    (out_dir / TRIM_INFO).write_text(json.dumps(info) + "\n")
    return info


def merge_trimmed(
    trimmed_state: dict[str, np.ndarray], keep: list[int], full_base: Path
) -> dict[str, np.ndarray]:
    """A full-vocabulary state dict: ``trimmed_state`` with its embedding rows scattered
    back into the full base's table (pieces it never saw keep the base's rows)."""
    from safetensors.numpy import load_file

    base = load_file(str(Path(full_base) / "model.safetensors"))
    merged = {k: v.astype(np.float32) for k, v in trimmed_state.items()}
    prefix = next(
        (k[: -len(_WORD_EMBEDDINGS)] for k in merged if k.endswith(_WORD_EMBEDDINGS)), None
    )
    if prefix is None:
        raise ModelLoadError("the fine-tuned weights have no word-embedding table")
    table = base[_WORD_EMBEDDINGS].copy()
    trained = merged[prefix + _WORD_EMBEDDINGS]
    if trained.shape[0] != len(keep):
        raise ModelLoadError(
            f"fine-tuned table has {trained.shape[0]} rows but trim.json keeps {len(keep)}"
        )
    table[keep] = trained
    merged[prefix + _WORD_EMBEDDINGS] = table
    return merged


def export_shards(
    state: dict[str, Any], out_dir: Path, *, max_bytes: int = 15_000_000
) -> list[Path]:
    """Save a (torch or numpy) state dict as float16 safetensors shards of at most
    ``max_bytes`` each, so a fine-tuned model can travel through size-limited channels."""
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    shards: list[dict[str, np.ndarray]] = [{}]
    size = 0
    for name in sorted(state):
        value = state[name]
        array = value.detach().float().cpu().numpy() if hasattr(value, "detach") else value
        array = array.astype(np.float16) if array.dtype.kind == "f" else array
        if size + array.nbytes > max_bytes and shards[-1]:
            shards.append({})
            size = 0
        shards[-1][name] = np.ascontiguousarray(array)
        size += array.nbytes
    paths = []
    for index, shard in enumerate(shards, start=1):
        path = out_dir / f"shard-{index:02d}-of-{len(shards):02d}.safetensors"
        save_file(shard, str(path))
        paths.append(path)
    return paths


def load_shards(paths: Iterable[Path]) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    state: dict[str, np.ndarray] = {}
    for path in sorted(paths):
        state.update(load_file(str(path)))
    return state


def restore_full_model(
    run_dir: Path, trim_info: dict[str, Any], full_base: Path, out_dir: Path
) -> Path:
    """Turn a fine-tuning run exported as shards (``shard-*.safetensors`` + protoscan's
    ``config.json``) into a normal transformer model directory over the full vocabulary."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from protoscan.classify.transformer import ENCODER_DIR

    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    labels = config["labels"]
    shards = sorted(run_dir.glob("shard-*.safetensors"))
    if not shards:
        raise ModelLoadError(f"{run_dir}: no shard-*.safetensors files")
    merged = merge_trimmed(load_shards(shards), trim_info["keep"], full_base)
    model = AutoModelForSequenceClassification.from_pretrained(
        full_base,
        num_labels=len(labels),
        problem_type="multi_label_classification",
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        local_files_only=True,
    )
    model.load_state_dict({k: torch.from_numpy(v) for k, v in merged.items()}, strict=True)
    encoder = out_dir / ENCODER_DIR
    encoder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(encoder, safe_serialization=True)
    AutoTokenizer.from_pretrained(full_base, local_files_only=True).save_pretrained(encoder)
    config["hyperparameters"]["base_model"] = str(full_base)
    (out_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n")
    for name in ("metrics.json",):
        if (run_dir / name).exists():
            shutil.copyfile(run_dir / name, out_dir / name)
    return out_dir
