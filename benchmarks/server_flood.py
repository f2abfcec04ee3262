"""A flood of idle and slow connections against the ECS and IMDS endpoints, and a real SDK beside it.

Any local user can connect to `awsafe server` without the token. The goal (issue 10):

    with 1,000 idle and 50 slow connections held open against the endpoint, a
    token-holding boto3 client still gets credentials within 1 s, and the
    endpoint's CPU stays below 50% of one core while flooded.

The world is server_load.py's (benchmarks/worlds.py): a recording moto server in
this process, the seed's `demo`/`test` profiles, `awsafe add demo --env` into a
file vault in a temporary HOME. Then, for each protocol (`awsafe server test`,
then `awsafe server --imds test`, each its own process):

1. baseline: boto3 fetches the credentials a few times, unflooded;
2. the flood, in a child process (benchmarks/flood.py, asyncio): IDLE connections
   that never send a byte and SLOW ones that send a request head one byte every
   0.5 s and never finish it; whenever the endpoint closes one, it is opened again
   at once, so the flood stays at full strength for the whole run;
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
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks.*, tests.support

from benchmarks import flood as flood_module  # noqa: E402
from benchmarks.endpoint import EndpointProcess  # noqa: E402
from benchmarks.flood import RAMP_SECONDS, FloodRun  # noqa: E402
from benchmarks.measuring import BenchError, read_cpu_seconds, read_nofile_limit, say, say_failed  # noqa: E402
from benchmarks.reporting import print_flood_report  # noqa: E402
from benchmarks.worlds import AWSAFE, endpoint_world, recording_moto, temporary_root  # noqa: E402

GOAL_SECONDS = 1.0
GOAL_CPU = 0.5  # of one core
SAMPLE_EVERY = 0.25
MAX_SECONDS = 30


# -- the SDK --------------------------------------------------------------------------------------


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


# -- the measurement ------------------------------------------------------------------------------


def start_flood(
    endpoint: EndpointProcess, idle: int, slow: int, seconds: float, env: dict[str, str]
) -> subprocess.Popen[str]:
    """benchmarks/flood.py against the endpoint, for the ramp-up, the window and a second more."""
    parts = urlsplit(endpoint.uri)
    flood_args = [parts.hostname or "127.0.0.1", str(parts.port), str(idle), str(slow)]
    flood_args.append(str(RAMP_SECONDS + seconds + 1))
    say(f"flooding with {idle} idle and {slow} slow connections for {RAMP_SECONDS + seconds:.0f} s")
    return subprocess.Popen(
        [sys.executable, str(flood_module.__file__), *flood_args], stdout=subprocess.PIPE, text=True, env=env
    )


def sample_flooded(run: FloodRun, endpoint: EndpointProcess, expected: str, seconds: float) -> None:
    """For `seconds`: a new boto3 session every SAMPLE_EVERY, and the endpoint's CPU share."""
    cpu_before, wall_before = read_cpu_seconds(endpoint.process.pid), time.monotonic()
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
    run.cpu = (read_cpu_seconds(endpoint.process.pid) - cpu_before) / run.window


def measure(
    protocol: str, world: dict[str, str], idle: int, slow: int, seconds: float, nofile: int | None
) -> FloodRun:
    args = ("--imds",) if protocol == "imds" else ()
    prefix = ("prlimit", f"--nofile={nofile}:{nofile}") if nofile else ()
    say(f"starting `{' '.join(prefix)} awsafe server {' '.join(args + ('test',))}`".replace("` ", "`"))
    endpoint = EndpointProcess(world, args, prefix)
    run = FloodRun(protocol)
    saved = dict(os.environ)
    flood: subprocess.Popen[str] | None = None
    try:
        run.endpoint_rlimit = read_nofile_limit(endpoint.process.pid)
        os.environ.clear()
        os.environ.update(sdk_environment(endpoint, world))
        baseline = [fetch_with_boto3() for _ in range(5)]
        run.baseline = [seconds for seconds, _ in baseline]
        flood = start_flood(endpoint, idle, slow, seconds, env=saved)
        assert flood.stdout is not None
        run.client_rlimit = json.loads(flood.stdout.readline())["rlimit_nofile"]
        time.sleep(RAMP_SECONDS)
        sample_flooded(run, endpoint, baseline[0][1], seconds)
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


def parse_args() -> argparse.Namespace:
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
    return args


def main() -> int:
    args = parse_args()
    if not os.access(AWSAFE, os.X_OK) or not Path("/proc/self/stat").exists():
        say(f"needs Linux and {AWSAFE} (run scripts/test once to set up .venv)")
        return 2

    runs: list[FloodRun] = []
    with temporary_root("awsafe-bench-flood-", args.keep) as root, recording_moto() as moto:
        try:
            say("moto up; adding demo to a file vault")
            world = endpoint_world(root, moto)
            protocols = ("ecs", "imds") if args.protocol == "both" else (args.protocol,)
            for protocol in protocols:
                runs.append(
                    measure(protocol, world, args.idle, args.slow, args.seconds, args.endpoint_nofile)
                )
        except BenchError as e:
            say_failed(e)
            return 1
    print_flood_report(runs, args.idle, args.slow, GOAL_SECONDS, GOAL_CPU)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
