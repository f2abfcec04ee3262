"""Timing: whole processes, interleaved rounds, medians, percentiles and CPU time from /proc.

It knows nothing of awsafe's worlds and prints nothing but progress lines on stderr.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Completed = subprocess.CompletedProcess[str]
Check = Callable[[list[str], Completed], None]


class BenchError(Exception):
    """A set-up step or a command failed, or printed something wrong: a benchmark's only failure."""


def say(text: str) -> None:
    """A progress line on stderr, prefixed with the running script's name."""
    print(f"{Path(sys.argv[0]).name}: {text}", file=sys.stderr, flush=True)


def say_failed(error: BenchError) -> None:
    """The one line (and the failure's detail) a benchmark prints before it exits 1."""
    print(f"\n{Path(sys.argv[0]).name}: FAILED: {error}", file=sys.stderr)


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> tuple[float, Completed]:
    """(wall seconds, result) of one whole process; no stdin, no controlling terminal."""
    started = time.perf_counter()
    try:
        result = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # no /dev/tty: a prompt would fail fast instead of waiting
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{' '.join(cmd)}` did not finish within {timeout:g} s") from None
    return time.perf_counter() - started, result


def describe(cmd: list[str], result: Completed) -> str:
    """The command, its exit status and the tails of its output, for a failure message."""
    return (
        f"`{' '.join(cmd)}` exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-2000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )


def must_succeed(cmd: list[str], env: dict[str, str], timeout: float = 300) -> Completed:
    """Run `cmd`; a non-zero exit status is a BenchError."""
    _, result = run(cmd, env, timeout)
    if result.returncode != 0:
        raise BenchError(describe(cmd, result))
    return result


@dataclass
class Timed:
    """One timed thing: a command (with a check of each run) or an in-process function."""

    name: str
    cmd: list[str] | None = None
    env: dict[str, str] | None = None
    check: Check | None = None
    function: Callable[[], object] | None = None
    seconds: list[float] = field(default_factory=list)

    def once(self) -> float:
        if self.function is not None:
            started = time.perf_counter()
            self.function()
            return time.perf_counter() - started
        assert self.cmd is not None and self.env is not None
        elapsed, result = run(self.cmd, self.env)
        if self.check is not None:
            self.check(self.cmd, result)
        elif result.returncode != 0:
            raise BenchError(describe(self.cmd, result))
        return elapsed

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def round_robin(items: list[Timed], runs: int) -> None:
    """One untimed warm-up round, then `runs` rounds of one run each, the order rotated
    every round so that no command always follows the same one."""
    for item in items:
        item.once()
    for r in range(runs):
        shift = r % len(items)
        for item in items[shift:] + items[:shift]:
            item.seconds.append(item.once())
        print(f"\r  round {r + 1}/{runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def repeated(cmd: list[str], env: dict[str, str], runs: int) -> tuple[list[float], Completed]:
    """Wall seconds of `runs` runs of one command (each must exit 0), and the last result."""
    seconds: list[float] = []
    result: Completed | None = None
    for _ in range(runs):
        elapsed, result = run(cmd, env)
        if result.returncode != 0:
            raise BenchError(describe(cmd, result))
        seconds.append(elapsed)
    assert result is not None, "runs must be at least 1"
    return seconds, result


def interleaved_medians_ms(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command (in this process's environment, stdout discarded);
    runs are interleaved so that a busy machine slows every command alike and the ratios
    stay fair."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) * 1000 for label, values in times.items()}


def percentile_ms(ascending: list[float], p: float) -> float:
    """The p-th percentile (nearest rank, rounding down) of sorted seconds, in milliseconds."""
    return ascending[min(len(ascending) - 1, int(p / 100 * len(ascending)))] * 1000


def read_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (every thread) from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_nofile_limit(pid: int) -> tuple[str, str]:
    """(soft, hard) RLIMIT_NOFILE of a process, as /proc/PID/limits prints them."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    words = next(line for line in limits.splitlines() if line.startswith("Max open files")).split()
    return words[3], words[4]


def parse_import_times(stderr: str) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of each top-level import in `python -X importtime` output."""
    imports = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):  # top level only
            imports.append((int(cumulative), name.strip()))
    return imports
