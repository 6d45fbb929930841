"""Talking to a running server from the CLI: a small JSON client and its errors."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timezone
from typing import Any

import click

from .. import __version__


# --- talking to a running server -----------------------------------------------------------


class ServerError(click.ClickException):
    """The server answered with Stripe's error envelope; shown as its ``message``, and the
    ``param`` when the message does not name it."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        from ..errors import error_line

        super().__init__(error_line(error, status))
        self.status = status
        self.code = error.get("code")
        self.error = error


# Which Payground answers at an address: asked before anything else (check_server).
VERSION_PATH = "/sandbox/version"
# Log-ins and sign-ups refused with 429 (a room behind one address shares the log-in
# throttle's budget) are retried as the answer's Retry-After says, a few times, saying so.
# The refusal comes before the password is checked (http/login_throttle.py), so however
# many tries it takes, the password the user typed is checked once.
CREDENTIAL_PATHS = frozenset({"/sandbox/login", "/sandbox/signup"})
CREDENTIAL_RETRIES = 3
MAX_WAIT = 60  # seconds: a longer Retry-After is not waited for (the error says how long)
# How the CLI waits before a retry (tests replace it: nothing there sleeps for real).
wait = time.sleep


class _Client:
    """A small JSON client for the sandbox and /v1 APIs; failures become click errors."""

    def __init__(self, url: str) -> None:
        import requests
        from urllib3.exceptions import LocationValueError  # requests imports it anyway

        self._requests = requests
        self._bad_address = (requests.exceptions.InvalidURL, LocationValueError)
        self.url = url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"payground-cli/{__version__}"
        self.server_version: str | None = None  # known once check_server() has asked

    def check_server(self) -> str:
        """Make sure a Payground server answers at this address; return its version.

        One cheap request, made before anything is asked or sent: `init` and `login` ask for
        an email and a password only once they know someone can take them.
        """
        response = self._request("GET", VERSION_PATH)
        body = _json(response)
        self.server_version = _version_in(response.status_code, body)
        if self.server_version is not None:
            return self.server_version
        if _unknown_route(response.status_code, body):
            # Stripe's error envelope: a Stripe-like API, but without Payground's sandbox.
            raise click.ClickException(
                f"{self.url} has no GET {VERSION_PATH}: it is not a Payground server, or not "
                f"the version of this command (Payground {__version__}). Check the address "
                "(--url or PAYGROUND_URL), or run the same version there.")
        if response.status_code >= 500:
            # A proxy whose server is down (502, 503, 504) or a failing server: nothing says
            # the address is wrong (behind a proxy, its path may well be right).
            raise click.ClickException(
                f"{self.url} answered GET {VERSION_PATH} with HTTP {response.status_code}: the "
                "server there, or a proxy in front of it, is failing. Try again in a moment, "
                "or ask whoever runs it.")
        root = re.match(r"^https?://[^/]+", self.url)[0]
        # Leaving the path out is advice only where a Payground answers without it: a proxy
        # may serve one under a path (https://workshop.example/payground).
        there = self._version_at(root) if root != self.url else None
        advice = (f"Check the address (--url or PAYGROUND_URL): give the server's address "
                  f"without a path ({root}? Payground {there} answers there, and this command "
                  f"is Payground {__version__})." if there is not None else _WHERE)
        raise click.ClickException(
            f"{self.url} is not a Payground server (GET {VERSION_PATH} answered HTTP "
            f"{response.status_code}). {advice}")

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, key: str | None = None,
             json: dict | None = None, data: dict | None = None,
             params: dict | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        credentials = path in CREDENTIAL_PATHS
        retries = CREDENTIAL_RETRIES if credentials else 4
        for attempt in range(retries + 1):
            response = self._request(method, path, headers=headers, json=json, data=data,
                                     params=params)
            if response.status_code != 429 or attempt == retries:
                break
            seconds = _retry_after(response) or 1  # none, or unreadable: a second
            if not credentials:
                # Rate limited (test mode allows 25 requests a second): wait as told.
                wait(min(seconds, 5))
            elif seconds <= MAX_WAIT:
                click.echo(f"Payground refuses log-ins from this address for now (too many "
                           f"failed or at once); trying again in {seconds} s "
                           f"({attempt + 1} of {retries})...", err=True)
                wait(seconds)
            else:
                break
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if _unknown_route(response.status_code, body) and path.startswith("/sandbox/"):
            mismatch = self._other_version(method, path)
            if mismatch is not None:
                raise mismatch
        if response.status_code >= 400 and isinstance(error, dict):
            seconds = _retry_after(response) if response.status_code == 429 else None
            if seconds is not None:  # as read: never the header's text repeated
                tries = (f"Still refused after {attempt + 1} tries: retry"
                         if credentials and attempt else "Retry")
                error = {**error,
                         "message": f"{error.get('message', '')} ({tries} in {seconds} s.)"}
            raise ServerError(response.status_code, error)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise click.ClickException(
                f"{self.url} did not answer {method} {path} like a Payground server "
                f"(HTTP {response.status_code}). {_WHERE}")
        return body

    def _request(self, method: str, path: str, **kwargs: Any):
        """One request; an address where no server answers becomes one line saying so."""
        try:
            return self.http.request(method, self.url + path, timeout=30, **kwargs)
        except self._requests.Timeout:
            raise click.ClickException(
                f"Payground at {self.url} did not answer within 30 seconds.") from None
        except self._requests.exceptions.SSLError:
            # A ConnectionError too, but "is it running?" would send the learner looking in
            # the wrong place: `payground serve` speaks plain HTTP.
            raise click.ClickException(
                f"cannot make an HTTPS connection to {self.url}: `payground serve` speaks "
                "plain HTTP (use http://), and a server behind HTTPS needs a certificate "
                "this machine trusts.") from None
        except self._requests.ConnectionError as error:
            if _not_http(error):  # SSH ... answered: the port is not Payground's
                raise click.ClickException(
                    f"{self.url} answered {method} {path}, but not in HTTP: it is no web "
                    f"server, let alone Payground. {_WHERE}") from None
            if path == VERSION_PATH and _closed_unanswered(error):
                # Redis and PostgreSQL take the connection and close it at an HTTP request:
                # "is it running?" would send the learner looking in the wrong place. Only
                # the first request: later, a server restarting does this too.
                raise click.ClickException(
                    f"{self.url} closed the connection without answering {method} {path}: "
                    f"something listens there, but not Payground (a database, Redis ...?). "
                    f"{_WHERE}") from None
            raise click.ClickException(
                f"cannot reach Payground at {self.url}: is `payground serve` running "
                "there? (use --url for another address)") from None
        # A port over 65535, a broken [::1 ... (requests), an empty label as in a..b (urllib3,
        # which requests lets through unwrapped).
        except self._bad_address:
            raise click.ClickException(
                f"{self.url} is not an address that can be opened: check its host and port "
                "(--url or PAYGROUND_URL).") from None
        except self._requests.TooManyRedirects:
            raise click.ClickException(
                f"{self.url} kept redirecting {method} {path}, which no Payground server "
                f"does. {_WHERE}") from None
        except self._requests.RequestException:
            # A body that cannot be decoded, a chunked one broken off ...
            raise click.ClickException(
                f"{self.url} sent an answer to {method} {path} that could not be read: it is "
                f"not a Payground server, or the connection broke (then try again). "
                f"{_WHERE}") from None

    def _version_at(self, url: str) -> str | None:
        """The version of the Payground answering GET /sandbox/version at ``url``, or ``None``
        (no answer, or not a Payground's)."""
        try:
            response = self.http.get(url + VERSION_PATH, timeout=10)
        except self._requests.RequestException:
            return None
        return _version_in(response.status_code, _json(response))

    def _other_version(self, method: str, path: str) -> click.ClickException | None:
        """The error for a sandbox route this command uses and the server does not have: it
        runs another version. ``None`` when it runs this one (then its answer stands)."""
        if self.server_version is None:
            try:
                self.check_server()
            except click.ClickException:
                pass
        if self.server_version == __version__:
            return None
        if self.server_version is None:
            return click.ClickException(
                f"{self.url} has no {method} {path}, nor GET {VERSION_PATH}: it is not a "
                f"Payground server, or not the version of this command (Payground "
                f"{__version__}).")
        return click.ClickException(
            f"{self.url} has no {method} {path}: it runs Payground {self.server_version}, and "
            f"this command is Payground {__version__}. Use the same version on both sides.")


