"""What the benchmarks print on stdout: each script's tables, ratios and met / NOT MET verdicts.

It measures nothing: the figures come in, the lines go out (render_* build text, print_* print it).
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.measuring import Timed

if TYPE_CHECKING:
    from benchmarks.flood import FloodRun
    from benchmarks.loadgen import LoadResult

Row = tuple[str, float | None, float | None, str, str]


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "NOT MET")


def render_machine() -> str:
    return f"python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.machine()}"


# -- cache_hit.py ---------------------------------------------------------------------------------


@dataclass
class HitFigures:
    """Everything cache_hit.py's report shows; `keychain` is None when that part was skipped."""

    runs: int
    profiles: int
    list_runs: int
    items: list[Timed]  # in timing order, for the spread
    floor: Timed
    keychain: Timed | None
    file_hit: Timed
    kdf_only: Timed
    cli: Timed
    big_hit: Timed
    list_seconds: list[float]
    kdf: Any  # the vault header's KDF parameters (log2n, r, p)
    size_mb: float
    calls_at_stop: int
    versions: str  # "awsafe <rev>; AWS CLI <version>"


def render_table(rows: list[Row]) -> list[str]:
    header = ("name", "median ms", "x floor", "goal", "verdict")
    widths = [max(len(str(r[0])) for r in rows) + 1, 10, 8, 34, 7]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 3, 4) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [line(header), line(tuple("-" * w for w in widths))]
    for name, ms, ratio, goal, met in rows:
        cells = (name, "" if ms is None else f"{ms:.1f}", "" if ratio is None else f"{ratio:.2f}", goal, met)
        lines.append(line(cells))
    return lines


def render_hit_rows(fig: HitFigures, goals: dict[str, float]) -> list[Row]:
    f, file_ms, n = fig.floor.median_ms, fig.file_hit.median_ms, f"{fig.profiles:,}"
    kdf_ms, cli_ms, big_ms = fig.kdf_only.median_ms, fig.cli.median_ms, fig.big_hit.median_ms
    rest_ms, list_ms = file_ms - kdf_ms, statistics.median(fig.list_seconds) * 1000
    kc_name, kc_goal = "awsafe export, keychain (secret-service)", f"<= {goals['keychain']:g}x floor"
    rows: list[Row] = [("floor: python -c pass", f, 1.0, "", "")]
    if fig.keychain is not None:
        k = fig.keychain.median_ms
        rows.append((kc_name, k, k / f, kc_goal, verdict(k / f <= goals["keychain"])))
    else:
        rows.append((kc_name, None, None, kc_goal, "SKIPPED (not in scripts/bench)"))
    cli_ratio, scale_ratio = cli_ms / file_ms, big_ms / file_ms
    rest_goal, cli_goal, scale_goal = goals["file_rest"], goals["cli"], goals["scale"]
    return rows + [
        ("awsafe export, file vault total", file_ms, file_ms / f, "", ""),
        (f"  KDF (scrypt 2^{fig.kdf.log2n}, in process)", kdf_ms, kdf_ms / f,
         "deliberate cost, reported", ""),
        ("  everything else = total - KDF", rest_ms, rest_ms / f, f"<= {rest_goal:g}x floor",
         verdict(rest_ms / f <= rest_goal)),
        ("aws configure list (AWS CLI, warm cache)", cli_ms, cli_ms / f,
         f"CLI / awsafe-file >= {cli_goal:g}: {cli_ratio:.2f}", verdict(cli_ratio >= cli_goal)),
        (f"awsafe export, file vault, {n} profiles", big_ms, big_ms / f,
         f"{n} / 5 profiles <= {scale_goal:g}: {scale_ratio:.2f}", verdict(scale_ratio <= scale_goal)),
        (f"awsafe list --profiles, {n} ({fig.list_runs} runs)", list_ms, list_ms / f, "reported", ""),
    ]  # fmt: skip


def render_hit_ratios(fig: HitFigures, goals: dict[str, float]) -> list[str]:
    f, file_ms, n = fig.floor.median_ms, fig.file_hit.median_ms, f"{fig.profiles:,}"
    kdf_ms, cli_ms, big_ms = fig.kdf_only.median_ms, fig.cli.median_ms, fig.big_hit.median_ms
    rest_ms = file_ms - kdf_ms
    lines = ["ratios"]
    if fig.keychain is not None:
        kc_ratio = fig.keychain.median_ms / f
        lines.append(f"  awsafe keychain / floor          {kc_ratio:6.2f}   (goal <= {goals['keychain']:g})")
    lines.append(f"  awsafe file / floor              {file_ms / f:6.2f}")
    lines.append(f"  file everything else / floor     {rest_ms / f:6.2f}   (goal <= {goals['file_rest']:g})")
    lines.append(f"  KDF share of the file hit        {kdf_ms / file_ms:6.0%}")
    lines.append(f"  AWS CLI / awsafe file            {cli_ms / file_ms:6.2f}   (goal >= {goals['cli']:g})")
    if fig.keychain is not None:
        lines.append(f"  AWS CLI / awsafe keychain        {cli_ms / fig.keychain.median_ms:6.2f}")
    lines.append(
        f"  {n + ' / 5 profiles (file hit)':<32} {big_ms / file_ms:6.2f}   (goal <= {goals['scale']:g})"
    )
    return lines


