"""A flood of idle and slow connections against the ECS and IMDS endpoints, and a real SDK beside it.

Any local user can connect to `awsafe server` without the token. The goal (issue 10):

    with 1,000 idle and 50 slow connections held open against the endpoint, a
    token-holding boto3 client still gets credentials within 1 s, and the
    endpoint's CPU stays below 50% of one core while flooded.

The world is server_load.py's (imported from it): a recording moto server in
this process, the seed's `demo`/`test` profiles, `awsafe add demo --env` into a
file vault in a temporary HOME. Then, for each protocol (`awsafe server test`,
then `awsafe server --imds test`, each its own process):

1. baseline: boto3 fetches the credentials a few times, unflooded;
2. the flood, in a child process (asyncio): IDLE connections that never send a
   byte and SLOW ones that send a request head one byte every 0.5 s and never
   finish it; whenever the endpoint closes one, it is opened again at once, so
   the flood stays at full strength for the whole run;
3. after a ramp-up, for the measured window: a new boto3 session fetches the
   credentials every 0.25 s (ECS: token file and full URI; IMDS: the endpoint
   variable, IMDSv2), timed from get_credentials() to the frozen credentials;
   the endpoint's CPU time is read from /proc/PID/stat (utime + stime, every
   thread) at the window's start and end.

Only 127.0.0.1 is targeted; every phase is bounded in time, and the flood
process stops itself. The flood process raises its own soft RLIMIT_NOFILE to
the hard limit (printed) to hold its connections. Linux only (/proc).
Benchmarks report: the exit status is 0 even when a goal is missed.

    .venv/bin/python benchmarks/server_flood.py [--idle 1000] [--slow 50] [--seconds 10]
        [--protocol both|ecs|imds] [--endpoint-nofile N] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # server_load, next to this file
from server_load import AWSAFE, BenchError, EndpointProcess, set_up_world  # noqa: E402

GOAL_SECONDS = 1.0
GOAL_CPU = 0.5  # of one core
RAMP_SECONDS = 3.0  # the flood reaches full strength before the window opens
SAMPLE_EVERY = 0.25
SLOW_BYTE_SECONDS = 0.5
MAX_SECONDS = 30


def say(text: str) -> None:
    print(f"server_flood.py: {text}", file=sys.stderr, flush=True)


# -- the flood (its own process) ------------------------------------------------------------------


def raise_own_descriptor_limit() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


async def _hold(
    host: str, port: int, slow: bool, until: float, counts: dict[str, int], open_now: list[int]
) -> None:
    """One flood slot: connect, idle (or dribble), and connect again whenever closed."""
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100_000
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            counts["connect_errors"] += 1
            await asyncio.sleep(0.05)
            continue
        counts["connections"] += 1
        open_now[0] += 1
        sent = 0
        try:
            while time.monotonic() < until:
                if slow:
                    writer.write(head[sent : sent + 1])
                    sent += 1
                try:
                    wait = SLOW_BYTE_SECONDS if slow else max(0.01, until - time.monotonic())
                    data = await asyncio.wait_for(reader.read(4096), wait)
                except asyncio.TimeoutError:
                    continue
                counts["answered_408" if b" 408 " in data[:16] else "closed_by_endpoint"] += 1
                break  # closed (or answered and closed): connect again
        except OSError:
            counts["closed_by_endpoint"] += 1
        finally:
            open_now[0] -= 1
            writer.close()


async def _flood(host: str, port: int, idle: int, slow: int, seconds: float) -> dict[str, Any]:
    counts = {"connections": 0, "connect_errors": 0, "closed_by_endpoint": 0, "answered_408": 0}
    open_now = [0]
    until = time.monotonic() + seconds
    samples: list[int] = []

    async def sample() -> None:  # how many are open, once the ramp-up is over
        await asyncio.sleep(RAMP_SECONDS)
        while time.monotonic() < until - 1:
            samples.append(open_now[0])
            await asyncio.sleep(0.5)

    slots = [_hold(host, port, False, until, counts, open_now) for _ in range(idle)]
    slots += [_hold(host, port, True, until, counts, open_now) for _ in range(slow)]
    await asyncio.gather(sample(), *slots)
    return {**counts, "open_min": min(samples or [0]), "open_max": max(samples or [0])}


def flood_worker(host: str, port: int, idle: int, slow: int, seconds: float) -> int:
    soft, hard = raise_own_descriptor_limit()
    print(json.dumps({"rlimit_nofile": [soft, hard]}), flush=True)
    report = asyncio.run(_flood(host, port, idle, slow, seconds))
    print(json.dumps(report), flush=True)
    return 0


# -- the SDK and the measurement ------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def sdk_environment(endpoint: EndpointProcess, world: dict[str, str]) -> dict[str, str]:
    """What an SDK in another shell has: the printed variables, and no other credentials."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("AWS_", "BOTO_"))}
    env.update(
        {
            "AWS_CONFIG_FILE": str(Path(world["HOME"]) / "sdk-config"),  # empty: no profile
            "AWS_SHARED_CREDENTIALS_FILE": str(Path(world["HOME"]) / "sdk-credentials"),
            "AWS_REGION": "ap-northeast-2",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    env.update(endpoint.variables)
    return env


def fetch_with_boto3() -> tuple[float, str]:
    """Seconds for a new boto3 session to resolve the credentials (from os.environ), and the key."""
    import boto3

    session = boto3.Session()
    started = time.perf_counter()
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    seconds = time.perf_counter() - started
    if frozen is None or not frozen.access_key:
        raise RuntimeError("boto3 found no credentials")
    return seconds, frozen.access_key


@dataclass
class Run:
    protocol: str
    baseline: list[float] = field(default_factory=list)
    flooded: list[float] = field(default_factory=list)
    failures: int = 0
    cpu: float = 0.0  # fraction of one core during the window
    window: float = 0.0
    flood: dict[str, Any] = field(default_factory=dict)
    client_rlimit: list[int] = field(default_factory=list)
    endpoint_rlimit: tuple[str, str] = ("?", "?")


def measure(
    protocol: str, world: dict[str, str], idle: int, slow: int, seconds: float, nofile: int | None
) -> Run:
    args = ("--imds",) if protocol == "imds" else ()
    prefix = ("prlimit", f"--nofile={nofile}:{nofile}") if nofile else ()
    say(f"starting `{' '.join(prefix)} awsafe server {' '.join(args + ('test',))}`".replace("` ", "`"))
    endpoint = EndpointProcess(world, args, prefix)
    run = Run(protocol)
    saved = dict(os.environ)
    flood: subprocess.Popen[str] | None = None
    try:
        limits = Path(f"/proc/{endpoint.process.pid}/limits").read_text()
        words = next(line for line in limits.splitlines() if line.startswith("Max open files")).split()
        run.endpoint_rlimit = (words[3], words[4])
        os.environ.clear()
        os.environ.update(sdk_environment(endpoint, world))
        baseline = [fetch_with_boto3() for _ in range(5)]
        run.baseline = [seconds for seconds, _ in baseline]
        expected = baseline[0][1]
        parts = urlsplit(endpoint.uri)
        flood_args = [parts.hostname or "127.0.0.1", str(parts.port), str(idle), str(slow)]
        flood_args.append(str(RAMP_SECONDS + seconds + 1))
        say(f"flooding with {idle} idle and {slow} slow connections for {RAMP_SECONDS + seconds:.0f} s")
        flood = subprocess.Popen(
            [sys.executable, __file__, "--flood-worker", *flood_args],
            stdout=subprocess.PIPE,
            text=True,
            env=saved,
        )
        assert flood.stdout is not None
        run.client_rlimit = json.loads(flood.stdout.readline())["rlimit_nofile"]
        time.sleep(RAMP_SECONDS)
        cpu_before, wall_before = cpu_seconds(endpoint.process.pid), time.monotonic()
        while time.monotonic() - wall_before < seconds:
            try:
                seconds_taken, key = fetch_with_boto3()
                if key != expected:
                    raise RuntimeError("boto3 got other credentials than before the flood")
                run.flooded.append(seconds_taken)
            except Exception as e:  # noqa: BLE001 - a failed fetch is a figure, not a crash
                run.failures += 1
                say(f"boto3 failed under the flood: {type(e).__name__}: {e}")
            time.sleep(SAMPLE_EVERY)
        run.window = time.monotonic() - wall_before
        run.cpu = (cpu_seconds(endpoint.process.pid) - cpu_before) / run.window
        output, _ = flood.communicate(timeout=30)
        run.flood = json.loads(output.strip().splitlines()[-1])
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if flood is not None and flood.poll() is None:
            flood.kill()
            flood.communicate()
        status = endpoint.stop()
    if status != 0:
        raise BenchError(f"`{' '.join(endpoint.cmd)}` exited {status}: {endpoint.stderr[-2000:]}")
    if "Traceback" in endpoint.stderr:
        raise BenchError(f"the endpoint printed a traceback: {endpoint.stderr[-2000:]}")
    return run


def report(runs: list[Run], idle: int, slow: int) -> None:
    print()
    print(f"awsafe endpoints under a flood of {idle} idle and {slow} slow connections (reconnecting)")
    print(f"  machine      python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.machine()}")
    for run in runs:
        soft, hard = run.endpoint_rlimit
        client = "/".join(str(n) for n in run.client_rlimit)
        print(f"  {run.protocol:<4} RLIMIT_NOFILE soft/hard: endpoint {soft}/{hard}, flood {client}")
    print()
    print("| protocol | unflooded p50 | flooded p50 | flooded max | fetches (failed) | CPU | flood |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for run in runs:
        flood = run.flood
        flooded = run.flooded or [0.0]
        print(
            f"| {run.protocol} | {statistics.median(run.baseline) * 1000:.1f} ms "
            f"| {statistics.median(flooded) * 1000:.1f} ms | {max(flooded) * 1000:.1f} ms "
            f"| {len(run.flooded) + run.failures} ({run.failures}) | {run.cpu:.0%} of a core "
            f"| {flood.get('open_min')}-{flood.get('open_max')} open, {flood.get('connections')} connects, "
            f"{flood.get('answered_408')} x 408, {flood.get('closed_by_endpoint')} closed, "
            f"{flood.get('connect_errors')} connect errors |"
        )
    print()
    for run in runs:
        fast = run.failures == 0 and bool(run.flooded) and max(run.flooded) <= GOAL_SECONDS
        verdicts = (
            (f"every boto3 fetch within {GOAL_SECONDS:g} s", fast),
            (f"endpoint CPU below {GOAL_CPU:.0%} of a core", run.cpu < GOAL_CPU),
        )
        for label, ok in verdicts:
            print(f"  {run.protocol:<5} {label:<40}{'met' if ok else 'NOT MET'}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--flood-worker":
        host, port, idle, slow, seconds = sys.argv[2:7]
        return flood_worker(host, int(port), int(idle), int(slow), float(seconds))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=1000, help="idle connections (never send a byte)")
    parser.add_argument("--slow", type=int, default=50, help="slow connections (a byte every 0.5 s)")
    parser.add_argument("--seconds", type=float, default=10, help=f"measured window (<= {MAX_SECONDS})")
    parser.add_argument("--protocol", choices=("both", "ecs", "imds"), default="both")
    parser.add_argument(
        "--endpoint-nofile",
        type=int,
        metavar="N",
        help="run the endpoint with RLIMIT_NOFILE N/N (soft and hard, through prlimit): fewer "
        "descriptors than the flood has connections, as on a machine with a low limit",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.endpoint_nofile is not None and (args.endpoint_nofile < 64 or shutil.which("prlimit") is None):
        parser.error("--endpoint-nofile needs prlimit (util-linux) and N >= 64")
    if not 1 <= args.seconds <= MAX_SECONDS or not 0 <= args.idle <= 5000 or not 0 <= args.slow <= 1000:
        parser.error(f"--seconds 1..{MAX_SECONDS}, --idle 0..5000, --slow 0..1000")
    if not os.access(AWSAFE, os.X_OK) or not Path("/proc/self/stat").exists():
        say(f"needs Linux and {AWSAFE} (run scripts/test once to set up .venv)")
        return 2

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.moto_server import MotoServer

    root = Path(tempfile.mkdtemp(prefix="awsafe-bench-flood-"))
    moto = MotoServer().start()
    runs: list[Run] = []
    try:
        say("moto up; adding demo to a file vault")
        world = set_up_world(root, moto)
        protocols = ("ecs", "imds") if args.protocol == "both" else (args.protocol,)
        for protocol in protocols:
            runs.append(measure(protocol, world, args.idle, args.slow, args.seconds, args.endpoint_nofile))
    except BenchError as e:
        print(f"\nserver_flood.py: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        moto.stop()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    report(runs, args.idle, args.slow)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
