"""The endpoint-URL rule: which URL an AWS service is called at, from the environment and the
profile; pure, and the only place that reads ``AWS_ENDPOINT_URL*``.

The precedence is botocore's and the AWS CLI's (their "service-specific endpoints"):
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` turns every override off; otherwise the
service's own variable (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL_SSO_OIDC``...) beats
``AWS_ENDPOINT_URL``, which beats the profile's ``endpoint_url``. Not read, as before:
the ``services`` sections of the config file and ``ignore_configured_endpoint_urls`` in it.
"""

from __future__ import annotations

from collections.abc import Mapping


def resolve_endpoint_url(
    service: str, environ: Mapping[str, str], configured: str | None = None
) -> str | None:
    """The URL to call ``service`` (botocore's name: "sts", "iam", "sso-oidc", "sso") at, or
    None for the service's default for the region. ``configured`` is the profile's endpoint_url."""
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    own = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_").replace(" ", "_")
    return environ.get(own) or environ.get("AWS_ENDPOINT_URL") or configured or None
