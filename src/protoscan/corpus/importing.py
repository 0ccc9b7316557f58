"""Merge newly labelled passages into the corpus with provenance.

Refuses unknown labels, exact and near-duplicates of passages already in the corpus, and
split leakage: a passage from a document already in the corpus joins that document's split;
a new document gets a split from a stable hash of its id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from protoscan.corpus.schema import CorpusPassage, load_passages, write_passages
from protoscan.corpus.validate import near_duplicate_pairs
from protoscan.errors import DataError

__all__ = ["ImportResult", "import_passages", "stable_split"]


def stable_split(doc_id: str) -> str:
    bucket = int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


@dataclass
class ImportResult:
    written: Path | None
    added: list[CorpusPassage] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)


def import_passages(
    incoming: list[CorpusPassage], corpus_dir: Path, source: str, *, dry_run: bool = False
) -> ImportResult:
    """Add ``incoming`` to ``corpus_dir/import-<source>.jsonl`` (atomic write).

    Raises:
        DataError: ``source`` is not a plain name.
    """
    if not source or not source.replace("-", "").replace("_", "").isalnum():
        raise DataError(f"--source must be a plain name (letters, digits, - and _); got {source!r}")
    existing = load_passages(corpus_dir) if any(corpus_dir.glob("*.jsonl")) else []
    target = corpus_dir / f"import-{source}.jsonl"
    result = ImportResult(written=None)
    known_ids = {p.id for p in existing}
    known_texts = {p.text.casefold() for p in existing}
    doc_split = {p.doc_id: p.split for p in existing if p.doc_id}
    near = {
        i
        for i, _, _ in near_duplicate_pairs([p.text for p in incoming], [p.text for p in existing])
    }
    seen: set[str] = set()
    for index, passage in enumerate(incoming):
        key = passage.text.casefold()
        if passage.id in known_ids:
            result.refused.append((passage.id, "id already in the corpus"))
        elif key in known_texts or key in seen:
            result.refused.append((passage.id, "duplicate text"))
        elif index in near:
            result.refused.append((passage.id, "near-duplicate of a corpus passage"))
        else:
            doc_id = passage.doc_id or f"{source}-{passage.id}"
            split = doc_split.setdefault(doc_id, stable_split(doc_id))
            result.added.append(replace(passage, doc_id=doc_id, split=split, source=source))
            seen.add(key)
    if result.added and not dry_run:
        previous = load_passages(target) if target.exists() else []
        write_passages([*previous, *result.added], target)
        result.written = target
    return result
