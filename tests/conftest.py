"""Shared fixtures: generated documents and a small model (built once per session) and the
real-data folder."""

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
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small linear model trained on the sample passages; tests only read it."""
    from passage_samples import sample_passages
    from protoscan.classify.linear import LinearClassifier

    path = tmp_path_factory.mktemp("model")
    LinearClassifier(min_df=1).fit(sample_passages()).save(path)
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


class NetworkBlockedError(RuntimeError):
    """Raised by the test-suite guard when code tries to reach the network."""


_LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        return str(address[0]).startswith(_LOOPBACK)
    return isinstance(address, (str, bytes))  # AF_UNIX paths


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> object:
    """Fail every outbound connection and name lookup; loopback and Unix sockets stay open
    (worker pools and local clusters talk over them). Hub libraries are told to stay
    offline too, so a model load that would reach for the network fails loudly."""
    import os
    import socket

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise NetworkBlockedError(f"test tried to connect to {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise NetworkBlockedError(f"test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not str(host).startswith(_LOOPBACK):
            raise NetworkBlockedError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    saved_env = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
    socket.getaddrinfo = real_getaddrinfo
    for key, value in saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
