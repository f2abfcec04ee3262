"""The flood of server_flood.py, run as its own process: idle and slow connections that reconnect.

    python benchmarks/flood.py HOST PORT IDLE SLOW SECONDS

It prints one JSON line with its RLIMIT_NOFILE (soft, hard) at once, and one with what it
saw when SECONDS are over. Standard library only, so that it runs as a plain file; it
targets only the HOST it is given (server_flood.py passes the endpoint's 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

RAMP_SECONDS = 3.0  # the flood reaches full strength before the window opens
SLOW_BYTE_SECONDS = 0.5


@dataclass
class FloodRun:
    """One protocol's figures: boto3 fetch seconds unflooded and flooded, the endpoint's CPU
    share of one core, and what the flood saw."""

    protocol: str
    baseline: list[float] = field(default_factory=list)
    flooded: list[float] = field(default_factory=list)
    failures: int = 0
    cpu: float = 0.0  # fraction of one core during the window
    window: float = 0.0
    flood: dict[str, Any] = field(default_factory=dict)
    client_rlimit: list[int] = field(default_factory=list)
    endpoint_rlimit: tuple[str, str] = ("?", "?")


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


def main(argv: list[str]) -> int:
    host, port, idle, slow, seconds = argv
    return flood_worker(host, int(port), int(idle), int(slow), float(seconds))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
