"""Extra copies of some files' train rows, so that their base rate weighs more in training.

Most corpus files were written to teach one kind of sentence, so findings are far more common
in the training mix than in the whole documents ``scan`` tags. A recipe's ``train_copies``
(a table: corpus file or glob → how many times its train rows are seen per epoch) appends the
extra copies after the corpus, with their ids suffixed; dev and test rows are never copied,
so tuning and evaluation are untouched.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from protoscan.corpus.schema import CorpusPassage, load_passages
from protoscan.errors import ConfigError

__all__ = ["match_files", "parse_train_copies", "with_copies"]


def match_files(patterns: Sequence[str], key: str) -> list[Path]:
    """The files ``patterns`` name (paths or globs, relative ones to the current directory).

    Raises:
        ConfigError: A pattern matches no file (``key`` names the recipe key in the message).
    """
    files: list[Path] = []
    for pattern in patterns:
        matched = [Path(name) for name in sorted(glob.glob(pattern))]
        if not matched:
            raise ConfigError(f"{key}: {pattern!r} matches no file")
        files.extend(matched)
    return files


def parse_train_copies(value: Any, source: Path) -> dict[str, int]:
    """Check a recipe's ``train_copies`` table: non-empty patterns, whole numbers ≥ 1."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, int) and not isinstance(v, bool) and v >= 1
        for k, v in value.items()
    ):
        raise ConfigError(
            f"{source}: `train_copies` must map file patterns to whole numbers ≥ 1, "
            'e.g. {"corpora/sentences/s*.jsonl" = 2}'
        )
    return dict(value)


def with_copies(
    train: list[CorpusPassage], copies: Mapping[str, int]
) -> tuple[list[CorpusPassage], int]:
    """``train`` with each pattern's rows appended ``copies - 1`` more times, and how many
    rows were added. Rows are matched by id against the files' train rows, so only rows that
    are in ``train`` are copied.

    Raises:
        ConfigError: A pattern matches no file, or its files hold no train row.
    """
    extended = list(train)
    for pattern, times in copies.items():
        ids = {p.id for p in load_passages(match_files([pattern], "train_copies"), split="train")}
        rows = [p for p in train if p.id in ids]
        if not rows:
            raise ConfigError(f"train_copies: no train rows in {pattern!r}")
        for copy in range(1, times):
            extended.extend(replace(p, id=f"{p.id}-copy{copy}") for p in rows)
    return extended, len(extended) - len(train)
