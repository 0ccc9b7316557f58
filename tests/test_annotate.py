"""``annotate suggest``: ranking strategies, exclusions, caps and the labelling exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from protoscan.cli import app
from protoscan.corpus.exchange import read_exchange
from protoscan.corpus.importing import import_passages
from protoscan.corpus.schema import CorpusPassage, load_passages, write_passages
from protoscan.errors import ConfigError
from protoscan.training.annotate import scan_thresholds, suggest_passages, write_suggestions

runner = CliRunner()
LABELS = ("child_perspective", "documentation")
CORPUS_TEXT = "Nämnden har inte dokumenterat samtalet med modern i akten trots att det var viktigt."

# (doc, text, child_perspective score, documentation score, section kind)
ROWS = [
    ("A", "Beslut", 0.49, 0.1, "preamble"),
    (
        "A",
        "Enligt 11 kap. 10 § SoL ska barnet ges möjlighet att framföra sina åsikter.",
        0.5,
        0.1,
        "law",
    ),
    (
        "A",
        "AA anser att socialtjänsten aldrig lyssnade på hennes dotter i ärendet.",
        0.5,
        0.1,
        "complaint",
    ),
    (
        "A",
        "Barnets inställning har inte klarlagts innan beslutet om placering fattades.",
        0.48,
        0.05,
        "assessment",
    ),
    (
        "A",
        "Handläggaren träffade flickan två gånger under utredningens första månad.",
        0.45,
        0.02,
        "assessment",
    ),
    (
        "A",
        "JO riktar kritik mot nämnden för att pojken inte fick komma till tals alls.",
        0.9,
        0.05,
        "assessment",
    ),
    (
        "B",
        "Nämnden har inte dokumenterat samtalet med modern i akten trots att det var viktigt!",
        0.05,
        0.515,
        "assessment",
    ),
    (
        "B",
        "Journalanteckningarna från hembesöket i oktober skrevs först tre månader senare.",
        0.02,
        0.41,
        "assessment",
    ),
    (
        "B",
        "Skyddsbedömningen den dagen har varken daterats eller signerats av någon handläggare.",
        0.1,
        0.3,
        "assessment",
    ),
    (
        "C",
        "Någon bedömning av barnets bästa framgår inte av det överklagade beslutet om umgänge.",
        0.53,
        0.2,
        "assessment",
    ),
    (
        "C",
        "Någon bedömning av barnets bästa framgår inte av det överklagade beslutet om umgänget.",
        0.46,
        0.2,
        "assessment",
    ),
    (
        "C",
        "Det finns inga anteckningar om vad som sades vid mötet med skolans kurator i maj.",
        0.2,
        0.75,
        "assessment",
    ),
]


def _records() -> list[dict]:
    records = []
    for index, (doc, text, cp, dok, kind) in enumerate(ROWS):
        scores = dict(zip(LABELS, (cp, dok), strict=True))
        records.append(
            {
                "record": "passage",
                "doc_id": f"doc{doc}",
                "source": f"archive/{doc}.pdf",
                "sha256": f"{doc * 8}",
                "authority": "JO" if doc != "C" else "IVO",
                "passage_id": f"doc{doc}:{index:04d}",
                "section": None,
                "section_kind": kind,
                "voice": "complainant" if kind == "complaint" else "supervisor",
                "page_numbers": [1],
                "start_char": index * 100,
                "end_char": index * 100 + len(text),
                "text": text,
                "labels": [label for label, s in scores.items() if s >= 0.5],
                "scores": scores,
            }
        )
    return records


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    path = tmp_path / "results.jsonl"
    documents = [{"record": "document", "doc_id": f"doc{d}", "sha256": d * 8} for d in "ABC"]
    lines = [*documents, *_records()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    manifest = {"model": {"dir": "nowhere", "labels": list(LABELS), "thresholds": [0.5, 0.5]}}
    (tmp_path / "results.jsonl.manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "passages"
    path.mkdir()
    write_passages(
        [
            CorpusPassage(
                id="c-1",
                text=CORPUS_TEXT,
                labels=("documentation",),
                voice="supervisor",
                evidence="explicit_finding",
                authority="JO",
                doc_id="old-doc",
                split="train",
            )
        ],
        path / "base.jsonl",
    )
    return path


def ids(report) -> list[str]:
    return [s.passage.id for s in report.suggestions]


def test_uncertainty_ranks_by_margin_and_skips_headings_law_and_complaints(
    results: Path,
) -> None:
    report = suggest_passages(results, n=20, strategy="uncertainty")
    # Margins: B6 .015, A3 .02, C9 .03 (C10 .04 is its near-duplicate), A4 .05, B7 .09 …
    assert ids(report) == [
        "docB:0006",
        "docA:0003",
        "docC:0009",
        "docA:0004",
        "docB:0007",
        "docB:0008",
        "docC:0011",
        "docA:0005",
    ]
    margins = [s.margin for s in report.suggestions]
    assert margins == sorted(margins)
    assert report.skipped["fewer than 5 words"] == 1
    assert report.skipped["law section"] == 1
    assert report.skipped["complaint section"] == 1
    assert report == suggest_passages(results, n=20, strategy="uncertainty")  # deterministic
    first = report.suggestions[1]
    assert first.margin == pytest.approx(0.02)
    assert first.passage.source == "suggest:uncertainty"
    assert first.passage.split is None and first.passage.evidence is None
    assert first.passage.voice == "supervisor" and first.passage.authority == "JO"


def test_near_duplicates_of_corpus_and_of_picks_are_left_out(results: Path, corpus: Path) -> None:
    report = suggest_passages(results, n=20, corpus=corpus)
    picked = ids(report)
    assert "docB:0006" not in picked  # near-duplicate of the corpus passage
    assert "docC:0009" in picked and "docC:0010" not in picked  # near-duplicates of each other
    assert report.skipped["near-duplicate of a corpus passage"] == 1
    assert report.skipped["near-duplicate of another pick"] == 1
    without = ids(suggest_passages(results, n=20))
    assert "docB:0006" in without


def test_passages_already_in_the_corpus_are_skipped(results: Path, tmp_path: Path) -> None:
    corpus = [CorpusPassage(id="docA:0003", text="En helt annan mening om något.", labels=())]
    report = suggest_passages(results, n=20, corpus=corpus)
    assert "docA:0003" not in ids(report)
    assert report.skipped["already in the corpus"] == 1


def test_per_document_cap(results: Path) -> None:
    report = suggest_passages(results, n=20, per_document=1)
    docs = [s.passage.doc_id for s in report.suggestions]
    assert sorted(docs) == ["docA", "docB", "docC"]
    assert report.skipped["per-document cap"] > 0
    assert len(suggest_passages(results, n=2).suggestions) == 2


def test_diverse_spreads_over_labels_and_documents(results: Path) -> None:
    report = suggest_passages(results, n=3, strategy="diverse")
    first = report.suggestions
    # One pick per bucket: child_perspective, documentation, (no label).
    assert [s.passage.labels for s in first] == [
        ("child_perspective",),
        ("documentation",),
        (),
    ]
    assert len({s.passage.doc_id for s in first}) == 3
    assert report == suggest_passages(results, n=3, strategy="diverse")


class _ModelB:
    """A stand-in second model: agrees everywhere except on two passages."""

    labels_ = ("documentation", "child_perspective", "delay")
    thresholds_ = np.array([0.5, 0.5, 0.5])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        by_text = {r["text"]: r["scores"] for r in _records()}
        rows = []
        for text in texts:
            cp, dok = by_text[text]["child_perspective"], by_text[text]["documentation"]
            if text.startswith("Handläggaren träffade"):
                cp = 0.95  # one label flipped, large distance
            if text.startswith("Det finns inga anteckningar"):
                cp, dok = 0.8, 0.1  # two labels flipped
            rows.append([dok, cp, 0.0])
        return np.array(rows)


def test_disagreement_ranks_by_flipped_decisions_then_distance(results: Path) -> None:
    report = suggest_passages(results, n=3, strategy="disagreement", model_b=_ModelB())
    assert ids(report)[:2] == ["docC:0011", "docA:0004"]
    assert [s.disagreement for s in report.suggestions[:3]] == [2, 1, 0]
    assert report.suggestions[1].score_distance == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="second model"):
        suggest_passages(results, strategy="disagreement")


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_exports_round_trip_through_corpus_import(
    results: Path, corpus: Path, tmp_path: Path, suffix: str
) -> None:
    report = suggest_passages(results, n=5, corpus=corpus)
    out = write_suggestions(report, tmp_path / f"batch{suffix}")
    back = read_exchange(out)
    assert back == [s.passage for s in report.suggestions]
    if suffix == ".json":
        tasks = json.loads(out.read_text())
        assert tasks[0]["data"]["suggestion"]["strategy"] == "uncertainty"
        assert (tmp_path / "batch.config.xml").is_file()
    else:
        task = json.loads(out.read_text().splitlines()[0])
        assert {o["id"] for o in task["options"]} >= set(LABELS)
    result = import_passages(back, corpus, "round1")
    assert [p.id for p in result.added] == ids(report)
    assert not result.refused
    merged = load_passages(corpus)
    assert len(merged) == 1 + len(report.suggestions)
    assert {p.source for p in merged if p.id != "c-1"} == {"round1"}
    assert {p.split for p in merged} <= {"train", "dev", "test"}


def test_write_refuses_other_suffixes(results: Path, tmp_path: Path) -> None:
    report = suggest_passages(results, n=1)
    with pytest.raises(ConfigError, match="Label Studio"):
        write_suggestions(report, tmp_path / "batch.csv")


def test_thresholds_need_a_manifest_or_a_model(tmp_path: Path, results: Path) -> None:
    labels, thresholds = scan_thresholds(results)
    assert labels == LABELS and thresholds.tolist() == [0.5, 0.5]
    lonely = tmp_path / "lonely.jsonl"
    lonely.write_text(results.read_text())
    with pytest.raises(ConfigError, match="--model"):
        suggest_passages(lonely, n=1)


def test_cli_suggest(results: Path, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "batch.jsonl"
    result = runner.invoke(
        app,
        [
            "annotate",
            "suggest",
            str(results),
            "--n",
            "3",
            "--out",
            str(out),
            "--corpus",
            str(corpus),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3
    assert "wrote 3 tasks" in result.stderr
    bad = runner.invoke(
        app, ["annotate", "suggest", str(results), "--strategy", "disagreement", "--out", str(out)]
    )
    assert bad.exit_code == 1
    assert "--model-b" in bad.stderr
