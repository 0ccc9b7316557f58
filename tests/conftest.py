"""Shared fixtures: generated documents (built once per session) and the real-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import fixtures_docs as docs

#: ``shared/`` beside the repository; absent on machines without the real documents.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REALDATA = SHARED / "realdata"


def realdata_file(relative: str) -> Path:
    """Path of a file under ``shared/realdata``; skips the calling test when it is absent."""
    path = REALDATA / relative
    if not path.is_file():
        pytest.skip(f"real data not available: {relative}")
    return path


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="session")
def swedish_pdf(docs_dir: Path) -> Path:
    return docs.build_swedish_pdf(docs_dir / "beslut.pdf")


@pytest.fixture(scope="session")
def textless_pdf(docs_dir: Path) -> Path:
    return docs.build_textless_pdf(docs_dir / "skannad.pdf", pages=2)


@pytest.fixture(scope="session")
def encrypted_pdf(docs_dir: Path) -> Path:
    return docs.build_encrypted_pdf(docs_dir / "krypterad.pdf")


@pytest.fixture(scope="session")
def truncated_pdf(docs_dir: Path, swedish_pdf: Path) -> Path:
    return docs.build_truncated_pdf(docs_dir / "avklippt.pdf", swedish_pdf)


@pytest.fixture(scope="session")
def docx_file(docs_dir: Path) -> Path:
    return docs.build_docx(docs_dir / "beslut.docx")


@pytest.fixture(scope="session")
def html_file(docs_dir: Path) -> Path:
    return docs.build_html(docs_dir / "beslut.html")
