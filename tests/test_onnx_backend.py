"""ONNX export of a tiny fine-tuned BERT: fidelity, batch independence, safe loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from passage_samples import sample_passages
from tiny_models import build_tiny_bert

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from protoscan.classify import onnx_backend
from protoscan.classify.model_dir import load_classifier
from protoscan.classify.onnx_backend import (
    OnnxClassifier,
    OnnxExportError,
    export_onnx,
)
from protoscan.classify.transformer import TransformerClassifier
from protoscan.cli import app
from protoscan.errors import ConfigError, ModelLoadError

TEXTS = [p.text for p in sample_passages()]


@pytest.fixture(scope="module")
def tiny_transformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), TEXTS * 3)
    model = TransformerClassifier(
        base_model=str(base), epochs=15, batch_size=10, learning_rate=3e-3, max_length=48
    )
    model.fit(sample_passages())
    path = tmp_path_factory.mktemp("transformer") / "model"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def exports(tiny_transformer: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exports")
    export_onnx(tiny_transformer, root / "fp32", quantize=False)
    export_onnx(tiny_transformer, root / "int8")
    return {"fp32": root / "fp32", "int8": root / "int8"}


def test_fp32_export_reproduces_torch(tiny_transformer: Path, exports: dict[str, Path]) -> None:
    torch_model = load_classifier(tiny_transformer)
    exported = load_classifier(exports["fp32"])
    assert isinstance(exported, OnnxClassifier)
    assert not exported.quantized
    # torch pads the passages into batches; the export runs each passage unpadded.
    np.testing.assert_allclose(
        exported.predict_proba(TEXTS), torch_model.predict_proba(TEXTS), atol=1e-4
    )
    assert exported.labels_ == torch_model.labels_
    np.testing.assert_array_equal(exported.thresholds_, torch_model.thresholds_)


def test_int8_export_stays_close_and_is_smaller(
    tiny_transformer: Path, exports: dict[str, Path]
) -> None:
    torch_probs = load_classifier(tiny_transformer).predict_proba(TEXTS)
    exported = load_classifier(exports["int8"])
    assert exported.quantized
    assert np.abs(exported.predict_proba(TEXTS) - torch_probs).max() < 0.1
    size = {name: (path / "model.onnx").stat().st_size for name, path in exports.items()}
    assert size["int8"] < size["fp32"]


#: Operators whose second input is an int8 weight multiplied by uint8 activations.
_INTEGER_MATMULS = {"MatMulInteger", "QAttention", "DynamicQuantizeMatMul"}


def test_int8_weights_leave_headroom_on_every_cpu(exports: dict[str, Path]) -> None:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(exports["int8"] / "model.onnx")).graph
    weights = {init.name: init for init in graph.initializer}
    ranges = [
        np.abs(numpy_helper.to_array(weights[node.input[1]]).astype(np.int32)).max()
        for node in graph.node
        if node.op_type in _INTEGER_MATMULS and node.input[1] in weights
    ]
    assert ranges, "no integer matrix products in the int8 export"
    # 255 · 64 · 2 fits int16: no CPU kernel can saturate a pair of products.
    assert max(ranges) <= 2 ** (onnx_backend.INT8_WEIGHT_BITS - 1)
    config = json.loads((exports["int8"] / "config.json").read_text())
    assert config["hyperparameters"]["weight_bits"] == onnx_backend.INT8_WEIGHT_BITS


def test_an_export_with_full_range_weights_loads_with_a_warning(
    exports: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    with caplog.at_level("WARNING", logger=onnx_backend.__name__):
        load_classifier(exports["int8"])
        load_classifier(exports["fp32"])
    assert not caplog.records
    older = tmp_path / "older"
    shutil.copytree(exports["int8"], older)
    config = json.loads((older / "config.json").read_text())
    del config["hyperparameters"]["weight_bits"]  # as written before the field existed
    (older / "config.json").write_text(json.dumps(config))
    with caplog.at_level("WARNING", logger=onnx_backend.__name__):
        assert load_classifier(older).quantized
    assert "full-range weights" in caplog.text and "export-onnx" in caplog.text
    # The command line shows it too, as one line on stderr.
    answer = CliRunner().invoke(
        app, ["classify", "-", "--model", str(older)], input='{"id": "1", "text": "Hej."}\n'
    )
    assert answer.exit_code == 0, answer.output
    assert answer.stderr.startswith("warning: ") and "export-onnx" in answer.stderr
    assert '"id": "1"' in answer.stdout


def test_quantized_products_are_exact_on_this_cpu(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    # A product whose quantised activations are all 255 and weights all at the top of their
    # range: on CPUs without VNNI, full-range int8 weights saturate here and lose half.
    depth, width = 256, 8
    weight = np.full((depth, width), 0.5, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "product",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, depth])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, width])],
        [helper.make_tensor("w", TensorProto.FLOAT, weight.shape, weight.ravel().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "float.onnx"))
    onnx_backend._quantize(tmp_path / "float.onnx", tmp_path / "int8.onnx")
    session = ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"])
    x = np.ones((1, depth), dtype=np.float32)
    np.testing.assert_allclose(session.run(None, {"x": x})[0], x @ weight, rtol=0.02)


def test_scores_do_not_depend_on_the_other_passages(exports: dict[str, Path]) -> None:
    model = load_classifier(exports["int8"])
    together = model.predict_proba(TEXTS)
    for i in (0, len(TEXTS) // 2, len(TEXTS) - 1):
        np.testing.assert_array_equal(model.predict_proba([TEXTS[i]])[0], together[i])
    model.set_threads(1)
    np.testing.assert_array_equal(model.predict_proba(TEXTS), together)


def test_config_names_the_source(tiny_transformer: Path, exports: dict[str, Path]) -> None:
    config = json.loads((exports["int8"] / "config.json").read_text())
    assert config["backend"] == "onnx"
    assert config["source"]["backend"] == "transformer"
    assert config["source"]["path"] == str(tiny_transformer)
    assert len(config["source"]["weights_sha256"]) == 64
    assert config["hyperparameters"]["max_length"] == 48


def test_failed_check_leaves_no_output(
    tiny_transformer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_backend, "EXPORT_TOLERANCE", -1.0)
    with pytest.raises(OnnxExportError, match="differ from torch"):
        export_onnx(tiny_transformer, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_bad_requests(
    tiny_transformer: Path, exports: dict[str, Path], model_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="exists"):
        export_onnx(tiny_transformer, exports["int8"])
    with pytest.raises(ConfigError, match="needs a transformer"):
        export_onnx(model_dir, tmp_path / "out")
    with pytest.raises(ConfigError, match="exported from a trained transformer"):
        OnnxClassifier().fit(sample_passages())


def test_unexpected_files_are_refused(exports: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(exports["int8"], copy)
    (copy / "tokenizer" / "extra.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelLoadError, match="unexpected file"):
        load_classifier(copy)
    (copy / "tokenizer" / "extra.pkl").unlink()
    (copy / "model.onnx").write_bytes(b"not an onnx graph")
    with pytest.raises(ModelLoadError, match="not a loadable ONNX model"):
        load_classifier(copy)


def test_cli_exports_and_compares(tiny_transformer: Path, tmp_path: Path) -> None:
    data = tmp_path / "passages.jsonl"
    data.write_text(
        "".join(
            json.dumps({**p.to_dict(), "split": "test"}, ensure_ascii=False) + "\n"
            for p in sample_passages()
        ),
        encoding="utf-8",
    )
    out = tmp_path / "onnx"
    args = ["export-onnx", str(tiny_transformer), "--output", str(out), "--data", str(data)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "core macro-F1 change" in result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["backend"] == "onnx" and metrics["test"]["n"] == len(sample_passages())
    assert "protoscan model: " in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert load_classifier(out).predict_proba(["Barnet hördes inte."]).shape == (1, 7)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "exists" in again.output


def test_cascade_passes_threads_on(exports: dict[str, Path], model_dir: Path) -> None:
    from protoscan.classify.cascade import CascadeClassifier

    cascade = CascadeClassifier(screen=model_dir, precise=exports["int8"], gate=0.05)
    cascade.fit([], sample_passages())
    cascade.set_threads(3)
    assert cascade.members["precise"].threads == 3


def test_scan_with_an_onnx_model(exports: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from protoscan.batch import ScanOptions, read_results, run_scan

    docs = Path(__file__).resolve().parents[1] / "corpora" / "documents"
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("doc-jo-01.txt", "doc-ivo-01.txt"):
        shutil.copy(docs / name, folder / name)
    out = tmp_path / "r.jsonl"
    summary = run_scan([folder], out, ScanOptions(model=exports["int8"], workers=2))
    assert summary.documents == 2 and not summary.failures
    scored = read_results(out, record="passage")
    assert scored
    model = load_classifier(exports["int8"])
    first = scored[0]
    expected = model.predict_proba([first["text"]])[0]
    got = [first["scores"][label] for label in model.labels_]
    np.testing.assert_allclose(got, expected, atol=2e-4)  # scores are saved rounded
