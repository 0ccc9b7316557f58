"""Tagging speed per backend, int8 quantisation, and the linear → transformer cascade.

Every backend is timed on the same realistic sample, the test split's passages. Models are
found in ``models/``; a backend whose model directory (or base encoder) is missing is
recorded as skipped with the reason, so the benchmark also runs on a fresh clone, where only
``models/default`` exists.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import Series, interleaved, time_call

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "models"
BASE = MODELS / "base" / "multilingual-e5-small"
PASSAGES = REPO / "corpora" / "passages"

logger = logging.getLogger(__name__)


def skipped(reason: str) -> dict[str, Any]:
    return {"skipped": reason}


def find_model(backend: str) -> Path | None:
    """The newest model directory of ``backend`` (``models/default`` first for linear)."""
    candidates = [MODELS / "default"] if backend == "linear" else []
    runs = MODELS / "runs"
    if runs.is_dir():
        candidates += sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        config = path / "config.json"
        if config.is_file() and json.loads(config.read_text())["backend"] == backend:
            return path
    return None


def core_macro_f1(passages: Sequence[Any], probs: np.ndarray, model: Any) -> float:
    from protoscan.evaluate import evaluate_predictions

    result = evaluate_predictions(passages, probs, model.thresholds_, model.labels_)
    return round(100 * result.core["macro_f1"], 2)


def load_split(split: str) -> list[Any]:
    from protoscan.corpus.schema import load_passages

    return load_passages(PASSAGES, split=split)


# -- linear --------------------------------------------------------------------------------


def measure_linear(test: Sequence[Any], *, repeat: int, repeats: int) -> dict[str, Any]:
    """Single-threaded passages/s of the linear model on the test split repeated."""
    from threadpoolctl import threadpool_limits

    from protoscan.classify.model_dir import load_classifier

    path = find_model("linear")
    if path is None:
        return skipped("no linear model directory (models/default is missing)")
    model = load_classifier(path)
    texts = [p.text for p in test] * repeat
    with threadpool_limits(1):
        model.predict_proba(texts[:200])  # first-call set-up
        series, results = interleaved({"linear": lambda: model.predict_proba(texts)}, repeats)
    s = series["linear"]
    return {
        "model": str(path.relative_to(REPO)),
        "passages": len(texts),
        "threads": 1,
        **s.to_dict(),
        "passages_per_s_cpu": round(len(texts) / s.best_cpu, 1),
        "passages_per_s_wall": round(len(texts) / s.best_wall, 1),
        "core_macro_f1": core_macro_f1(test, results["linear"][: len(test)], model),
    }


# -- embedding -----------------------------------------------------------------------------


def measure_embedding(test: Sequence[Any], *, repeats: int, sample: int = 128) -> dict[str, Any]:
    """passages/s of the frozen-encoder backend, with its embedding cache emptied each run.

    Timed on the first ``sample`` test passages (the encoder costs as much as the
    transformer's; its F1 is in the model's ``metrics.json``).
    """
    from protoscan.classify.embedding import EmbeddingCache
    from protoscan.classify.model_dir import load_classifier

    path = find_model("embedding")
    if path is None:
        return skipped("no embedding model directory under models/runs")
    config = json.loads((path / "config.json").read_text())
    base = Path(config["hyperparameters"].get("base_model", ""))
    if not (REPO / base).is_dir():
        return skipped(f"its base encoder {base} is missing (build it: protoscan base import-e5)")
    model = load_classifier(path)
    model.cache_dir = None  # no on-disk cache: every run embeds every passage
    model.device = "cpu"
    texts = [p.text for p in test[:sample]]

    def run() -> np.ndarray:
        model._encoder().cache = EmbeddingCache()
        return model.predict_proba(texts)

    model._encoder()
    model.predict_proba(texts[:16])  # loads the encoder and sets up the kernels
    series, _ = interleaved({"embedding": run}, repeats)
    s = series["embedding"]
    out = {
        "model": str(path.relative_to(REPO)),
        "passages": len(texts),
        "threads": _torch_threads(),
        **s.to_dict(),
        "passages_per_s_wall": round(len(texts) / s.best_wall, 1),
        "core_macro_f1_in_metrics_json": _test_f1(path),
    }
    return out


def _test_f1(path: Path) -> float | None:
    metrics = path / "metrics.json"
    if not metrics.is_file():
        return None
    value = json.loads(metrics.read_text()).get("test", {}).get("core", {}).get("macro_f1")
    return None if value is None else round(100 * value, 2)


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


# -- transformer, int8 and cascade ---------------------------------------------------------


def _speed_only_transformer(quantize: bool) -> Any:
    """An untrained classification head on the base encoder: for timing only."""
    import torch

    from protoscan.classify.transformer import TransformerClassifier
    from protoscan.labels import ALL_LABELS

    model = TransformerClassifier(base_model=str(BASE), device="cpu")
    model.labels_ = ALL_LABELS
    model.thresholds_ = np.full(len(ALL_LABELS), 0.5)
    model.device_ = "cpu"
    model._load_base()
    net = model.model_.eval()
    if quantize:
        net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    model.model_ = net
    return model


def measure_transformer(
    test: Sequence[Any],
    dev: Sequence[Any],
    *,
    repeats: int,
    work_dir: Path,
    archive_texts: Sequence[str] = (),
) -> dict[str, Any]:
    """fp32 against int8 (speed and core macro-F1), then the cascade against fp32 alone.

    The cascade is tuned on the dev split, saved to ``work_dir`` and loaded back through
    ``load_classifier`` (twice: with an fp32 and with an int8 precise model), so the timed
    objects are what a scan would load. The transformer-only timings use the cascades' own
    precise members, so each model is in memory once.
    """
    from protoscan.classify.cascade import CascadeClassifier
    from protoscan.classify.model_dir import load_classifier

    path = find_model("transformer")
    texts = [p.text for p in test]
    out: dict[str, Any] = {"passages": len(texts), "threads": _torch_threads()}
    if path is None and not BASE.is_dir():
        reason = "no transformer model under models/runs and no base encoder in models/base"
        return {"transformer": skipped(reason), "cascade": skipped(reason)}
    if path is None:
        out["model"] = f"{BASE.relative_to(REPO)} + untrained head (speed only, no F1)"
        fp32, int8 = _speed_only_transformer(False), _speed_only_transformer(True)
        cascades: dict[str, Any] = {}
        cascade_note = skipped("no fine-tuned transformer: a cascade needs a trained precise model")
    else:
        linear = find_model("linear")
        if linear is None:
            return {"transformer": skipped("no linear model"), "cascade": skipped("no linear")}
        out["model"] = str(path.relative_to(REPO))
        fit_timing, tuned = time_call(
            lambda: CascadeClassifier(screen=linear, precise=path).fit([], dev)
        )
        cascade_dir = work_dir / "cascade"
        tuned.save(cascade_dir)
        tuning = tuned.tuning_
        del tuned
        gc.collect()
        cascades = {
            "cascade_fp32": load_classifier(cascade_dir),
            "cascade_int8": CascadeClassifier.load(cascade_dir, quantize=True),
        }
        fp32 = cascades["cascade_fp32"].members["precise"]
        int8 = cascades["cascade_int8"].members["precise"]
        cascade_note = {
            "dir": str(cascade_dir.relative_to(REPO)),
            "config_members": json.loads((cascade_dir / "config.json").read_text())["members"],
            "tuning": tuning,
            "tuning_seconds": round(fit_timing.wall, 1),
        }
    for model in (fp32, int8):
        model.predict_proba(texts[:64])  # first-call set-up (kernels, allocator)
    calls = {"fp32": lambda: fp32.predict_proba(texts), "int8": lambda: int8.predict_proba(texts)}
    for name, cascade in cascades.items():
        calls[name] = lambda c=cascade: c.predict_proba(texts)
    series, results = interleaved(calls, repeats)

    def timing(name: str) -> dict[str, Any]:
        rate = round(len(texts) / series[name].best_wall, 1)
        return {**series[name].to_dict(), "passages_per_s_wall": rate}

    transformer = {
        **out,
        "fp32": timing("fp32"),
        "int8": timing("int8"),
        "int8_speedup": round(series["fp32"].best_wall / series["int8"].best_wall, 2),
    }
    if path is None:
        return {"transformer": transformer, "cascade": cascade_note}
    # A candidate quantisation, timed once after the others (it is not protoscan's).
    keep = _int8_keeping_ffn_output(fp32)
    keep.predict_proba(texts[:64])
    keep_timing, results["int8_ffn_out_fp32"] = time_call(lambda: keep.predict_proba(texts))
    series["int8_ffn_out_fp32"] = Series([keep_timing])
    transformer["int8_ffn_out_fp32"] = {
        **timing("int8_ffn_out_fp32"),
        "speedup": round(series["fp32"].best_wall / series["int8_ffn_out_fp32"].best_wall, 2),
        "what": "candidate: int8 except the feed-forward output projections (bench-made)",
    }
    for name in ("fp32", "int8", "int8_ffn_out_fp32"):
        transformer[name]["core_macro_f1"] = core_macro_f1(test, results[name], fp32)
    transformer["int8_f1_change_points"] = round(
        transformer["int8"]["core_macro_f1"] - transformer["fp32"]["core_macro_f1"], 2
    )
    transformer["int8_ffn_out_fp32"]["f1_change_points"] = round(
        transformer["int8_ffn_out_fp32"]["core_macro_f1"] - transformer["fp32"]["core_macro_f1"], 2
    )
    routed = cascades["cascade_fp32"].route(texts)[1]
    cascade = {**cascade_note, "routed_share_test": round(float(routed.mean()), 4)}
    for name, precise_name in (("cascade_fp32", "fp32"), ("cascade_int8", "int8")):
        f1 = core_macro_f1(test, results[name], cascades[name])
        cascade[name] = {
            **timing(name),
            "core_macro_f1": f1,
            "speedup_vs_transformer_fp32": round(
                series["fp32"].best_wall / series[name].best_wall, 2
            ),
            "speedup_vs_its_precise_model": round(
                series[precise_name].best_wall / series[name].best_wall, 2
            ),
            "f1_change_points_vs_fp32": round(f1 - transformer["fp32"]["core_macro_f1"], 2),
            "decisions_equal_to_precise_model": _agreement(
                results[name], results[precise_name], cascades[name].thresholds_
            ),
        }
    # The routed passages were scored by the same precise models, in other batches: any
    # difference is the batch's doing (int8 dynamic quantisation scales activations per batch).
    transformer["batch_dependence"] = {
        name: _batch_dependence(
            results[f"cascade_{name}"][routed], results[name][routed], fp32.thresholds_
        )
        for name in ("fp32", "int8")
    }
    if archive_texts:
        cascade["archive_estimate"] = _archive_estimate(
            cascades["cascade_fp32"], archive_texts, series, len(texts)
        )
    return {"transformer": transformer, "cascade": cascade}


def _int8_keeping_ffn_output(model: Any) -> Any:
    """A copy of ``model`` quantised like protoscan's int8, but with every feed-forward
    output projection (``layer.N.output.dense``: 1536 → 384, fed by the GELU, whose outliers
    a per-tensor int8 scale clips) left in fp32. Measured beside protoscan's own int8."""
    import copy
    import warnings

    import torch

    names = [n for n, m in model.model_.named_modules() if isinstance(m, torch.nn.Linear)]
    chosen = {n for n in names if not (n.endswith(".output.dense") and "attention" not in n)}
    clone = copy.copy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone.model_ = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model.model_), chosen, dtype=torch.qint8
        ).eval()
    return clone


