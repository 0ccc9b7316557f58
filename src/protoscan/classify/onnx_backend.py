"""A fine-tuned transformer exported to ONNX and run with ONNX Runtime on the CPU.

``export_onnx`` turns a trained transformer model directory into a model directory of its
own (backend ``onnx``): the encoder traced to ONNX with eager attention, so that ONNX
Runtime's transformer optimiser fuses attention, bias-GELU and skip-layer-norm, then (by
default) dynamically quantised to int8. Labels and thresholds are the source model's. The
exported directory needs neither torch nor transformers' model code to tag passages, only
``onnxruntime`` and the tokenizer.

Each passage is run on its own, unpadded. Dynamic int8 quantisation scales activations per
call, so batching passages together would make a passage's scores depend on its neighbours
(and on their padding); one passage per call keeps every score a function of that passage
alone. Throughput comes from running passages in parallel threads, each on one core, which
on CPUs beats intra-op threading of the small per-passage matrices.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier
from protoscan.classify.model_dir import (
    check_file_suffixes,
    check_model_dir,
    read_config,
    write_config,
)
from protoscan.classify.stance import head_proba
from protoscan.corpus.schema import CorpusPassage
from protoscan.errors import ConfigError, ModelLoadError, ProtoscanError
from protoscan.hashing import files_sha256

__all__ = [
    "OnnxClassifier",
    "OnnxExportError",
    "available_cores",
    "export_onnx",
    "weights_sha256",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "model.onnx"
TOKENIZER_DIR = "tokenizer"
TOKENIZER_FILE = "tokenizer.json"
_TOKENIZER_SUFFIXES = (".json", ".txt", ".model")
#: Largest difference in logits allowed between the fused fp32 graph and torch.
EXPORT_TOLERANCE = 1e-3
#: Bits of the int8 weights' range an export uses (see ``_quantize``); recorded in its config.
INT8_WEIGHT_BITS = 7
#: Sentences that every export is checked on (short, long, with and without accents).
PROBE_TEXTS = (
    "Barnet har inte hörts.",
    "Nämnden har inte dokumenterat sina överväganden om barnets bästa i beslutet, och "
    "vårdnadshavarna fick inte del av utredningen innan ärendet avgjordes.",
    "IVO konstaterar att uppföljningen av placeringen dröjde i sju månader.",
)


class OnnxExportError(ProtoscanError):
    """The exported graph does not reproduce the source model."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, where the platform reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


