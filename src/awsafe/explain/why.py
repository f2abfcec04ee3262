"""Why the session rules chose the calls of a plan, in words: each call's MFA, signer and duration,
the session kind as a whole, and where aws-vault or the AWS CLI would do otherwise; pure.

The reasons are asked of the same rules the chain builder follows (``credentials/rules.py``),
and of the plan the builder produced, so they cannot describe a chain `exec` would not build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from awsafe.config.profile import SOURCE_KEYS, ProfileConfig
from awsafe.config.resolve import Setting
from awsafe.credentials.rules import (
    MAX_CHAINED_ROLE,
    ONE_HOUR,
    SessionOptions,
    assumed_with_role_credentials,
    mfa_session_for_chain,
)
from awsafe.explain.plan import Call, Plan


@dataclasses.dataclass(frozen=True)
class Difference:
    tool: str  # "aws-vault" or "AWS CLI"
    text: str


def render_duration(duration: dt.timedelta) -> str:
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return "".join(parts) or "0s"


def _index(chain: Sequence[ProfileConfig], name: str) -> int:
    return next(i for i, profile in enumerate(chain) if profile.name == name)


def _where(settings: Mapping[str, Sequence[Setting]], profile: str, key: str) -> str:
    found = next((s for s in settings.get(profile, ()) if s.key == key), None)
    return f" ({found.where})" if found is not None else ""


def _sets(settings: Mapping[str, Sequence[Setting]], profile: str, key: str) -> bool:
    """Whether ``profile`` sets ``key`` itself (not through [default])."""
    return any(s.key == key and s.via != "[default]" for s in settings.get(profile, ()))


def role_duration_source(
    profile: ProfileConfig, options: SessionOptions, settings: Mapping[str, Sequence[Setting]]
) -> tuple[dt.timedelta, str]:
    """The role duration before any cap, and what set it (the order of ``ChainBuilder``)."""
    if options.duration:
        return options.duration, "--duration"
    if options.assume_role_ttl:
        return options.assume_role_ttl, "AWS_ASSUME_ROLE_TTL"
    if profile.duration:
        return profile.duration, "duration_seconds" + _where(settings, profile.name, "duration_seconds")
    return ONE_HOUR, "the default"


def _session_token_duration_source(shared: bool, options: SessionOptions, environ: Mapping[str, str]) -> str:
    """What set a session token's duration (the order of ``ChainBuilder``)."""
    if shared:
        return (
            "AWS_CHAINED_SESSION_TOKEN_TTL" if environ.get("AWS_CHAINED_SESSION_TOKEN_TTL") else "the default"
        )
    if options.duration:
        return "--duration"
    return "AWS_SESSION_TOKEN_TTL" if environ.get("AWS_SESSION_TOKEN_TTL") else "the default"


def explain_calls(
    chain: Sequence[ProfileConfig],
    plan: Plan,
    options: SessionOptions,
    settings: Mapping[str, Sequence[Setting]],
    environ: Mapping[str, str],
) -> list[list[str]]:
    """For each call of ``plan``, the reasons it is made the way it is."""
    reasons: list[list[str]] = []
    for number, call in enumerate(plan.calls, start=1):
        signed = f"signed with {call.signed_with}"
        if call.operation == "GetRoleCredentials":
            reasons.append(
                [
                    f"{call.profile!r} is an IAM Identity Center profile: its role credentials come from "
                    "the sign-in's access token (signed in first if there is none)"
                ]
            )
        elif call.operation == "AssumeRoleWithWebIdentity":
            reasons.append(
                [
                    f"{call.profile!r} has a web identity token and no source_profile; not role chaining, "
                    "so no 1h cap"
                ]
            )
        elif call.operation == "GetSessionToken":
            reasons.append(_why_session_token(chain, plan, number, call, options, environ) + [signed])
        else:
            reasons.append(_why_assume_role(chain, plan, call, options, settings) + [signed])
    return reasons


def _why_session_token(
    chain: Sequence[ProfileConfig],
    plan: Plan,
    number: int,
    call: Call,
    options: SessionOptions,
    environ: Mapping[str, str],
) -> list[str]:
    role = next((c for c in plan.calls if c.signed_with == f"the session token of call {number}"), None)
    source = _session_token_duration_source(role is not None, options, environ)
    lasts = f"lasts {render_duration(call.duration or ONE_HOUR)} ({source})"
    if role is None:
        target = chain[0]
        if target.name != call.profile and target.source_profile and not target.role_arn:
            serial = call.mfa_serial or "none"
            return [
                f"{target.name!r} is a pass-through profile (source_profile, no role_arn): a session token "
                f"on the keys of {call.profile!r} carrying {target.name!r}'s own mfa_serial ({serial}), "
                "as aws-vault",
                lasts,
            ]
        mfa = (
            f", with MFA: it has mfa_serial {call.mfa_serial}"
            if call.mfa_serial
            else ", no MFA: no mfa_serial"
        )
        return [f"{call.profile!r} is an IAM user run directly: a session token{mfa}", lasts]
    i = _index(chain, role.profile)
    if mfa_session_for_chain(chain, i, no_session=options.no_session):
        why = (
            f"role {role.profile!r} is the lowest role of a chain and has mfa_serial {call.mfa_serial}: "
            "one MFA session (one code) serves the whole chain"
        )
    else:
        why = (
            f"role {role.profile!r} has mfa_serial {call.mfa_serial} and asks at most 1h: its MFA goes "
            f"through a session token of {call.profile!r}, shared by every role with that source and serial"
        )
    return [why, lasts]


