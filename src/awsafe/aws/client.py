"""The only place botocore clients are made (region, endpoint, retries) and botocore errors become AwsError.

Every AWS call runs inside ``calling(what)``: the one translation. botocore's
own failures (``ClientError``: AWS said no; ``BotoCoreError``: the network,
the endpoint or the request's parameters; ``ResponseParserError``: an answer
that cannot be read) become an AwsError (exit 7); any other exception is a
bug and propagates to the error boundary (exit 70).

botocore costs ~150 ms to import, so it is imported inside the functions that
make a network call and never on a cache hit. The botocore session is built so
that it reads neither the user's config files nor ``AWS_PROFILE``: awsafe has
already resolved the profile and passes region, endpoint and credentials in.
Calls that need no signature (IAM Identity Center) pass no credentials.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from awsafe.errors import AwsError
from awsafe.model import Credentials

if TYPE_CHECKING:
    from botocore.client import BaseClient

DEFAULT_REGION = "us-east-1"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where to send a call: region, optional URL override, STS regional/legacy mode."""

    region: str = DEFAULT_REGION
    url: str | None = None
    sts_regional_endpoints: str | None = None


_loaders: dict[str | None, Any] = {}
_loaders_lock = threading.Lock()


def _shared_loader(data_path: str | None) -> Any:
    """botocore's data loader for ``data_path`` (AWS_DATA_PATH), made once per process: it
    caches what it has read."""
    with _loaders_lock:
        if data_path not in _loaders:
            from botocore.loaders import create_loader

            _loaders[data_path] = create_loader(data_path)
        return _loaders[data_path]


def make_client(
    service: str, credentials: Credentials | None, endpoint: Endpoint, *, attempts: int = 4
) -> BaseClient:
    """A client for ``service``; with ``credentials=None`` requests go unsigned (IAM Identity Center)."""
    import botocore
    import botocore.config
    import botocore.session

    no_file = (None, None, os.devnull, None)
    session = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": no_file,
            "credentials_file": no_file,
        }
    )
    # One loader per process: a long-running process (the agent, an endpoint) would otherwise
    # parse botocore's endpoint and service data again, and keep another copy, for every client.
    session.register_component("data_loader", _shared_loader(session.get_config_variable("data_path")))
    parsers = _AnswerParsers(session.get_component("response_parser_factory"), service)
    session.register_component("response_parser_factory", parsers)
    if endpoint.sts_regional_endpoints:
        session.set_config_variable("sts_regional_endpoints", endpoint.sts_regional_endpoints)
    config = botocore.config.Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},  # the first try included
        connect_timeout=10,
        read_timeout=30,
        user_agent_appid="awsafe",
    )
    try:
        if credentials is None:
            client = session.create_client(
                service,
                region_name=endpoint.region,
                endpoint_url=endpoint.url,
                config=config.merge(botocore.config.Config(signature_version=botocore.UNSIGNED)),
            )
        else:
            client = session.create_client(
                service,
                region_name=endpoint.region,
                endpoint_url=endpoint.url,
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
                aws_session_token=credentials.session_token,
                config=config,
            )
        parsers.endpoint_url = client.meta.endpoint_url  # a client's endpoint never changes
        return client
    except ValueError as e:
        # botocore's plain ValueError for an endpoint URL it cannot use (from AWS_ENDPOINT_URL*
        # or endpoint_url): the configuration's fault, not ours. Its region errors are BotoCoreErrors.
        raise AwsError(f"cannot call {service}: {e}", code=type(e).__name__) from e


def credentials_from(response: dict[str, Any]) -> Credentials:
    raw = response["Credentials"]
    expiration = raw["Expiration"]
    if isinstance(expiration, str):
        from awsafe.model import parse_rfc3339

        expiration = parse_rfc3339(expiration)
    return Credentials(
        access_key_id=raw["AccessKeyId"],
        secret_access_key=raw["SecretAccessKey"],
        session_token=raw["SessionToken"],
        expires_at=expiration.astimezone(dt.timezone.utc).replace(microsecond=0),
    )


@contextlib.contextmanager
def reading(what: str) -> Iterator[None]:
    """Read an answer botocore parsed (for the ``with`` body): a field missing or of a type or
    size no real answer has (a hostile or broken endpoint) is an AwsError naming ``what``, and
    quotes nothing from the answer, never a bug's exit 70."""
    try:
        yield
    except (KeyError, TypeError, ValueError, OverflowError, OSError, AttributeError) as e:
        raise AwsError(
            f"{what} failed: the answer could not be read ({type(e).__name__})", code="MalformedResponse"
        ) from None