class OnnxClassifier(BaseClassifier):
    """Tags passages with an exported transformer; made by :func:`export_onnx`, not ``fit``."""

    backend: ClassVar[str] = "onnx"

    def __init__(
        self,
        *,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
        max_length: int = 256,
        quantized: bool = True,
        stance_head: bool = False,
        scope_in_label_head: bool = False,
        weight_bits: int | None = None,
        threads: int | None = None,
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.max_length = max_length
        self.quantized = quantized
        #: ``INT8_WEIGHT_BITS`` for exports whose int8 products are exact on every CPU;
        #: ``None`` for fp32 exports and for int8 exports made before it was recorded.
        self.weight_bits = weight_bits
        self.stance_head = stance_head
        self.scope_in_label_head = scope_in_label_head
        self.threads = threads or available_cores()

    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            "max_length": self.max_length,
            "quantized": self.quantized,
            "stance_head": self.stance_head,
            "scope_in_label_head": self.scope_in_label_head,
            "weight_bits": self.weight_bits,
        }

    def set_threads(self, threads: int) -> None:
        """How many passages run at once (each on one core)."""
        self.threads = max(1, int(threads))

    def _fit(
        self, passages: Sequence[CorpusPassage], y: np.ndarray, dev: Sequence[CorpusPassage] | None
    ) -> None:
        raise ConfigError(
            "an onnx model is exported from a trained transformer, not trained: "
            "train with training/transformer-e5-small.toml, then `protoscan model export-onnx`"
        )

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        encoded = [encoding.ids for encoding in self.tokenizer_.encode_batch(texts)]
        run = partial(_logits, self.session_)
        if self.threads == 1 or len(texts) == 1:
            logits = [run(ids) for ids in encoded]
        else:
            with ThreadPoolExecutor(max_workers=min(self.threads, len(texts))) as pool:
                logits = list(pool.map(run, encoded))
        return head_proba(
            np.stack(logits), len(self.labels_), self.stance_head, self.scope_in_label_head
        )

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if Path(self.model_file_).resolve() != (path / MODEL_NAME).resolve():
            shutil.copyfile(self.model_file_, path / MODEL_NAME)
        (path / TOKENIZER_DIR).mkdir(exist_ok=True)
        self.tokenizer_.save(str(path / TOKENIZER_DIR / TOKENIZER_FILE))
        write_config(path, self, **getattr(self, "export_info_", {}))

    @classmethod
    def load(cls, path: Path, *, threads: int | None = None) -> OnnxClassifier:
        path = Path(path)
        config = read_config(path)
        check_model_dir(path, required={MODEL_NAME, TOKENIZER_DIR})
        tokenizer_dir = path / TOKENIZER_DIR
        check_file_suffixes(tokenizer_dir, _TOKENIZER_SUFFIXES, "json/txt tokenizer files")
        model = cls.from_config(config, threads=threads)
        if model.quantized and model.weight_bits != INT8_WEIGHT_BITS:
            logger.warning(
                "%s: an int8 export with full-range weights, whose scores differ between CPUs "
                "with and without VNNI; export its transformer again (protoscan export-onnx)",
                path,
            )
        model.tokenizer_ = _tokenizer(tokenizer_dir / TOKENIZER_FILE, model.max_length)
        model.session_ = _session(path / MODEL_NAME)
        model.model_file_ = path / MODEL_NAME
        model.export_info_ = {k: config[k] for k in ("source",) if k in config}
        return model


def _tokenizer(file: Path, max_length: int) -> Any:
    """The fast tokenizer alone (no transformers import): what start-up time allows."""
    from tokenizers import Tokenizer

    if not file.is_file():
        raise ModelLoadError(f"{file}: missing; re-export the model")
    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def _logits(session: Any, ids: Sequence[int]) -> np.ndarray:
    """One passage's logits: its token ids, unpadded, in a call of its own."""
    input_ids = np.asarray([ids], dtype=np.int64)
    feed = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
    return session.run(None, feed)[0][0]


def _session(file: Path) -> Any:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelLoadError(
            "the onnx backend needs onnxruntime: pip install 'protoscan[onnx]'"
        ) from None
    options = ort.SessionOptions()
    # One core per call; parallelism comes from running passages side by side.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise ModelLoadError(f"{file}: not a loadable ONNX model ({error})") from None


# -- export ---------------------------------------------------------------------------------


def export_onnx(source: Path, output: Path, *, quantize: bool = True) -> OnnxClassifier:
    """Export a trained transformer model directory to an ``onnx`` model directory.

    The directory appears complete or not at all (it is built beside ``output`` and renamed).

    Raises:
        ConfigError: ``source`` is not a transformer model, or ``output`` exists.
        OnnxExportError: The fused graph's logits differ from torch's on the probe sentences.
    """
    source, output = Path(source), Path(output)
    config = read_config(source)
    if config["backend"] != "transformer":
        raise ConfigError(f"{source}: a {config['backend']} model; export needs a transformer")
    if output.exists():
        raise ConfigError(f"{output} exists; choose a new directory for the exported model")
    output.parent.mkdir(parents=True, exist_ok=True)
    encoder = source / "encoder"
    with tempfile.TemporaryDirectory(prefix=f".{output.name}-", dir=output.parent) as work:
        work_dir = Path(work)
        traced = work_dir / "traced.onnx"
        fused = work_dir / "fused.onnx"
        net, tokenizer = _eager_encoder(encoder)
        _trace(net, tokenizer, traced)
        _fuse(net.config, traced, fused)
        _check_against_torch(net, tokenizer, fused)
        target = work_dir / "model"
        target.mkdir()
        if quantize:
            _quantize(fused, target / MODEL_NAME)
        else:
            shutil.copyfile(fused, target / MODEL_NAME)
        hyper = config.get("hyperparameters", {})
        model = OnnxClassifier(
            labels=config["labels"],
            max_length=int(hyper.get("max_length", 256)),
            quantized=quantize,
            stance_head=bool(hyper.get("stance_head", False)),
            scope_in_label_head=bool(hyper.get("scope_in_label_head", False)),
            weight_bits=INT8_WEIGHT_BITS if quantize else None,
        )
        model.labels_ = tuple(config["labels"])
        model.thresholds_ = np.asarray(config["thresholds"], dtype=np.float64)
        model.info_ = {k: config[k] for k in ("training", "recipe") if k in config}
        model.export_info_ = {"source": _source_info(source, config, encoder)}
        model.tokenizer_ = tokenizer.backend_tokenizer
        model.model_file_ = target / MODEL_NAME
        model.save(target)
        target.rename(output)
    return OnnxClassifier.load(output)


