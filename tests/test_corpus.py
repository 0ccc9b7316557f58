from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passage_samples import sample_passages
from protoscan.cli import app
from protoscan.corpus.exchange import (
    read_label_studio,
    read_prodigy,
    write_label_studio,
    write_prodigy,
)
from protoscan.corpus.importing import import_passages
from protoscan.corpus.schema import CorpusPassage, load_passages, write_passages
from protoscan.corpus.split import assign_splits
from protoscan.corpus.stats import corpus_stats
from protoscan.corpus.validate import near_duplicate_pairs, validate_corpus
from protoscan.errors import DataError

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def full_record(**overrides: object) -> dict:
    record = {
        "id": "x-1-1",
        "text": "Nämnden har inte talat med barnet.",
        "labels": ["child_perspective"],
        "voice": "supervisor",
        "evidence": "explicit_finding",
        "authority": "JO",
        "doc_id": "x-1",
        "section": "JO:s bedömning",
        "split": "train",
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_load_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(full_record()) + "\n{not json}\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:2"):
        load_passages(path)
    write_jsonl(path, [full_record(labels=["no_such_label"])])
    with pytest.raises(DataError, match=r"bad\.jsonl:1: unknown label"):
        load_passages(path)


def test_ambiguous_rows_are_skipped_by_default(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "dev.jsonl",
        [
            {"id": "a", "text": "Ett\nbrutet   stycke.", "labels": []},
            {"id": "b", "text": "Oklart.", "labels": [], "ambiguous": True},
        ],
    )
    passages = load_passages(path)
    assert [p.id for p in passages] == ["a"]
    assert passages[0].text == "Ett brutet stycke."
    assert len(load_passages(path, include_ambiguous=True)) == 2


def test_validate_finds_schema_errors_duplicates_and_leakage(tmp_path: Path) -> None:
    records = [
        full_record(),
        full_record(id="x-1-2", voice="narrator"),
        full_record(id="x-1-3", labels=["delay"], evidence="alleged"),
        full_record(
            id="x-2-1",
            doc_id="x-2",
            split="test",
            text="Socialnämnden i Gnesta kommun har inte talat med barnet alls.",
        ),
        full_record(
            id="x-3-1",
            doc_id="x-3",
            split="train",
            text="Socialnämnden i Gnesta kommun har inte talat med barnet alls!",
        ),
        full_record(id="x-1-4", doc_id="x-1", split="dev", text="Ett annat stycke om akten."),
    ]
    write_jsonl(tmp_path / "a.jsonl", records)
    report = validate_corpus(tmp_path)
    assert any("voice='narrator'" in e for e in report.errors)
    assert any("allegation" in e for e in report.errors)
    # Fix the schema errors: then duplicates and leakage are checked.
    records[1]["voice"] = "supervisor"
    records[2]["evidence"] = "factual"
    records[2]["text"] = records[0]["text"]
    write_jsonl(tmp_path / "a.jsonl", records)
    report = validate_corpus(tmp_path)
    assert any("duplicate text" in e for e in report.errors)
    assert any("document x-1 is in" in e for e in report.errors)
    assert any("near-duplicates x-2-1 (test) and x-3-1 (train)" in e for e in report.errors)


def test_near_duplicates_ignore_different_sentences() -> None:
    texts = [
        "Utredningen pågick i sju månader utan beslut om förlängning.",
        "Utredningen pågick i sju månader utan beslut om förlängning!",
        "Barnet har inte fått komma till tals i ärendet.",
    ]
    assert [(i, j) for i, j, _ in near_duplicate_pairs(texts)] == [(0, 1)]


def _brute_force_pairs(
    texts: list[str], others: list[str] | None, threshold: float
) -> list[tuple[int, int]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)
    matrix = vectorizer.fit_transform(texts + (others or []))
    left, right = matrix[: len(texts)], matrix[len(texts) :] if others else matrix
    sims = (left @ right.T).toarray()
    return [
        (i, j)
        for i in range(sims.shape[0])
        for j in range(sims.shape[1])
        if sims[i, j] >= threshold and (others or i < j)
    ]


@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.9])
def test_near_duplicate_pairs_match_all_pairs_cosine(threshold: float) -> None:
    """Pruning by common n-grams finds exactly the pairs a full comparison finds, within one
    list and between two; short lines of common n-grams only (headings) included."""
    base = [p.text for p in sample_passages()]
    texts = [
        *base,
        *(t.replace("barnet", "flickan") for t in base),
        *(t.rstrip(".") + "!" for t in base[:10]),
        *("Beslut", "Bedömning", "Beslut.", "Ärendet avslutas.", "Ärendet avslutas"),
    ]
    within = near_duplicate_pairs(texts, threshold=threshold)
    assert [(i, j) for i, j, _ in within] == _brute_force_pairs(texts, None, threshold)
    between = near_duplicate_pairs(texts[:30], texts[30:], threshold=threshold)
    assert [(i, j) for i, j, _ in between] == _brute_force_pairs(texts[:30], texts[30:], threshold)