def render_spread(items: list[Timed], list_seconds: list[float]) -> list[str]:
    lines = ["spread (ms): min / median / max of each"]
    for name, seconds in [(item.name, item.seconds) for item in items] + [("list", list_seconds)]:
        ms = sorted(s * 1000 for s in seconds)
        lines.append(f"  {name:<9} {ms[0]:8.1f} {statistics.median(ms):8.1f} {ms[-1]:8.1f}   n={len(ms)}")
    return lines


def print_hit_report(fig: HitFigures, goals: dict[str, float]) -> None:
    kdf, n = fig.kdf, f"{fig.profiles:,}"
    print()
    print("awsafe cache-hit benchmark: whole-process wall time, medians")
    print(f"  {fig.runs} interleaved rounds (+1 untimed); {render_machine()}")
    print(f"  {fig.versions}")
    print(f"  file vault scrypt: N=2^{kdf.log2n}, r={kdf.r}, p={kdf.p} (from vault.json)")
    print(f"  large config: {n} generated profiles + demo/test in the middle, {fig.size_mb:.1f} MB")
    print(
        f"  STS: {fig.calls_at_stop} AssumeRole calls, all during warm-up; moto stopped before timing; "
        "every timed run exited 0 and printed the cached key"
    )
    print()
    print("\n".join(render_table(render_hit_rows(fig, goals))))
    print()
    print("\n".join(render_hit_ratios(fig, goals)))
    print()
    print("\n".join(render_spread(fig.items, fig.list_seconds)))


def print_import_times(label: str, imports: list[tuple[int, str]], top: int = 12) -> None:
    """The slowest top-level imports of one cache hit, from `python -X importtime`."""
    total = sum(us for us, _ in imports)
    print()
    print(f"top-level imports of one {label} hit ({total / 1000:.1f} ms in all, -X importtime, cumulative)")
    for us, name in sorted(imports, reverse=True)[:top]:
        print(f"  {us / 1000:7.1f} ms  {name}")


# -- a list of goals, one line each -------------------------------------------------------------


def print_verdicts(verdicts: list[tuple[str, bool]], width: int, prefix: str = "") -> None:
    for label, ok in verdicts:
        print(f"  {prefix}{label:<{width}}{verdict(ok)}")


# -- server_load.py -------------------------------------------------------------------------------


def print_load_report(result: LoadResult, netloc: str, tracebacks: int, calls_during: int) -> None:
    """The endpoint-under-load lines, then one verdict per goal."""
    print()
    print("awsafe ECS endpoint under load: GET / (cached credentials), keep-alive")
    print(f"  endpoint      `awsafe server test` (own process), {netloc}")
    print(f"  machine       {render_machine()}")
    print(f"  generator     {result.generator}")
    print(f"  connections   {result.connections}")
    print(f"  duration      {result.seconds:.1f} s")
    print(f"  requests      {result.requests:,}")
    print(f"  requests/s    {result.rps:,.0f}")
    print(f"  latency p50   {result.p50_ms:.2f} ms")
    print(f"  latency p99   {result.p99_ms:.2f} ms")
    print(f"  errors        {result.errors} non-200, {result.socket_errors} socket errors/timeouts")
    print(f"  server stderr {tracebacks} tracebacks")
    print(f"  STS           AssumeRole: 1 when the endpoint started, {calls_during} during the load")
    print()


# -- server_flood.py ------------------------------------------------------------------------------


def render_flood_row(run: FloodRun) -> str:
    flood, flooded = run.flood, run.flooded or [0.0]
    return (
        f"| {run.protocol} | {statistics.median(run.baseline) * 1000:.1f} ms "
        f"| {statistics.median(flooded) * 1000:.1f} ms | {max(flooded) * 1000:.1f} ms "
        f"| {len(run.flooded) + run.failures} ({run.failures}) | {run.cpu:.0%} of a core "
        f"| {flood.get('open_min')}-{flood.get('open_max')} open, {flood.get('connections')} connects, "
        f"{flood.get('answered_408')} x 408, {flood.get('closed_by_endpoint')} closed, "
        f"{flood.get('connect_errors')} connect errors |"
    )


def print_flood_report(
    runs: list[FloodRun], idle: int, slow: int, goal_seconds: float, goal_cpu: float
) -> None:
    print()
    print(f"awsafe endpoints under a flood of {idle} idle and {slow} slow connections (reconnecting)")
    print(f"  machine      {render_machine()}")
    for run in runs:
        soft, hard = run.endpoint_rlimit
        client = "/".join(str(n) for n in run.client_rlimit)
        print(f"  {run.protocol:<4} RLIMIT_NOFILE soft/hard: endpoint {soft}/{hard}, flood {client}")
    print()
    print("| protocol | unflooded p50 | flooded p50 | flooded max | fetches (failed) | CPU | flood |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for run in runs:
        print(render_flood_row(run))
    print()
    for run in runs:
        fast = run.failures == 0 and bool(run.flooded) and max(run.flooded) <= goal_seconds
        verdicts = [
            (f"every boto3 fetch within {goal_seconds:g} s", fast),
            (f"endpoint CPU below {goal_cpu:.0%} of a core", run.cpu < goal_cpu),
        ]
        print_verdicts(verdicts, 40, f"{run.protocol:<5} ")


# -- config_scale.py ------------------------------------------------------------------------------


def print_scale_report(rows: list[tuple[str, float | None, str]], heading: str, goal: str) -> None:
    print(heading)
    for label, ms, note in rows:
        figure = f"{ms:8.1f} ms" if ms is not None else " " * 11
        print(f"  {label:<52} {figure}   {note}")
    print(goal)
