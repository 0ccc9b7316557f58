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
import shutil
from collections.abc import Iterator, Sequence
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
    """The model of ``backend`` that the shipped default is built from, else the newest run.

    The default and its members come first, then the run an ONNX member was exported from
    (found by its encoder's weights, so a renamed run is still found), so the figures describe
    the shipped models and not whatever was trained last under ``runs/``.
    """
    for path in _candidates():
        config = path / "config.json"
        if config.is_file() and json.loads(config.read_text())["backend"] == backend:
            return path
    return None


def _runs() -> list[Path]:
    runs = MODELS / "runs"
    return [p for p in runs.iterdir() if p.is_dir()] if runs.is_dir() else []


def _candidates() -> Iterator[Path]:
    """The default, its members, their source runs, then every run, newest first. Lazy: the
    source runs are hashed only when no member is of the backend asked for."""
    default = MODELS / "default"
    members = sorted(default.glob("member-*")) if default.is_dir() else []
    yield default
    yield from members
    for member in members:
        origin = _source_run(json.loads((member / "config.json").read_text()).get("source") or {})
        if origin is not None:
            yield origin
    yield from sorted(_runs(), key=lambda p: p.stat().st_mtime, reverse=True)


def _source_run(source: dict[str, Any]) -> Path | None:
    """The run under ``models/runs`` whose encoder weights an export records as its source:
    the recorded path first, then any other run of the same backend."""
    from protoscan.classify.onnx_backend import weights_sha256

    if not source.get("weights_sha256"):
        return None
    recorded = REPO / source["path"] if source.get("path") else None
    candidates = [recorded] if recorded is not None else []
    candidates += [p for p in _runs() if p != recorded]
    for path in candidates:
        config_file = path / "config.json"
        if not (config_file.is_file() and (path / "encoder").is_dir()):
            continue
        if json.loads(config_file.read_text()).get("backend") != source.get("backend"):
            continue
        if weights_sha256(path / "encoder") == source["weights_sha256"]:
            return path
    return None


def core_macro_f1(passages: Sequence[Any], probs: np.ndarray, model: Any) -> float:
    from protoscan.training.evaluate import evaluate_predictions

    result = evaluate_predictions(passages, probs, model.thresholds_, model.labels_)
    return round(100 * result.core["macro_f1"], 2)


def load_split(split: str) -> list[Any]:
    """One split's passages, or every passage for ``"all"``."""
    from protoscan.corpus.schema import load_passages

    return load_passages(PASSAGES, split=None if split == "all" else split)


def load_real() -> list[Any]:
    """The real JO/IVO sentences of ../shared (evaluation only), or none when absent."""
    from protoscan.corpus.schema import load_passages
    from protoscan.training.train import real_dev_path

    path = real_dev_path()
    return load_passages(path) if path is not None else []


# -- linear --------------------------------------------------------------------------------


