"""Bad inputs at archive scale: one batch of broken, hostile and odd files among good ones.

Every bad file must end as a typed error (code, type, message) in the manifest and the
journal, the batch must finish, and every good document must be in the results exactly
once. Also: the default limits, the walk over link loops, and pseudonymised outputs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fixtures_docs as docs
from protoscan.batch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PAGES,
    DEFAULT_TIMEOUT,
    ScanOptions,
    collect_work,
    read_results,
    run_scan,
)
from protoscan.batch.store import journal_path, manifest_path
from protoscan.cli import app
from protoscan.cli.scan import parse_size
from protoscan.errors import ConfigError, ProcessingLimitError
from protoscan.ingest import extract_text
from protoscan.privacy import Pseudonymiser, find_person_names, person_name_words

REPO = Path(__file__).resolve().parents[1]
CORPUS_DOCS = REPO / "corpora" / "documents"

#: Swedish text for the re-encoded files; every å, ä and ö must come back unchanged.
SWEDISH_TEXT = (
    "Beslut\n\n"
    "Socialnämnden i Gnesta kommun beslutade den 3 mars 2021 att inte inleda en utredning "
    "om barnets behov av skydd. Vårdnadshavaren fick inte yttra sig före beslutet.\n\n"
    "Bedömning\n\n"
    "Nämnden har inte talat med barnet och barnets åsikt har inte klarlagts. Förvaltningen "
    "dokumenterade inte skälen för beslutet, och överväganden om barnets bästa saknas."
)
#: Words of ``SWEDISH_TEXT`` with å, ä and ö that the passages must contain.
SWEDISH_WORDS = (
    "Socialnämnden",
    "Vårdnadshavaren",
    "yttra",
    "åsikt",
    "Förvaltningen",
    "överväganden",
)


def _corpus_text(name: str) -> str:
    return (CORPUS_DOCS / name).read_text(encoding="utf-8")


def _broken_page_pdf(path: Path) -> Path:
    """A two-page PDF whose second page's content stream names a filter that does not
    exist: pdfminer raises on that page only. Same length, so the xref stays valid."""
    docs.build_pdf(path, [["Första sidan om barnet."], ["Andra sidan om vårdnadshavaren."]])
    data = path.read_bytes()
    second = re.findall(rb"/Contents (\d+) 0 R", data)[1]
    header = re.search(rb"\n" + second + rb" 0 obj\s*<<\s*/Filter /FlateDecode", data)
    assert header is not None
    broken = header.group(0).replace(b"/FlateDecode", b"/BogusDecode")
    path.write_bytes(data.replace(header.group(0), broken, 1))
    return path


def _blank_pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
    pdf.output(str(path))
    return path


def _large_text(path: Path, size: int) -> Path:
    line = ("Nämnden har inte talat med barnet innan beslutet fattades. " * 4 + "\n").encode()
    with open(path, "wb") as handle:
        for _ in range(size // len(line) + 1):
            handle.write(line)
    return path


def _odd_name(folder: Path) -> Path:
    """A file name with spaces, åäö, both quotes, an emoji and (where allowed) a newline."""
    for name in ("beslut åäö \"citat\" 'apostrof' 😀\nrad två.txt", 'beslut åäö "citat" 😀.txt'):
        try:
            path = folder / name
            path.write_text(_corpus_text("doc-ivo-03.txt"), encoding="utf-8")
            return path
        except OSError:  # pragma: no cover - a file system that refuses newlines
            continue
    raise AssertionError("no odd file name could be created")  # pragma: no cover


@pytest.fixture(scope="module")
def hostile_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Path], dict[str, tuple[str, str]]]:
    """Good documents and every kind of bad input in one folder tree.

    Returns the folder, the good files by role, and for each bad path (as the scan records
    it) the expected error code and type.
    """
    from protoscan.corpus.render import render_docx, render_pdf

    root = tmp_path_factory.mktemp("arkiv")
    odd_folder = root / "mapp med åäö 'och' \"citat\""
    odd_folder.mkdir()
    good = {
        "txt": root / "jo-01.txt",
        "docx": render_docx(_corpus_text("doc-jo-02.txt"), root / "jo-02.docx"),
        "pdf": render_pdf(_corpus_text("doc-ivo-02.txt"), root / "ivo-02.pdf", header="IVO"),
        "cp1252": docs.write_text_file(root / "ansi.txt", SWEDISH_TEXT, "cp1252"),
        "utf16": docs.write_text_file(
            root / "utf16.txt", SWEDISH_TEXT.replace("Gnesta", "Trosa"), "utf-16"
        ),
        "odd": _odd_name(odd_folder),
    }
    shutil.copy(CORPUS_DOCS / "doc-jo-01.txt", good["txt"])

    swedish = docs.build_swedish_pdf(root / "källa.pdf")
    bad_files = {
        "tom.txt": ((root / "tom.txt").write_bytes(b""), "empty", "EmptyDocumentError"),
        "avklippt.pdf": (
            docs.build_truncated_pdf(root / "avklippt.pdf", swedish),
            "ingest_error",
            "IngestError",
        ),
        "krypterad.pdf": (
            docs.build_encrypted_pdf(root / "krypterad.pdf"),
            "encrypted",
            "EncryptedDocumentError",
        ),
        "slump.pdf": (
            (root / "slump.pdf").write_bytes(os.urandom(64 * 1024).replace(b"%PDF-", b"xxxxx")),
            "ingest_error",
            "IngestError",
        ),
        "2000-sidor.pdf": (
            _blank_pdf(root / "2000-sidor.pdf", 2000),
            "limit_exceeded",
            "ProcessingLimitError",
        ),
        "trasig-sida.pdf": (
            _broken_page_pdf(root / "trasig-sida.pdf"),
            "ingest_error",
            "IngestError",
        ),
        "50mb.txt": (
            _large_text(root / "50mb.txt", 50 * 1024**2),
            "too_large",
            "FileTooLargeError",
        ),
        "zipbomb.docx": (
            docs.build_zip_bomb_docx(root / "zipbomb.docx", 300 * 1024**2),
            "too_large",
            "FileTooLargeError",
        ),
    }
    swedish.unlink()  # only the truncated copy is an input
    (root / "a.pdf").symlink_to("b.pdf")
    (root / "b.pdf").symlink_to("a.pdf")
    (odd_folder / "slinga").symlink_to("..", target_is_directory=True)
    bad = {str(root / name): (code, kind) for name, (_, code, kind) in bad_files.items()}
    bad[str(root / "a.pdf")] = ("symlink_loop", "IngestError")
    bad[str(root / "b.pdf")] = ("symlink_loop", "IngestError")
    bad[str(odd_folder / "slinga")] = ("symlink_loop", "IngestError")
    return root, good, bad


@pytest.fixture(scope="module")
def hostile_scan(
    hostile_folder: tuple[Path, dict[str, Path], dict[str, tuple[str, str]]],
    model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, object, float]:
    folder, _, _ = hostile_folder
    out = tmp_path_factory.mktemp("out") / "resultat.jsonl"
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["scan", str(folder), "--out", str(out), "--model", str(model_dir), "--workers", "2"]
    )
    return out, result, time.monotonic() - started


# -- the batch ------------------------------------------------------------------------------


def test_every_bad_input_is_a_typed_error_and_the_batch_finishes(
    hostile_folder: tuple[Path, dict[str, Path], dict[str, tuple[str, str]]],
    hostile_scan: tuple[Path, object, float],
) -> None:
    _, good, bad = hostile_folder
    out, result, seconds = hostile_scan
    assert result.exit_code == 1, result.output  # some files failed; the scan itself ran
    assert seconds < 180
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    errors = {e["path"]: e for e in manifest["errors"]}
    rows = []
    for path, (code, kind) in sorted(bad.items()):
        assert path in errors, f"no error recorded for {path!r}"
        error = errors[path]
        rows.append((Path(path).name, error["code"], error["type"], error["message"]))
        assert (error["code"], error["type"]) == (code, kind), error
        assert error["message"].startswith(path + ":"), error  # names the file
        assert len(error["message"]) > len(path) + 10
    assert set(errors) == set(bad)  # and no good file failed
    assert manifest["failed"] == len(bad) and manifest["done"] == len(good)

    journal = [json.loads(line) for line in journal_path(out).read_text("utf-8").splitlines()]
    recorded = {e["path"]: e for e in journal[1:] if e["kind"] == "failure"}
    assert {p: (e["code"], e["type"]) for p, e in recorded.items()} == bad

    width = max(len(row[0]) for row in rows)
    print("\nbad input → code → type → message")
    for name, code, kind, message in rows:
        shown = message.split(": ", 1)[-1]
        print(f"{name.replace(chr(10), '⏎'):<{width}}  {code:<15} {kind:<22} {shown}")


def test_every_good_document_is_in_the_results_exactly_once(
    hostile_folder: tuple[Path, dict[str, Path], dict[str, tuple[str, str]]],
    hostile_scan: tuple[Path, object, float],
) -> None:
    _, good, bad = hostile_folder
    out, _, _ = hostile_scan
    documents = read_results(out, record="document")
    assert sorted(d["source"] for d in documents) == sorted(str(p) for p in good.values())
    assert len({d["sha256"] for d in documents}) == len(good)
    records = read_results(out)
    assert not {r["source"] for r in records} & set(bad)
    for document in documents:
        passages = [r for r in records if r["sha256"] == document["sha256"]][1:]
        assert all(r["record"] == "passage" for r in passages)
        assert len(passages) == document["n_passages"] > 0


@pytest.mark.parametrize("role", ["cp1252", "utf16"])
def test_legacy_encodings_keep_swedish_letters(
    role: str,
    hostile_folder: tuple[Path, dict[str, Path], dict[str, tuple[str, str]]],
    hostile_scan: tuple[Path, object, float],
) -> None:
    _, good, _ = hostile_folder
    out, _, _ = hostile_scan
    passages = [r for r in read_results(out, record="passage") if r["source"] == str(good[role])]
    text = " ".join(p["text"] for p in passages)
    assert "\ufffd" not in text
    for word in SWEDISH_WORDS:
        assert word in text, (role, word)


def test_odd_path_is_recorded_exactly_in_every_format(
    hostile_folder: tuple[Path, dict[str, Path], dict[str, tuple[str, str]]],
    hostile_scan: tuple[Path, object, float],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    folder, good, _ = hostile_folder
    out, _, _ = hostile_scan
    target = tmp_path / "resultat.csv"
    shutil.copy(journal_path(out), journal_path(target))
    summary = run_scan([folder], target, ScanOptions(model=model_dir, workers=1))
    assert summary.processed == 0  # everything came from the journal
    for path in (out, target):
        sources = {d["source"] for d in read_results(path, record="document")}
        assert str(good["odd"]) in sources


def test_default_limits_are_recorded_in_the_manifest(
    hostile_scan: tuple[Path, object, float],
) -> None:
    out, _, _ = hostile_scan
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert (manifest["max_pages"], manifest["timeout"], manifest["max_bytes"]) == (
        DEFAULT_MAX_PAGES,
        DEFAULT_TIMEOUT,
        DEFAULT_MAX_BYTES,
    )
    assert (DEFAULT_MAX_PAGES, DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES) == (500, 120.0, 25 * 1024**2)
    assert manifest["backend"] == "local" and manifest["pseudonymized"] is False


def test_limits_are_shown_in_help_and_can_be_overridden(model_dir: Path, tmp_path: Path) -> None:
    help_text = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "200"}).output
    for default in ("[default: 500]", "[default: 120.0]", "[default: 25M]"):
        assert default in help_text
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS_DOCS / "doc-mun-02.txt", folder / "a.txt")
    size = (folder / "a.txt").stat().st_size
    out = tmp_path / "r.jsonl"
    args = ["scan", str(folder), "--out", str(out), "--model", str(model_dir), "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--max-bytes", "1K", "--max-pages", "0"])
    assert result.exit_code == 1
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert (manifest["max_bytes"], manifest["max_pages"]) == (1024, None)
    (error,) = manifest["errors"]
    assert error["code"] == "too_large" and f"is {size} bytes" in error["message"]
    out2 = tmp_path / "r2.jsonl"
    ok = CliRunner().invoke(
        app, ["scan", str(folder), "--out", str(out2), "--model", str(model_dir),
              "--workers", "1", "--max-bytes", "0", "--timeout", "0"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    manifest = json.loads(manifest_path(out2).read_text(encoding="utf-8"))
    assert (manifest["max_bytes"], manifest["timeout"]) == (None, None)


@pytest.mark.parametrize(
    ("text", "size"),
    [("25M", 25 * 1024**2), ("26214400", 26214400), ("1.5k", 1536), ("2GiB", 2 * 1024**3),
     ("0", 0), ("10 MB", 10 * 1024**2)],
)  # fmt: skip
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1M", "5T"])
def test_parse_size_rejects_nonsense(text: str) -> None:
    import typer

    with pytest.raises(typer.BadParameter):
        parse_size(text)


# -- the ingest layer refuses early ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["pdfplumber", "pdfium"])
def test_page_limit_refuses_before_any_page_is_read(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pdfplumber.page

    path = _blank_pdf(tmp_path / "2000.pdf", 2000)
    calls = []
    real = pdfplumber.page.Page.extract_text_lines
    monkeypatch.setattr(
        pdfplumber.page.Page,
        "extract_text_lines",
        lambda self, *a, **k: calls.append(1) or real(self, *a, **k),
    )
    started = time.monotonic()
    with pytest.raises(ProcessingLimitError, match="has 2000 pages, more than the limit of 500"):
        extract_text(path, engine, max_pages=DEFAULT_MAX_PAGES)
    assert time.monotonic() - started < 10
    assert calls == []


def test_the_broken_page_really_raises_inside_pdfplumber(tmp_path: Path) -> None:
    import pdfplumber

    path = _broken_page_pdf(tmp_path / "trasig.pdf")
    with pdfplumber.open(path) as pdf:
        assert "Första sidan" in pdf.pages[0].extract_text()
        with pytest.raises(Exception, match="Unsupported filter"):
            pdf.pages[1].extract_text()


# -- the walk -------------------------------------------------------------------------------


def test_walk_follows_folder_links_once_and_reports_loops(tmp_path: Path) -> None:
    root = tmp_path / "arkiv"
    (root / "2019").mkdir(parents=True)
    (root / "2019" / "a.txt").write_text("Beslut.", encoding="utf-8")
    outside = tmp_path / "utanför"
    outside.mkdir()
    (outside / "b.txt").write_text("Beslut.", encoding="utf-8")
    (root / "länk-ut").symlink_to(outside, target_is_directory=True)
    (root / "länk-ut-igen").symlink_to(outside, target_is_directory=True)
    (root / "länk-in").symlink_to(root / "2019", target_is_directory=True)
    (root / "2019" / "upp").symlink_to(root, target_is_directory=True)
    (root / "2019" / "hit").symlink_to(".", target_is_directory=True)
    (root / "borta.txt").symlink_to(tmp_path / "finns-inte.txt")
    (root / "x.pdf").symlink_to("y.pdf")
    (root / "y.pdf").symlink_to("x.pdf")

    work = collect_work([root])
    assert [p.relative_to(root).as_posix() for p in work.files] == ["2019/a.txt", "länk-ut/b.txt"]
    skipped = {s.path.relative_to(root).as_posix(): s.code for s in work.skipped}
    assert skipped == {
        "2019/upp": "symlink_loop",
        "2019/hit": "symlink_loop",
        "borta.txt": "broken_symlink",
        "x.pdf": "symlink_loop",
        "y.pdf": "symlink_loop",
    }
    assert all(s.error.path == s.path and str(s.path) in str(s.error) for s in work.skipped)


# -- pseudonymised outputs -----------------------------------------------------------------

PERSONAL_NUMBER = "811218-9876"
PRIVATE_TEXT = (
    "Beslut\n\n"
    "Socialnämnden i Gnesta kommun har den 3 mars 2021 beslutat att inte inleda utredning "
    "om Kalle Berg, född 2014.\n\n"
    "Bedömning\n\n"
    f"Modern Anna Svensson, {PERSONAL_NUMBER}, uppgav att handläggaren Per Ek inte talade "
    "med barnet. AA och BB var närvarande vid mötet. Nämnden har inte talat med barnet innan "
    "beslutet fattades. Svensson överklagade beslutet."
)
PRIVATE_WORDS = ("Kalle", "Berg", "Anna", "Svensson", "Per", "Ek", PERSONAL_NUMBER)


def test_person_names_are_found_by_cue_and_initials_left_alone() -> None:
    names = [n.text for n in find_person_names(PRIVATE_TEXT)]
    assert names == ["Kalle Berg", "Anna Svensson", "Per Ek"]
    assert find_person_names("Modern AA och fadern BB, född 2010, samt barnet CC.") == []
    assert [n.text for n in find_person_names("Pojken Olle Lind (f. 2012) bor hos fadern.")] == [
        "Olle Lind"
    ]
    assert find_person_names("Nämnden, född 1990, och Barnet, f. 2014.") == []
    assert person_name_words(PRIVATE_TEXT) == {"Kalle", "Berg", "Anna", "Svensson", "Per", "Ek"}


def test_pseudonyms_keep_lengths_and_are_stable_per_key() -> None:
    one, other = Pseudonymiser(b"k1"), Pseudonymiser(b"k2")
    words = person_name_words(PRIVATE_TEXT)
    text = one.pseudonymise(PRIVATE_TEXT, words)
    assert len(text) == len(PRIVATE_TEXT)
    for word in PRIVATE_WORDS:
        assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text), word
    assert "AA och BB" in text and "Socialnämnden i Gnesta" in text
    assert text == one.pseudonymise(PRIVATE_TEXT, words)
    assert text.count(one.name_pseudonym("Svensson")) == 2  # the later "Svensson" alone too
    assert other.pseudonymise(PRIVATE_TEXT, words) != text


def _private_folder(root: Path, names: tuple[str, ...]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).write_text(PRIVATE_TEXT.replace("Gnesta", name[:-4].title()), "utf-8")
    return root


def _all_output_text(out: Path) -> str:
    return "\n".join(
        [out.read_text(encoding="utf-8"), manifest_path(out).read_text(encoding="utf-8")]
    )


def test_pseudonymize_covers_every_output_and_survives_resume(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = _private_folder(tmp_path / "in" / f"ärende {PERSONAL_NUMBER}", ("ett.txt",))
    out = tmp_path / "r.jsonl"
    args = ["scan", str(folder.parent), "--out", str(out), "--model", str(model_dir),
            "--workers", "1", "--pseudonymize"]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    journal = journal_path(out)
    header = json.loads(journal.read_text(encoding="utf-8").splitlines()[0])
    key = bytes.fromhex(header["privacy"]["key"])
    assert journal.stat().st_mode & 0o077 == 0  # the key is not readable by others
    assert header["privacy"]["key"] not in _all_output_text(out)

    _private_folder(folder, ("två.txt",))  # a second document, then resume
    (folder / "trasig.pdf").write_bytes(b"not a pdf")  # a failure whose path has a number
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 1
    assert json.loads(journal.read_text(encoding="utf-8").splitlines()[0]) == header

    text = _all_output_text(out)
    for word in PRIVATE_WORDS:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), word
    assert PERSONAL_NUMBER not in second.output  # nor in the failure table
    pseudonymiser = Pseudonymiser(key)
    passages = read_results(out, record="passage")
    by_source = {}
    for passage in passages:
        assert passage["end_char"] - passage["start_char"] == len(passage["text"])
        by_source.setdefault(Path(passage["source"]).name, []).append(passage["text"])
    assert set(by_source) == {"ett.txt", "två.txt"}
    for texts in by_source.values():  # same person, same pseudonym, in both runs
        joined = " ".join(texts)
        assert f"Modern {pseudonymiser.name_pseudonym('Anna')} " in joined
        assert pseudonymiser.pseudonym("8112189876", len(PERSONAL_NUMBER)) in joined
        assert "AA och BB" in joined
    documents = read_results(out, record="document")
    assert all(PERSONAL_NUMBER not in d["source"] for d in documents)

    with pytest.raises(ConfigError, match="pseudonymize"):
        run_scan([folder], out, ScanOptions(model=model_dir, workers=1))


def test_word_processor_files_in_a_folder_are_reported_not_skipped(tmp_path: Path) -> None:
    from protoscan.batch.worklist import collect_work

    (tmp_path / "beslut.txt").write_text("Socialnämnden beslutade att inleda utredning.\n")
    (tmp_path / "gammalt.doc").write_bytes(b"\xd0\xcf\x11\xe0legacy")  # read via a converter
    (tmp_path / "brev.wpd").write_bytes(b"\xffWPC legacy")
    (tmp_path / "anteckning.md").write_text("# not a decision\n")
    work = collect_work([tmp_path])
    assert [p.name for p in work.files] == ["beslut.txt", "gammalt.doc"]
    assert [(s.path.name, s.code) for s in work.skipped] == [("brev.wpd", "unsupported_format")]
