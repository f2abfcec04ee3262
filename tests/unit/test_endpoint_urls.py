"""The one endpoint-URL rule, and that STS, IAM and IAM Identity Center all follow it."""

from __future__ import annotations

import pytest

from awsafe.config.profile import ProfileConfig
from awsafe.credentials.rules import endpoint_for_profile
from awsafe.endpoint_urls import resolve_endpoint_url
from awsafe.sso.settings import SsoEndpoints
from awsafe.wiring.rotation import iam_endpoint

ALL = "http://all.example"
PROFILE = "http://profile.example"


@pytest.mark.parametrize(
    ("service", "variable"),
    [
        ("sts", "AWS_ENDPOINT_URL_STS"),
        ("iam", "AWS_ENDPOINT_URL_IAM"),
        ("sso-oidc", "AWS_ENDPOINT_URL_SSO_OIDC"),
        ("sso", "AWS_ENDPOINT_URL_SSO"),
    ],
)
def test_service_variable_beats_common_variable_beats_profile(service: str, variable: str) -> None:
    own = f"http://{service}.example"
    assert resolve_endpoint_url(service, {variable: own, "AWS_ENDPOINT_URL": ALL}, PROFILE) == own
    assert resolve_endpoint_url(service, {"AWS_ENDPOINT_URL": ALL}, PROFILE) == ALL
    assert resolve_endpoint_url(service, {}, PROFILE) == PROFILE
    assert resolve_endpoint_url(service, {}, None) is None


def test_another_services_variable_is_not_used() -> None:
    assert resolve_endpoint_url("iam", {"AWS_ENDPOINT_URL_STS": "http://sts"}, PROFILE) == PROFILE
    # AWS_ENDPOINT_URL_SSO is the portal's, not a prefix of the OIDC service's
    assert resolve_endpoint_url("sso-oidc", {"AWS_ENDPOINT_URL_SSO": "http://portal"}) is None


def test_empty_values_count_as_unset() -> None:
    env = {"AWS_ENDPOINT_URL_STS": "", "AWS_ENDPOINT_URL": ""}
    assert resolve_endpoint_url("sts", env, PROFILE) == PROFILE
    assert resolve_endpoint_url("sts", env, "") is None


@pytest.mark.parametrize("value", ["true", "TRUE", "True"])
def test_ignore_configured_endpoint_urls_turns_every_override_off(value: str) -> None:
    env = {
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": value,
        "AWS_ENDPOINT_URL_STS": "http://sts",
        "AWS_ENDPOINT_URL": ALL,
    }
    assert resolve_endpoint_url("sts", env, PROFILE) is None


def test_ignore_flag_other_than_true_changes_nothing() -> None:
    env = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "1", "AWS_ENDPOINT_URL": ALL}
    assert resolve_endpoint_url("sts", env, PROFILE) == ALL


def test_sts_iam_and_sso_endpoints_use_the_rule() -> None:
    profile = ProfileConfig(name="p", region="eu-west-1", endpoint_url=PROFILE)
    env = {
        "AWS_ENDPOINT_URL_IAM": "http://iam",
        "AWS_ENDPOINT_URL_SSO_OIDC": "http://oidc",
        "AWS_ENDPOINT_URL": ALL,
    }
    assert endpoint_for_profile(env)(profile).url == ALL
    assert iam_endpoint(env, profile).url == "http://iam"
    assert SsoEndpoints.from_environ(env) == SsoEndpoints(oidc_url="http://oidc", portal_url=ALL)
    # an sso-session is not a profile: no endpoint_url applies to it
    assert SsoEndpoints.from_environ({}) == SsoEndpoints(None, None)
