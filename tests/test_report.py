"""``protoscan report``: one self-contained, escaped HTML page; rendered in headless chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from protoscan.batch import write_results
from protoscan.cli import app
from protoscan.labels import ALL_LABELS
from protoscan.render.report import build_report, example_passages, write_report

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "Nämnden <script>alert('x')</script> & \"barnet\" <b>hördes inte</b>."


def _passage(doc: dict, n: int, text: str, voice: str, scores: dict, labels: list[str]) -> dict:
    return {
        "record": "passage",
        **{k: doc[k] for k in ("doc_id", "source", "sha256", "authority", "doc_type", "dnr")},
        **{k: doc[k] for k in ("decision_date", "year", "municipality", "body", "outcome")},
        "law_version": doc["law_version"],
        "passage_id": f"{doc['doc_id']}:{n:04d}",
        "section": "JO:s bedömning" if voice == "supervisor" else "Anmälan",
        "section_kind": "assessment" if voice == "supervisor" else "complaint",
        "voice": voice,
        "page_numbers": [n + 1],
        "start_char": 100 * n,
        "end_char": 100 * n + len(text),
        "text": text,
        "labels": labels,
        "scores": {label: scores.get(label, 0.01) for label in ALL_LABELS},
    }


def _records() -> list[list[dict]]:
    documents = []
    rows = [
        ("JO", "Tranås", "2018-03-01", ["delay"]),
        ("JO", "Gnesta <kommun>", "2019-04-02", ["delay", "child_perspective"]),
        ("IVO", "Kiruna", "2020-05-03", ["child_perspective"]),
        ("municipality", "Gnesta <kommun>", "2021-06-04", []),
    ]
    for i, (authority, municipality, date, labels) in enumerate(rows):
        doc = {
            "record": "document",
            "doc_id": f"d{i}",
            "source": f"arkiv/beslut-{i}.pdf",
            "sha256": f"{i}" * 64,
            "authority": authority,
            "doc_type": "jo_beslut",
            "dnr": f"{100 + i}-2019",
            "decision_date": date,
            "year": int(date[:4]),
            "municipality": municipality,
            "body": None,
            "outcome": "kritik",
            "law_version": "SoL2001",
            "engine": "pdfplumber",
            "n_pages": 3,
            "n_passages": 3,
            "labels": labels,
            "label_counts": {label: int(label in labels) for label in ALL_LABELS},
            "alleged_counts": dict.fromkeys(ALL_LABELS, 0),
        }
        passages = [
            _passage(doc, 0, f"Dröjsmålet i ärende {i} var inte godtagbart.", "supervisor",
                     {"delay": 0.6 + i / 10}, ["delay"] if "delay" in labels else []),
            _passage(doc, 1, HOSTILE if i == 1 else f"Barnet hördes inte ({i}).", "supervisor",
                     {"child_perspective": 0.9 - i / 10},
                     ["child_perspective"] if "child_perspective" in labels else []),
            _passage(doc, 2, "Anmälaren menar att allt dröjde.", "complainant",
                     {"delay": 0.99}, ["delay"]),
        ]  # fmt: skip
        doc["n_passages"] = len(passages)
        documents.append([doc, *passages])
    return documents


@pytest.fixture(scope="module")
def results_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "resultat.parquet"
    write_results(_records(), path, ALL_LABELS)
    return path


@pytest.fixture(scope="module")
def report_html(results_file: Path) -> Path:
    return write_report(results_file, results_file.with_name("rapport.html"), examples=3)


def test_examples_are_top_scoring_findings_only() -> None:
    passages = [p for doc in _records() for p in doc[1:] if p["labels"]]
    delay = example_passages(passages, "delay", 5)
    assert [p["doc_id"] for p in delay] == ["d1", "d0"]  # the complaint (0.99) is no finding
    assert all(p["voice"] == "supervisor" for p in delay)
    assert [p["doc_id"] for p in example_passages(passages, "child_perspective", 1)] == ["d1"]


def test_report_is_self_contained_and_escaped(report_html: Path) -> None:
    page = report_html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<table") >= 5
    assert page.count('src="data:image/png;base64,') == 3
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;hördes inte&lt;/b&gt;" in page
    assert "Gnesta &lt;kommun&gt;" in page and "Gnesta <kommun>" not in page
    for label in ALL_LABELS:
        assert f'id="label-{label}"' in page
    assert 'href="#label-delay"' in page and 'id="ex-delay-1"' in page
    assert 'href="#ex-delay-1"' in page
    assert "arkiv/beslut-1.pdf</code>, s. 1" in page  # source and page of the top example
    assert "Anmälaren menar" not in page  # allegations are not examples
    assert "Mann–Kendall" in page and "konfidensintervall (Wald)" in page
    assert "Dröjsmål i handläggningen" in page


def test_report_counts(report_html: Path) -> None:
    page = report_html.read_text(encoding="utf-8")
    overview = page.split('id="oversikt"')[1].split("</table>")[0]
    delay_row = overview.split('href="#label-delay"')[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', delay_row)
    assert cells[:2] == ["2", "50,0"]  # 2 of 4 documents


def test_report_cli(results_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app, ["report", str(results_file), "--html", str(out), "--title", "Rapport <test>"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<title>Rapport &lt;test&gt;</title>" in page
    empty = tmp_path / "tom.jsonl"
    write_results([], empty, ALL_LABELS)
    result = CliRunner().invoke(app, ["report", str(empty), "--html", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and "no document records" in result.stderr


def test_build_report_is_deterministic() -> None:
    records = [r for doc in _records() for r in doc]
    assert build_report(records) == build_report(records)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless chromium is not installed")
def test_report_renders_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    import matplotlib.image

    shot = tmp_path / "rapport.png"
    profile = tmp_path / "profil"
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000",
        report_html.resolve().as_uri(),
    ]  # fmt: skip
    try:
        subprocess.run(command, capture_output=True, timeout=90, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert shot.is_file() and shot.stat().st_size > 10_000
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels.std() > 0.05
    not_white = (pixels < 0.95).any(axis=-1).mean()
    assert not_white > 0.05  # text, tables and charts, not an empty page
