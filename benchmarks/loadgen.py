"""server_load.py's load generators: wrk (a separate process) or asyncio keep-alive clients.

Both load one URI on 127.0.0.1 with the endpoint's token and give a LoadResult; neither
prints the report.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from benchmarks.measuring import BenchError, percentile_ms, say


@dataclass
class LoadResult:
    """What one generator measured: throughput, latency percentiles, errors."""

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


# -- wrk ------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk's latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, connections: int, threads: int) -> LoadResult:
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
    return LoadResult(
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


def run_wrk(uri: str, token: str, connections: int, threads: int, duration: int) -> LoadResult:
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


def run_python(uri: str, token: str, connections: int, duration: int) -> LoadResult:
    say(f"running the Python generator: {connections} asyncio keep-alive connections for {duration} s")
    latencies, counts, seconds = asyncio.run(_load(uri, token, connections, duration))
    if not latencies:
        raise BenchError("the Python generator got no answer at all")
    latencies.sort()
    return LoadResult(
        generator="python (asyncio, raw sockets, keep-alive; in the benchmark's process)",
        connections=connections,
        seconds=seconds,
        requests=len(latencies),
        rps=len(latencies) / seconds,
        p50_ms=percentile_ms(latencies, 50),
        p99_ms=percentile_ms(latencies, 99),
        errors=counts["errors"],
        socket_errors=counts["socket"],
    )
