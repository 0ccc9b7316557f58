"""A deterministic synthetic archive: long PDFs stitched from the document corpus.

Each archive document takes the header block and title of one corpus document (with a new,
unique diarienummer, so a scan never skips it as a duplicate) and then contiguous runs of
blocks (a heading with its paragraphs, say) drawn from random corpus documents until the
text is long enough for the target page count. Document ``i`` depends only on the seed and
``i``, so a quick run (``--docs 20``) reuses the first files of the full archive.

The archive lives in ``bench/archive/<key>/``; the key hashes the generator settings and the
corpus, so changing either builds a new archive and an unchanged one is reused.
"""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from protoscan.corpus.render import render_pdf, split_blocks

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "documents"
ARCHIVE_ROOT = REPO / "bench" / "archive"
#: Bump when the generator changes in a way the settings do not show.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class ArchiveSettings:
    """What determines the archive's content (hashed into its folder name)."""

    seed: int = 20240611
    min_pages: int = 6
    max_pages: int = 12
    #: Body words per rendered A4 page (calibrated on the renderer: 11 pt DejaVu, 25/20 mm).
    words_per_page: int = 330
    hyphenate: bool = True

    def key(self) -> str:
        corpus = hashlib.sha256()
        for path in [*sorted(CORPUS.glob("*.txt")), CORPUS / "manifest.jsonl"]:
            corpus.update(path.name.encode() + b"\0" + path.read_bytes())
        payload = json.dumps(
            {**asdict(self), "version": GENERATOR_VERSION, "corpus": corpus.hexdigest()},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class _Source:
    entry: dict
    header: str  # the first block (letterhead, date, dnr) and the title, as source text
    body: list[str]  # every later block, as source text


def _sources() -> list[_Source]:
    sources = []
    for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        blocks = [b.text for b in split_blocks((CORPUS / entry["file"]).read_text("utf-8"))]
        sources.append(_Source(entry, "\n\n".join(blocks[:2]), blocks[2:]))
    return sources


def _document(index: int, settings: ArchiveSettings, sources: list[_Source]) -> tuple[str, dict]:
    rng = np.random.default_rng([settings.seed, index])
    base = sources[int(rng.integers(len(sources)))]
    pages = int(rng.integers(settings.min_pages, settings.max_pages + 1))
    year = str(base.entry.get("decision_date") or "2020")[:4]
    dnr = f"{9000 + index}-{year}"
    header = re.sub(r"(?m)^(Dnr|Diarienummer)\b.*$", rf"\1 {dnr}", base.header)
    blocks = [header]
    words, target = 0, pages * settings.words_per_page
    while words < target:
        source = sources[int(rng.integers(len(sources)))]
        if not source.body:
            continue
        start = int(rng.integers(len(source.body)))
        run = source.body[start : start + int(rng.integers(3, 9))]
        blocks.extend(run)
        words += sum(len(block.split()) for block in run)
    entry = {**base.entry, "dnr": dnr, "doc_id": f"bench-{index:04d}", "target_pages": pages}
    return "\n\n".join(blocks), entry


def _render_one(args: tuple[int, ArchiveSettings, Path]) -> Path:
    from protoscan.corpus.render import _running_header

    index, settings, folder = args
    text, entry = _document(index, settings, _sources())
    target = folder / f"{entry['doc_id']}.pdf"
    tmp = target.with_suffix(".tmp.pdf")
    render_pdf(text, tmp, header=_running_header(entry), hyphenate=settings.hyphenate)
    tmp.replace(target)
    return target


def build_archive(
    n_docs: int, settings: ArchiveSettings | None = None, *, workers: int = 2
) -> tuple[Path, list[Path]]:
    """Make sure the first ``n_docs`` archive PDFs exist; return the folder and the files.

    Files already there (from an earlier run with the same settings) are reused.
    """
    settings = settings or ArchiveSettings()
    folder = ARCHIVE_ROOT / settings.key()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps(asdict(settings), indent=2) + "\n")
    paths = [folder / f"bench-{i:04d}.pdf" for i in range(n_docs)]
    missing = [i for i, path in enumerate(paths) if not path.is_file()]
    if missing:
        jobs = [(i, settings, folder) for i in missing]
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_render_one, jobs, chunksize=4))
        else:
            for job in jobs:
                _render_one(job)
    return folder, paths
