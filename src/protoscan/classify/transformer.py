"""Fine-tuned encoder (Hugging Face ``AutoModelForSequenceClassification``, multi-label).

Loads its base from a local checkpoint directory, or from the hub only when the user names a
hub model explicitly. Uses a GPU with mixed precision when one is present, the CPU otherwise;
seeds are fixed, rare labels get a positive-class weight, and training stops early on the
dev macro-F1 over the core labels. Weights are saved as safetensors under ``encoder/``.

With ``stance_head`` the classification head has one output per label and one per stance
(``[labels | stances]``): the stance part is trained with cross-entropy on every row, the
label part with binary cross-entropy on findings only (and, with ``scope_in_label_head``,
criticism outside the labels), and a label's score is p(finding) · p(label | finding)
(:mod:`protoscan.classify.stance`). ``freeze_layers`` keeps
the embeddings and the lowest encoder layers fixed, so that back-propagation stops above
them: what makes fine-tuning affordable on a CPU. With ``ema_decay`` the model kept is an
exponential moving average of the weights along the run (``torch.optim.swa_utils``): the
per-epoch dev check scores the average, and logs the raw weights' score beside it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from protoscan.classify.base import BaseClassifier, tune_thresholds
from protoscan.classify.model_dir import (
    check_file_suffixes,
    check_model_dir,
    read_config,
    write_config,
)
from protoscan.classify.stance import check_scope, head_proba, label_head_rows, stance_targets
from protoscan.corpus.schema import STANCES, CorpusPassage, label_matrix
from protoscan.errors import ConfigError, ModelLoadError
from protoscan.labels import CORE_LABELS
from protoscan.training.evaluate import f1_scores

__all__ = ["TransformerClassifier", "resolve_device"]

logger = logging.getLogger(__name__)
ENCODER_DIR = "encoder"
#: Files an encoder directory may hold: safetensors weights, json/txt configs and vocabularies.
_ENCODER_SUFFIXES = (".safetensors", ".json", ".txt", ".model")
DEFAULT_BASE = "models/base/multilingual-e5-small"


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _state_copy(model: Any) -> dict[str, Any]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _is_local(name: str) -> bool:
    return Path(name).exists() or name.startswith((".", "/")) or name.count("/") != 1


class TransformerClassifier(BaseClassifier):
    backend: ClassVar[str] = "transformer"

    def __init__(
        self,
        *,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
        base_model: str = DEFAULT_BASE,
        max_length: int = 256,
        epochs: int = 6,
        batch_size: int = 16,
        eval_batch_size: int = 64,
        cpu_eval_batch_size: int = 16,
        learning_rate: float = 5e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        patience: int = 2,
        max_steps: int | None = None,
        seed: int = 13,
        data_seed: int | None = None,
        class_weighting: bool = True,
        freeze_embeddings: bool = False,
        freeze_layers: int = 0,
        stance_head: bool = False,
        scope_in_label_head: bool = False,
        head_lr_multiplier: float = 1.0,
        ema_decay: float | None = None,
        device: str = "auto",
        mixed_precision: bool = True,
        quantize: bool = False,
    ) -> None:
        super().__init__(threshold=threshold, **({"labels": labels} if labels else {}))
        self.base_model = base_model
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        # On a CPU small batches tag faster (less padding, cache-sized matrices): with
        # e5-small on 2 cores, 53 passages/s at 16 against 45 at 64.
        self.cpu_eval_batch_size = cpu_eval_batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.patience = patience
        self.max_steps = max_steps
        self.seed = seed
        # Batch order only; the head's initialisation follows ``seed``. Runs that share
        # ``seed`` and differ here start from the same weights: what sets them apart is the
        # order of the data alone.
        self.data_seed = data_seed
        self.class_weighting = class_weighting
        self.freeze_embeddings = freeze_embeddings
        self.freeze_layers = freeze_layers
        self.stance_head = stance_head
        self.scope_in_label_head = scope_in_label_head
        self.head_lr_multiplier = head_lr_multiplier
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ConfigError(f"ema_decay must lie strictly between 0 and 1, not {ema_decay}")
        self.ema_decay = ema_decay
        self.device = device
        self.mixed_precision = mixed_precision
        self.quantize = quantize
        self.on_progress: Callable[[dict[str, Any]], None] | None = None

    def hyperparameters(self) -> dict[str, Any]:
        keys = (
            "base_model",
            "max_length",
            "epochs",
            "batch_size",
            "eval_batch_size",
            "cpu_eval_batch_size",
            "learning_rate",
            "weight_decay",
            "warmup_ratio",
            "patience",
            "max_steps",
            "seed",
            "data_seed",
            "class_weighting",
            "freeze_embeddings",
            "freeze_layers",
            "stance_head",
            "scope_in_label_head",
            "head_lr_multiplier",
            "ema_decay",
            "mixed_precision",
        )
        return {**super().hyperparameters(), **{k: getattr(self, k) for k in keys}}

    # -- training ---------------------------------------------------------------------------
    def _load_base(self) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        local = _is_local(self.base_model)
        if local and not Path(self.base_model).is_dir():
            raise ConfigError(
                f"base model {self.base_model!r} is not a directory; build the offline base with "
                "`protoscan base import-e5` or pass a local checkpoint or an explicit hub name"
            )
        n = len(self.labels_) + (len(STANCES) if self.stance_head else 0)
        self.tokenizer_ = AutoTokenizer.from_pretrained(self.base_model, local_files_only=local)
        self.model_ = AutoModelForSequenceClassification.from_pretrained(
            self.base_model,
            num_labels=n,
            problem_type="multi_label_classification",
            id2label=dict(enumerate(self._outputs())),
            label2id={label: i for i, label in enumerate(self._outputs())},
            local_files_only=local,
        )

    def _outputs(self) -> tuple[str, ...]:
        """Names of the head's outputs: the labels, then (stance head) the stances."""
        stances = tuple(f"stance:{s}" for s in STANCES) if self.stance_head else ()
        return tuple(self.labels_) + stances

    @staticmethod
    def _head(model: Any) -> Any:
        return getattr(model, "classifier", None) or model.get_output_embeddings() or model

    def _freeze(self, model: Any) -> None:
        if self.freeze_embeddings or self.freeze_layers:
            # The word-embedding table is most of a multilingual encoder's weights (250k
            # pieces); freezing it keeps the base's vocabulary intact and cuts optimiser work.
            model.get_input_embeddings().weight.requires_grad_(False)
        if self.freeze_layers:
            for parameter in model.base_model.embeddings.parameters():
                parameter.requires_grad_(False)
            for layer in model.base_model.encoder.layer[: self.freeze_layers]:
                for parameter in layer.parameters():
                    parameter.requires_grad_(False)

    def _batches(self, lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Shuffled batches of rows of similar length (little padding), in random order."""
        order = rng.permutation(len(lengths))
        pool = self.batch_size * 32
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            )
        return [batches[i] for i in rng.permutation(len(batches))]

    def _fit(
        self, passages: Sequence[CorpusPassage], y: np.ndarray, dev: Sequence[CorpusPassage] | None
    ) -> None:
        check_scope(self.stance_head, self.scope_in_label_head)
        import torch
        from transformers import get_linear_schedule_with_warmup

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed if self.data_seed is None else self.data_seed)
        self.device_ = resolve_device(self.device)
        self._load_base()
        model = self.model_.to(self.device_)
        self._freeze(model)
        texts = [p.text for p in passages]
        lengths = np.array(
            [
                len(ids)
                for ids in self.tokenizer_(texts, truncation=True, max_length=self.max_length)[
                    "input_ids"
                ]
            ]
        )
        targets = stance_targets(passages)
        label_rows = (
            label_head_rows(y, targets, self.scope_in_label_head)
            if self.stance_head
            else np.ones(len(y), dtype=bool)
        )
        positives = y[label_rows].sum(axis=0)
        pos_weight = None
        if self.class_weighting:
            ratio = (label_rows.sum() - positives) / np.maximum(positives, 1)
            pos_weight = torch.tensor(np.clip(np.sqrt(ratio), 1.0, 10.0), dtype=torch.float32)
            pos_weight = pos_weight.to(self.device_)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
        n_labels = len(self.labels_)
        stance = torch.tensor(targets, device=self.device_)
        stance_loss = torch.nn.CrossEntropyLoss()
        steps_per_epoch = math.ceil(len(texts) / self.batch_size)
        total = steps_per_epoch * self.epochs
        if self.max_steps:
            total = min(total, self.max_steps)
        head = {id(p) for p in self._head(model).parameters()}
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            [
                {"params": [p for p in trainable if id(p) not in head]},
                # A new head starts from nothing: it may move faster than the pretrained body.
                {
                    "params": [p for p in trainable if id(p) in head],
                    "lr": self.learning_rate * self.head_lr_multiplier,
                },
            ],
            lr=self.learning_rate,
            weight_decay=self.weight_decay,
        )
        schedule = get_linear_schedule_with_warmup(
            optimizer, int(total * self.warmup_ratio), max(total, 1)
        )
        use_amp = self.mixed_precision and self.device_ == "cuda"
        amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
        ema = self._ema(model)
        dev_y = label_matrix(dev, self.labels_) if dev else None
        dev_texts = [p.text for p in dev] if dev else []
        core = [i for i, label in enumerate(self.labels_) if label in CORE_LABELS]

        def dev_score() -> float:
            probs = self._predict_proba(dev_texts)[:, core]
            # Scored at the thresholds the final model will get (tuned on dev): early
            # epochs are often all below 0.5, and a 0.5 cut would stop training there.
            tuned = tune_thresholds(probs, dev_y[:, core], self.threshold)
            return float(f1_scores(probs >= tuned[None, :], dev_y[:, core]).mean())

        best_score, best_state, stale, step = -1.0, None, 0, 0
        self.history_: list[dict[str, Any]] = []
        for epoch in range(self.epochs):
            model.train()
            started, epoch_loss = time.perf_counter(), 0.0
            for idx in self._batches(lengths, rng):
                enc = self._encode([texts[i] for i in idx])
                target = torch.tensor(y[idx], dtype=torch.float32, device=self.device_)
                with torch.autocast(self.device_, dtype=amp_dtype, enabled=use_amp):
                    logits = model(**enc).logits.float()
                per_label = loss_fn(logits[:, :n_labels], target)
                if self.stance_head:
                    # Labels are learnt given a finding: only finding rows (and out-of-scope
                    # criticism, with scope_in_label_head) teach them.
                    rows = torch.tensor(label_rows[idx], device=self.device_)
                    loss = stance_loss(logits[:, n_labels:], stance[idx])
                    if rows.any():
                        loss = loss + per_label[rows].mean()
                else:
                    loss = per_label.mean()
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
                schedule.step()
                if ema is not None:
                    ema.update_parameters(model)
                epoch_loss += float(loss.detach()) * len(idx)
                step += 1
                if step >= total:
                    break
            info: dict[str, Any] = {
                "epoch": epoch + 1,
                "step": step,
                "loss": epoch_loss / len(texts),
                "seconds": round(time.perf_counter() - started, 1),
            }
            if dev_y is not None:
                if ema is not None:
                    info["dev_core_macro_f1_raw"] = dev_score()
                    raw_state = _state_copy(model)
                    model.load_state_dict(ema.module.state_dict())
                info["dev_core_macro_f1"] = dev_score()
                if info["dev_core_macro_f1"] > best_score + 1e-6:
                    best_score, stale = info["dev_core_macro_f1"], 0
                    best_state = _state_copy(model)
                else:
                    stale += 1
                if ema is not None:
                    model.load_state_dict(raw_state)
            self.history_.append(info)
            logger.info("epoch %s", info)
            if self.on_progress:
                self.on_progress(info)
            if step >= total or (dev_y is not None and stale >= self.patience):
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        elif ema is not None:
            model.load_state_dict(ema.module.state_dict())
        model.eval()

    def _ema(self, model: Any) -> Any:
        """The moving average of ``model``'s parameters, or None without ema_decay. Buffers
        (position ids) are constants and are left out: an average would round integers."""
        if self.ema_decay is None:
            return None
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(self.ema_decay))

    # -- inference --------------------------------------------------------------------------
    def _encode(self, texts: list[str]) -> dict[str, Any]:
        enc = self.tokenizer_(
            texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt"
        )
        return {k: v.to(self.device_) for k, v in enc.items()}

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        import torch

        model = self.model_
        was_training = model.training
        model.eval()
        # Sorting by length keeps padding small; results go back to input order.
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float32)
        use_amp = self.mixed_precision and self.device_ == "cuda"
        size = self.cpu_eval_batch_size if self.device_ == "cpu" else self.eval_batch_size
        with torch.inference_mode():
            for start in range(0, len(texts), size):
                idx = order[start : start + size]
                enc = self._encode([texts[i] for i in idx])
                with torch.autocast(self.device_, dtype=torch.bfloat16, enabled=use_amp):
                    logits = model(**enc).logits
                out[idx] = head_proba(
                    logits.float().cpu().numpy(),
                    len(self.labels_),
                    self.stance_head,
                    self.scope_in_label_head,
                )
        if was_training:
            model.train()
        return out

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        self._check_fitted()
        path = Path(path)
        encoder = path / ENCODER_DIR
        encoder.mkdir(parents=True, exist_ok=True)
        self.model_.save_pretrained(encoder, safe_serialization=True)
        self.tokenizer_.save_pretrained(encoder)
        write_config(path, self, history=getattr(self, "history_", []))

    @classmethod
    def load(
        cls, path: Path, *, device: str = "auto", quantize: bool = False
    ) -> TransformerClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(path)
        config = read_config(path)
        check_model_dir(path, required={ENCODER_DIR})
        encoder = path / ENCODER_DIR
        check_file_suffixes(encoder, _ENCODER_SUFFIXES, "safetensors, json and tokenizer files")
        if not any(encoder.glob("*.safetensors")):
            raise ModelLoadError(f"{encoder}: no *.safetensors weights")
        model = cls.from_config(config, device=device, quantize=quantize)
        model.device_ = resolve_device(device)
        model.tokenizer_ = AutoTokenizer.from_pretrained(encoder, local_files_only=True)
        net = AutoModelForSequenceClassification.from_pretrained(
            encoder, local_files_only=True, use_safetensors=True
        )
        if quantize:
            import torch

            if model.device_ != "cpu":
                raise ConfigError(
                    "int8 dynamic quantisation runs on the CPU only; use device='cpu'"
                )
            net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
        model.model_ = net.to(model.device_).eval()
        return model