def measure_linear(test: Sequence[Any], *, repeats: int) -> dict[str, Any]:
    """Single-threaded passages/s of the linear model over every corpus passage, cold.

    Every passage of every split is distinct text, and the model's word caches are emptied
    before each run, so a run never profits from having seen its own text before.
    """
    from threadpoolctl import threadpool_limits

    from protoscan.classify.features import clear_caches
    from protoscan.classify.model_dir import load_classifier

    path = find_model("linear")
    if path is None:
        return skipped("no linear model directory (models/default is missing)")
    model = load_classifier(path)
    texts = [p.text for p in load_split("all")]

    scorer = getattr(model, "scorer_", None)  # array-based models keep their own word caches

    def cold_run() -> np.ndarray:
        clear_caches()
        if scorer is not None:
            scorer.clear_caches()
        return model.predict_proba(texts)

    with threadpool_limits(1):
        model.predict_proba(texts[:50])  # first-call set-up (imports, scikit-learn checks)
        series, _ = interleaved({"linear": cold_run}, repeats)
    s = series["linear"]
    with threadpool_limits(1):
        test_probs = model.predict_proba([p.text for p in test])
    return {
        "model": str(path.relative_to(REPO)),
        "passages": len(texts),
        "threads": 1,
        "cold_cache": True,
        **s.to_dict(),
        "passages_per_s_cpu": round(len(texts) / s.best_cpu, 1),
        "passages_per_s_wall": round(len(texts) / s.best_wall, 1),
        "core_macro_f1": core_macro_f1(test, test_probs, model),
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
    real: Sequence[Any] = (),
) -> dict[str, Any]:
    """PyTorch fp32 against the CPU-optimised paths, then the cascades.

    Timed on the test split: PyTorch fp32 as protoscan runs it on a CPU (16 passages per
    batch) and at 64 (the faster of the two is the baseline), PyTorch dynamic int8, and the
    ONNX Runtime int8 export (exported into ``work_dir`` unless ``models/runs`` holds an
    export of the same weights). Two cascades are tuned on dev, saved and loaded back through
    ``load_classifier``, one per precise model (PyTorch fp32, ONNX int8); the transformer-only
    timings use the cascades' own precise members, so each model is in memory once.
    """
    from protoscan.classify.cascade import CascadeClassifier
    from protoscan.classify.model_dir import load_classifier
    from protoscan.classify.transformer import TransformerClassifier

    path = find_model("transformer")
    texts = [p.text for p in test]
    out: dict[str, Any] = {"passages": len(texts), "threads": _torch_threads()}
    if path is None and not BASE.is_dir():
        reason = "no transformer model under models/runs and no base encoder in models/base"
        return {"transformer": skipped(reason), "cascade": skipped(reason)}
    if path is None:
        out["model"] = f"{BASE.relative_to(REPO)} + untrained head (speed only, no F1)"
        fp32, int8 = _speed_only_transformer(False), _speed_only_transformer(True)
        calls = _transformer_calls(fp32, int8, None)
        _warm_up(calls, texts)
        series, _ = interleaved(calls, repeats)
        note = skipped("no fine-tuned transformer: the export and the cascades need one")
        return {"transformer": {**out, **_speeds(series, len(texts))}, "cascade": note}
    linear = find_model("linear")
    if linear is None:
        return {"transformer": skipped("no linear model"), "cascade": skipped("no linear")}
    out["model"] = str(path.relative_to(REPO))
    onnx_dir, out["onnx_export"] = _onnx_model(path, work_dir)
    cascades: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for name, precise in (("cascade_fp32", path), ("cascade_onnx", onnx_dir)):
        fit_timing, tuned = time_call(
            lambda p=precise: CascadeClassifier(screen=linear, precise=p).fit([], dev)
        )
        cascade_dir = work_dir / name.replace("_", "-")
        if cascade_dir.exists():
            shutil.rmtree(cascade_dir)
        tuned.save(cascade_dir)
        notes[name] = {
            "dir": str(cascade_dir.relative_to(REPO)),
            "config_members": json.loads((cascade_dir / "config.json").read_text())["members"],
            "tuning": tuned.tuning_,
            "tuning_seconds": round(fit_timing.wall, 1),
        }
        del tuned
        gc.collect()
        cascades[name] = load_classifier(cascade_dir)
    fp32 = cascades["cascade_fp32"].members["precise"]
    onnx = cascades["cascade_onnx"].members["precise"]
    int8 = TransformerClassifier.load(path, device="cpu", quantize=True)
    calls = _transformer_calls(fp32, int8, onnx)
    for name, cascade in cascades.items():
        calls[name] = lambda c=cascade: c.predict_proba(texts)
    _warm_up(calls, texts)
    series, results = interleaved(calls, repeats)
    transformer = {**out, **_speeds(series, len(texts))}
    for name in ("fp32", "fp32_batch64", "int8", "onnx_int8"):
        transformer[name]["core_macro_f1"] = core_macro_f1(test, results[name], fp32)
    for name in ("int8", "onnx_int8"):
        transformer[f"{name}_f1_change_points"] = round(
            transformer[name]["core_macro_f1"] - transformer["fp32"]["core_macro_f1"], 2
        )
    baseline = series[transformer["baseline"]].best_wall
    cascade: dict[str, Any] = {}
    routed_by: dict[str, np.ndarray] = {}
    for name, precise_name in (("cascade_fp32", "fp32"), ("cascade_onnx", "onnx_int8")):
        routed_by[name] = cascades[name].route(texts)[1]
        f1 = core_macro_f1(test, results[name], cascades[name])
        precise_f1 = transformer[precise_name]["core_macro_f1"]
        cascade[name] = {
            **notes[name],
            **_timing(series[name], len(texts)),
            "routed_share_test": round(float(routed_by[name].mean()), 4),
            "core_macro_f1": f1,
            "speedup_vs_its_precise_model": round(
                series[precise_name].best_wall / series[name].best_wall, 2
            ),
            "speedup_vs_pytorch_fp32": round(baseline / series[name].best_wall, 2),
            "f1_change_points_vs_its_precise_model": round(f1 - precise_f1, 2),
            "f1_change_points_vs_pytorch_fp32": round(f1 - transformer["fp32"]["core_macro_f1"], 2),
            "decisions_equal_to_precise_model": _agreement(
                results[name], results[precise_name], cascades[name].thresholds_
            ),
        }
    # The same passages scored alone with the routed ones (in the cascade's batches) and
    # in the full test run: any difference is the batching's doing.
    routed = routed_by["cascade_fp32"]
    int8_routed = int8.predict_proba([t for t, r in zip(texts, routed, strict=True) if r])
    transformer["batch_dependence"] = {
        "fp32": _batch_dependence(
            results["cascade_fp32"][routed], results["fp32"][routed], fp32.thresholds_
        ),
        "int8": _batch_dependence(int8_routed, results["int8"][routed], fp32.thresholds_),
        "onnx_int8": _batch_dependence(
            results["cascade_onnx"][routed_by["cascade_onnx"]],
            results["onnx_int8"][routed_by["cascade_onnx"]],
            onnx.thresholds_,
        ),
    }
    if real:
        cascade["real_sentences"] = _real_cascade(cascades, real, repeats)
    if archive_texts:
        cascade["archive_estimate"] = {
            name: _archive_estimate(
                cascades[name], archive_texts, series, len(texts), precise_name, baseline
            )
            for name, precise_name in (("cascade_fp32", "fp32"), ("cascade_onnx", "onnx_int8"))
        }
    return {"transformer": transformer, "cascade": cascade}


