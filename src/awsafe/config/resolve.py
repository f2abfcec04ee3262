"""Resolve a profile name into typed ProfileConfigs (the profile and its source chain); pure.

Precedence, highest first: command-line flags > environment variables >
the profile's own keys > ``include_profile`` > ``[default]``. Keys that select
a credential source are never inherited from ``[default]`` (aws-vault #1195).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from awsafe.config.parse import ConfigFile, Section
from awsafe.config.profile import SOURCE_KEYS, ProfileConfig, build_profile
from awsafe.errors import ConfigError, ProfileNotFoundError

# Hops of source_profile, or of include_profile, that one profile may take. Neither the AWS
# CLI nor aws-vault has a limit; real chains are 2-4 deep, and an endless one must end in
# a message, not in Python's recursion limit.
MAX_CHAIN = 64
# Environment variables that apply to every profile in a chain ...
CHAIN_ENV = {"AWS_MFA_SERIAL": "mfa_serial", "AWS_STS_REGIONAL_ENDPOINTS": "sts_regional_endpoints"}
# ... and those that apply only to the profile the user named.
TARGET_ENV = {
    "AWS_ROLE_ARN": "role_arn",
    "AWS_ROLE_SESSION_NAME": "role_session_name",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "web_identity_token_file",  # the AWS CLI's, with AWS_ROLE_ARN
    "AWS_SESSION_TAGS": "session_tags",
    "AWS_TRANSITIVE_TAGS": "transitive_session_tags",
    "AWS_SOURCE_IDENTITY": "source_identity",
}


@dataclasses.dataclass(frozen=True)
class Overrides:
    """Values given on the command line; they beat everything else."""

    region: str | None = None


def _merge_includes(
    config: ConfigFile, section: Section, seen: tuple[str, ...], vias: dict[str, str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Values and their file:line from the include_profile chain, lowest first; ``vias`` (when
    given) hears which profile each value came from, for `explain`."""
    values: dict[str, str] = {}
    wheres: dict[str, str] = {}
    include = section.values.get("include_profile")
    if include:
        if len(seen) > MAX_CHAIN:
            raise ConfigError(
                f"{section.where('include_profile')}: include_profile chain of profile {seen[0]!r} "
                f"is longer than {MAX_CHAIN} profiles"
            )
        if include in seen:
            loop = " -> ".join((*seen, include))
            raise ConfigError(f"{section.where('include_profile')}: include_profile loop: {loop}")
        included = config.profiles.get(include)
        if included is None:
            raise ConfigError(
                f"{section.where('include_profile')}: include_profile {include!r} is not a profile"
            )
        values, wheres = _merge_includes(config, included, (*seen, include), vias)
    for key, value in section.values.items():
        if key == "include_profile":
            continue
        values[key] = value
        wheres[key] = section.where(key)
        if vias is not None:
            vias[key] = f"include_profile {section.name}" if len(seen) > 1 else "own"
    return values, wheres


SSO_SESSION_KEYS = ("sso_start_url", "sso_region", "sso_registration_scopes")


def _merge_sso_session(
    config: ConfigFile, values: dict[str, str], wheres: dict[str, str], vias: dict[str, str] | None = None
) -> None:
    """A profile's ``sso_session`` brings that [sso-session]'s start URL, region and scopes;
    the profile may repeat them (the AWS CLI allows it) but not contradict them."""
    name = values.get("sso_session")
    if not name:
        return
    session = config.sso_sessions.get(name)
    if session is None:
        where = wheres["sso_session"]
        raise ConfigError(f"{where}: sso_session {name!r} has no [sso-session {name}] section")
    for key in SSO_SESSION_KEYS:
        value = session.values.get(key)
        if value is None:
            continue
        if values.get(key) and values[key] != value and key != "sso_registration_scopes":
            raise ConfigError(
                f"{wheres[key]}: {key} differs from the one in [sso-session {name}] ({session.where(key)})"
            )
        values[key] = value
        wheres[key] = session.where(key)
        if vias is not None:
            vias[key] = f"sso-session {name}"


