"""Start-up: how long a user waits for the first result, as ratios to ``protoscan --help``.

Every command runs as a fresh process (nothing imported or cached in memory), round-robin
with the others, best of several runs; the ratio of each round's pair of runs is kept
beside it, since a single lucky ``--help`` run moves the ratio of the bests. ``--help`` is
the floor: the interpreter, the CLI and its command table. The measures:

- ``classify`` of one sentence on stdin with the default model;
- ``screen`` of a one-page draft (``--json`` to a file) with the default model;
- the first document of a 2-worker ``scan``: a folder holding one one-page draft, so the
  scan's whole wall time is the time to its first (only) result, worker start-up included.

protoscan's modules are byte-compiled first: where ``PYTHONDONTWRITEBYTECODE`` is set, every
command would otherwise compile them at every start, and the ratios would measure that.
"""

from __future__ import annotations

import compileall
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import protoscan
from bench.measure import interleaved, ratios_by_round

REPO = Path(__file__).resolve().parents[1]
DRAFT = REPO / "tests" / "drafts" / "clean-01-forhandsbedomning-inleds.txt"
SENTENCE = '{"id": "1", "text": "Nämnden har inte talat med barnet före beslutet."}\n'
#: Goals (ratio to --help), from the model issue.
GOALS = {"classify": 3.0, "screen": 5.0, "scan_first_document": 3.0}


def _protoscan() -> str:
    found = Path(sys.executable).with_name("protoscan")
    return str(found) if found.exists() else shutil.which("protoscan") or "protoscan"


def measure_startup(model: Path, repeats: int = 5) -> dict[str, Any]:
    exe = _protoscan()
    work = Path(tempfile.mkdtemp(prefix="protoscan-startup-"))
    folder = work / "archive"
    folder.mkdir()
    shutil.copyfile(DRAFT, folder / DRAFT.name)
    counter = iter(range(10**6))

    def run(args: list[str], stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> None:
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, cwd=REPO)
        if done.returncode not in ok:
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-300:]}")

    calls = {
        "help": lambda: run([exe, "--help"]),
        "classify": lambda: run([exe, "classify", "-", "--model", str(model)], SENTENCE),
        "screen": lambda: run(
            [exe, "screen", str(DRAFT), "--model", str(model), "--json"], ok=(0, 3)
        ),
        "scan_first_document": lambda: run(
            [
                exe,
                "scan",
                str(folder),
                "--workers",
                "2",
                "--model",
                str(model),
                "--out",
                str(work / f"scan-{next(counter)}.jsonl"),
            ]
        ),
    }
    compileall.compile_dir(Path(protoscan.__file__).parent, quiet=1)
    try:
        run([exe, "classify", "-", "--model", str(model)], SENTENCE)  # warm the file cache
        series, _ = interleaved(calls, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    help_s = series["help"].best_wall
    return {
        "model": str(model),
        "repeats": repeats,
        "seconds": {name: round(s.best_wall, 3) for name, s in series.items()},
        "ratios": {name: round(series[name].best_wall / help_s, 2) for name in GOALS},
        "ratios_by_round": {name: ratios_by_round(series[name], series["help"]) for name in GOALS},
        "goals": GOALS,
        "runs": {name: s.to_dict() for name, s in series.items()},
    }