def _eager_encoder(encoder: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    # Eager attention traces to the MatMul/Softmax pattern the optimiser fuses; the default
    # scaled-dot-product attention traces to a form it leaves unfused.
    net = AutoModelForSequenceClassification.from_pretrained(
        encoder, local_files_only=True, use_safetensors=True, attn_implementation="eager"
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(encoder, local_files_only=True)
    return net, tokenizer


def _trace(net: Any, tokenizer: Any, file: Path) -> None:
    import torch

    example = tokenizer(list(PROBE_TEXTS[:2]), padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes on Python control flow in the model
        torch.onnx.export(
            net,
            (example["input_ids"], example["attention_mask"]),
            str(file),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _fuse(config: Any, traced: Path, fused: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    optimised = optimize_model(
        str(traced),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=1,
    )
    fusions = {k: v for k, v in optimised.get_fused_operator_statistics().items() if v}
    logger.info("onnx fusions: %s", fusions)
    optimised.save_model_to_file(str(fused))


def _quantize(fused: Path, file: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fused),
        str(file),
        weight_type=QuantType.QInt8,
        # One scale per output channel: per-tensor scales cost the fine-tuned e5-small about
        # 6 test points of core macro-F1 on passages, per-channel about 2 (same 31 MB).
        per_channel=True,
        # Weights in [-64, 64] (INT8_WEIGHT_BITS), not [-127, 127]. On x86 CPUs without
        # VNNI (AVX2, AVX-512F) ONNX Runtime multiplies uint8 activations by int8 weights
        # with VPMADDUBSW, which saturates each pair of products at 32767; full-range
        # weights then give different scores there than on VNNI CPUs. Seven-bit weights keep
        # every pair in range, so the integer products are exact on every CPU.
        reduce_range=True,
        # Fused operators are outside ONNX's type inference; their outputs are float.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _check_against_torch(net: Any, tokenizer: Any, fused: Path) -> None:
    import torch

    session = _session(fused)
    for text in PROBE_TEXTS:
        enc = tokenizer([text], return_tensors="pt")
        with torch.inference_mode():
            expected = net(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        got = _logits(session, enc["input_ids"][0].tolist())
        difference = float(np.abs(got - expected.logits.numpy()[0]).max())
        if difference > EXPORT_TOLERANCE:
            raise OnnxExportError(
                f"the exported graph's logits differ from torch's by {difference:.2g} on "
                f"{text!r} (tolerance {EXPORT_TOLERANCE}); the export is not used"
            )


def weights_sha256(encoder: Path) -> str:
    """SHA-256 over an encoder directory's safetensors files (names sorted): what an
    export records as its source, and how the bench finds an export of the same weights."""
    return files_sha256(sorted(Path(encoder).glob("*.safetensors")))


def _source_info(source: Path, config: dict[str, Any], encoder: Path) -> dict[str, Any]:
    return {
        "path": str(source),
        "backend": config["backend"],
        "created": config.get("created"),
        "weights_sha256": weights_sha256(encoder),
    }
