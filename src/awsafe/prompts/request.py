"""What an MFA prompt is asked: one STS call's need for a code; the leaf every prompt driver imports."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class MfaRequest:
    """One STS call's need for a code."""

    profile: str  # the profile whose call needs the code
    serial: str  # the MFA device ARN
    mfa_process: str | None = None  # the profile's mfa_process command line, if any


MfaCodeSource = Callable[[MfaRequest], str]