def _real_cascade(cascades: dict[str, Any], real: Sequence[Any], repeats: int) -> dict[str, Any]:
    """Each cascade against its own precise model on the real JO/IVO sentences
    (evaluation only: the gate was tuned on the corpus dev split)."""
    texts = [p.text for p in real]
    calls: dict[str, Any] = {}
    for name, cascade in cascades.items():
        calls[name] = lambda c=cascade: c.predict_proba(texts)
        precise = cascade.members["precise"]
        calls[f"{name}_precise"] = lambda m=precise: m.predict_proba(texts)
    for fn in calls.values():  # warm-up
        fn()
    series, results = interleaved(calls, repeats)
    out: dict[str, Any] = {"passages": len(texts), "labelled": sum(bool(p.labels) for p in real)}
    fp32_name = "cascade_fp32_precise"  # the PyTorch fp32 transformer alone
    fp32_f1 = core_macro_f1(real, results[fp32_name], cascades["cascade_fp32"].members["precise"])
    for name, cascade in cascades.items():
        precise = cascade.members["precise"]
        f1 = core_macro_f1(real, results[name], cascade)
        precise_f1 = core_macro_f1(real, results[f"{name}_precise"], precise)
        out[name] = {
            "routed_share": round(float(cascade.route(texts)[1].mean()), 4),
            "seconds": round(series[name].best_wall, 3),
            "precise_seconds": round(series[f"{name}_precise"].best_wall, 3),
            "speedup_vs_its_precise_model": round(
                series[f"{name}_precise"].best_wall / series[name].best_wall, 2
            ),
            "core_macro_f1": f1,
            "precise_core_macro_f1": precise_f1,
            "f1_change_points": round(f1 - precise_f1, 2),
            "speedup_vs_pytorch_fp32": round(
                series[fp32_name].best_wall / series[name].best_wall, 2
            ),
            "f1_change_points_vs_pytorch_fp32": round(f1 - fp32_f1, 2),
        }
    return out


