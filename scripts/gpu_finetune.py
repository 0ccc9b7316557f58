"""Fine-tune the transformer recipe on a GPU machine that cannot hold the full base.

Run from the repository root with ``PYTHONPATH=src`` after ``protoscan base trim --output
out/e5-trimmed``; the trimmed base is the only large file that has to travel. Trains the
recipe at several batch sizes and precisions (timing the GPU path of ``make
train-transformer``), then exports the run that scores best on the dev split as
float16 shards, which ``protoscan base untrim`` turns back into a full model.

    python scripts/gpu_finetune.py --base out/e5-trimmed --out "$OUT"
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from protoscan.base.trim import export_shards
from protoscan.corpus.schema import load_passages
from protoscan.training.train import load_config, train

RECIPE = Path("training/transformer-e5-small.toml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--variants",
        default="16:amp,64:amp,16:fp32",
        help="batch:precision[:learning_rate[:epochs]],… (the best on dev is exported)",
    )
    args = parser.parse_args()
    report: dict[str, object] = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
        "runs": {},
    }
    test = load_passages("corpora/passages", split="test")
    best: tuple[float, str, Path, object] = (-1.0, "", Path(), None)
    for variant in args.variants.split(","):
        batch, precision, *rest = variant.split(":")
        overrides: dict[str, object] = {
            "params.base_model": str(args.base),
            "params.batch_size": int(batch),
            "params.mixed_precision": precision == "amp",
            "evaluate_real_dev": False,
        }
        if rest:
            overrides["params.learning_rate"] = float(rest[0])
        if len(rest) > 1:
            overrides["params.epochs"] = int(rest[1])
        config = load_config(RECIPE, overrides)
        run_dir = Path(f"/tmp/gpu-run-{variant.replace(':', '-')}")
        result = train(config, run_dir=run_dir)
        from protoscan.classify.model_dir import load_classifier

        model = load_classifier(run_dir)
        texts = [p.text for p in test] * 8
        torch.cuda.synchronize()
        started = time.perf_counter()
        model.predict_proba(texts)
        torch.cuda.synchronize()
        report["runs"][variant] = {
            "train_seconds": round(result.seconds, 1),
            "epochs": len(result.metrics["history"]),
            "history": result.metrics["history"],
            "dev_core": result.dev.core,
            "test_core": result.test.core,
            "test_all": result.test.all,
            "inference_passages_per_s": round(len(texts) / (time.perf_counter() - started)),
            "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20),
        }
        torch.cuda.reset_peak_memory_stats()
        print(json.dumps({variant: report["runs"][variant]}, default=str), flush=True)
        if result.dev.core["macro_f1"] > best[0]:
            best = (result.dev.core["macro_f1"], variant, run_dir, model)
    _, variant, run_dir, model = best
    report["exported"] = variant
    export = args.out / "run"
    export_shards(model.model_.state_dict(), export)
    for name in ("config.json", "metrics.json"):
        (export / name).write_bytes((run_dir / name).read_bytes())
    (args.out / "gpu_report.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
