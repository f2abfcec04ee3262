"""Put together what `awsafe explain` shows about one profile: its chain with every setting's
origin, the calls a cache miss would make and why, what is cached, and where other tools differ.

Pure but for what its callers hand in: the vault (stored keys, the session cache) is read only
through ``keys`` and ``look_up``, which the wiring gives when the vault opens without a prompt.
Nothing here fetches, prompts or runs a configured program.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence

from awsafe.clock import Clock
from awsafe.config.parse import ConfigFile
from awsafe.config.profile import ProfileConfig
from awsafe.config.resolve import Overrides, Setting, resolve_chain, resolve_settings
from awsafe.credentials import sources
from awsafe.credentials.cache import SessionCache, SessionKey
from awsafe.credentials.chain import ChainBuilder
from awsafe.credentials.outer import OuterSources
from awsafe.credentials.rules import EndpointFor, SessionOptions, has_other_source
from awsafe.credentials.stored import PREFIX, StoredKeys
from awsafe.explain.plan import Call, Leaf, SsoLeafProvider, plan_calls
from awsafe.explain.why import Difference, explain_calls, find_differences, session_kind
from awsafe.model import redact
from awsafe.vault.memory import MemoryStore


@dataclasses.dataclass(frozen=True)
class Hop:
    profile: str
    kind: str  # role, stored keys, SSO, credential_process, web identity, credential_source, pass-through
    where: str  # the section's file:line, or that there is none
    source: str | None  # the next hop, or what the root's credentials are
    settings: list[Setting]


@dataclasses.dataclass(frozen=True)
class CachedState:
    expires_at: dt.datetime | None
    served: bool  # fresh (beyond AWS_MIN_TTL) and made from the keys stored now


LookUp = Callable[[SessionKey], "CachedState | None"]


@dataclasses.dataclass(frozen=True)
class SignIn:
    """An IAM Identity Center sign-in the chain uses, and its token's expiry (None: none stored)."""

    session: str  # "sso-session NAME", or the start URL of a legacy profile
    expires_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class VaultView:
    """What the wiring could read of the vault without a prompt; ``keys`` None: it was locked."""

    name: str  # "the file vault"
    keys: StoredKeys | None = None
    look_up: LookUp | None = None
    sign_ins: Callable[[ProfileConfig], SignIn] | None = None


LOCKED = "cache not inspected (vault locked)"


@dataclasses.dataclass(frozen=True)
class Explanation:
    profile: str
    config_path: str
    hops: list[Hop]
    leaves: list[Leaf]
    keys_note: str
    session: str
    calls: list[Call]
    reasons: list[list[str]]
    cache_inspected: bool
    cache_note: str
    cached: list[tuple[SessionKey, CachedState | None]]
    calls_now: list[int]  # the numbers of the calls a run would make with the cache as it is
    differences: list[Difference]
    sign_ins: list[SignIn] = dataclasses.field(default_factory=list)  # empty when not inspected


GENERATED_NAME = "awsafe-<unix time>"  # what rules.generated_session_name makes at run time


