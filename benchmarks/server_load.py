"""Load on the ECS credential endpoint: N keep-alive clients hammering the cached credential route.

What an SDK fleet does to `awsafe server`: many clients asking for the same
credentials again and again. The endpoint must answer from memory (one STS call
per refresh, none per request) and keep up:

    goal: >= 2,000 requests/s and p99 <= 20 ms with 32 concurrent connections

The world, all in a temporary directory (removed at the end): a recording moto
server on 127.0.0.1 in this process (tests/support/moto_server.py, which counts
every AssumeRole that reaches it) with user `demo` and a role trusting it with
the seed's external id; the seed's `demo`/`test` profiles; `awsafe add demo
--env` into a file vault. Then `awsafe server test` runs as its own process, as
SDK clients see it; the benchmark reads the URI and the token file from its
stdout, checks one request by hand, and loads the root route (`/`, the
profile's cached credentials) with:

    wrk       Debian's wrk (if installed): -c N -t 2 -d Ds --latency, keep-alive
    python    otherwise (or --generator python): asyncio raw-socket keep-alive
              clients in this process; it competes with the server for the CPUs,
              so its figures are a lower bound

Only 127.0.0.1 is ever targeted. Every run is bounded: the load to --duration
(at most 25 s), wrk to 30 s, each awsafe process to a timeout. wrk gets the
throwaway endpoint's token in its argv (-H), visible in `ps` for the run.
Benchmarks report: the exit status is 0 even when a goal is missed, and
non-zero only when the set-up fails.

    .venv/bin/python benchmarks/server_load.py [--connections 32] [--duration 10]
        [--threads 2] [--generator auto|wrk|python] [--keep] [--verbose]

The parts live beside this file: benchmarks/worlds.py and endpoint.py (the world and the
endpoint process), loadgen.py (the generators), reporting.py (the lines).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.* and tests.support.moto_server, without PYTHONPATH

from benchmarks.endpoint import EndpointProcess, fetch_once  # noqa: E402
from benchmarks.loadgen import LoadResult, run_python, run_wrk  # noqa: E402
from benchmarks.measuring import BenchError, say, say_failed  # noqa: E402
from benchmarks.reporting import print_load_report, print_verdicts  # noqa: E402
from benchmarks.worlds import AWSAFE, endpoint_world, recording_moto, temporary_root, venv_ready  # noqa: E402

GOAL_RPS = 2000.0
GOAL_P99_MS = 20.0
MAX_DURATION = 25  # seconds of load; with set-up and tear-down a run stays well under a minute


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("-d", "--duration", type=int, default=10, help=f"seconds of load (<= {MAX_DURATION})")
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk if installed (auto), or the Python fallback",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print wrk's own report")
    args = parser.parse_args()
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 1 and {MAX_DURATION}")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be between 1 and 1000")
    return args


def main() -> int:
    args = parse_args()
    if not venv_ready(AWSAFE):
        return 2
    wrk = shutil.which("wrk")
    if args.generator == "wrk" and wrk is None:
        print("server_load.py: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    use_wrk = wrk is not None and args.generator != "python"
    if not use_wrk and args.generator == "auto":
        say("wrk is not installed (apt-get install wrk): using the Python generator")

    endpoint: EndpointProcess | None = None
    with temporary_root("awsafe-bench-server-", args.keep) as root, recording_moto() as moto:
        try:
            say("moto up; adding demo to a file vault")
            env = endpoint_world(root, moto)
            say("starting `awsafe server test`")
            endpoint = EndpointProcess(env)
            result, calls_during = load(endpoint, moto, args, use_wrk)
        except BenchError as e:
            say_failed(e)
            return 1
        finally:
            if endpoint is not None:
                endpoint.stop()
    report(result, endpoint, calls_during, args.verbose)
    return 0


def load(
    endpoint: EndpointProcess, moto: Any, args: argparse.Namespace, use_wrk: bool
) -> tuple[LoadResult, int]:
    """Check one request by hand, load the endpoint, check it again and stop it; the result and
    the AssumeRole calls made during the load (exactly one must precede it: the start-up)."""
    document = fetch_once(endpoint.uri, endpoint.token)
    calls_before = len(moto.calls("AssumeRole"))
    if calls_before != 1:
        raise BenchError(f"starting the endpoint made {calls_before} AssumeRole calls, not 1")
    if use_wrk:
        result = run_wrk(endpoint.uri, endpoint.token, args.connections, args.threads, args.duration)
    else:
        result = run_python(endpoint.uri, endpoint.token, args.connections, args.duration)
    calls_during = len(moto.calls("AssumeRole")) - calls_before
    after = fetch_once(endpoint.uri, endpoint.token)
    if after["AccessKeyId"] != document["AccessKeyId"]:
        raise BenchError("the endpoint served other credentials after the load (a refresh?)")
    status = endpoint.stop()
    if status != 0:
        raise BenchError(f"`awsafe server test` exited {status}: {endpoint.stderr[-2000:]}")
    return result, calls_during


def report(result: LoadResult, endpoint: EndpointProcess, calls_during: int, verbose: bool) -> None:
    if verbose and result.detail:
        print(result.detail)
    tracebacks = endpoint.stderr.count("Traceback")
    print_load_report(result, urlsplit(endpoint.uri).netloc, tracebacks, calls_during)
    verdicts = [
        (f"goal >= {GOAL_RPS:,.0f} requests/s", result.rps >= GOAL_RPS),
        (f"goal p99 <= {GOAL_P99_MS:g} ms", result.p99_ms <= GOAL_P99_MS),
        ("goal no STS call per request", calls_during == 0),
        ("every answer 200, no socket error", result.errors == 0 and result.socket_errors == 0),
    ]
    print_verdicts(verdicts, 36)


if __name__ == "__main__":
    raise SystemExit(main())
