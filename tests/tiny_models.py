"""Tiny models built in the tests themselves: nothing is downloaded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch


def build_tiny_bert(path: Path, texts: list[str]) -> Path:
    """A randomly initialised 2-layer BERT and a WordPiece tokenizer over ``texts``' words.

    The vocabulary is built here rather than by the tokenizers trainer, whose choice among
    equally frequent merges changes from one process to the next (a different vocabulary, a
    differently trained tiny model, a test that passes or fails by chance)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words = Counter(
        word
        for text in texts
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
    )
    chars = sorted({char for word in words for char in word})
    frequent = sorted(words, key=lambda word: (-words[word], word))
    pieces = [*specials, *chars, *(f"##{char}" for char in chars)]
    pieces += [word for word in frequent if word not in pieces][: max(0, 400 - len(pieces))]
    tok = Tokenizer(
        models.WordPiece({piece: i for i, piece in enumerate(pieces)}, unk_token="[UNK]")
    )
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path, safe_serialization=True)
    fast.save_pretrained(path)
    return path