class _NoLocks:
    """The walk never fetches, so the cache it builds keys with never locks."""

    def hold(self, name: str, label: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def assumed_keys(chain: Sequence[ProfileConfig]) -> StoredKeys:
    """Keys as a locked vault is assumed to hold them: the root's only, when it has no other
    source (stand-ins that never leave this process: the walk reads their presence only)."""
    store = MemoryStore()
    root = chain[-1]
    if not has_other_source(root):
        stand_in = {"AccessKeyId": "assumed", "SecretAccessKey": "assumed"}
        store.set(PREFIX + root.name, json.dumps(stand_in).encode())
    return StoredKeys(store)


def _key_id(keys: StoredKeys, profile: str) -> str:
    found = keys.get(profile)
    return "?" if found is None else redact(found.access_key_id)


def hop_kind(chain: Sequence[ProfileConfig], i: int, keys: StoredKeys) -> tuple[str, str | None]:
    """The kind of profile ``i`` as the chain builder treats it, and what it gets credentials from."""
    profile = chain[i]
    below = chain[i + 1].name if profile.source_profile is not None and i + 1 < len(chain) else None
    if sources.is_web_identity(profile):
        return "web identity", profile.web_identity_token_file or "web_identity_token_process"
    if profile.role_arn:
        if below is None and keys.has(profile.name):
            return "role", "its own stored keys"
        if below is None and profile.has_sso:
            return "role", f"IAM Identity Center ({profile.sso_session or profile.sso_start_url})"
        if below is None and profile.credential_process:
            return "role", "credential_process"
        if below is None and profile.credential_source:
            return "role", f"credential_source {profile.credential_source}"
        return "role", below
    if below is not None and not keys.has(profile.name):
        return "pass-through", below
    if keys.has(profile.name) or not has_other_source(profile):
        return "stored keys", None
    if profile.has_sso:
        session = profile.sso_session or profile.sso_start_url
        return "SSO", f"sso_session {session}, account {profile.sso_account_id}, role {profile.sso_role_name}"
    if profile.credential_process:
        return "credential_process", profile.credential_process
    return "credential_source", profile.credential_source


def explain_profile(
    config: ConfigFile,
    name: str,
    environ: Mapping[str, str],
    *,
    overrides: Overrides,
    options: SessionOptions,
    endpoint_for: EndpointFor,
    clock: Clock,
    outer: OuterSources,
    vault: VaultView,
) -> Explanation:
    """Everything `explain` shows about ``name``, with what could be read of ``vault``; when
    it was locked, keys are assumed stored for the chain's root only (``assumed_keys``)."""
    chain = resolve_chain(config, name, environ, overrides)
    keys = vault.keys or assumed_keys(chain)
    if vault.keys is None:
        keys_note = f"{vault.name} is locked: assumed that keys are stored for {chain[-1].name!r} only"
    else:
        listed = ", ".join(f"{p.name!r} ({_key_id(keys, p.name)})" for p in chain if keys.has(p.name))
        keys_note = f"stored keys in {vault.name}: {listed or 'none for this chain'}"
    settings = {
        p.name: resolve_settings(config, p.name, environ, is_target=i == 0, overrides=overrides)
        for i, p in enumerate(chain)
    }
    builder = ChainBuilder(
        keys,
        options,
        endpoint_for,
        clock,
        cache=SessionCache(MemoryStore(), _NoLocks(), clock),
        mfa=None,  # never asked: the walk fetches nothing
        sso=lambda p: SsoLeafProvider(
            p.name, p.sso_account_id, p.sso_role_name, f"sso_session {p.sso_session or p.sso_start_url}"
        ),
        outer=outer,
    )
    plan = plan_calls(builder.build(chain))
    # The name a run generates holds the time it runs at, not the time of this walk.
    unnamed = {p.name for p in chain if not p.role_session_name}
    plan.calls = [
        dataclasses.replace(call, session_name=GENERATED_NAME)
        if call.session_name and call.profile in unnamed
        else call
        for call in plan.calls
    ]
    hops = []
    for i, profile in enumerate(chain):
        kind, source = hop_kind(chain, i, keys)
        hops.append(Hop(profile.name, kind, profile.where, source, settings[profile.name]))
    look_up = vault.look_up if vault.keys is not None else None
    cached = [(key, look_up(key) if look_up else None) for key in plan.keys]
    served = {key for key, state in cached if state is not None and state.served}
    calls_now = [n for n, call in enumerate(plan.calls, start=1) if not served.intersection(call.cache_keys)]
    missing = [
        leaf.profile for leaf in plan.leaves if leaf.kind == "stored keys" and not keys.has(leaf.profile)
    ]
    if missing:
        keys_note += "; a run would stop: " + ", ".join(
            f"no keys stored for {name!r} (add them with: awsafe add {name})" for name in missing
        )
    default = config.profiles.get("default")
    default_values = {k: (v, default.where(k)) for k, v in default.values.items()} if default else {}
    return Explanation(
        profile=name,
        config_path=config.path,
        hops=hops,
        leaves=plan.leaves,
        keys_note=keys_note,
        session=session_kind(plan, options),
        calls=plan.calls,
        reasons=explain_calls(chain, plan, options, settings, environ),
        cache_inspected=look_up is not None,
        cache_note=LOCKED if look_up is None else f"read from {vault.name}",
        cached=cached,
        calls_now=calls_now,
        differences=find_differences(chain, plan, options, settings, default_values),
        sign_ins=[vault.sign_ins(p) for p in chain if p.has_sso and not keys.has(p.name)]
        if vault.sign_ins and vault.keys is not None
        else [],
    )
