"""A second SDK: the AWS SDK for JavaScript v3 consumes the `exec --ecs-server` endpoint.

A second SDK, independent of botocore, resolves credentials through its default provider chain
(the container provider: AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN)
and calls STS on moto. The SDK is pinned in tests/js/package.json and package-lock.json;
`scripts/test` installs it with `npm ci` and then sets AWSAFE_TEST_JS=required, so there a
missing install fails this test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.worlds import EXTERNAL_ID, Seed

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "tests" / "js"
SCRIPT = JS / "sts-identity.mjs"
SDK = JS / "node_modules" / "@aws-sdk" / "client-sts" / "package.json"
ROLE_IDENTITY = "arn:aws:sts::123456789012:assumed-role/seed-role/test"
# The pinned SDK supports node >= 20 but warns on stderr that later releases will need 22.
QUIET = {"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true"}

# Read at import, before the autouse fixture scrubs AWSAFE_* for each test.
REQUIRED = os.environ.get("AWSAFE_TEST_JS") == "required"


def _why_unavailable() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH (install Node.js >= 20, then run scripts/test)"
    if not SDK.is_file():
        return f"the JS SDK is not installed ({SDK} missing); run `npm ci` in {JS} or scripts/test"
    return None


@pytest.fixture
def node() -> str:
    reason = _why_unavailable()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"AWSAFE_TEST_JS=required but {reason}", pytrace=False)
        pytest.skip(reason)
    node = shutil.which("node")
    assert node is not None
    return node


def test_js_sdk_default_chain_reads_the_ecs_endpoint(seed: Seed, node: str) -> None:
    result = run_awsafe("exec", "--ecs-server", "test", "--", node, str(SCRIPT), env={**seed.env, **QUIET})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ROLE_IDENTITY
    # The container provider (fromHttp) produced the credentials, not env/ini/process/IMDS.
    assert "credential source CREDENTIALS_HTTP" in result.stderr, result.stderr

    # awsafe assumed the role once, with demo's key and the seed's external id.
    assumed = seed.moto.calls("AssumeRole")
    assert len(assumed) == 1, assumed
    assert assumed[0].params["ExternalId"] == EXTERNAL_ID
    assert assumed[0].params["RoleSessionName"] == "test"
    assert assumed[0].access_key_id == seed.access_key_id

    # The SDK signed its call with the role's temporary key from the endpoint, in the region
    # awsafe gave it, and reached moto through AWS_ENDPOINT_URL on its own.
    identity = seed.moto.calls("GetCallerIdentity")
    assert len(identity) == 1, identity
    call = identity[0]
    assert call.service == "sts" and call.region == "ap-northeast-2"
    assert call.access_key_id is not None and call.access_key_id.startswith("ASIA"), call.access_key_id
    assert call.access_key_id != seed.access_key_id
    assert call.session_token


def test_pinned_versions_are_installed(node: str) -> None:
    """node_modules matches the committed lock file (what `npm ci` guarantees)."""
    lock = json.loads((JS / "package-lock.json").read_text())
    manifest = json.loads((JS / "package.json").read_text())
    for name, pinned in manifest["dependencies"].items():
        assert pinned[0].isdigit(), f"{name} is not pinned to an exact version: {pinned}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == pinned
        installed = json.loads((JS / "node_modules" / name / "package.json").read_text())["version"]
        assert installed == pinned, f"{name}: installed {installed}, pinned {pinned}; run npm ci"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    assert int(version.strip().lstrip("v").split(".")[0]) >= 20, version