@dataclasses.dataclass(frozen=True)
class Setting:
    """One resolved key of a profile: its value, the file:line (or variable) it came from, and
    by which layer: ``own``, ``include_profile NAME``, ``[default]``, ``sso-session NAME``,
    ``environment`` or ``command line``."""

    key: str
    value: str
    where: str
    via: str


def _layered_values(
    config: ConfigFile,
    name: str,
    env: Mapping[str, str],
    is_target: bool,
    overrides: Overrides,
    vias: dict[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, str], Section | None]:
    """Every layer of one profile, lowest first: values, their file:line, and its own section."""
    values: dict[str, str] = {}
    wheres: dict[str, str] = {}
    default = config.profiles.get("default")
    if default is not None and name != "default":
        for key, value in default.values.items():
            if key not in SOURCE_KEYS:
                values[key] = value
                wheres[key] = default.where(key)
                if vias is not None:
                    vias[key] = "[default]"
    section = config.profiles.get(name)
    if section is not None:
        own, own_wheres = _merge_includes(config, section, (name,), vias)
        values.update(own)
        wheres.update(own_wheres)

    env_keys = dict(CHAIN_ENV)
    if is_target:
        env_keys.update(TARGET_ENV)
    for variable, key in env_keys.items():
        if env.get(variable):
            values[key] = env[variable]
            wheres[key] = f"environment variable {variable}"
            if vias is not None:
                vias[key] = "environment"
    region = overrides.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        values["region"] = region
        if vias is not None:
            variable = "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION"
            wheres["region"] = "--region" if overrides.region else f"environment variable {variable}"
            vias["region"] = "command line" if overrides.region else "environment"

    _merge_sso_session(config, values, wheres, vias)
    return values, wheres, section


def resolve_settings(
    config: ConfigFile,
    name: str,
    env: Mapping[str, str],
    *,
    is_target: bool = True,
    overrides: Overrides = Overrides(),
) -> list[Setting]:
    """Each key of one profile with where it came from, in key order (for `explain`)."""
    vias: dict[str, str] = {}
    values, wheres, _ = _layered_values(config, name, env, is_target, overrides, vias)
    return [Setting(key, values[key], wheres.get(key, ""), vias.get(key, "own")) for key in sorted(values)]


def resolve_profile(
    config: ConfigFile,
    name: str,
    env: Mapping[str, str],
    *,
    is_target: bool = True,
    overrides: Overrides = Overrides(),
) -> ProfileConfig:
    """One profile with every layer applied; a profile without a section is allowed
    (its keys may live only in the vault), and is marked ``defined=False``."""
    values, wheres, section = _layered_values(config, name, env, is_target, overrides)
    where = section.where() if section is not None else f"{config.path} (no [profile {name}])"
    profile = build_profile(name, values, wheres, where)
    return dataclasses.replace(profile, defined=section is not None)


def resolve_chain(
    config: ConfigFile,
    name: str,
    env: Mapping[str, str],
    overrides: Overrides = Overrides(),
) -> list[ProfileConfig]:
    """The named profile first, then each ``source_profile`` down to the root."""
    chain = [resolve_profile(config, name, env, overrides=overrides)]
    while chain[-1].source_profile is not None:
        current = chain[-1]
        source = current.source_profile
        assert source is not None
        names = [p.name for p in chain]
        if len(chain) > MAX_CHAIN:
            raise ConfigError(
                f"{current.where}: source_profile chain of profile {name!r} is longer than "
                f"{MAX_CHAIN} profiles"
            )
        if source in names:
            loop = " -> ".join((*names[names.index(source) :], source))
            raise ConfigError(f"{current.where}: source_profile loop: {loop}")
        if source not in config.profiles:
            section = config.profiles.get(current.name)
            where = section.where("source_profile") if section else current.where
            raise ProfileNotFoundError(
                f"{where}: source_profile {source!r} of profile {current.name!r} is not a profile "
                f"in {config.path}"
            )
        chain.append(resolve_profile(config, source, env, is_target=False, overrides=overrides))
    return chain
