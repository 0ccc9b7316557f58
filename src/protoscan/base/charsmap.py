"""Build a SentencePiece "precompiled charsmap" from a plain character→string map.

``tokenizers.normalizers.Precompiled`` (the normaliser XLM-R tokenizers use) reads a blob
of ``u32 trie_bytes``, a darts-clone double-array trie over the UTF-8 keys, and the
NUL-terminated replacement strings; a trie leaf's value is the byte offset of its
replacement. The E5 file ships its normalisation as a per-code-point table instead, so
this module packs that table into the same blob. The double array is built here from
the darts-clone unit layout (label in bits 0-7 and 31, leaf flag in bit 8, offset from
bit 10, with bit 9 selecting an offset stored ``<< 8``).

Example:
    >>> from tokenizers.normalizers import Precompiled
    >>> Precompiled(build_precompiled_charsmap({"\\u00a0": " ", "\\ufb01": "fi"})).normalize_str(
    ...     "a\\u00a0\\ufb01"
    ... )
    'a fi'
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Mapping

import numpy as np

__all__ = ["build_precompiled_charsmap", "lookup_precompiled_charsmap"]

_LEAF_BIT = 1 << 8
_VALUE_BIT = 1 << 31
_MAX_DIRECT_OFFSET = 1 << 21


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _build_trie(entries: Mapping[bytes, int]) -> _Node:
    root = _Node()
    for key, value in entries.items():
        if not key or 0 in key:
            raise ValueError(f"charsmap keys must be non-empty and NUL-free; got {key!r}")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value
    return root


def _double_array(root: _Node) -> np.ndarray:
    """Place the trie in a darts-clone double array (breadth first, first fit)."""
    units: list[int] = [0] * 1024
    used = bytearray(1024)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1

    def grow(size: int) -> None:
        if size > len(units):
            extra = max(size, 2 * len(units)) - len(units)
            units.extend([0] * extra)
            used.extend(bytes(extra))

    queue: deque[tuple[_Node, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(node.children)
        if node.value is not None:
            labels.insert(0, 0)  # the terminator child that holds the value
        if not labels:
            continue
        while first_free < len(used) and used[first_free]:
            first_free += 1
        candidate = first_free
        while True:
            base = candidate ^ labels[0]
            grow((base | 0xFF) + 1)
            if (
                base not in used_bases
                and (base ^ pos) < _MAX_DIRECT_OFFSET
                and all(not used[base ^ label] for label in labels)
            ):
                break
            candidate += 1
            grow(candidate + 1)
            while used[candidate]:
                candidate += 1
                grow(candidate + 1)
        used_bases.add(base)
        units[pos] |= (base ^ pos) << 10
        if node.value is not None:
            units[pos] |= _LEAF_BIT
            units[base] = node.value | _VALUE_BIT
            used[base] = 1
        for label in sorted(node.children):
            child_pos = base ^ label
            used[child_pos] = 1
            units[child_pos] = label
            queue.append((node.children[label], child_pos))
    size = max(i for i, flag in enumerate(used) if flag) | 0xFF
    return np.asarray(units[: size + 1], dtype="<u4")


def build_precompiled_charsmap(mapping: Mapping[str, str]) -> bytes:
    """Pack a ``{source: replacement}`` map into a precompiled charsmap blob.

    Args:
        mapping: Non-empty source strings (usually single characters) and their
            replacements; an empty replacement deletes the source.

    Returns:
        Bytes accepted by ``tokenizers.normalizers.Precompiled``.
    """
    strings = bytearray()
    offsets: dict[str, int] = {}
    for replacement in sorted(set(mapping.values())):
        offsets[replacement] = len(strings)
        strings += replacement.encode("utf-8") + b"\0"
    trie = _build_trie({src.encode("utf-8"): offsets[dst] for src, dst in mapping.items()})
    array = _double_array(trie)
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(strings)


def lookup_precompiled_charsmap(blob: bytes, key: str) -> str | None:
    """Replacement for the shortest prefix of ``key`` in ``blob`` (darts-clone search).

    A pure-Python mirror of the lookup ``tokenizers`` performs, for tests and debugging.
    """
    (trie_bytes,) = struct.unpack_from("<I", blob)
    units = np.frombuffer(blob, dtype="<u4", count=trie_bytes // 4, offset=4)
    strings = blob[4 + trie_bytes :]

    def offset(unit: int) -> int:
        return (unit >> 10) << ((unit & (1 << 9)) >> 6)

    pos = offset(int(units[0]))
    for byte in key.encode("utf-8"):
        pos ^= byte
        unit = int(units[pos])
        if unit & (_VALUE_BIT | 0xFF) != byte:
            return None
        pos ^= offset(unit)
        if unit & _LEAF_BIT:
            start = int(units[pos]) & (_VALUE_BIT - 1)
            return strings[start : strings.index(b"\0", start)].decode("utf-8")
    return None