# What to do about an address where something other than Payground answers; every "not a
# Payground server" message names the version this command expects.
_WHERE = (f"Check the address (--url or PAYGROUND_URL): `payground serve` (Payground "
          f"{__version__}) prints the one it listens on.")


def _not_http(error) -> bool:
    """Whether a ``ConnectionError`` means something answered that is not HTTP
    (``BadStatusLine``), rather than nothing there or a server that closed the connection
    without answering (``RemoteDisconnected``, a ``BadStatusLine`` too)."""
    import http.client

    cause = _cause(error)
    return (isinstance(cause, http.client.BadStatusLine)
            and not isinstance(cause, http.client.RemoteDisconnected))


def _closed_unanswered(error) -> bool:
    """Whether a ``ConnectionError`` means the connection was made, then closed without a
    byte of answer (``RemoteDisconnected``)."""
    import http.client

    return isinstance(_cause(error), http.client.RemoteDisconnected)


def _cause(error) -> Any:
    """What http.client raised under a ``ConnectionError(ProtocolError(..., cause))``."""
    reason = error.args[0] if error.args else None
    return reason.args[-1] if getattr(reason, "args", None) else None


def _json(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _version_in(status: int, body: Any) -> str | None:
    """The version a ``GET /sandbox/version`` answer names, if it is a Payground's answer."""
    if status == 200 and isinstance(body, dict) and body.get("object") == "payground" \
            and isinstance(body.get("version"), str):
        return body["version"]
    return None


def _unknown_route(status: int, body: Any) -> bool:
    """Whether ``body`` is Stripe's answer for a route the server does not have (404, or 405
    for a method it does not take there): no code, and "Unrecognized request URL"."""
    error = body.get("error") if isinstance(body, dict) else None
    return status in (404, 405) and isinstance(error, dict) and not error.get("code") \
        and str(error.get("message") or "").startswith("Unrecognized request URL")


def _retry_after(response) -> int | None:
    """The answer's ``Retry-After`` in whole seconds, at least 1: a number of seconds (as
    Payground sends) or an HTTP date (as a proxy in front of it may); ``None`` if it is
    missing or neither. More than nine digits reads as 10**9 (about 31 years): Python
    refuses to read a number of thousands of digits, and no wait that long happens anyway.
    """
    from email.utils import parsedate_to_datetime

    value = (response.headers.get("Retry-After") or "").strip()
    if value.isascii() and value.isdigit():
        return max(1, int(value)) if len(value) <= 9 else 10**9
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 9110's dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(1, math.ceil((when - datetime.now(timezone.utc)).total_seconds()))


def _mask(key: str) -> str:
    """Terminal form of a secret: first 8 characters ... last 4 (``sk_test_...Ab12``)."""
    return f"{key[:8]}...{key[-4:]}"
