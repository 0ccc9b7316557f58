"""Safe loading: no pickle or joblib anywhere in the package, no hub calls for local models."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "protoscan"
_MODULES = r"(?:pickle|cPickle|dill|cloudpickle|joblib)"
UNSAFE = re.compile(
    rf"^\s*(?:import|from)\s+{_MODULES}\b|\b{_MODULES}\.\w+\(|torch\.load\("
    r"|allow_pickle\s*=\s*True"
)


def test_package_never_uses_pickle() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSAFE.search(line) and not line.lstrip().startswith("#")
    ]
    assert not offenders, offenders


def test_scanner_catches_what_it_looks_for() -> None:
    assert UNSAFE.search("model = joblib.load(path)")
    assert UNSAFE.search("import pickle")
    assert not UNSAFE.search("saved with skops (never pickle)")
    assert UNSAFE.search("state = torch.load(f)")
    assert UNSAFE.search("np.load(p, allow_pickle=True)")
    assert not UNSAFE.search("np.load(p, allow_pickle=False)")


def test_outbound_connections_are_blocked_in_tests() -> None:
    import socket

    import pytest

    from conftest import NetworkBlockedError

    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("huggingface.co", 443)
