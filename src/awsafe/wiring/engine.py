"""The composition root: one Engine per process turns credential requests into credentials.

A CLI run builds an Engine, asks it once and exits. A long-running process (an endpoint, the
agent) builds one, opens the vault once, and asks it many times; each request may carry the
asking client's own environment (its config file, variables, clock and streams), so the
answer is the one that client would have got by itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from awsafe.config.profile import ProfileConfig
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import MfaCodes
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.vault.base import Store
from awsafe.wiring.console import console_credentials
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from awsafe.wiring.provider import build_provider, load_profile_chain
from awsafe.wiring.sessions import remember_for_fast_path
from awsafe.wiring.vault import open_vault


@dataclasses.dataclass(frozen=True)
class Answer:
    """Credentials for a request, with the chain that produced them."""

    credentials: Credentials
    chain: list[ProfileConfig]

    @property
    def region(self) -> str | None:
        return self.chain[0].region


class Engine:
    """The vault, opened once on first use, and everything built over it per request."""

    def __init__(self, options: GlobalOptions, env: Environment, store: Store | None = None) -> None:
        self.options = options
        self.env = env
        self._store = store

    @property
    def store(self) -> Store:
        """The vault the options name, opened (and, for the file vault, unlocked) on first use."""
        if self._store is None:
            self._store = open_vault(self.options, self.env)
        return self._store

    def profile_chain(
        self, request: CredentialRequest, env: Environment | None = None
    ) -> list[ProfileConfig]:
        return load_profile_chain(env or self.env, request)

    def provider(
        self,
        chain: list[ProfileConfig],
        request: CredentialRequest,
        env: Environment | None = None,
        mfa: MfaCodes | None = None,
    ) -> Provider:
        return build_provider(self.options, env or self.env, chain, request, self.store, mfa)

    def credentials(
        self,
        request: CredentialRequest,
        env: Environment | None = None,
        mfa: MfaCodes | None = None,
        *,
        remember: bool = True,
    ) -> Answer:
        """Credentials for ``request`` (from the cache when fresh); ``remember``: write the fast
        path record that lets a plain call find them again without the full path."""
        env = env or self.env
        chain = self.profile_chain(request, env)
        provider = self.provider(chain, request, env, mfa)
        credentials = provider.retrieve()
        if remember:
            region = chain[0].region
            remember_for_fast_path(self.options, env, request, self.store, provider, credentials, region)
        return Answer(credentials, chain)

    def console_credentials(
        self, request: CredentialRequest, env: Environment | None = None
    ) -> tuple[Answer, dt.timedelta | None]:
        """Credentials for the console sign-in, and the SessionDuration to ask (None: none)."""
        env = env or self.env
        chain = self.profile_chain(request, env)
        credentials, duration = console_credentials(self.options, env, chain, request, self.store)
        return Answer(credentials, chain), duration
