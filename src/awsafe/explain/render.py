"""`explain`'s two outputs: text for people and a stable JSON document (``version`` 1); pure.

No secret reaches either: an external id is masked as key ids are (``model.redact``), the
stored keys are named by profile only, and cached sessions by kind, profile and expiry.
"""

from __future__ import annotations

import json
from typing import Any

from awsafe.explain.plan import Call
from awsafe.explain.report import CachedState, Explanation
from awsafe.model import format_rfc3339, redact

DOCUMENT_VERSION = 1


def _masked(value: str | None) -> str | None:
    return None if value is None else redact(value)


def _endpoint(call: Call) -> str | None:
    if call.endpoint is None:
        return None
    return call.endpoint.url or f"the {call.endpoint.region} STS endpoint"


def _call_document(number: int, call: Call, reasons: list[str], made_now: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "number": number,
        "service": call.service,
        "operation": call.operation,
        "profile": call.profile,
        "signed_with": call.signed_with,
        "made_now": made_now,
        "why": reasons,
    }
    if call.service == "sso":
        document.update(AccountId=call.sso_account_id, RoleName=call.sso_role_name)
        return document
    document.update(
        RoleArn=call.role_arn,
        RoleSessionName=call.session_name,
        ExternalId=_masked(call.external_id),
        SerialNumber=call.mfa_serial,
        DurationSeconds=None if call.duration is None else int(call.duration.total_seconds()),
        SourceIdentity=call.source_identity,
        Tags=[{"Key": k, "Value": v} for k, v in call.tags],
        endpoint=_endpoint(call),
    )
    if call.operation == "GetSessionToken":
        for key in ("RoleArn", "RoleSessionName", "ExternalId", "SourceIdentity", "Tags"):
            del document[key]
    return document


def _state_document(state: CachedState | None) -> dict[str, Any]:
    if state is None:
        return {"cached": False}
    expires = None if state.expires_at is None else format_rfc3339(state.expires_at)
    return {"cached": True, "expires_at": expires, "served": state.served}


def render_json(explanation: Explanation) -> str:
    e = explanation
    document = {
        "version": DOCUMENT_VERSION,
        "profile": e.profile,
        "config_file": e.config_path,
        "chain": [
            {
                "profile": hop.profile,
                "kind": hop.kind,
                "section": hop.where,
                "source": hop.source,
                "settings": [
                    {
                        "key": s.key,
                        "value": redact(s.value) if s.key == "external_id" else s.value,
                        "from": s.where,
                        "via": s.via,
                    }
                    for s in hop.settings
                ],
            }
            for hop in e.hops
        ],
        "credentials_from": [
            {"kind": leaf.kind, "profile": leaf.profile, "detail": leaf.detail} for leaf in e.leaves
        ],
        "keys": e.keys_note,
        "session": {"kind": e.session},
        "calls_on_a_miss": [
            _call_document(n, call, e.reasons[n - 1], n in e.calls_now)
            for n, call in enumerate(e.calls, start=1)
        ],
        "cache": {
            "inspected": e.cache_inspected,
            "note": e.cache_note,
            "sessions": [
                {
                    "kind": key.kind,
                    "profile": key.profile,
                    "mfa_serial": key.mfa_serial,
                    **_state_document(state),
                }
                for key, state in e.cached
            ],
            "sign_ins": [
                {
                    "session": sign_in.session,
                    "signed_in": sign_in.expires_at is not None,
                    "expires_at": None if sign_in.expires_at is None else format_rfc3339(sign_in.expires_at),
                }
                for sign_in in e.sign_ins
            ],
        },
        "differences": [{"tool": d.tool, "text": d.text} for d in e.differences],
    }
    return json.dumps(document, indent=2) + "\n"


def _call_lines(number: int, call: Call, reasons: list[str]) -> list[str]:
    if call.service == "sso":
        head = f"  {number}. sso:GetRoleCredentials  account {call.sso_account_id}, role {call.sso_role_name}"
        return [head, *(f"       - {r}" for r in reasons)]
    fields = [
        ("RoleArn", call.role_arn),
        ("RoleSessionName", call.session_name),
        ("ExternalId", _masked(call.external_id)),
        ("SourceIdentity", call.source_identity),
        ("SerialNumber", call.mfa_serial),
        ("DurationSeconds", None if call.duration is None else str(int(call.duration.total_seconds()))),
    ]
    lines = [f"  {number}. sts:{call.operation}  for {call.profile!r} at {_endpoint(call)}"]
    lines += [f"       {name} = {value}" for name, value in fields if value is not None]
    if call.tags:
        lines.append("       Tags = " + ", ".join(f"{k}={v}" for k, v in call.tags))
    lines += [f"       - {r}" for r in reasons]
    return lines


def _state_text(state: CachedState | None) -> str:
    if state is None:
        return "not cached"
    until = "no expiry" if state.expires_at is None else f"until {format_rfc3339(state.expires_at)}"
    return f"cached {until}" + ("" if state.served else " (not served: expiring, or made from other keys)")


def render_text(explanation: Explanation) -> str:
    e = explanation
    lines = [f"Profile {e.profile!r} (config: {e.config_path})", "", "Chain:"]
    for hop in e.hops:
        source = f" <- {hop.source}" if hop.source else ""
        lines.append(f"  {hop.profile}: {hop.kind}{source}  [{hop.where}]")
        width = max((len(s.key) for s in hop.settings), default=0)
        for s in hop.settings:
            value = redact(s.value) if s.key == "external_id" else s.value
            via = "" if s.via == "own" else f", via {s.via}"
            lines.append(f"      {s.key.ljust(width)} = {value}  ({s.where}{via})")
    lines += ["", "Credentials from:"]
    lines += [f"  {leaf.kind}: {leaf.detail}" for leaf in e.leaves]
    lines += [f"  {e.keys_note}", "", f"Session: {e.session}", "", "Calls on a cache miss, in order:"]
    if not e.calls:
        lines.append("  none")
    for n, call in enumerate(e.calls, start=1):
        lines += _call_lines(n, call, e.reasons[n - 1])
    lines += ["", "Cache:"]
    if not e.cache_inspected:
        lines.append(f"  {e.cache_note}")
    else:
        lines += [f"  {key.describe()}: {_state_text(state)}" for key, state in e.cached] or [
            "  nothing to cache"
        ]
        for sign_in in e.sign_ins:
            state = (
                "not signed in (a run signs in first)"
                if sign_in.expires_at is None
                else f"access token until {format_rfc3339(sign_in.expires_at)}"
            )
            lines.append(f"  IAM Identity Center sign-in, {sign_in.session}: {state}")
        made = ", ".join(str(n) for n in e.calls_now) or "none"
        lines.append(f"  a run now would make call(s): {made}")
    lines += ["", "Where other tools differ:"]
    lines += [f"  {d.tool}: {d.text}" for d in e.differences] or ["  nothing found"]
    return "\n".join(lines) + "\n"
