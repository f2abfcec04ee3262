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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.support.moto_server, without PYTHONPATH

PYTHON = sys.executable
AWSAFE = Path(PYTHON).parent / "awsafe"
EXTERNAL_ID = "35e413a2-b7d2-45a3-9126-6fdf4563863d"
PASSPHRASE = "awsafe-bench-passphrase"

GOAL_RPS = 2000.0
GOAL_P99_MS = 20.0
MAX_DURATION = 25  # seconds of load; with set-up and tear-down a run stays well under a minute


class BenchError(Exception):
    """The set-up failed: the benchmark's only failure."""


@dataclass
class Result:
    generator: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-200 answers
    socket_errors: int  # connect/read/write errors and timeouts
    detail: str = ""


def say(text: str) -> None:
    print(f"server_load.py: {text}", file=sys.stderr, flush=True)


# -- the world ------------------------------------------------------------------------------------


def seed_config(role_arn: str) -> str:
    return (
        "[profile demo]\n"
        "region=ap-northeast-2\n\n"
        "[profile test]\n"
        f"external_id={EXTERNAL_ID}\n"
        f"role_arn={role_arn}\n"
        "role_session_name=test\n"
        "source_profile=demo\n"
        "region=ap-northeast-2\n"
    )


def world_environment(root: Path, moto_url: str) -> dict[str, str]:
    """This process's environment without AWS_/AWSAFE_/BOTO_ variables, HOME and vault in root."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("AWS_", "AWSAFE_", "BOTO_"))}
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    env.update(
        {
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),  # never created
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWSAFE_BACKEND": "file",
            "AWSAFE_FILE_DIR": str(home / ".awsafe" / "vault"),
            "AWSAFE_FILE_PASSPHRASE": PASSPHRASE,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


def set_up_world(root: Path, moto: Any) -> dict[str, str]:
    key_id, secret = moto.create_user_with_key("demo")
    role_arn = moto.create_role("partner-access", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    env = world_environment(root, moto.url)
    Path(env["AWS_CONFIG_FILE"]).write_text(seed_config(role_arn))
    cmd = [str(AWSAFE), "add", "demo", "--env"]
    added = subprocess.run(
        cmd,
        env={**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    if added.returncode != 0:
        raise BenchError(f"`{' '.join(cmd)}` exited {added.returncode}: {added.stderr[-2000:]}")
    return env


class EndpointProcess:
    """`awsafe server test` (plus ``args``, e.g. --imds) as its own process; its URI (and, for ECS,
    the token) from its stdout."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = (), prefix: tuple[str, ...] = ()) -> None:
        self.cmd = [*prefix, str(AWSAFE), "server", *args, "test"]  # prefix: e.g. prlimit, which execs
        self.process = subprocess.Popen(
            self.cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # no terminal: an MFA prompt would fail fast
        )
        self.stderr = ""
        self.variables = self._announced(timeout=60)
        self.uri = self.variables.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or self.variables.get(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT", ""
        )
        self.token_file = self.variables.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
        if not self.uri or ("--imds" not in args and not self.token_file):
            self.stop()
            raise BenchError(f"`{' '.join(self.cmd)}` did not announce its endpoint: {self.stderr[-2000:]}")
        if urlsplit(self.uri).hostname != "127.0.0.1":
            self.stop()
            raise BenchError(f"the endpoint is not on 127.0.0.1: {self.uri}")
        self.token = Path(self.token_file).read_text().strip() if self.token_file else ""

    def _announced(self, timeout: float) -> dict[str, str]:
        lines: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None

        def read() -> None:
            for _ in range(2):
                lines.append(stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        return dict(line.strip().split("=", 1) for line in lines if "=" in line)

    def stop(self) -> int:
        """Ctrl-C, as a user would; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, self.stderr = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
        return self.process.returncode


def fetch_once(uri: str, token: str) -> dict[str, Any]:
    """One request by hand: 200 and a container-credential document, or the set-up failed."""
    request = urllib.request.Request(uri, headers={"Authorization": token})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            document: dict[str, Any] = json.loads(response.read())
    except OSError as e:
        raise BenchError(f"GET {uri} failed: {e}") from None
    if not all(k in document for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")):
        raise BenchError(f"GET {uri}: not a container-credential document: {sorted(document)}")
    return document


# -- wrk ------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk's latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, connections: int, threads: int) -> Result:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise BenchError(f"wrk's output has no {pattern!r}:\n{output}")
        return match

    requests = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)")
    rps = float(find(r"^Requests/sec:\s*([\d.]+)").group(1))
    p50 = _ms(find(r"^\s*50%\s+(\S+)").group(1))
    p99 = _ms(find(r"^\s*99%\s+(\S+)").group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Result(
        generator=f"wrk {_wrk_version()}, {threads} threads (a separate process)",
        connections=connections,
        seconds=_ms(requests.group(2) + requests.group(3)) / 1000,
        requests=int(requests.group(1)),
        rps=rps,
        p50_ms=p50,
        p99_ms=p99,
        errors=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        detail=output,
    )


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10, check=False)
    words = (out.stdout + out.stderr).split()
    return words[1] if len(words) > 1 else "?"


def run_wrk(uri: str, token: str, connections: int, threads: int, duration: int) -> Result:
    threads = max(1, min(threads, connections))  # wrk refuses more threads than connections
    cmd = [
        "wrk",
        "-c",
        str(connections),
        "-t",
        str(threads),
        "-d",
        f"{duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-H",
        f"Authorization: {token}",
        uri,
    ]
    shown = " ".join("Authorization: <token>" if c.startswith("Authorization:") else c for c in cmd)
    say(f"running {shown}")
    limit = min(duration + 5, 30)
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {limit} s") from None
    if out.returncode != 0:
        raise BenchError(f"wrk exited {out.returncode}: {out.stderr[-2000:]}")
    return parse_wrk(out.stdout, connections, threads)


# -- the Python fallback: asyncio keep-alive clients -------------------------------------------------


async def _client(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], counts: dict[str, int]
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        counts["socket"] += 1
        return
    clock = time.perf_counter
    try:
        while clock() < deadline:
            started = clock()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            status = int(head[9:12])
            match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
            if match is None:
                counts["socket"] += 1  # no framing: the connection cannot be reused
                return
            await reader.readexactly(int(match.group(1)))
            latencies.append(clock() - started)
            if status != 200:
                counts["errors"] += 1
            if re.search(rb"\r\nconnection:\s*close", head, re.IGNORECASE):
                counts["socket"] += 1  # the server closed a keep-alive connection
                return
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError):
        counts["socket"] += 1
    finally:
        writer.close()


async def _load(
    uri: str, token: str, connections: int, duration: int
) -> tuple[list[float], dict[str, int], float]:
    parts = urlsplit(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {token}\r\nAccept: */*\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    counts = {"errors": 0, "socket": 0}
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(_client(host, port, request, deadline, latencies, counts) for _ in range(connections))
    )
    return latencies, counts, time.perf_counter() - started


def run_python(uri: str, token: str, connections: int, duration: int) -> Result:
    say(f"running the Python generator: {connections} asyncio keep-alive connections for {duration} s")
    latencies, counts, seconds = asyncio.run(_load(uri, token, connections, duration))
    if not latencies:
        raise BenchError("the Python generator got no answer at all")
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return Result(
        generator="python (asyncio, raw sockets, keep-alive; in the benchmark's process)",
        connections=connections,
        seconds=seconds,
        requests=len(latencies),
        rps=len(latencies) / seconds,
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        errors=counts["errors"],
        socket_errors=counts["socket"],
    )


# -- main -----------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> int:
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
    if not os.access(AWSAFE, os.X_OK):
        print(f"server_load.py: {AWSAFE} is missing; run scripts/test once to set up .venv", file=sys.stderr)
        return 2
    wrk = shutil.which("wrk")
    if args.generator == "wrk" and wrk is None:
        print("server_load.py: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    use_wrk = wrk is not None and args.generator != "python"
    if not use_wrk and args.generator == "auto":
        say("wrk is not installed (apt-get install wrk): using the Python generator")

    from tests.support.moto_server import MotoServer

    root = Path(tempfile.mkdtemp(prefix="awsafe-bench-server-"))
    moto = MotoServer().start()
    endpoint: EndpointProcess | None = None
    try:
        say("moto up; adding demo to a file vault")
        env = set_up_world(root, moto)
        say("starting `awsafe server test`")
        endpoint = EndpointProcess(env)
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
    except BenchError as e:
        print(f"\nserver_load.py: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if endpoint is not None:
            endpoint.stop()
        moto.stop()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    if args.verbose and result.detail:
        print(result.detail)
    ok_rps = result.rps >= GOAL_RPS
    ok_p99 = result.p99_ms <= GOAL_P99_MS
    ok_sts = calls_during == 0
    print()
    print("awsafe ECS endpoint under load: GET / (cached credentials), keep-alive")
    print(f"  endpoint      `awsafe server test` (own process), {urlsplit(endpoint.uri).netloc}")
    print(f"  machine       python {platform.python_version()}; {os.cpu_count()} CPUs; {platform.machine()}")
    print(f"  generator     {result.generator}")
    print(f"  connections   {result.connections}")
    print(f"  duration      {result.seconds:.1f} s")
    print(f"  requests      {result.requests:,}")
    print(f"  requests/s    {result.rps:,.0f}")
    print(f"  latency p50   {result.p50_ms:.2f} ms")
    print(f"  latency p99   {result.p99_ms:.2f} ms")
    print(f"  errors        {result.errors} non-200, {result.socket_errors} socket errors/timeouts")
    tracebacks = endpoint.stderr.count("Traceback")
    print(f"  server stderr {tracebacks} tracebacks")
    print(f"  STS           AssumeRole: 1 when the endpoint started, {calls_during} during the load")
    print()
    errors_ok = result.errors == 0 and result.socket_errors == 0
    for label, ok in (
        (f"goal >= {GOAL_RPS:,.0f} requests/s", ok_rps),
        (f"goal p99 <= {GOAL_P99_MS:g} ms", ok_p99),
        ("goal no STS call per request", ok_sts),
        ("every answer 200, no socket error", errors_ok),
    ):
        print(f"  {label:<36}{verdict(ok)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