def test_near_duplicate_threshold_is_inclusive() -> None:
    texts = ["Beslutet fattades den 3 maj 2010.", "Beslutet fattades den 4 maj 2010."]
    [(i, j, similarity)] = near_duplicate_pairs(texts, threshold=0.5)
    assert (i, j) == (0, 1)
    assert near_duplicate_pairs(texts, threshold=similarity - 1e-9) == [
        (0, 1, pytest.approx(similarity))
    ]
    assert near_duplicate_pairs(texts, threshold=similarity + 1e-9) == []


def test_splits_keep_documents_whole_and_labels_in_test() -> None:
    passages = []
    for doc in range(40):
        for n, sample in enumerate(sample_passages()[doc % 20 : doc % 20 + 3]):
            passages.append(
                replace(
                    sample,
                    id=f"d{doc}-{n}",
                    doc_id=f"d{doc}",
                    split=None,
                    text=f"{sample.text} ({doc})",
                )
            )
    assigned = assign_splits(passages, min_test_share=0.1)
    by_doc: dict[str, set[str]] = {}
    for p in assigned:
        by_doc.setdefault(p.doc_id, set()).add(p.split)
    assert all(len(splits) == 1 for splits in by_doc.values())
    stats = corpus_stats(assigned)
    assert all(
        share >= 0.1 for label, share in stats["test_share"].items() if stats["labels"][label]
    )


def test_exchange_formats_round_trip(tmp_path: Path) -> None:
    passages = [
        replace(p, voice="supervisor", authority="IVO", section="IVO:s bedömning")
        for p in sample_passages()
    ]
    write_label_studio(passages, tmp_path / "tasks.json")
    assert read_label_studio(tmp_path / "tasks.json") == passages
    assert "child_perspective" in (tmp_path / "tasks.config.xml").read_text()
    write_prodigy(passages, tmp_path / "tasks.jsonl")
    assert read_prodigy(tmp_path / "tasks.jsonl") == passages


def test_label_studio_annotation_overrides_prediction(tmp_path: Path) -> None:
    passages = sample_passages()[:1]
    write_label_studio(passages, tmp_path / "t.json")
    tasks = json.loads((tmp_path / "t.json").read_text())
    tasks[0]["annotations"] = [
        {
            "result": [
                {
                    "type": "choices",
                    "from_name": "labels",
                    "to_name": "text",
                    "value": {"choices": ["delay"]},
                }
            ]
        }
    ]
    (tmp_path / "t.json").write_text(json.dumps(tasks))
    assert read_label_studio(tmp_path / "t.json")[0].labels == ("delay",)


def test_import_refuses_duplicates_and_keeps_documents_in_their_split(tmp_path: Path) -> None:
    corpus = tmp_path / "passages"
    corpus.mkdir()
    existing = [replace(p, split="test") for p in sample_passages()]
    write_passages(existing, corpus / "base.jsonl")
    incoming = [
        CorpusPassage(
            id="new-1",
            text="Barnet fick aldrig träffa sin handläggare under våren.",
            labels=("child_perspective",),
            doc_id=existing[0].doc_id,
        ),
        CorpusPassage(id="new-2", text=existing[1].text, labels=()),
        CorpusPassage(id="new-3", text=existing[2].text + "!", labels=()),
        CorpusPassage(
            id="new-4",
            text="Helt ny mening om ett omedelbart omhändertagande.",
            labels=(),
            doc_id="fresh-doc",
        ),
    ]
    result = import_passages(incoming, corpus, "round1")
    assert [p.id for p in result.added] == ["new-1", "new-4"]
    assert dict(result.refused) == {
        "new-2": "duplicate text",
        "new-3": "near-duplicate of a corpus passage",
    }
    assert result.added[0].split == "test"
    assert {p.source for p in result.added} == {"round1"}
    assert len(load_passages(corpus)) == len(existing) + 2
    with pytest.raises(DataError, match="plain name"):
        import_passages(incoming, corpus, "../evil")


