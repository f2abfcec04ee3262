"""What the agent answers to a credentials or console request (a placeholder that declines
every request; the real handlers come with the client side of issue 12)."""

from __future__ import annotations

from typing import Any

from awsafe.agentlink.protocol import Conversation
from awsafe.wiring.engine import Engine


def answer(engine: Engine, conversation: Conversation, frame: dict[str, Any], held: set[str]) -> None:
    """Send the final frame for ``frame`` on ``conversation``: here always a decline."""
    conversation.send({"op": "decline", "reason": "this agent does not serve credentials yet"})
