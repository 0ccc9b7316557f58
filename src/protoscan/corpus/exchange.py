"""Label Studio JSON and Prodigy JSONL: export passages for labelling and read them back.

Every corpus field travels in the task's metadata, so export → import is lossless. Imported
labels come from the annotation (Label Studio ``choices`` / Prodigy ``accept``), which is
what the annotator changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from protoscan.corpus.schema import CorpusPassage, iter_jsonl
from protoscan.errors import DataError
from protoscan.labels import LABELS, validate_labels

__all__ = [
    "FORMATS",
    "label_studio_config",
    "read_exchange",
    "read_label_studio",
    "read_prodigy",
    "write_label_studio",
    "write_prodigy",
]

FORMATS = ("label-studio", "prodigy")
_META_FIELDS = ("id", "voice", "evidence", "authority", "doc_id", "section", "split", "source")


def _meta(passage: CorpusPassage) -> dict[str, Any]:
    return {key: getattr(passage, key) for key in _META_FIELDS}


def _passage(text: str, labels: list[str], meta: dict[str, Any], where: str) -> CorpusPassage:
    if unknown := validate_labels(labels):
        raise DataError(f"{where}: unknown label(s) {unknown}")
    if not meta.get("id"):
        raise DataError(f"{where}: task has no passage id in its metadata")
    return CorpusPassage.from_dict(
        {**{k: meta.get(k) for k in _META_FIELDS}, "text": text, "labels": labels}
    )


def label_studio_config() -> str:
    """The labelling interface (XML) with every label and its short definition as a hint."""
    choices = "\n".join(
        f'    <Choice value="{label.id}" alias="{label.id}" hint="{label.definition}"/>'
        for label in LABELS
    )
    return (
        '<View>\n  <Text name="text" value="$text"/>\n'
        '  <Choices name="labels" toName="text" choice="multiple" showInline="false">\n'
        f"{choices}\n  </Choices>\n</View>\n"
    )


def write_label_studio(
    passages: Sequence[CorpusPassage], path: Path, *, extra: dict[str, dict] | None = None
) -> None:
    tasks = []
    for passage in passages:
        task: dict[str, Any] = {
            "data": {
                "text": passage.text,
                "meta": _meta(passage),
                **(extra or {}).get(passage.id, {}),
            },
        }
        if passage.labels:
            task["predictions"] = [
                {
                    "model_version": "protoscan",
                    "result": [
                        {
                            "from_name": "labels",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": list(passage.labels)},
                        }
                    ],
                }
            ]
        tasks.append(task)
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    path.with_suffix(".config.xml").write_text(label_studio_config(), encoding="utf-8")


def read_label_studio(path: Path) -> list[CorpusPassage]:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: invalid JSON ({error.msg})") from None
    if not isinstance(tasks, list):
        raise DataError(f"{path}: expected a list of Label Studio tasks")
    passages = []
    for index, task in enumerate(tasks):
        where = f"{path}[{index}]"
        data = task.get("data", {})
        # A submitted annotation wins over a pre-filled prediction.
        results = (task.get("annotations") or task.get("predictions") or [{}])[-1].get("result", [])
        labels = [c for r in results if r.get("type") == "choices" for c in r["value"]["choices"]]
        passages.append(_passage(data.get("text", ""), labels, data.get("meta", {}), where))
    return passages


def write_prodigy(passages: Sequence[CorpusPassage], path: Path) -> None:
    options = [{"id": label.id, "text": f"{label.name_sv}: {label.definition}"} for label in LABELS]
    with path.open("w", encoding="utf-8") as handle:
        for passage in passages:
            task = {
                "text": passage.text,
                "meta": _meta(passage),
                "options": options,
                "accept": list(passage.labels),
                "answer": "accept",
                "_view_id": "choice",
            }
            handle.write(json.dumps(task, ensure_ascii=False) + "\n")


def read_prodigy(path: Path) -> list[CorpusPassage]:
    passages = []
    for number, task in iter_jsonl(path):
        if task.get("answer", "accept") != "accept":
            continue  # rejected or skipped in Prodigy: not a labelled passage
        passages.append(
            _passage(
                task.get("text", ""),
                list(task.get("accept", [])),
                task.get("meta", {}),
                f"{path}:{number}",
            )
        )
    return passages


def read_exchange(path: Path, fmt: str | None = None) -> list[CorpusPassage]:
    """Read either format; guessed from the suffix when ``fmt`` is None (.json = Label Studio)."""
    fmt = fmt or ("label-studio" if path.suffix == ".json" else "prodigy")
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return read_label_studio(path) if fmt == "label-studio" else read_prodigy(path)
