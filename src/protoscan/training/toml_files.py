"""Reading the TOML files a trainer writes (recipes, the rule for replacing the default)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from protoscan.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["read_toml"]


def read_toml(path: Path, missing: str) -> dict[str, Any]:
    """The table in ``path``.

    Args:
        path: The file.
        missing: What the error says after the path when the file does not exist.

    Raises:
        ConfigError: The file is missing or not valid TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {missing}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
