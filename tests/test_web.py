"""``protoscan serve``: the web app's API and page through FastAPI's test client."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from protoscan.classify.model_dir import load_classifier
from protoscan.cli import app as cli_app
from protoscan.ingest.convert import find_converter
from protoscan.labels import ALL_LABELS
from protoscan.pipeline import read_document
from protoscan.render.screen_html import build_screen_html
from protoscan.screen import screen_document
from protoscan.web import DEFAULT_MAX_BYTES, create_app

DRAFTS = Path(__file__).parent / "drafts"
#: brist-01 names Liam with his personnummer; a planted absence makes it exit 3.
DRAFT = "brist-01-barnets-rost.txt"
LIAM, LIAM_MASKED = "150226-6685", "150226-****"
runner = CliRunner()


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def client(model_dir: Path, uploads: Path) -> TestClient:
    return TestClient(create_app(model_dir, tmp_dir=uploads))


def post(client: TestClient, name: str, data: bytes, url: str = "/api/screen") -> Any:
    return client.post(url, files={"file": (name, data, "application/octet-stream")})


def test_healthz_names_the_model(client: TestClient, model_dir: Path) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["model"] == {"backend": "linear", "path": str(model_dir)}
    assert health.json()["max_upload_bytes"] == DEFAULT_MAX_BYTES


def test_page_is_swedish_self_contained_and_locked_down(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.html["lang"] == "sv"
    form = soup.select_one("form#upload-form")
    assert form["action"] == "/screen" and form["enctype"] == "multipart/form-data"
    assert form.select_one('input[type="file"][name="file"]')
    assert "Släpp utkastet här" in page.text
    # Nothing on the page points outside the server.
    for tag in soup.find_all(src=True) + soup.find_all(href=True):
        url = tag.get("src") or tag.get("href")
        assert not re.match(r"^(?:[a-z]+:)?//", url), url
    assert "@import" not in page.text and "url(" not in page.text


def test_api_json_is_the_cli_json(
    client: TestClient, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (DRAFTS / DRAFT).read_bytes()
    (tmp_path / DRAFT).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    cli = runner.invoke(cli_app, ["screen", DRAFT, "--model", str(model_dir), "--json"])
    assert cli.exit_code == 3, cli.output
    answer = post(client, DRAFT, data)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == json.loads(cli.stdout)
    assert answer.json()["document"]["source"] == DRAFT
    assert LIAM not in answer.text and LIAM_MASKED in answer.text


def test_page_shows_the_screen_report_with_downloads(client: TestClient, model_dir: Path) -> None:
    data = (DRAFTS / DRAFT).read_bytes()
    page = post(client, DRAFT, data, url="/screen")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select("#document .row") and soup.select("#checks .check.failed")
    assert soup.select_one("#download-json") and soup.select_one("#download-html")
    assert LIAM not in page.text
    embedded = json.loads(soup.select_one("script#screen-json").string)
    assert embedded == post(client, DRAFT, data).json()
    # The HTML download is exactly the page ``screen --html`` writes for the same report.
    path = DRAFTS / DRAFT
    doc = read_document(path)
    report = screen_document(
        dataclasses.replace(doc, source=DRAFT), load_classifier(model_dir),
        model_path=str(model_dir),
    )  # fmt: skip
    assert json.loads(soup.select_one("script#screen-html").string) == build_screen_html(report)
    # The page's report part is that same template: same rows, same checks.
    standalone = BeautifulSoup(build_screen_html(report), "html.parser")
    assert str(soup.select_one("#document")) == str(standalone.select_one("#document"))
    assert str(soup.select_one("#checks")) == str(standalone.select_one("#checks"))


def test_personnummer_in_the_file_name_is_masked(client: TestClient) -> None:
    answer = post(client, f"utkast {LIAM}.txt", (DRAFTS / DRAFT).read_bytes())
    assert answer.status_code == 200
    assert answer.json()["document"]["source"] == f"utkast {LIAM_MASKED}.txt"
    assert LIAM not in answer.text
    page = post(client, f"utkast {LIAM}.txt", (DRAFTS / DRAFT).read_bytes(), url="/screen")
    assert LIAM not in page.text


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _bad_inputs(docs: dict[str, Path]) -> list[tuple[str, str, bytes, int, str]]:
    # A damaged .doc is found damaged by its converter; with none installed, the answer is
    # that this computer cannot read the format.
    doc_answer = (422, "skadad") if find_converter("doc") else (415, "saknar programmet")
    return [
        ("empty", "utkast.txt", b"", 400, "tom"),
        ("blank text", "utkast.txt", b"  \n\n \n", 400, "tom"),
        ("image", "bild.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, 415, "Filtypen"),
        ("corrupt .doc", "utkast.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
         *doc_answer),
        ("excel", "tabell.xlsx", _zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}),
         415, "Filtypen"),
        ("zip archive", "arkiv.zip", _zip({"a.txt": "Beslut", "b.txt": "Beslut"}), 415, "arkiv"),
        ("encrypted pdf", "utkast.pdf", docs["encrypted"].read_bytes(), 422, "krypterad"),
        ("corrupt pdf", "utkast.pdf", docs["truncated"].read_bytes(), 422, "skadad"),
        ("not a pdf", "utkast.pdf", b"hej hej, det ar ingen pdf", 422, "skadad"),
        ("scanned pdf", "utkast.pdf", docs["textless"].read_bytes(), 422, "textlager"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def bad_inputs(encrypted_pdf: Path, truncated_pdf: Path, textless_pdf: Path) -> list:
    return _bad_inputs(
        {"encrypted": encrypted_pdf, "truncated": truncated_pdf, "textless": textless_pdf}
    )


def test_bad_input_gets_a_swedish_4xx_and_the_server_goes_on(
    client: TestClient, uploads: Path, bad_inputs: list
) -> None:
    for case, name, data, status, words in bad_inputs:
        answer = post(client, name, data)
        assert answer.status_code == status, case
        error = answer.json()["error"]
        assert error["status"] == status and words in error["message"], case
        assert "/" not in error["message"] and "protoscan-" not in error["message"], case
        page = post(client, name, data, url="/screen")
        assert page.status_code == status, case
        shown = BeautifulSoup(page.text, "html.parser").select_one("#error")
        assert shown is not None and not shown.has_attr("hidden") and words in shown.text, case
        assert client.get("/healthz").status_code == 200
        assert list(uploads.iterdir()) == [], case
    assert post(client, DRAFT, (DRAFTS / DRAFT).read_bytes()).status_code == 200


def test_only_local_host_names_when_asked(model_dir: Path) -> None:
    from protoscan.cli.serve import LOCAL_NAMES

    app = create_app(model_dir, allowed_hosts=LOCAL_NAMES)
    assert TestClient(app, base_url="http://127.0.0.1:8000").get("/healthz").status_code == 200
    assert TestClient(app, base_url="http://localhost:8000").get("/").status_code == 200
    rebound = TestClient(app, base_url="http://angripare.example:8000")
    assert rebound.get("/healthz").status_code == 400
    page = TestClient(app, base_url="http://127.0.0.1:8000").get("/")
    assert page.headers["x-frame-options"] == "DENY"


def test_missing_file_field(client: TestClient) -> None:
    answer = client.post("/api/screen", data={"annat": "x"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "no_file"


def test_size_limit_is_configurable_and_checked_both_ways(model_dir: Path, tmp_path: Path) -> None:
    small = TestClient(create_app(model_dir, max_bytes=2_000, tmp_dir=tmp_path))
    body = ("Beslut\n\n" + "Utredning inleds inte. " * 200).encode()
    # Declared length far over the limit: refused before the body is read.
    big = small.post("/api/screen", files={"file": ("u.txt", body * 40)})
    assert big.status_code == 413 and "för stor" in big.json()["error"]["message"]
    # Just over the limit: refused while the upload is copied.
    over = small.post("/api/screen", files={"file": ("u.txt", body)})
    assert over.status_code == 413 and over.json()["error"]["code"] == "too_large"
    page = small.post("/screen", files={"file": ("u.txt", body * 40)})
    assert page.status_code == 413 and "för stor" in page.text
    assert small.post("/api/screen", files={"file": ("u.txt", body[:1500])}).status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_documents_too_long_to_screen_are_refused(
    client: TestClient, uploads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import protoscan.web.app as web_app

    monkeypatch.setattr(web_app, "MAX_CHARS", 500)
    answer = post(client, DRAFT, (DRAFTS / DRAFT).read_bytes())
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "limit_exceeded"
    assert "för långt" in answer.json()["error"]["message"]
    assert list(uploads.iterdir()) == []


class _Broken:
    """A model that fails on every call: an unexpected error inside a request."""

    backend: ClassVar[str] = "broken"
    labels_ = ALL_LABELS
    thresholds_ = np.full(len(ALL_LABELS), 0.5)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("boom")


def test_unexpected_errors_answer_500_remove_the_upload_and_keep_serving(tmp_path: Path) -> None:
    broken = TestClient(create_app("ingen-modell", classifier=_Broken(), tmp_dir=tmp_path))
    answer = post(broken, DRAFT, (DRAFTS / DRAFT).read_bytes())
    assert answer.status_code == 500 and "internt fel" in answer.json()["error"]["message"]
    assert "boom" not in answer.text
    assert broken.get("/healthz").status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_model_loads_once_and_requests_run_side_by_side(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import protoscan.classify.model_dir as model_module

    loads: list[Path] = []
    real = model_module.load_classifier

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(model_module, "load_classifier", counting)
    client = TestClient(create_app(model_dir, tmp_dir=tmp_path))
    drafts = sorted(DRAFTS.glob("*.txt"))[:6]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda p: post(client, p.name, p.read_bytes()), drafts * 2))
    assert [a.status_code for a in answers] == [200] * len(answers)
    first, second = answers[: len(drafts)], answers[len(drafts) :]
    assert [a.json() for a in first] == [a.json() for a in second]
    assert loads == [model_dir]
    assert list(tmp_path.iterdir()) == []


def test_serve_binds_to_loopback_and_warns_otherwise(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    local = runner.invoke(cli_app, ["serve", "--model", str(model_dir)])
    assert local.exit_code == 0, local.output
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8000
    assert "warning" not in local.stderr
    served = calls[-1]["app"]
    assert TestClient(served, base_url="http://evil.example").get("/healthz").status_code == 400
    public = runner.invoke(
        cli_app, ["serve", "--model", str(model_dir), "--host", "0.0.0.0", "--port", "8123"]
    )
    assert public.exit_code == 0 and calls[-1]["host"] == "0.0.0.0"
    assert "warning" in public.stderr and "0.0.0.0" in public.stderr
    missing = runner.invoke(cli_app, ["serve", "--model", "ingen-modell"])
    assert missing.exit_code == 1 and "error" in missing.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("suffix", ["odt", "rtf", "doc"])
def test_office_formats_the_ingestion_reads_are_screened(
    client: TestClient, tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / "utkast.txt"
    source.write_text((DRAFTS / DRAFT).read_text("utf-8"), "utf-8")
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
         "--convert-to", suffix, "--outdir", str(tmp_path), str(source)],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    converted = tmp_path / f"utkast.{suffix}"
    if not converted.is_file():
        pytest.skip(f"LibreOffice could not write .{suffix} here")
    answer = post(client, converted.name, converted.read_bytes())
    if answer.status_code == 415 and answer.json()["error"]["code"] == "converter_missing":
        pytest.skip(f"no converter for .{suffix}")
    assert answer.status_code == 200, answer.text
    assert "Liam" in answer.json()["document"]["text"] and LIAM not in answer.text


def test_serve_process_stops_cleanly_on_sigterm(model_dir: Path, tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # every temporary folder lands here
    command = [sys.executable, "-m", "protoscan", "serve", "--port", str(port),
               "--model", str(model_dir)]  # fmt: skip
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("protoscan serve did not start")
                time.sleep(0.2)
        answer = httpx.post(
            base + "/api/screen", files={"file": (DRAFT, (DRAFTS / DRAFT).read_bytes())}
        )
        assert answer.status_code == 200
        # An RTF goes through LibreOffice (when installed), whose profile folder must go too.
        rtf = rb"{\rtf1\ansi Beslut\par\par Utredning inleds enligt 11 kap. 1 \'a7 SoL.\par}"
        converted = httpx.post(base + "/api/screen", files={"file": ("utkast.rtf", rtf)})
        assert converted.status_code in (200, 415), converted.text
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    assert list(tmp_path.iterdir()) == []  # no upload or converter folder outlives it
