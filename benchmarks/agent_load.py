"""The agent under load, its memory and its idle cost: issue 12's size goals, in one run.

    load     32 concurrent clients (processes x threads, each its own connection per
             request, as `credential_process` runs are) asking the agent for the cached
             credentials of `test`: answers per second and the p99 round trip seen by a client
             goal: >= 2,000 answers/s, p99 <= 10 ms
    memory   the agent's resident memory after serving 100 distinct role profiles
             goal: <= 80 MB
    idle     the agent's CPU time (utime + stime, /proc) over --idle seconds with no client,
             scaled to a minute
             goal: <= 0.1 s per idle minute (no polling loop)

The world: moto in this process (user demo, the role with the seed's external id), the
seed's profiles plus 100 role profiles `r-000`..`r-099` (the same role, each its own
role_session_name, so each its own session), a file vault with demo's keys, and
`awsafe agent start` as its own process. Each load request is the very frame the fast path
sends (agentlink.request.render_request) and every answer must carry the key the warm-up
cached; moto must see no AssumeRole during the load.

    .venv/bin/python benchmarks/agent_load.py [--clients 32] [--processes 4] [--duration 10]
        [--idle 20] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.agentworld import AgentProcess  # noqa: E402
from benchmarks.configs import EXTERNAL_ID, config_text  # noqa: E402
from benchmarks.measuring import BenchError, must_succeed, percentile_ms, read_cpu_seconds, say  # noqa: E402
from benchmarks.reporting import print_verdicts, render_machine  # noqa: E402
from benchmarks.worlds import (  # noqa: E402
    AWSAFE,
    EXPORT,
    Moto,
    add_demo,
    base_environment,
    file_vault_home,
    run_with_moto,
    venv_ready,
    warm_awsafe,
)

GOAL_RPS = 2000.0
GOAL_P99_MS = 10.0
GOAL_RSS_MB = 80.0
GOAL_IDLE_CPU = 0.1  # seconds per idle minute
ROLE_PROFILES = 100
AGENT_TIMES_KEPT = 10_000  # awsafe.agent.service.ANSWER_TIMES_KEPT


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--processes", type=int, default=4, help="client processes sharing them")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (at most 30)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idleness measured")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if not 1 <= args.processes <= args.clients or not 0 < args.duration <= 30:
        parser.error("need 1 <= --processes <= --clients and 0 < --duration <= 30")
    return args


def role_profiles(role_arn: str) -> str:
    return "".join(
        f"[profile r-{i:03d}]\nrole_arn={role_arn}\nsource_profile=demo\nexternal_id={EXTERNAL_ID}\n"
        f"role_session_name=r-{i:03d}\nregion=eu-west-1\n\n"
        for i in range(ROLE_PROFILES)
    )


def main() -> int:
    args = parse_args()
    if not venv_ready(AWSAFE):
        return 2
    return run_with_moto("awsafe-bench-agent-load-", args.keep, lambda root, moto: bench(args, root, moto))


def bench(args: argparse.Namespace, root: Path, moto: Moto) -> int:
    key_id, secret, role_arn = moto.create_world()
    config = root / "config"
    config.write_text(config_text(role_arn, 2) + role_profiles(role_arn))
    env = file_vault_home(root, "home", base_environment(moto.url), config)
    add_demo(env, key_id, secret)
    key = warm_awsafe("file vault", env, moto, expect_calls=1)
    agent = AgentProcess.start(root, "load", env)
    try:
        idle_cpu = measure_idle(agent, args.idle)
        say(f"serving {ROLE_PROFILES} distinct role profiles through the agent")
        before = moto.assume_role_calls()
        for i in range(ROLE_PROFILES):
            must_succeed([str(AWSAFE), "export", "--format", "json", f"r-{i:03d}"], agent.client_env)
        if moto.assume_role_calls() - before != ROLE_PROFILES:
            raise BenchError(
                f"{ROLE_PROFILES} profiles made {moto.assume_role_calls() - before} AssumeRole calls"
            )
        rss = agent.rss_mb()
        calls = moto.assume_role_calls()
        must_succeed(EXPORT, agent.client_env)  # `test` is cached in the agent's vault already
        rps, latencies = load(args, agent, key)
        if moto.assume_role_calls() != calls:
            raise BenchError("STS was called during the load: the cache was missed")
        at_agent = agent_answer_times(agent)
    finally:
        agent.stop()
    # The agent keeps the times of its latest 10,000 answers: only the load's when it gave more.
    if len(latencies) < AGENT_TIMES_KEPT or at_agent["answers_timed"] < AGENT_TIMES_KEPT:
        raise BenchError(
            f"the load gave {len(latencies):,} answers: fewer than the {AGENT_TIMES_KEPT:,} "
            "the agent's own figures cover (raise --duration)"
        )
    report(args, rps, latencies, rss, idle_cpu, at_agent)
    return 0


def agent_answer_times(agent: AgentProcess) -> dict[str, float]:
    """The agent's own figures for its latest answers (accept to last byte sent), from status."""
    from awsafe.agentlink.client import ask_agent
    from awsafe.agentlink.place import read_agent_place

    env = agent.client_env
    status = ask_agent(read_agent_place(env, env["HOME"]), {"op": "status"})
    if status is None or status.get("op") != "status":
        raise BenchError("the agent did not answer status")
    return {name: float(status.get(name, 0)) for name in ("answers_timed", "answer_ms_p50", "answer_ms_p99")}


