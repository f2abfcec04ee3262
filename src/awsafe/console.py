"""Console sign-in (docs/commands/login.md): temporary credentials in, a one-time sign-in URL out.

``getSigninToken`` is sent as a POST form (a session token in a query string
is long and ends up in proxy logs). ``SessionDuration`` is sent only for
credentials of a role assumed with long-term keys or a session: AWS answers
400 "Invalid credentials parameter" when it comes with chained role
credentials, and ignores the idea for federation tokens, which last as long as
they were issued for. The URL carries the sign-in token, a secret for 15
minutes: it is printed only with ``--stdout``; otherwise the browser reaches it
through a one-time loopback redirect (``loopback/onetime.py``), never through
its command line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request

from awsafe.errors import AwsError
from awsafe.model import Credentials

MIN_SESSION_DURATION = dt.timedelta(seconds=900)
MAX_SESSION_DURATION = dt.timedelta(seconds=43200)
ISSUER = "awsafe"


@dataclasses.dataclass(frozen=True)
class Partition:
    name: str
    signin_host: str
    console_host: str


PARTITIONS = {
    "aws": Partition("aws", "signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-cn": Partition("aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-us-gov": Partition("aws-us-gov", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
}


def partition_of(region: str) -> Partition:
    if region.startswith("cn-"):
        return PARTITIONS["aws-cn"]
    if region.startswith("us-gov-"):
        return PARTITIONS["aws-us-gov"]
    return PARTITIONS["aws"]


@dataclasses.dataclass(frozen=True)
class SigninRequest:
    credentials: Credentials
    region: str
    path: str | None = None  # --path: a console path (/s3/home) or a whole https:// URL
    session_duration: dt.timedelta | None = None  # only for non-chained role credentials
    auto_logout: bool = False
    federation_endpoint: str | None = None  # AWSAFE_FEDERATION_ENDPOINT, else the partition's


def federation_endpoint(request: SigninRequest) -> str:
    partition = partition_of(request.region)
    return request.federation_endpoint or f"https://{partition.signin_host}/federation"


def destination(region: str, path: str | None) -> str:
    """Where the console opens: the region's console home, or ``--path``."""
    if path and path.startswith("https://"):
        return path
    partition = partition_of(region)
    where = path or "/console/home"
    if not where.startswith("/"):
        where = "/" + where
    separator = "&" if "?" in where else "?"
    return f"https://{partition.console_host}{where}{separator}region={urllib.parse.quote(region)}"


def fetch_signin_token(request: SigninRequest, *, timeout: float = 30) -> str:
    """POST getSigninToken with the temporary credentials; the token, or an AwsError without secrets."""
    credentials = request.credentials
    if credentials.session_token is None:
        raise AwsError("console sign-in needs temporary credentials; long-term keys are never sent")
    form = {
        "Action": "getSigninToken",
        "Session": json.dumps(
            {
                "sessionId": credentials.access_key_id,
                "sessionKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            }
        ),
    }
    if request.session_duration is not None:
        seconds = min(max(request.session_duration, MIN_SESSION_DURATION), MAX_SESSION_DURATION)
        form["SessionDuration"] = str(int(seconds.total_seconds()))
    endpoint = federation_endpoint(request)
    what = f"getSigninToken at {endpoint}"
    http_request = urllib.request.Request(
        endpoint,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as e:
        detail = e.read(200).decode(errors="replace").strip()  # AWS answers with a short plain text
        raise AwsError(
            f"{what} failed: HTTP {e.code}" + (f": {detail}" if detail else ""), status=e.code
        ) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise AwsError(f"{what} failed: {reason}") from None
    try:
        token = json.loads(body)["SigninToken"]
    except (ValueError, KeyError, TypeError):
        raise AwsError(f"{what} answered without a SigninToken") from None
    return str(token)


def signin_url(request: SigninRequest, token: str) -> str:
    """The login URL; with ``auto_logout``, wrapped so that any console session is ended first."""
    query = urllib.parse.urlencode(
        {
            "Action": "login",
            "Issuer": ISSUER,
            "Destination": destination(request.region, request.path),
            "SigninToken": token,
        }
    )
    url = f"{federation_endpoint(request)}?{query}"
    if not request.auto_logout:
        return url
    partition = partition_of(request.region)
    host = f"{request.region}.{partition.signin_host}" if partition.name == "aws" else partition.signin_host
    return f"https://{host}/oauth?" + urllib.parse.urlencode({"Action": "logout", "redirect_uri": url})
