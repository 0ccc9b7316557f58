"""Timing, CPU-contention and memory helpers shared by the benchmark sections.

The benchmark machine may be shared, so every timing is taken several times (interleaved
with the timing it is compared with) and the best run counts; single-threaded work is also
timed in process CPU time, which other processes on the machine do not inflate. Each timing
records how busy the rest of the machine was (``background_cores``) so a reader can tell a
slow result from a crowded machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

try:  # optional: without it, memory is read from ru_maxrss (the largest single process)
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _busy_jiffies() -> int:
    with open("/proc/stat", encoding="ascii") as handle:
        fields = handle.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _own_cpu_seconds() -> float:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Timing:
    """One timed call: wall and CPU seconds, and how busy the rest of the machine was."""

    wall: float
    cpu: float
    background_cores: float | None

    def to_dict(self) -> dict[str, float | None]:
        bg = None if self.background_cores is None else round(self.background_cores, 2)
        return {"wall_s": round(self.wall, 4), "cpu_s": round(self.cpu, 4), "background_cores": bg}


class Stopwatch:
    """Wall time, this process's CPU time, and the machine's other CPU use over a block.

    ``background_cores`` is the machine's busy time minus this process and its waited-for
    children, in cores (0 on an otherwise idle machine); a live child's CPU time that was
    not yet collected counts as background, so read it after ``wait()``.
    """

    def __enter__(self) -> Stopwatch:
        self._busy, self._own = _busy_jiffies(), _own_cpu_seconds()
        self._cpu, self._wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        cpu = time.process_time() - self._cpu
        busy = (_busy_jiffies() - self._busy) / CLOCK_TICKS
        own = _own_cpu_seconds() - self._own
        background = max(0.0, (busy - own) / wall) if wall > 0.05 else None
        self.timing = Timing(wall, cpu, background)


def time_call(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    with Stopwatch() as watch:
        result = fn()
    return watch.timing, result


@dataclass
class Series:
    """Repeated timings of one thing; the best (least disturbed) run is the result."""

    runs: list[Timing] = field(default_factory=list)

    @property
    def best_wall(self) -> float:
        return min(t.wall for t in self.runs)

    @property
    def best_cpu(self) -> float:
        return min(t.cpu for t in self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_wall_s": round(self.best_wall, 4),
            "best_cpu_s": round(self.best_cpu, 4),
            "runs": [t.to_dict() for t in self.runs],
        }


def ratios_by_round(numerator: Series, denominator: Series) -> list[float]:
    """Wall-time ratio of two interleaved series, round by round.

    The ratio of two bests pairs the luckiest run of each; when the denominator is short (a
    0.2 s ``--help``) one lucky run moves it a lot. Runs of the same round ran side by side on
    an equally busy machine, so their ratio is the steadier figure to read beside it.
    """
    return [
        round(a.wall / b.wall, 2) for a, b in zip(numerator.runs, denominator.runs, strict=True)
    ]


def interleaved(
    calls: dict[str, Callable[[], Any]], repeats: int
) -> tuple[dict[str, Series], dict[str, Any]]:
    """Time each call ``repeats`` times, round-robin, so a busy spell hits all of them.

    Returns:
        The series per name and the last result of each call.
    """
    series = {name: Series() for name in calls}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fn in calls.items():
            timing, results[name] = time_call(fn)
            series[name].runs.append(timing)
    return series, results


@dataclass
class TreeSample:
    """Peak memory and CPU time of a process tree, sampled while it runs."""

    peak_total_rss: int = 0  # sum over the tree (shared pages counted once per process)
    peak_process_rss: int = 0  # the largest single process
    peak_processes: int = 0
    cpu_by_pid: dict[int, float] = field(default_factory=dict)  # last seen user + system
    root_pid: int = 0

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu_by_pid.values())

    @property
    def cpu_root(self) -> float:
        return self.cpu_by_pid.get(self.root_pid, 0.0)


def run_sampled(
    command: Sequence[str], *, interval: float = 0.1, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], TreeSample, Timing]:
    """Run ``command``; sample the RSS and CPU time of it and all its descendants.

    The returned timing's ``cpu`` is the tree's CPU time and ``background_cores`` the rest
    of the machine's (without psutil: the waited-for children's, and no background).
    """
    sample = TreeSample()
    busy, mine = _busy_jiffies(), resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    sample.root_pid = process.pid
    stop = threading.Event()

    def poll() -> None:
        if psutil is None:
            return
        try:
            root = psutil.Process(process.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for proc in tree:
                try:
                    with proc.oneshot():
                        sizes.append(proc.memory_info().rss)
                        times = proc.cpu_times()
                    sample.cpu_by_pid[proc.pid] = times.user + times.system
                except psutil.Error:
                    continue
            if sizes:
                sample.peak_total_rss = max(sample.peak_total_rss, sum(sizes))
                sample.peak_process_rss = max(sample.peak_process_rss, max(sizes))
                sample.peak_processes = max(sample.peak_processes, len(sizes))
            stop.wait(interval)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    stdout, stderr = process.communicate()
    stop.set()
    thread.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    self_cpu = after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime
    machine_busy = (_busy_jiffies() - busy) / CLOCK_TICKS
    completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if psutil is None:
        sample.peak_process_rss = children_maxrss_bytes()
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        tree_cpu = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
        return completed, sample, Timing(wall, tree_cpu, None)
    background = max(0.0, (machine_busy - self_cpu - sample.cpu_total) / wall)
    return completed, sample, Timing(wall, sample.cpu_total, background)


def children_maxrss_bytes() -> int:
    """``ru_maxrss`` over every waited-for descendant so far (the largest single one)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((ln.split(":", 1)[1].strip() for ln in handle if "model name" in ln), "")
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1) if psutil else None,
        "psutil": psutil is not None,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
