"""Talking to a running server from the CLI: a small JSON client and its errors."""

from __future__ import annotations

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


# A password sent again by itself, when the throttle's window rolls over, would spend the
# next window's budget on a guess the user did not make.
_NEVER_RETRIED = frozenset({"/sandbox/login", "/sandbox/signup"})


class _Client:
    """A small JSON client for the sandbox and /v1 APIs; failures become click errors."""

    def __init__(self, url: str) -> None:
        import requests

        self._requests = requests
        self.url = url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"payground-cli/{__version__}"

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, key: str | None = None,
             json: dict | None = None, data: dict | None = None,
             params: dict | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        for attempt in range(5):
            try:
                response = self.http.request(method, self.url + path, headers=headers,
                                             json=json, data=data, params=params, timeout=30)
            except self._requests.Timeout:
                raise click.ClickException(
                    f"Payground at {self.url} did not answer within 30 seconds.") from None
            except self._requests.ConnectionError:
                raise click.ClickException(
                    f"cannot reach Payground at {self.url}: is `payground serve` running "
                    "there? (use --url for another address)") from None
            if response.status_code == 429 and attempt < 4 and path not in _NEVER_RETRIED:
                # Rate limited (test mode allows 25 requests a second): wait as told.
                import time

                time.sleep(min(float(response.headers.get("Retry-After") or 1), 5))
                continue
            break
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code >= 400 and isinstance(error, dict):
            wait = response.headers.get("Retry-After")
            if response.status_code == 429 and wait:
                error = {**error, "message": f"{error.get('message', '')} (Retry in {wait} s.)"}
            raise ServerError(response.status_code, error)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise click.ClickException(
                f"{self.url} did not answer {method} {path} like a Payground server "
                f"(HTTP {response.status_code}).")
        return body


def _mask(key: str) -> str:
    """Terminal form of a secret: first 8 characters ... last 4 (``sk_test_...Ab12``)."""
    return f"{key[:8]}...{key[-4:]}"
