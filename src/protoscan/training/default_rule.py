"""The rule a candidate must pass to replace the default model, kept as a file in the repository.

A rule (``training/rules/default.toml``) is written before a candidate is built, so that no
figure seen afterwards can bend it. It names evaluation sets of the written corpus (files and
splits, each pinned by a fingerprint of its rows) and, per set, the figures on which the
candidate may be no worse than the current default, less a stated margin:

- ``core_macro_f1``: macro-F1 over the core labels present (higher is better);
- ``finding_ap``: average precision of the highest label score at ranking rows with a label
  above label-free ones (higher is better);
- ``label_free_rate``: share of label-free rows given a label (lower is better);
- ``any_label_recall``: share of labelled rows given one of their labels (higher is better).

Both models are scored on the same rows with their own thresholds, so the bars move with the
default: a rule stays valid when the default it guards is replaced. The real decisions never
appear here; they are scored only after a verdict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from protoscan.errors import ConfigError, DataError
from protoscan.training.runs import directory_bytes
from protoscan.training.toml_files import read_toml

if TYPE_CHECKING:
    from protoscan.corpus.schema import CorpusPassage

__all__ = [
    "DEFAULT_RULE",
    "FIGURES",
    "CheckResult",
    "FigureCheck",
    "Rule",
    "RuleSet",
    "RuleVerdict",
    "check_rule",
    "fingerprint",
    "load_rule",
    "set_rows",
]

DEFAULT_RULE = Path("training/rules/default.toml")
#: The figures a rule can hold a candidate to, and whether a higher value is better.
FIGURES: dict[str, bool] = {
    "core_macro_f1": True,
    "finding_ap": True,
    "label_free_rate": False,
    "any_label_recall": True,
}
_SPLITS = ("train", "dev", "test")
#: Differences smaller than this count as equal (floating-point noise).
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RuleSet:
    """Rows of the written corpus a rule scores both models on.

    Attributes:
        name: The set's name in the rule.
        files: Corpus files or directories, relative to the rule's root.
        splits: The splits kept.
        sha256: Fingerprint of the rows when the rule was written (``None``: not pinned).
        about: What the set is, in a sentence.
    """

    name: str
    files: tuple[str, ...]
    splits: tuple[str, ...]
    sha256: str | None = None
    about: str = ""


@dataclass(frozen=True)
class FigureCheck:
    """One bar: on ``set`` (only its ``split`` rows, when given) the candidate's ``figure``
    may be worse than the default's by at most ``margin`` (in the figure's own unit; 0 means
    not worse)."""

    set: str
    figure: str
    margin: float = 0.0
    split: str | None = None

    @property
    def rows_name(self) -> str:
        return self.set if self.split is None else f"{self.set} {self.split}"


@dataclass(frozen=True)
class Rule:
    """A rule for replacing the default model (see the module docstring)."""

    sets: dict[str, RuleSet]
    checks: tuple[FigureCheck, ...]
    max_size_mb: float | None = None
    written: str | None = None
    about: str = ""


def _fail(path: Path, message: str) -> ConfigError:
    return ConfigError(f"{path}: {message}")


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise _fail(path, f"{where} must be a string or a non-empty list of strings")
    return tuple(items)


def _rule_set(path: Path, name: str, table: Any) -> RuleSet:
    if not isinstance(table, dict):
        raise _fail(path, f"[sets.{name}] must be a table")
    unknown = set(table) - {"files", "splits", "sha256", "about"}
    if unknown:
        raise _fail(path, f"[sets.{name}] has unknown key(s) {', '.join(sorted(unknown))}")
    if "files" not in table:
        raise _fail(path, f"[sets.{name}] needs files")
    splits = _strings(path, f"[sets.{name}] splits", table.get("splits", ["dev", "test"]))
    bad = [s for s in splits if s not in _SPLITS]
    if bad:
        raise _fail(path, f"[sets.{name}] unknown split(s) {bad}; valid: {', '.join(_SPLITS)}")
    sha = table.get("sha256")
    if sha is not None and not isinstance(sha, str):
        raise _fail(path, f"[sets.{name}] sha256 must be a string")
    return RuleSet(
        name=name,
        files=_strings(path, f"[sets.{name}] files", table["files"]),
        splits=splits,
        sha256=sha,
        about=str(table.get("about", "")),
    )


def _check(path: Path, number: int, table: Any, sets: dict[str, RuleSet]) -> FigureCheck:
    where = f"[[checks]] #{number}"
    if not isinstance(table, dict):
        raise _fail(path, f"{where} must be a table")
    unknown = set(table) - {"set", "split", "figure", "margin"}
    if unknown:
        raise _fail(path, f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    if table.get("set") not in sets:
        raise _fail(path, f"{where}: set {table.get('set')!r} is not one of {', '.join(sets)}")
    split = table.get("split")
    if split is not None and split not in sets[table["set"]].splits:
        raise _fail(
            path,
            f"{where}: split {split!r} is not one of set {table['set']!r}'s "
            f"({', '.join(sets[table['set']].splits)})",
        )
    if table.get("figure") not in FIGURES:
        raise _fail(
            path, f"{where}: figure {table.get('figure')!r} is not one of {', '.join(FIGURES)}"
        )
    margin = table.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 0:
        raise _fail(path, f"{where}: margin must be a number ≥ 0; got {margin!r}")
    return FigureCheck(table["set"], table["figure"], float(margin), split)


def load_rule(path: Path = DEFAULT_RULE) -> Rule:
    """Read and validate a rule file.

    Raises:
        ConfigError: The file is missing, not TOML, or not a valid rule.
    """
    path = Path(path)
    raw = read_toml(path, "no such rule file; see training/rules/default.toml")
    unknown = set(raw) - {"sets", "checks", "max_size_mb", "written", "about"}
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(unknown))}")
    tables = raw.get("sets")
    if not isinstance(tables, dict) or not tables:
        raise _fail(path, "a rule needs at least one [sets.NAME] table")
    sets = {name: _rule_set(path, name, table) for name, table in tables.items()}
    checks = raw.get("checks")
    if not isinstance(checks, list) or not checks:
        raise _fail(path, "a rule needs at least one [[checks]] table")
    size = raw.get("max_size_mb")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise _fail(path, f"max_size_mb must be a number; got {size!r}")
    return Rule(
        sets=sets,
        checks=tuple(_check(path, i, c, sets) for i, c in enumerate(checks, 1)),
        max_size_mb=None if size is None else float(size),
        written=None if raw.get("written") is None else str(raw["written"]),
        about=str(raw.get("about", "")),
    )


def set_rows(rule_set: RuleSet, root: Path = Path(".")) -> list[CorpusPassage]:
    """The rows of ``rule_set``, files resolved against ``root``.

    Raises:
        DataError: A file is missing or the set holds no rows.
    """
    from protoscan.corpus.schema import load_passages

    rows = [
        row
        for row in load_passages([Path(root) / f for f in rule_set.files])
        if row.split in rule_set.splits
    ]
    if not rows:
        raise DataError(f"set {rule_set.name!r}: no rows in splits {', '.join(rule_set.splits)}")
    return rows


def fingerprint(rows: Sequence[CorpusPassage]) -> str:
    """SHA-256 of the rows' ids, splits, texts and labels, in id order: it changes when a row
    of the set is added, removed, moved to another split, reworded or relabelled."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r.id):
        line = [row.id, row.split, row.text, sorted(row.labels)]
        digest.update(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def _figures(
    rows: Sequence[CorpusPassage],
    probs: np.ndarray,
    thresholds: np.ndarray,
    labels: tuple[str, ...],
) -> dict[str, float]:
    from protoscan.corpus.schema import label_matrix
    from protoscan.training.evaluate import evaluate_predictions, finding_figures

    gold = label_matrix(rows, labels).astype(bool)
    found = finding_figures(gold, probs, probs >= thresholds[None, :])
    evaluation = evaluate_predictions(rows, probs, thresholds, labels, n_worst=0)
    return {
        "core_macro_f1": float(evaluation.core["macro_f1"]),
        "finding_ap": found["finding_ap"],
        "label_free_rate": found["label_free_fp"],
        "any_label_recall": found["any_label_recall"],
    }


def _model_figures(
    model_dir: Path, rows: dict[str, list[CorpusPassage]], checks: Sequence[FigureCheck]
) -> dict[str, dict[str, float]]:
    """Every figure of ``model_dir`` on the rows each check names (``rows_name`` → figures);
    each set is scored once."""
    from protoscan.classify.model_dir import load_classifier

    classifier = load_classifier(model_dir)
    thresholds = np.asarray(classifier.thresholds_, dtype=np.float64)
    labels = tuple(classifier.labels_)
    figures = {}
    for name, set_rows_ in rows.items():
        probs = np.asarray(classifier.predict_proba([r.text for r in set_rows_]))
        for check in checks:
            if check.set != name or check.rows_name in figures:
                continue
            keep = [i for i, r in enumerate(set_rows_) if check.split in (None, r.split)]
            figures[check.rows_name] = _figures(
                [set_rows_[i] for i in keep], probs[keep], thresholds, labels
            )
    return figures


@dataclass(frozen=True)
class CheckResult:
    """One bar, measured."""

    check: FigureCheck
    default: float
    candidate: float
    bar: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.check.set,
            "split": self.check.split,
            "figure": self.check.figure,
            "margin": self.check.margin,
            "default": self.default,
            "candidate": self.candidate,
            "bar": self.bar,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class RuleVerdict:
    """The outcome of :func:`check_rule`."""

    results: tuple[CheckResult, ...]
    rows: dict[str, int]
    size_mb: float
    max_size_mb: float | None
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def size_ok(self) -> bool:
        return self.max_size_mb is None or self.size_mb <= self.max_size_mb

    @property
    def passed(self) -> bool:
        return self.size_ok and all(r.passed for r in self.results)

    def shortfalls(self) -> list[str]:
        """What makes the run fail the rule, one phrase per bar."""
        found = [
            f"{r.check.rows_name} {r.check.figure} {r.candidate:.4f} (bar {r.bar:.4f})"
            for r in self.results
            if not r.passed
        ]
        if not self.size_ok:
            found.append(f"size {self.size_mb:.1f} MB (at most {self.max_size_mb:g})")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": [r.to_dict() for r in self.results],
            "rows": self.rows,
            "size_mb": round(self.size_mb, 1),
            "max_size_mb": self.max_size_mb,
            "fingerprints": self.fingerprints,
        }


