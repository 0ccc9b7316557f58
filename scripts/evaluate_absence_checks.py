"""Precision and recall of each absence check on the document corpus's municipal drafts.

Compares ``protoscan.screen.checks.run_checks`` with ``expected_absence`` in
``corpora/documents/manifest.jsonl``. By default the sources are read as text; ``--rendered``
first renders each document to the format its manifest entry names (pdf/docx/txt), so the
numbers include ingestion. Documents that are not municipal drafts (JO, IVO, lex Sarah) are
checked too: any failed check there is a false positive.

    .venv/bin/python scripts/evaluate_absence_checks.py [--rendered] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from protoscan.pipeline import read_document
from protoscan.screen.checks import CHECK_IDS, run_checks

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ROOT / "corpora" / "documents"
NOT_DRAFTS = ("lex_sarah",)


def _is_draft(entry: dict) -> bool:
    return entry["authority"] == "municipality" and not entry["doc_type"].startswith(NOT_DRAFTS)


def _path(entry: dict, rendered: bool, out: Path) -> Path:
    source = DOCUMENTS / entry["file"]
    fmt = entry.get("render", "txt")
    if not rendered or fmt == "txt":
        return source
    from protoscan.corpus.render import render_docx, render_pdf

    render = render_pdf if fmt == "pdf" else render_docx
    return render(source.read_text("utf-8"), out / f"{entry['doc_id']}.{fmt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", action="store_true", help="Read the rendered PDF/DOCX.")
    parser.add_argument("--verbose", action="store_true", help="Show every disagreement.")
    args = parser.parse_args()
    entries = [json.loads(line) for line in (DOCUMENTS / "manifest.jsonl").open(encoding="utf-8")]
    tally = {check: Counter() for check in CHECK_IDS}
    other_failures: list[tuple[str, str]] = []
    disagreements: list[str] = []
    drafts = 0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in entries:
            results = run_checks(read_document(_path(entry, args.rendered, Path(tmp))))
            failed = {r.id for r in results if r.failed}
            if not _is_draft(entry):
                other_failures += [(entry["doc_id"], check) for check in sorted(failed)]
                continue
            drafts += 1
            expected = set(entry.get("expected_absence", []))
            for result in results:
                gold, got = result.id in expected, result.id in failed
                key = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get(
                    (gold, got), "tn"
                )
                tally[result.id][key] += 1
                if key in ("fp", "fn"):
                    disagreements.append(
                        f"{entry['doc_id']} {result.id}: {key} ({result.status}) {result.summary}"
                    )
    print(f"{drafts} municipal drafts ({'rendered' if args.rendered else 'source text'})")
    print(f"{'check':32} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} {'precision':>9} {'recall':>6}")
    total = Counter()
    for check in CHECK_IDS:
        c = tally[check]
        total.update(c)
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        print(
            f"{check:32} {c['tp']:3} {c['fp']:3} {c['fn']:3} {c['tn']:3} "
            f"{precision:9.2f} {recall:6.2f}"
        )
    p = total["tp"] / (total["tp"] + total["fp"]) if total["tp"] + total["fp"] else float("nan")
    r = total["tp"] / (total["tp"] + total["fn"]) if total["tp"] + total["fn"] else float("nan")
    print(
        f"{'all (micro)':32} {total['tp']:3} {total['fp']:3} {total['fn']:3} {total['tn']:3} "
        f"{p:9.2f} {r:6.2f}"
    )
    print(f"failed checks on JO/IVO/lex Sarah documents: {len(other_failures)} {other_failures}")
    if args.verbose or disagreements:
        print("\n".join(disagreements))


if __name__ == "__main__":
    main()