def _batch_dependence(
    probs: np.ndarray, reference: np.ndarray, thresholds: np.ndarray
) -> dict[str, Any]:
    """How much the same passages' scores moved when they were batched differently."""
    flips = (probs >= thresholds) != (reference >= thresholds)
    return {
        "passages": len(probs),
        "max_score_change": round(float(np.abs(probs - reference).max(initial=0.0)), 4),
        "decisions_changed": int(flips.sum()),
    }


def _agreement(probs: np.ndarray, reference: np.ndarray, thresholds: np.ndarray) -> float:
    """Share of (passage, label) decisions the cascade makes exactly as its precise model."""
    return round(float(np.mean((probs >= thresholds) == (reference >= thresholds))), 4)


def _archive_estimate(
    cascade: Any, texts: Sequence[str], series: dict[str, Any], n_test: int
) -> dict[str, Any]:
    """Routed share on archive passages and the cascade speed-up it implies.

    The archive's passages (from the scan) show how many passages of whole decisions pass
    the gate; the speed-up is estimated from the per-passage costs measured on the test
    split: screening every passage plus the precise model on the routed share.
    """
    from threadpoolctl import threadpool_limits

    texts = list(texts)
    with threadpool_limits(1):
        timing, (_, routed) = time_call(lambda: cascade.route(texts))
    screen_cost = timing.wall / len(texts)
    precise_cost = series["fp32"].best_wall / n_test
    share = float(routed.mean())
    return {
        "passages": len(texts),
        "routed_share": round(share, 4),
        "estimated_speedup_vs_transformer_fp32": round(
            precise_cost / (screen_cost + share * precise_cost), 2
        ),
    }