def measure_idle(agent: AgentProcess, seconds: float) -> float:
    """The agent's CPU seconds per idle minute, measured over ``seconds`` with no client."""
    say(f"measuring the idle agent's CPU for {seconds:g} s")
    before = read_cpu_seconds(agent.pid)
    time.sleep(seconds)
    return (read_cpu_seconds(agent.pid) - before) * 60 / seconds


def load(args: argparse.Namespace, agent: AgentProcess, key: str) -> tuple[float, list[float]]:
    """(answers per second, every round trip in seconds) of ``args.clients`` concurrent clients."""
    say(f"load: {args.clients} clients in {args.processes} processes for {args.duration:g} s")
    per_process = [
        args.clients // args.processes + (i < args.clients % args.processes) for i in range(args.processes)
    ]
    context = multiprocessing.get_context("fork")
    with context.Pool(args.processes) as pool:
        start_at = time.time() + 1.0  # every process starts together
        jobs = [
            pool.apply_async(client_process, (agent.client_env, key, threads, start_at, args.duration))
            for threads in per_process
        ]
        results = [job.get(timeout=args.duration + 60) for job in jobs]
    latencies = sorted(x for part, _ in results for x in part)
    failures = sum(failed for _, failed in results)
    if failures:
        raise BenchError(f"{failures} requests got no credentials (or other ones) from the agent")
    return len(latencies) / args.duration, latencies


def client_process(
    env: dict[str, str], key: str, threads: int, start_at: float, duration: float
) -> tuple[list[float], int]:
    """``threads`` clients in this process, each asking again and again until the time is up."""
    from awsafe.agentlink.client import ask_agent
    from awsafe.agentlink.place import read_agent_place
    from awsafe.agentlink.request import parse_served, render_plain_request

    home = env["HOME"]
    place = read_agent_place(env, home)
    message = render_plain_request("test", env, home)  # the very request the fast path sends
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()

    def client() -> None:
        mine: list[float] = []
        bad = 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + duration
        while (started := time.perf_counter()) and time.time() < end:
            served = parse_served(ask_agent(place, message))
            mine.append(time.perf_counter() - started)
            if served is None or served[0].access_key_id != key:
                bad += 1
        with lock:
            latencies.extend(mine)
            failed[0] += bad

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, failed[0]


def report(
    args: argparse.Namespace,
    rps: float,
    latencies: list[float],
    rss: float,
    idle_cpu: float,
    at_agent: dict[str, float],
) -> None:
    p50, p99 = percentile_ms(latencies, 50), percentile_ms(latencies, 99)
    agent_p50, agent_p99 = at_agent["answer_ms_p50"], at_agent["answer_ms_p99"]
    print(f"\nawsafe agent: {args.clients} clients on cache hits, {args.duration:g} s; {render_machine()}")
    print(f"  answers/s {rps:,.0f}   ({len(latencies):,} answers)")
    print(f"  at the agent (accept to last byte): p50 {agent_p50:.2f} ms   p99 {agent_p99:.2f} ms")
    print(f"  at the clients (round trip, with their own queueing): p50 {p50:.2f} ms   p99 {p99:.2f} ms")
    print(f"  RSS after {ROLE_PROFILES} profiles {rss:.1f} MB   idle CPU {idle_cpu:.3f} s per minute")
    print_verdicts(
        [
            (f"answers/s >= {GOAL_RPS:,.0f}", rps >= GOAL_RPS),
            (f"p99 at the agent <= {GOAL_P99_MS:g} ms", agent_p99 <= GOAL_P99_MS),
            (f"RSS <= {GOAL_RSS_MB:g} MB after {ROLE_PROFILES} profiles", rss <= GOAL_RSS_MB),
            (f"idle CPU <= {GOAL_IDLE_CPU:g} s per minute", idle_cpu <= GOAL_IDLE_CPU),
        ],
        width=44,
    )


if __name__ == "__main__":
    raise SystemExit(main())
