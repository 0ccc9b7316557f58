"""The stance-tagged sentence corpus: schema and stance rules, per-group splits, near-duplicates
across groups only, statistics, and the stance-aware linear model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passage_samples import criticism_and_rule_rows
from protoscan.classify.linear import LinearClassifier
from protoscan.classify.stance import label_and_stance_logits_to_proba, stance_targets
from protoscan.cli import app
from protoscan.corpus.schema import POSITIVE_STANCES, STANCES, CorpusPassage, load_passages
from protoscan.corpus.split import assign_splits
from protoscan.corpus.stats import corpus_stats
from protoscan.corpus.validate import drop_near_duplicates, validate_corpus

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def sentence(**overrides: object) -> dict:
    row = {
        "id": "s-1",
        "text": "JO kritiserar nämnden för att flickan aldrig fick träffa sin handläggare.",
        "labels": ["child_perspective"],
        "stance": "finding",
        "voice": "supervisor",
        "authority": "JO",
        "genre": "decision",
        "group": "g-1",
        "split": "train",
    }
    row.update(overrides)
    return row


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_sentence_rows_round_trip_with_their_own_keys(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [sentence()])
    (row,) = load_passages(path)
    assert row.is_sentence and row.unit == "g-1" and row.stance_or_evidence == "finding"
    assert list(row.to_dict()) == list(sentence())


def test_validate_enforces_the_stance_label_rule(tmp_path: Path) -> None:
    rows = [
        sentence(),
        sentence(id="s-2", text="Enligt 36 § LVU ska barnet få information.", stance="rule"),
        sentence(id="s-3", text="Bristande uppföljning", labels=[], stance="heading"),
        sentence(id="s-4", text="Dnr 12-2024", labels=[], stance="neutral_fact", genre="memo"),
        sentence(id="s-5", text="En rad till.", labels=[], stance="neutral_fact", section="x"),
    ]
    report = validate_corpus(write_jsonl(tmp_path / "s.jsonl", rows))
    errors = "\n".join(report.errors)
    assert "s.jsonl:2: stance 'rule' must have no labels" in errors
    assert "s.jsonl:3: stance 'heading' needs at least one label" in errors
    assert "genre='memo'" in errors
    assert "s.jsonl:5: unexpected key(s) ['section']" in errors
    assert "s.jsonl:1" not in errors


def test_near_duplicates_count_across_groups_only(tmp_path: Path) -> None:
    text = "Nämnden fattade beslutet först efter sju månader utan något förlängningsbeslut."
    rows = [
        sentence(id="a", text=text, labels=["delay"], group="g-1"),
        sentence(id="b", text=text.replace("sju", "sex"), labels=["delay"], group="g-1"),
        sentence(id="c", text=text.replace("sju", "åtta"), labels=["delay"], group="g-2"),
    ]
    path = write_jsonl(tmp_path / "s.jsonl", rows)
    report = validate_corpus(path)
    assert report.ok
    assert {(a, b) for a, b, _ in report.near_duplicates} == {("a", "c"), ("b", "c")}
    kept, removed = drop_near_duplicates(load_passages(path))
    assert [p.id for p in kept] == ["a", "b"]
    assert [dropped for _, dropped, _ in removed] == ["c"]


def test_structural_lines_may_recur_across_documents_but_findings_may_not(
    tmp_path: Path,
) -> None:
    heading = {"labels": [], "stance": "neutral_fact"}
    finding = "JO kritiserar nämnden för att beslutet saknar motivering."
    rows = [
        sentence(id="a", text="Bedömning", group="g-1", split="train", **heading),
        sentence(id="b", text="Bedömning", group="g-2", split="test", **heading),
        sentence(id="c", text="Ärendet avslutas.", group="g-1", split="train", **heading),
        sentence(id="d", text="Ärendet avslutas.", group="g-2", split="test", **heading),
        sentence(id="e", text=finding, labels=["reasoning"], group="g-3"),
        sentence(id="f", text=finding, labels=["reasoning"], group="g-4"),
    ]
    report = validate_corpus(write_jsonl(tmp_path / "s.jsonl", rows))
    assert report.errors == ["duplicate text in e and f"]
    assert {(a, b) for a, b, _ in report.near_duplicates} == {("e", "f")}
    # A longer label-free sentence repeated across splits is still leakage.
    claim = "Modern anser att socialtjänsten inte lyssnade på hennes son."
    rows = [
        sentence(id="g", text=claim, labels=[], stance="allegation", group="g-1"),
        sentence(id="h", text=claim, labels=[], stance="allegation", group="g-2", split="test"),
    ]
    errors = validate_corpus(write_jsonl(tmp_path / "t.jsonl", rows)).errors
    assert "duplicate text in g and h" in errors
    leak = "split leakage: near-duplicates g (train) and h (test)"
    assert any(e.startswith(leak) for e in errors)
    # A short line that is a labelled heading in one document may not recur label-free.
    rows = [
        sentence(
            id="i", text="Bristande dokumentation", labels=["documentation"], stance="heading"
        ),
        sentence(id="j", text="Bristande dokumentation", group="g-2", **heading),
    ]
    errors = validate_corpus(write_jsonl(tmp_path / "u.jsonl", rows)).errors
    assert "duplicate text in i and j" in errors


def test_split_keeps_each_group_together() -> None:
    rows = [
        CorpusPassage(
            id=f"{g}-{i}",
            text=f"Mening {g} {i}.",
            labels=("delay",) if i == 0 else (),
            stance="finding" if i == 0 else "rule",
            group=f"g{g}",
        )
        for g in range(40)
        for i in range(3)
    ]
    assigned = assign_splits(rows, seed=1, attempts=50, min_test_share=0.1)
    by_group: dict[str, set[str]] = {}
    for row in assigned:
        by_group.setdefault(row.group, set()).add(row.split)
    assert all(len(splits) == 1 for splits in by_group.values())
    assert {s for splits in by_group.values() for s in splits} == {"train", "dev", "test"}


def test_stats_count_stances_and_genres(tmp_path: Path) -> None:
    rows = [
        sentence(),
        sentence(id="s-2", text="Enligt LVU ska barnet höras.", labels=[], stance="rule"),
        sentence(
            id="s-3",
            text="Mamman säger att ingen lyssnade.",
            labels=[],
            stance="allegation",
            genre="news",
            authority="news",
            voice="complainant",
            group="g-2",
        ),
    ]
    stats = corpus_stats(load_passages(write_jsonl(tmp_path / "s.jsonl", rows)))
    assert stats["stances"] == {"finding": 1, "rule": 1, "allegation": 1}
    assert stats["genres"] == {"decision": 2, "news": 1}
    assert stats["groups"] == 2
    assert stats["labels_by_stance"]["finding"] == {"child_perspective": 1}
    assert stats["labels_by_stance"]["rule"] == {"(none)": 1}


def test_cli_reads_both_corpora_by_default() -> None:
    result = runner.invoke(app, ["corpus", "stats", "--json"], catch_exceptions=False)
    if not (REPO / "corpora" / "sentences").is_dir():
        pytest.skip("no sentence corpus in this checkout")
    stats = json.loads(result.stdout)
    assert stats["groups"] > 0 and stats["documents"] > 0


def test_stance_targets_follow_stance_then_evidence() -> None:
    rows = [
        CorpusPassage(id="1", text="a", labels=("delay",), stance="heading"),
        CorpusPassage(id="2", text="b", labels=(), evidence="alleged"),
        CorpusPassage(id="3", text="c", labels=("delay",), evidence="factual"),
        CorpusPassage(id="4", text="d", labels=(), voice="law", evidence="none"),
        CorpusPassage(id="5", text="e", labels=(), evidence="none"),
        CorpusPassage(id="6", text="f", labels=("delay",), evidence="none"),
    ]
    names = [STANCES[i] for i in stance_targets(rows)]
    assert names == [
        "heading",
        "allegation",
        "fact_showing_breach",
        "rule",
        "neutral_fact",
        "finding",
    ]


def test_stance_product_is_bounded_by_the_finding_probability() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20, 7 + len(STANCES))) * 3
    probs = label_and_stance_logits_to_proba(logits, 7)
    stance = np.exp(logits[:, 7:]) / np.exp(logits[:, 7:]).sum(axis=1, keepdims=True)
    positive = [STANCES.index(s) for s in POSITIVE_STANCES]
    p_finding = stance[:, positive].sum(axis=1)
    np.testing.assert_allclose(probs.max(axis=1) <= p_finding + 1e-6, True)
    np.testing.assert_allclose(
        probs, 1 / (1 + np.exp(-logits[:, :7])) * p_finding[:, None], rtol=1e-5
    )


def test_linear_stance_head_separates_findings_from_rules_on_the_same_topic(
    tmp_path: Path,
) -> None:
    rows = criticism_and_rule_rows(
        {
            ("child_perspective",): ("barnets inställning", "samtal med barnet", "barnets åsikter"),
            ("delay",): ("fjorton dagar", "fyra månader", "handläggningstiden"),
        }
    )
    model = LinearClassifier(labels=("child_perspective", "delay"), stance_head=True, min_df=1).fit(
        rows
    )
    probe = [
        "Nämnden i Vara brast i fråga om barnets inställning.",
        "Enligt lagen ska barnets inställning beaktas.",
    ]
    probs = model.predict_proba(probe)
    assert probs[0, 0] > 0.5 > probs[1, 0] and probs[0, 0] > probs[0, 1]
    stance = model.stance_proba(probe)
    assert STANCES[int(stance[0].argmax())] == "finding"
    assert STANCES[int(stance[1].argmax())] == "rule"
    model.save(tmp_path / "m")
    from protoscan.classify.model_dir import load_classifier

    np.testing.assert_allclose(
        load_classifier(tmp_path / "m").predict_proba(probe), probs, atol=1e-6
    )
