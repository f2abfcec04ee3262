"""Rotate the long-term access key of an IAM user: create, store, verify, delete the old one, drop sessions.

The procedure only: IAM, STS, the vault, the session cache, the clock and the
messages are injected, so it runs in a unit test with fakes. It never parses
arguments or touches a stream. Its promise: whatever fails once the new key
exists, the vault holds a key that works, and the error says which key is where.
Key ids appear in full (the user needs them to act by hand); secrets never.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from typing import Protocol

from awsafe.aws.iam import AccessKeyInfo
from awsafe.clock import Clock
from awsafe.config.profile import ProfileConfig
from awsafe.errors import AwsafeError, AwsError, NoCredentialsError, StoreError, UsageError
from awsafe.model import Credentials

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = dt.timedelta(seconds=60)
POLL_INTERVAL = dt.timedelta(seconds=2)
MAX_KEYS = 2  # IAM's limit of access keys per user

_USER_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):user/(?:(.*)/)?([\w+=,.@-]+)$", re.ASCII)


class KeyVault(Protocol):
    """The long-term keys in the vault (``StoredKeys``)."""

    @property
    def backend(self) -> str: ...

    def get(self, profile: str) -> Credentials | None: ...

    def set(self, profile: str, credentials: Credentials) -> None: ...


class UserKeys(Protocol):
    """IAM's access keys of a user (``aws.iam.IamKeys``)."""

    def list_access_keys(self, user: str) -> list[AccessKeyInfo]: ...

    def create_access_key(self, user: str) -> Credentials: ...

    def delete_access_key(self, user: str, key_id: str) -> None: ...


# (credentials, probe) -> the ARN they act as (sts:GetCallerIdentity); raises AwsError.
# A probe checks whether a new key works yet: one attempt, no retries.
CallerArn = Callable[[Credentials, bool], str]


@dataclasses.dataclass(frozen=True)
class IamUser:
    arn: str
    name: str
    path: str  # "/" or "/division/team/"
    account: str


@dataclasses.dataclass(frozen=True)
class Rotated:
    user: IamUser
    profile: str
    old_key_id: str
    new_key_id: str
    sessions_cleared: int


def find_key_owner(chain: Sequence[ProfileConfig], keys: KeyVault) -> ProfileConfig:
    """The first profile of the chain with keys in the vault: the one `exec` would sign with."""
    for profile in chain:
        if keys.get(profile.name) is not None:
            return profile
    names = " -> ".join(p.name for p in chain)
    where = f"profile {chain[0].name!r}" + (f" or its source profiles ({names})" if len(chain) > 1 else "")
    raise NoCredentialsError(
        f"no long-term keys in the {keys.backend} vault for {where}: nothing to rotate",
        hint=f"store keys with: awsafe add {chain[-1].name}",
    )


def parse_user_arn(arn: str, *, profile: str) -> IamUser:
    """The IAM user an ARN names; anything else (root, a role, a federated user) is refused."""
    match = _USER_ARN.match(arn)
    if match is None:
        what = "the account's root user" if arn.endswith(":root") else arn
        raise UsageError(
            f"the keys of profile {profile!r} belong to {what}, not to an IAM user: "
            "awsafe rotates IAM user keys only",
            hint="rotate root keys in the AWS console (better: delete them)"
            if arn.endswith(":root")
            else None,
        )
    _, account, path, name = match.groups()
    return IamUser(arn=arn, name=name, path=f"/{path}/" if path else "/", account=account)


