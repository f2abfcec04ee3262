"""The composition root: one Engine per process turns credential requests into credentials.

A CLI run builds an Engine, asks it once and exits; it asks a running agent first
(``wiring.agent``) and serves itself when none answers. A long-running process (an endpoint,
the agent) builds one, opens the vault once, and asks it many times; each request may carry
the asking client's own environment (its config file, variables, clock and streams), so the
answer is the one that client would have got by itself. The agent calls the ``local_*``
methods, which never ask an agent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

from awsafe.agentlink.request import resolve_vault_identity
from awsafe.config.profile import ProfileConfig, resolve_account_id
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import MfaCodes
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.vault.base import Store
from awsafe.vault.serialized import SerializedStore
from awsafe.wiring.agent import AgentProvider, Served, ask_agent_for, start_agent_after_unlock
from awsafe.wiring.console import console_credentials
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from awsafe.wiring.provider import build_provider, load_profile_chain
from awsafe.wiring.sessions import remember_for_fast_path
from awsafe.wiring.vault import Unlock, open_vault


@dataclasses.dataclass(frozen=True)
class Answer:
    """Credentials for a request, with the chain that produced them."""

    credentials: Credentials
    chain: list[ProfileConfig]

    @property
    def region(self) -> str | None:
        return self.chain[0].region

    @property
    def account_id(self) -> str | None:
        """AWS_ACCOUNT_ID, where the config says whose credentials these are."""
        return resolve_account_id(self.chain)


class Engine:
    """The vault, opened once on first use, and everything built over it per request.

    The store is shared by the threads of a long-running process (the agent's connections,
    an endpoint's refreshes): it is opened under a lock and called one call at a time.
    """

    def __init__(
        self, options: GlobalOptions, env: Environment, store: Store | None = None, *, ask_agent: bool = True
    ) -> None:
        self.options = options
        self.env = env
        self._store = store
        self._ask_agent = ask_agent
        self._opening = threading.Lock()
        self._unlock: Unlock | None = None  # how the file vault was unlocked, for the auto-start
        # Taken now: an agent changes its working directory to / once started, and a relative
        # --file-dir must keep naming the directory it named at start.
        self.vault_identity = resolve_vault_identity(
            options.backend, options.file_dir, env.environ, env.home, options.vault_flag_values
        )

    @property
    def store(self) -> Store:
        """The vault the options name, opened (and, for the file vault, unlocked) on first use."""
        with self._opening:
            if self._store is None:
                self._store = SerializedStore(open_vault(self.options, self.env, on_unlock=self._unlocked))
            return self._store

    def _unlocked(self, unlock: Unlock) -> None:
        self._unlock = unlock

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
        """The provider an endpoint refreshes from: the agent's (asked at each refresh) when one
        answers now without prompting, else this process's own over the vault."""
        env = env or self.env
        if self._ask_agent and mfa is None:

            def ask(interactive: bool = True) -> Served | None:
                return ask_agent_for("credentials", self.options, env, request, interactive=interactive)

            first = ask(interactive=False)
            if first is not None:
                return AgentProvider(
                    first.credentials, ask, lambda: self.local_provider(chain, request, env), request.profile
                )
        return self.local_provider(chain, request, env, mfa)

    def local_provider(
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
        """Credentials for ``request``: from a running agent, else served here (see local_credentials)."""
        env = env or self.env
        chain = self.profile_chain(request, env)
        if self._ask_agent:
            served = ask_agent_for("credentials", self.options, env, request)
            if served is not None:
                return Answer(served.credentials, chain)
        answer = self.local_credentials(request, env, mfa, remember=remember, chain=chain)
        self._start_agent(env)
        return answer

    def local_credentials(
        self,
        request: CredentialRequest,
        env: Environment | None = None,
        mfa: MfaCodes | None = None,
        *,
        remember: bool = True,
        chain: list[ProfileConfig] | None = None,
    ) -> Answer:
        """Credentials for ``request`` (from the cache when fresh); ``remember``: write the fast
        path record that lets a plain call find them again without the full path."""
        env = env or self.env
        chain = chain or self.profile_chain(request, env)
        provider = self.local_provider(chain, request, env, mfa)
        credentials = provider.retrieve()
        answer = Answer(credentials, chain)
        # No fast path record for a role over the outer keys: the fast path cannot see them (it
        # keys on no secret), and other keys must mean another session.
        if remember and not any(profile.credential_source == "Environment" for profile in chain):
            remember_for_fast_path(
                self.options,
                env,
                request,
                self.store,
                provider,
                credentials,
                answer.region,
                answer.account_id,
            )
        return answer
        return Answer(credentials, chain)

    def console_credentials(
        self, request: CredentialRequest, env: Environment | None = None
    ) -> tuple[Answer, dt.timedelta | None]:
        """Credentials for the console sign-in, and the SessionDuration to ask (None: none)."""
        env = env or self.env
        if self._ask_agent:
            chain = self.profile_chain(request, env)
            served = ask_agent_for("console", self.options, env, request)
            if served is not None:
                seconds = served.session_duration
                return Answer(served.credentials, chain), None if seconds is None else dt.timedelta(
                    seconds=seconds
                )
        answer = self.local_console_credentials(request, env)
        self._start_agent(env)
        return answer

    def local_console_credentials(
        self, request: CredentialRequest, env: Environment | None = None, mfa: MfaCodes | None = None
    ) -> tuple[Answer, dt.timedelta | None]:
        env = env or self.env
        chain = self.profile_chain(request, env)
        credentials, duration = console_credentials(self.options, env, chain, request, self.store, mfa)
        return Answer(credentials, chain), duration

    def _start_agent(self, env: Environment) -> None:
        """After a full-path answer: start an agent if the vault was just unlocked as
        AWSAFE_AGENT allows (see wiring.agent); the passphrase is forgotten either way."""
        unlock, self._unlock = self._unlock, None
        if self._ask_agent and self._store is not None:
            start_agent_after_unlock(self.options, env, self._store.name, unlock)
