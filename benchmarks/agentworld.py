"""An `awsafe agent` as its own process for the agent benchmarks: started, found, stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.measuring import BenchError, must_succeed, say
from benchmarks.worlds import AWSAFE

PASSPHRASE_VARIABLES = ("AWSAFE_FILE_PASSPHRASE", "AWS_VAULT_FILE_PASSPHRASE")


def without_passphrase(env: dict[str, str]) -> dict[str, str]:
    """``env`` with no passphrase: a client that only an agent can serve from the file vault."""
    return {k: v for k, v in env.items() if k not in PASSPHRASE_VARIABLES}


@dataclass
class AgentProcess:
    """A running agent: its socket, its pid, and the environment its clients use."""

    socket: Path
    pid: int
    client_env: dict[str, str]

    @classmethod
    def start(cls, root: Path, name: str, env: dict[str, str]) -> AgentProcess:
        """`awsafe agent start` on the vault ``env`` names, with its socket under ``root``."""
        directory = root / f"agent-{name}"
        socket = directory / "agent.sock"
        client_env = {**env, "AWSAFE_AGENT_SOCK": str(socket), "AWSAFE_AGENT": "on"}
        must_succeed([str(AWSAFE), "agent", "start"], client_env, timeout=120)
        pid_file = directory / "agent.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError) as e:
            raise BenchError(f"agent started but its pid file {pid_file} is unreadable: {e}") from e
        say(f"agent {name}: pid {pid}, socket {socket}")
        return cls(socket, pid, without_passphrase(client_env))

    def stop(self) -> None:
        must_succeed([str(AWSAFE), "agent", "stop"], self.client_env, timeout=30)
        if self.socket.exists():
            raise BenchError(f"`awsafe agent stop` left its socket {self.socket}")

    def rss_mb(self) -> float:
        """Resident memory of the agent, from /proc/PID/status (VmRSS, kB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise BenchError(f"no VmRSS for pid {self.pid}")