def test_cli_validate_and_stats(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "a.jsonl",
        [full_record(), full_record(id="x-1-2", text="Annat.", labels=[], evidence="none")],
    )
    result = runner.invoke(app, ["corpus", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["corpus", "stats", str(tmp_path), "--json"])
    assert json.loads(result.stdout)["labels"]["child_perspective"] == 1
    write_jsonl(tmp_path / "b.jsonl", [full_record(id="x-1-3", labels=["nope"])])
    assert runner.invoke(app, ["corpus", "validate", str(tmp_path)]).exit_code == 1


def test_cli_validate_shows_bracketed_text_as_text(tmp_path: Path) -> None:
    # A label written as console markup must reach the user verbatim, not be eaten as style.
    write_jsonl(tmp_path / "a.jsonl", [full_record(id="x-1-3", labels=["[bold]nope[/bold]"])])
    result = runner.invoke(app, ["corpus", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "[bold]nope[/bold]" in " ".join(result.stderr.split())


def held_out_case(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus and a held-out set: one corpus row repeats a held-out row, one near-duplicates
    another, and two boilerplate headings repeat (allowed)."""
    finding = "Nämnden har inte talat med flickan innan utredningen avslutades i mars."
    visit = "Akten saknar helt anteckningar om det hembesök som gjordes hos familjen den 4 maj"
    corpus = tmp_path / "corpora" / "passages"
    held = tmp_path / "corpora" / "held_out"
    corpus.mkdir(parents=True)
    held.mkdir()
    write_jsonl(
        corpus / "a.jsonl",
        [
            full_record(id="a-1-1", doc_id="a-1", text=finding),
            full_record(id="a-1-2", doc_id="a-1", text="Bedömning", labels=[], evidence="none"),
            full_record(id="a-2-1", doc_id="a-2", text=f"{visit} 2021."),
            full_record(id="a-3-1", doc_id="a-3", text="Ett helt annat stycke om umgänget."),
        ],
    )
    write_jsonl(
        held / "h.jsonl",
        [
            full_record(id="h-1-1", doc_id="h-1", text=finding.upper()),
            full_record(id="h-1-2", doc_id="h-1", text="Bedömning", labels=[], evidence="none"),
            full_record(id="h-2-1", doc_id="h-2", text=f"{visit} 2022."),
        ],
    )
    return corpus, held


def test_validate_finds_rows_that_leak_into_a_held_out_set(tmp_path: Path) -> None:
    corpus, held = held_out_case(tmp_path)
    assert validate_corpus(corpus).ok  # without the held-out set nothing is wrong
    report = validate_corpus(corpus, held_out=held)
    assert report.n == 4  # held-out rows are checked, not counted
    repeat, near = sorted(report.errors)
    assert repeat == "held-out leak: a-1-1 repeats the text of h-1-1"
    prefix = "held-out leak: near-duplicates a-2-1 and h-2-1 (held out), similarity "
    assert near.startswith(prefix)
    assert float(near.removeprefix(prefix)) >= 0.9
    # A file under both is validated as corpus, not compared with itself.
    assert validate_corpus([corpus, held], held_out=held).errors == [
        "duplicate text in a-1-1 and h-1-1"
    ]
    write_jsonl(held / "bad.jsonl", [full_record(id="h-9-1", doc_id="h-9", labels=["nope"])])
    assert any("bad.jsonl:1" in e for e in validate_corpus(corpus, held_out=held).errors)


def test_cli_validate_checks_corpora_held_out_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held_out_case(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["corpus", "validate"])
    assert result.exit_code == 1
    assert "held-out leak: a-1-1 repeats the text of h-1-1" in result.stderr
    assert runner.invoke(app, ["corpus", "validate", "--no-held-out"]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    write_jsonl(other / "o.jsonl", [full_record(id="o-1-1", doc_id="o-1", text="Annat.")])
    assert runner.invoke(app, ["corpus", "validate", "--held-out", str(other)]).exit_code == 0
    result = runner.invoke(app, ["corpus", "validate", "--held-out", "missing"])
    assert result.exit_code == 1
    assert "no such data file" in result.stderr


@pytest.mark.skipif(not (REPO / "corpora" / "passages").is_dir(), reason="no corpus")
def test_shipped_corpus_is_valid_and_meets_its_coverage() -> None:
    report = validate_corpus(REPO / "corpora" / "passages")
    assert report.ok, report.errors[:5]
    passages = load_passages(REPO / "corpora" / "passages")
    stats = corpus_stats(passages)
    assert stats["passages"] >= 2500
    assert stats["negative_share"] >= 0.40
    assert not stats["below_minimum"], stats["below_minimum"]
    assert all(share >= 0.15 for share in stats["test_share"].values()), stats["test_share"]
    assert Counter(p.split for p in passages).keys() == {"train", "dev", "test"}


@pytest.mark.skipif(not (REPO / "corpora" / "held_out").is_dir(), reason="no held-out set")
def test_held_out_documents_stay_out_of_training() -> None:
    """The held-out written documents are valid, no training row repeats or near-duplicates
    one of them, and no training recipe reads them."""
    import tomllib

    held_out = REPO / "corpora" / "held_out"
    report = validate_corpus(held_out)
    assert report.ok, report.errors[:5]
    training = [REPO / "corpora" / name for name in ("passages", "sentences")]
    leaks = [e for e in validate_corpus(training, held_out=held_out).errors if "held-out" in e]
    assert leaks == []
    for recipe in (REPO / "training").glob("*.toml"):
        data = tomllib.loads(recipe.read_text(encoding="utf-8")).get("data", [])
        assert not any("held_out" in str(path) for path in data), recipe.name
