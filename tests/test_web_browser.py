"""``protoscan serve`` in a real browser: Playwright drives Debian's chromium.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (``executable_path``), and
the test skips only when that browser is absent. A live uvicorn server on 127.0.0.1 serves
the app; the test uploads a draft, sees the highlighted finding, downloads the JSON and the
HTML, and checks that the page never asked anything of another origin.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from protoscan.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: A two-paragraph draft whose reasoning paragraph the small test model tags at 0.4.
DRAFT = (
    "Socialnämnden i Gnesta kommun\nIndivid- och familjeomsorgen\n\nBedömning\n\n"
    "Beslutet saknar motivering och lagrum anges inte.\n\n"
    "Pojken bor hos sin mamma och går i skolan. Han är tio år.\n"
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def app(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(model_dir, threshold=0.4, tmp_dir=tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the uvicorn server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def browser_page(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.requests = []  # every URL the page asked for
        page.on("request", lambda request: page.requests.append(request.url))
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _only_own_origin(urls: list[str], origin: str) -> list[str]:
    """The URLs that are neither the server's own nor in-page (``blob:``/``data:`` of it)."""
    return [
        u for u in urls
        if not (u.startswith(origin + "/") or u.startswith(f"blob:{origin}/")
                or u.startswith("data:"))
    ]  # fmt: skip


def test_upload_highlight_download_and_no_outside_requests(
    browser_page: Any, server: str, app: Any, tmp_path: Path
) -> None:
    page = browser_page
    draft = tmp_path / "utkast-gnesta.txt"
    draft.write_text(DRAFT, encoding="utf-8")

    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Granskning av utkast"
    page.set_input_files("#file", str(draft))
    page.click("#submit")
    page.wait_for_selector("#document")

    finding = page.locator("#document span.finding").first
    assert finding.is_visible()
    assert "saknar motivering" in finding.inner_text()
    assert page.locator("#document span.finding mark.cue").count() >= 1
    background = finding.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    card = page.locator("#document aside .card").first
    assert "förvaltningslagen 32 §" in card.inner_text()
    assert page.locator("#checks .inferred-badge").count() >= 1
    screenshot = os.environ.get("PROTOSCAN_SCREENSHOT")
    page.screenshot(path=screenshot or str(tmp_path / "sida.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#download-json")
    download = download_info.value
    assert download.suggested_filename == "granskning-utkast-gnesta.json"
    downloaded = json.loads(Path(download.path()).read_text("utf-8"))
    expected = TestClient(app).post(
        "/api/screen", files={"file": (draft.name, draft.read_bytes(), "text/plain")}
    )
    assert downloaded == expected.json()
    assert any(f["label"] == "reasoning" for f in downloaded["findings"])

    with page.expect_download() as html_info:
        page.click("#download-html")
    saved = Path(html_info.value.path()).read_text("utf-8")
    assert 'id="upload"' not in saved and "<script" not in saved  # the report alone
    assert 'class="finding"' in saved and 'id="checks"' in saved
    assert saved.startswith("<!DOCTYPE html>")

    outside = _only_own_origin(page.requests, server)
    assert outside == [], outside
    assert any(u == server + "/screen" for u in page.requests)


def test_bad_files_show_a_swedish_message(browser_page: Any, server: str, tmp_path: Path) -> None:
    page = browser_page
    page.goto(server + "/")
    empty = tmp_path / "tom.txt"
    empty.write_bytes(b"")
    page.set_input_files("#file", str(empty))
    page.click("#submit")
    assert "tom" in page.locator("#error").inner_text()  # caught before upload
    image = tmp_path / "bild.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    page.set_input_files("#file", str(image))
    page.click("#submit")
    page.wait_for_load_state()
    message = page.locator("#error")
    assert message.is_visible() and "Filtypen kan inte granskas" in message.inner_text()
    assert _only_own_origin(page.requests, server) == []


def test_a_dropped_draft_is_screened(browser_page: Any, server: str) -> None:
    page = browser_page
    page.goto(server + "/")
    transfer = page.evaluate_handle(
        """text => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "släppt-utkast.txt", {type: "text/plain"}));
            return transfer;
        }""",
        DRAFT,
    )
    page.dispatch_event("#dropzone", "dragover", {"dataTransfer": transfer})
    assert "over" in (page.get_attribute("#dropzone", "class") or "")
    with page.expect_navigation():
        page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#document span.finding")
    assert "släppt-utkast.txt" in page.locator(".summary-block .meta").inner_text()
    assert _only_own_origin(page.requests, server) == []