def _measure(check: FigureCheck, default: float, candidate: float) -> CheckResult:
    if FIGURES[check.figure]:
        bar = default - check.margin
        passed = candidate >= bar - _TOLERANCE
    else:
        bar = default + check.margin
        passed = candidate <= bar + _TOLERANCE
    if np.isnan(candidate) or np.isnan(default):
        passed = False
    return CheckResult(check, default, candidate, bar, passed)


def check_rule(
    candidate: Path, default: Path, rule: Rule, *, root: Path = Path(".")
) -> RuleVerdict:
    """Score ``candidate`` and ``default`` on every set of ``rule`` and measure each bar.

    Raises:
        DataError: A set's rows no longer match the fingerprint the rule was written with
            (the bars would be measured on other rows than the rule names), or a set is empty.
        ModelLoadError: A model directory does not load.
    """
    needed = {c.set for c in rule.checks}
    rows = {name: set_rows(rule.sets[name], root) for name in rule.sets if name in needed}
    prints = {name: fingerprint(r) for name, r in rows.items()}
    for name, found in prints.items():
        pinned = rule.sets[name].sha256
        if pinned is not None and pinned != found:
            raise DataError(
                f"set {name!r}: its rows changed since the rule was written (fingerprint "
                f"{found[:12]}…, the rule pins {pinned[:12]}…); a rule's sets must stay as "
                "they were, so write a new rule rather than edit this one"
            )
    figures = {
        "default": _model_figures(default, rows, rule.checks),
        "candidate": _model_figures(candidate, rows, rule.checks),
    }
    results = tuple(
        _measure(
            c,
            figures["default"][c.rows_name][c.figure],
            figures["candidate"][c.rows_name][c.figure],
        )
        for c in rule.checks
    )
    return RuleVerdict(
        results=results,
        rows={name: len(r) for name, r in rows.items()},
        size_mb=directory_bytes(Path(candidate)) / 1e6,
        max_size_mb=rule.max_size_mb,
        fingerprints=prints,
    )
