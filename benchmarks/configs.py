"""The ~/.aws/config texts the benchmarks write: the seed's demo/test profiles among N generated ones.

Pure: it builds strings and touches no file.
"""

from __future__ import annotations

EXTERNAL_ID = "35e413a2-b7d2-45a3-9126-6fdf4563863d"
SSO_SESSIONS = 5


def seed_profiles(role_arn: str) -> str:
    """The seed README's demo and test profiles, apart from the role ARN."""
    return (
        "[profile demo]\n"
        "region=ap-northeast-2\n\n"
        "[profile test]\n"
        f"external_id={EXTERNAL_ID}\n"
        f"role_arn={role_arn}\n"
        "role_session_name=test\n"
        "source_profile=demo\n"
        "region=ap-northeast-2\n\n"
    )


def generated_profile(i: int) -> str:
    """Even i: an SSO profile through an [sso-session]; odd i: a credential_process profile."""
    if i % 2 == 0:
        return (
            f"[profile sso-{i:06d}]\nsso_session = corp{i % SSO_SESSIONS}\n"
            f"sso_account_id = {100_000_000_000 + i}\nsso_role_name = Role{i % 7}\n"
            "region = eu-west-1\n\n"
        )
    return (
        f"[profile proc-{i:06d}]\ncredential_process = /usr/local/bin/get-creds "
        f"--account {100_000_000_000 + i} --role Role{i % 7}\nregion = us-west-2\n\n"
    )


def config_text(role_arn: str, generated: int, seed_at: int | None = None) -> str:
    """[default], the [sso-session]s, `generated` profiles with demo and test after the
    first `seed_at` of them (default: in the middle).

    generated=2 gives the five-profile config: default, one SSO, demo, test, one process.
    """
    head = "[default]\nregion = us-east-1\noutput = json\n\n" + "".join(
        f"[sso-session corp{s}]\nsso_start_url = https://corp{s}.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n"
        for s in range(SSO_SESSIONS)
    )
    at = generated // 2 if seed_at is None else seed_at
    return (
        head
        + "".join(generated_profile(i) for i in range(at))
        + seed_profiles(role_arn)
        + "".join(generated_profile(i) for i in range(at, generated))
    )
