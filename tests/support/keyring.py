"""The throwaway Secret Service scripts/test starts: tests that write to a keyring run only
there (never against the keyring of the person running pytest), one after the other."""

from __future__ import annotations

import os

import pytest

# Read at import, before the autouse fixture scrubs AWSAFE_* variables.
THROWAWAY_KEYRING = os.environ.get("AWSAFE_TEST_SECRET_SERVICE") == "required"
NO_THROWAWAY_KEYRING = "needs the throwaway Secret Service of scripts/test (would write to your keyring)"

# A module's `pytestmark` for such tests.
THROWAWAY_KEYRING_ONLY = [
    pytest.mark.secret_service,
    pytest.mark.skipif(not THROWAWAY_KEYRING, reason=NO_THROWAWAY_KEYRING),
]