@dataclasses.dataclass
class Rotator:
    """Everything rotation touches, injected; ``rotate`` runs the steps in order."""

    keys: KeyVault
    caller_arn: CallerArn
    iam_for: Callable[[Credentials], UserKeys]  # IAM with the current keys (may make an MFA session)
    clear_sessions: Callable[[], int]
    clock: Clock
    sleep: Callable[[float], None]
    notice: Callable[[str], None]
    timeout: dt.timedelta = DEFAULT_TIMEOUT
    poll_interval: dt.timedelta = POLL_INTERVAL
    by_hand: str = "aws"  # the command prefix a user runs IAM calls with, for the hints

    def rotate(self, profile: str) -> Rotated:
        old = self.keys.get(profile)
        if old is None:
            raise NoCredentialsError(
                f"no keys stored for profile {profile!r} in the {self.keys.backend} vault",
                hint=f"store them with: awsafe add {profile}",
            )
        user = parse_user_arn(self.caller_arn(old, False), profile=profile)
        self.notice(
            f"Rotating access key {old.access_key_id} of IAM user {user.name!r} (profile {profile!r})"
        )
        iam = self.iam_for(old)
        self._refuse_a_full_user(iam, user, profile, old.access_key_id)
        new = iam.create_access_key(user.name)
        self.notice(f"Created a new access key {new.access_key_id}")
        try:
            return self._switch(iam, user, profile, old, new)
        except AwsafeError:
            raise
        except BaseException:  # Ctrl-C or a bug halfway: still say where the keys are
            self.notice(
                f"stopped halfway: the old key {old.access_key_id} (unless it was reported deleted "
                f"above) and the new key {new.access_key_id} exist at IAM; check which one the vault "
                f"holds with: awsafe export {profile} --no-session"
            )
            raise

    def _refuse_a_full_user(self, iam: UserKeys, user: IamUser, profile: str, stored_id: str) -> None:
        present = iam.list_access_keys(user.name)
        if len(present) < MAX_KEYS:
            return
        others = [k.key_id for k in present if k.key_id != stored_id]
        listed = ", ".join(
            k.key_id + (f" (in the vault for profile {profile!r})" if k.key_id == stored_id else "")
            for k in present
        )
        raise AwsError(
            f"IAM user {user.name!r} already has {len(present)} access keys: {listed}; "
            "it can have at most 2, so nothing was changed",
            code="LimitExceeded",
            hint="delete the one not in use first: "
            + self._delete_command(user, others[0] if others else "ID"),
        )

    def _switch(
        self, iam: UserKeys, user: IamUser, profile: str, old: Credentials, new: Credentials
    ) -> Rotated:
        """Once the new key exists: store it, see it work, retire the old one."""
        try:
            self.keys.set(profile, new)
        except AwsafeError as e:
            undone = self._delete_new(iam, user, new)
            raise StoreError(
                f"storing the new access key {new.access_key_id} in the {self.keys.backend} vault failed "
                f"({e}); the vault still holds the old key {old.access_key_id}; {undone}",
                hint=self._hint_for_undone(user, new, undone),
            ) from e
        self.notice(f"Stored the new key in the {self.keys.backend} vault for profile {profile!r}")
        failure = self._wait_until_valid(user, new)
        if failure is not None:
            self._give_up(iam, user, profile, old, new, failure)
        self.notice("The new key works")
        deletion: AwsError | None = None
        try:
            iam.delete_access_key(user.name, old.access_key_id)
            self.notice(f"Deleted the old key {old.access_key_id}")
        except AwsError as e:
            deletion = e
        cleared = self._clear_sessions(user, old, new, old_deleted=deletion is None)
        if deletion is not None:
            raise AwsError(
                f"the vault holds the new access key {new.access_key_id} of IAM user {user.name!r}, and it "
                f"works; deleting the old key {old.access_key_id} failed ({deletion}), so it is still active",
                code=deletion.code,
                status=deletion.status,
                hint="delete it by hand: " + self._delete_command(user, old.access_key_id),
            ) from deletion
        return Rotated(user, profile, old.access_key_id, new.access_key_id, cleared)

    def _wait_until_valid(self, user: IamUser, new: Credentials) -> AwsError | None:
        """Poll GetCallerIdentity with the new key until it acts as ``user``, for at most ``timeout``.

        IAM is eventually consistent: a new key is often refused for some seconds.
        None when it works, else the last failure.
        """
        deadline = self.clock() + self.timeout
        while True:
            try:
                arn = self.caller_arn(new, True)
                if arn == user.arn:
                    return None
                last = AwsError(f"GetCallerIdentity with the new key answered {arn}, not {user.arn}")
            except AwsError as e:
                last = e
            left = (deadline - self.clock()).total_seconds()
            log.debug("the new key does not work yet (%s); %.0f s left", last, max(left, 0))
            if left <= 0:
                return last
            self.sleep(min(self.poll_interval.total_seconds(), left))

    def _give_up(
        self,
        iam: UserKeys,
        user: IamUser,
        profile: str,
        old: Credentials,
        new: Credentials,
        failure: AwsError,
    ) -> None:
        """The new key never worked: the old one goes back into the vault, the new one away."""
        seconds = f"{self.timeout.total_seconds():g}"
        what = (
            f"the new access key {new.access_key_id} of IAM user {user.name!r} did not work "
            f"within {seconds} s"
        )
        try:
            self.keys.set(profile, old)
        except AwsafeError as e:
            # The old key is the one known to work, but it is not in the vault: keep both at IAM.
            raise AwsError(
                f"{what} ({failure}), and putting the old key {old.access_key_id} back in the "
                f"{self.keys.backend} vault failed ({e}): the vault holds the new key {new.access_key_id}; "
                f"both keys are still active at IAM",
                code=failure.code,
                status=failure.status,
                hint=f"check whether the new key works now: awsafe exec {profile} --no-session -- "
                "aws sts get-caller-identity",
            ) from e
        undone = self._delete_new(iam, user, new)
        raise AwsError(
            f"{what} ({failure}); the vault holds the old key {old.access_key_id} again; {undone}",
            code=failure.code,
            status=failure.status,
            hint=self._hint_for_undone(user, new, undone),
        )

    def _delete_new(self, iam: UserKeys, user: IamUser, new: Credentials) -> str:
        """Delete the new key at IAM; a sentence saying what became of it."""
        try:
            iam.delete_access_key(user.name, new.access_key_id)
        except AwsError as e:
            return f"the new key {new.access_key_id} could not be deleted ({e}) and is still active"
        return f"the new key {new.access_key_id} was deleted"

    def _hint_for_undone(self, user: IamUser, new: Credentials, undone: str) -> str | None:
        if undone.endswith("was deleted"):
            return None
        return "delete it by hand: " + self._delete_command(user, new.access_key_id)

    def _clear_sessions(self, user: IamUser, old: Credentials, new: Credentials, *, old_deleted: bool) -> int:
        try:
            cleared = self.clear_sessions()
        except AwsafeError as e:
            state = "deleted" if old_deleted else "still active"
            raise StoreError(
                f"the vault holds the new, working access key {new.access_key_id} of IAM user "
                f"{user.name!r} (the old key {old.access_key_id} is {state}), but clearing the cached "
                f"sessions failed ({e})",
                hint="run: awsafe clear"
                + ("" if old_deleted else "; then " + self._delete_command(user, old.access_key_id)),
            ) from e
        self.notice(f"Cleared {cleared} cached session{'s' if cleared != 1 else ''}")
        return cleared

    def _delete_command(self, user: IamUser, key_id: str) -> str:
        return f"{self.by_hand} iam delete-access-key --user-name {user.name} --access-key-id {key_id}"