def _why_assume_role(
    chain: Sequence[ProfileConfig],
    plan: Plan,
    call: Call,
    options: SessionOptions,
    settings: Mapping[str, Sequence[Setting]],
) -> list[str]:
    i = _index(chain, call.profile)
    profile = chain[i]
    why: list[str] = []
    own_keys = call.signed_with == f"the long-term keys of {profile.name!r}"
    base, source = role_duration_source(profile, options, settings)
    if call.mfa_serial:
        if options.no_session:
            why.append("MFA on AssumeRole itself: --no-session asks for no session token first")
        elif own_keys:
            why.append("MFA on AssumeRole itself: the role has keys of its own in the vault (as aws-vault)")
        elif base > ONE_HOUR and "long-term keys" in call.signed_with:
            why.append(
                f"MFA on AssumeRole itself: it asks {render_duration(base)}, more than a role assumed "
                "with a session token may have (1h)"
            )
        else:
            why.append(f"MFA on AssumeRole itself: its source ({call.signed_with}) is no user's session")
    elif profile.mfa_serial:
        why.append(
            f"no MFA parameters: its source already carries mfa_serial {profile.mfa_serial} "
            "(AWS takes SerialNumber only from the user making the call)"
        )
    duration = call.duration or ONE_HOUR
    if duration < base:
        cause = (
            "it is assumed with role credentials (role chaining)"
            if assumed_with_role_credentials(chain, i)
            else "it is assumed with an MFA session token"
        )
        why.append(
            f"duration {render_duration(duration)}: {render_duration(base)} from {source}, "
            f"capped at 1h as {cause}"
        )
    else:
        why.append(f"duration {render_duration(duration)} from {source}")
    return why


def session_kind(plan: Plan, options: SessionOptions) -> str:
    """The kind of session in a few words: the operations in order, MFA marked."""
    if not plan.calls:
        kinds = {leaf.kind for leaf in plan.leaves}
        if kinds == {"stored keys"}:
            return "the long-term keys themselves (no session" + (
                ": --no-session)" if options.no_session else ")"
            )
        return ", ".join(sorted(kinds)) or "none"
    steps = [f"{c.operation} (MFA)" if c.mfa_serial else c.operation for c in plan.calls]
    return " -> ".join(steps)


def find_differences(
    chain: Sequence[ProfileConfig],
    plan: Plan,
    options: SessionOptions,
    settings: Mapping[str, Sequence[Setting]],
    default_values: Mapping[str, tuple[str, str]],
) -> list[Difference]:
    """Where aws-vault or the AWS CLI would resolve or call otherwise; ``default_values``: the
    keys of [default] (value, file:line)."""
    found: list[Difference] = []
    names = [p.name for p in chain if p.name != "default"]
    skipped = [k for k in sorted(default_values) if k in SOURCE_KEYS]
    into = [n for n in names if any(not _sets(settings, n, key) for key in skipped)]
    if skipped and into:
        keys = ", ".join(f"{key} ({default_values[key][1]})" for key in skipped)
        found.append(
            Difference(
                "aws-vault",
                f"[default] sets {keys}: aws-vault 7.1.2 inherits them into "
                f"{', '.join(repr(n) for n in into)} (#1195: they can turn a profile into another kind); "
                "awsafe never inherits a key that selects a credential source",
            )
        )
    for profile in chain:
        if profile.name == "default":
            continue
        inherited = [s.key for s in settings.get(profile.name, ()) if s.via == "[default]"]
        if inherited:
            found.append(
                Difference(
                    "AWS CLI",
                    f"{profile.name!r} takes {', '.join(inherited)} from [default]; the AWS CLI reads only "
                    "a profile's own section and would not",
                )
            )
        if any(s.via.startswith("include_profile") for s in settings.get(profile.name, ())):
            found.append(
                Difference(
                    "AWS CLI", f"{profile.name!r} uses include_profile, which only aws-vault and awsafe read"
                )
            )
        if profile.credential_source:
            found.append(
                Difference(
                    "aws-vault", f"{profile.name!r} uses credential_source, which aws-vault does not read"
                )
            )
    for call in plan.calls:
        if call.operation != "AssumeRole":
            continue
        i = _index(chain, call.profile)
        base, _ = role_duration_source(chain[i], options, settings)
        if base > MAX_CHAINED_ROLE and assumed_with_role_credentials(chain, i):
            found.append(
                Difference(
                    "aws-vault",
                    f"{call.profile!r}: aws-vault asks STS for {render_duration(base)}, which STS refuses "
                    "for a role assumed with role credentials; awsafe asks 1h",
                )
            )
        if not chain[i].role_session_name:
            found.append(
                Difference(
                    "AWS CLI",
                    f"{call.profile!r} has no role_session_name: awsafe names the session "
                    "awsafe-<unix time>, the AWS CLI botocore-session-<unix time>",
                )
            )
    if any(c.operation == "AssumeRole" for c in plan.calls):
        found.append(
            Difference(
                "aws-vault",
                "aws-vault assumes a role afresh on every run (it caches session tokens only); awsafe caches "
                "the role credentials too, until AWS_MIN_TTL before they expire",
            )
        )
    return found