def _transformer_calls(fp32: Any, int8: Any, onnx: Any | None) -> dict[str, Any]:
    """The timed transformer-only calls (``texts`` is bound by :func:`_warm_up`)."""

    def at_batch(size: int) -> Any:
        def run(texts: list[str]) -> np.ndarray:
            configured, fp32.cpu_eval_batch_size = fp32.cpu_eval_batch_size, size
            try:
                return fp32.predict_proba(texts)
            finally:
                fp32.cpu_eval_batch_size = configured

        return run

    calls = {"fp32": fp32.predict_proba, "fp32_batch64": at_batch(64), "int8": int8.predict_proba}
    if onnx is not None:
        calls["onnx_int8"] = onnx.predict_proba
    return calls


def _warm_up(calls: dict[str, Any], texts: list[str]) -> None:
    """First-call set-up (kernels, allocator, thread pools), then bind the texts."""
    for name, fn in list(calls.items()):
        if name.startswith("cascade"):
            fn()
            continue
        fn(texts[:32])
        calls[name] = lambda fn=fn: fn(texts)


def _timing(series: Series, n: int) -> dict[str, Any]:
    return {**series.to_dict(), "passages_per_s_wall": round(n / series.best_wall, 1)}


def _speeds(series: dict[str, Series], n: int) -> dict[str, Any]:
    """Timings, the PyTorch fp32 baseline (the faster batch size) and speed-ups over it."""
    baseline = min(("fp32", "fp32_batch64"), key=lambda name: series[name].best_wall)
    speeds: dict[str, Any] = {name: _timing(series[name], n) for name in series}
    speeds["baseline"] = baseline
    for name in ("int8", "onnx_int8"):
        if name in series:
            speeds[f"{name}_speedup"] = round(
                series[baseline].best_wall / series[name].best_wall, 2
            )
    return speeds


def _onnx_model(source: Path, work_dir: Path) -> tuple[Path, dict[str, Any]]:
    """An int8 ONNX export of ``source``: one under ``models/runs`` made from the same
    weights, a cached one in ``work_dir``, or a new export (timed)."""
    from protoscan.classify.onnx_backend import export_onnx, weights_sha256

    weights = weights_sha256(source / "encoder")
    candidates = _runs() + sorted(work_dir.glob("onnx-int8-*"))
    for candidate in candidates:
        config_file = candidate / "config.json"
        if not config_file.is_file():
            continue
        config = json.loads(config_file.read_text())
        if (
            config.get("backend") == "onnx"
            and config["hyperparameters"].get("quantized")
            and config.get("source", {}).get("weights_sha256") == weights
        ):
            return candidate, {"dir": str(candidate.relative_to(REPO)), "reused": True}
    target = work_dir / f"onnx-int8-{weights[:12]}"
    timing, _ = time_call(lambda: export_onnx(source, target))
    return target, {
        "dir": str(target.relative_to(REPO)),
        "reused": False,
        "export_seconds": round(timing.wall, 1),
    }


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
    cascade: Any,
    texts: Sequence[str],
    series: dict[str, Any],
    n_test: int,
    precise_name: str,
    baseline: float,
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
    precise_cost = series[precise_name].best_wall / n_test
    share = float(routed.mean())
    cascade_cost = screen_cost + share * precise_cost
    return {
        "passages": len(texts),
        "routed_share": round(share, 4),
        "estimated_speedup_vs_its_precise_model": round(precise_cost / cascade_cost, 2),
        "estimated_speedup_vs_pytorch_fp32": round(baseline / n_test / cascade_cost, 2),
    }
