"""Start-up ratios are reported round by round beside the ratio of the bests."""

from __future__ import annotations

import pytest

measure = pytest.importorskip("bench.measure")
report = pytest.importorskip("bench.report")


def _series(*walls: float) -> object:
    return measure.Series([measure.Timing(wall=w, cpu=w, background_cores=None) for w in walls])


def test_ratios_pair_runs_of_the_same_round() -> None:
    # --help's second run is the lucky one; round by round the command is steadily 4x.
    help_runs = _series(0.30, 0.20, 0.30)
    screen_runs = _series(1.20, 0.80, 1.20)
    assert measure.ratios_by_round(screen_runs, help_runs) == [4.0, 4.0, 4.0]


def test_ratios_by_round_need_the_same_number_of_rounds() -> None:
    with pytest.raises(ValueError):
        measure.ratios_by_round(_series(1.0, 1.0), _series(0.5))


def _screen_row(**startup: object) -> object:
    results = {
        "repeats": 3,
        "startup": {
            "repeats": 3,
            "seconds": {"help": 0.2, "screen": 1.0},
            "ratios": {"screen": 5.0},
            "goals": {"screen": 5.0},
            **startup,
        },
    }
    return next(r for r in report.build_rows(results) if r.measure.startswith("screen"))


def test_report_shows_the_median_and_range_by_round() -> None:
    row = _screen_row(ratios_by_round={"screen": [3.9, 4.3, 6.2]})
    assert row.value == 5.0
    assert "by round: median 4.30× (3.90–6.20×)" in row.note


def test_report_reads_results_written_before_rounds_were_kept() -> None:
    row = _screen_row()
    assert row.value == 5.0
    assert "by round" not in row.note
