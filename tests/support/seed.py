"""The seed README's example (user `demo`, role profile `test`): the one copy every test uses."""

from __future__ import annotations

EXTERNAL_ID = "35e413a2-b7d2-45a3-9126-6fdf4563863d"
SEED_ROLE_ARN = "arn:aws:iam::123456789012:role/seed-role"


def seed_config(role_arn: str = SEED_ROLE_ARN, external_id: str = EXTERNAL_ID) -> str:
    """The seed README's profiles, byte for byte apart from the role ARN (and external id)."""
    return (
        "[profile demo]\n"
        "region=ap-northeast-2\n\n"
        "[profile test]\n"
        f"external_id={external_id}\n"
        f"role_arn={role_arn}\n"
        "role_session_name=test\n"
        "source_profile=demo\n"
        "region=ap-northeast-2\n"
    )
