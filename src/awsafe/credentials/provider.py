"""The one interface every credential source implements."""

from __future__ import annotations

from typing import Protocol

from awsafe.model import Credentials


class Provider(Protocol):
    """Something that can produce credentials; may call the network or the vault."""

    def retrieve(self) -> Credentials: ...

    def describe(self) -> str:
        """One line for --debug and `explain`: what this provider does."""
        ...
