from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from protoscan.cli import app
from protoscan.corpus.cues import phrase_cues
from protoscan.corpus.schema import CorpusPassage, write_passages


def _rows() -> list[CorpusPassage]:
    findings = [
        "Nämnden brast i sin utredning av pojkens situation.",
        "Handläggningen brast när flickan inte hördes.",
        "Socialtjänsten brast i dokumentationen av samtalen.",
        "Nämnden brast också i kommuniceringen med mamman.",
    ]
    label_free = [
        "Av journalen framgår att mötet hölls i maj.",
        "Av utredningen framgår att barnet hördes två gånger.",
        "Det framgår av akten att beslutet skickades.",
        "Av anmälan framgår att skolan var orolig.",
        "Nämnden tog emot anmälan i juni.",
    ]
    rows = [
        CorpusPassage(f"f{i}", t, ("documentation",), stance="finding", group=f"g{i}")
        for i, t in enumerate(findings)
    ]
    rows += [
        CorpusPassage(f"n{i}", t, (), stance="neutral_fact", group=f"h{i}")
        for i, t in enumerate(label_free)
    ]
    return rows


def test_phrases_that_mark_one_side_come_first_at_their_end() -> None:
    cues = phrase_cues(_rows(), min_rows=3, top=3)
    assert cues.rows == 9
    assert abs(cues.finding_share - 4 / 9) < 1e-9
    assert (cues.findings[0].phrase, cues.findings[0].rows) == ("brast", 4)
    assert cues.findings[0].finding_share == 1.0
    assert cues.label_free[0].finding_share == 0.0
    assert ("framgår", 4, 0.0) in {(c.phrase, c.rows, c.finding_share) for c in cues.label_free}
    # "nämnden" is in two findings and one label-free row: after "brast", before the zeros.
    assert cues.findings[1].phrase == "nämnden"
    assert "nämnden" not in {c.phrase for c in cues.label_free}


def test_phrases_in_fewer_rows_than_the_minimum_are_not_counted() -> None:
    cues = phrase_cues(_rows(), min_rows=5, top=50)
    assert all(c.rows >= 5 for c in cues.findings + cues.label_free)
    assert "brast" not in {c.phrase for c in cues.findings}
    empty = phrase_cues(_rows(), min_rows=100)
    assert empty.findings == () and empty.label_free == ()


def test_cli_prints_the_ranking_as_json(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    write_passages(_rows(), path)
    result = CliRunner().invoke(
        app, ["corpus", "cues", str(path), "--min-rows", "3", "--top", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["findings"][0] == {"phrase": "brast", "rows": 4, "finding_share": 1.0}
    assert "framgår" in {row["phrase"] for row in data["label_free"]}
    assert len(data["findings"]) == 2