@contextlib.contextmanager
def calling(what: str, hint: str | None = None) -> Iterator[None]:
    """Run an AWS call (client creation included) for the ``with`` body: botocore's failures
    become an AwsError naming ``what``; every other exception is a bug and passes through.

    ``hint`` is shown when AWS denied access. What counts as "the call did not succeed":
    ``ClientError`` (AWS answered no); botocore's ``BotoCoreError`` tree, that is the
    network (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
    ConnectionClosedError, ProxyConnectionError, SSLError, HTTPClientError), credentials
    (NoCredentialsError...), the region (NoRegionError, InvalidRegionError) and parameters
    AWS would refuse (ParamValidationError: a configured value such as a too-short
    ExternalId); and ``botocore.parsers.ResponseParserError``, an answer that cannot be
    read (``_AnswerParsers`` makes every parsing failure one), and ``NotAwsAnswer``, a web
    page where an AWS answer was expected.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except (ClientError, BotoCoreError, ResponseParserError, NotAwsAnswer) as e:
        raise translate(e, what, hint) from e


def translate(error: Exception, what: str, hint: str | None = None) -> AwsError:
    """Turn one of botocore's errors (see ``calling``) into an AwsError naming the call; never a secret."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(error, NotAwsAnswer):
        return AwsError(f"{what} failed: {error.describe()}", code="NotAnAwsAnswer")
    if isinstance(error, ResponseParserError):
        # Its text quotes the answer's body, which may hold credentials.
        return AwsError(f"{what} failed: the answer could not be read", code="MalformedResponse")
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        message = str(info.get("Message", "")).strip()
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{what} failed: {code}" + (f": {message}" if message else "")
        return AwsError(
            text,
            code=code,
            status=status if isinstance(status, int) else None,
            hint=hint if code in _ACCESS_CODES else None,
        )
    return AwsError(f"{what} failed: {error}", code=type(error).__name__)


class NotAwsAnswer(Exception):
    """An answer no AWS endpoint gives (a web page, a body that is neither XML nor JSON): most
    often ``AWS_ENDPOINT_URL*`` or ``endpoint_url`` pointing at another server. Its text names
    the endpoint, the status and the content type, and quotes nothing of the body."""

    def __init__(self, service: str, endpoint_url: str, status: object, content_type: str) -> None:
        super().__init__(f"{endpoint_url} answered HTTP {status} {content_type}")
        self.service = service
        self.endpoint_url = endpoint_url
        self.status = status
        self.content_type = content_type

    def describe(self) -> str:
        variable = "AWS_ENDPOINT_URL_" + self.service.upper().replace("-", "_")
        kind = f", {self.content_type}" if self.content_type else ""
        return (
            f"{self.endpoint_url} answered (HTTP {self.status}{kind}), but not as AWS {self.service} does;"
            f" is {variable}, AWS_ENDPOINT_URL or endpoint_url pointing at another server?"
        )


def _without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` (a proxy's or a test server's), for a message."""
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}" if sep else url


class _AnswerParsers:
    """botocore's response parsers, except that whatever goes wrong reading an answer (a
    timestamp or number that is not one, broken XML or JSON) is a ResponseParserError: the
    fault of what answered, never a bug of ours. botocore raises a bare ValueError for some.
    A web page instead of an AWS answer is a ``NotAwsAnswer`` naming
    the client's endpoint, set once the client exists."""

    def __init__(self, factory: Any, service: str) -> None:
        self._factory = factory
        self._service = service
        self.endpoint_url = ""

    def create_parser(self, protocol_name: str) -> _AnswerParser:
        return _AnswerParser(self._factory.create_parser(protocol_name), self)

    def not_aws(self, response: dict[str, Any]) -> NotAwsAnswer:
        headers = response.get("headers") or {}
        content_type = str(headers.get("content-type", "")).split(";")[0].strip()[:60]
        url = _without_userinfo(self.endpoint_url)
        return NotAwsAnswer(self._service, url, response.get("status_code"), content_type)


def _is_web_page(response: dict[str, Any]) -> bool:
    """No AWS API answers with a web page; a web server or a captive portal does. The content
    type alone does not tell: emulators (moto) label their XML errors text/html."""
    body = response.get("body")
    head = body[:64].lstrip().lower() if isinstance(body, bytes) else b""
    if head.startswith((b"<!doctype html", b"<html")):
        return True
    headers = response.get("headers") or {}
    html = str(headers.get("content-type", "")).lower().startswith("text/html")
    return html and not head.startswith((b"<", b"{"))  # a text page: neither XML nor JSON


class _AnswerParser:
    def __init__(self, parser: Any, parsers: _AnswerParsers) -> None:
        self._parser = parser
        self._parsers = parsers

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        from botocore.parsers import ResponseParserError

        if _is_web_page(response):
            raise self._parsers.not_aws(response)
        try:
            return self._parser.parse(response, shape)
        except ResponseParserError:
            raise
        except Exception as e:  # noqa: BLE001 - botocore reading the endpoint's bytes
            raise ResponseParserError(f"unreadable answer ({type(e).__name__})") from e


_ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId"})
