"""Connect OAuth in tests: an account's owner approving a platform's application on the
dashboard's consent page, as a browser does, for :meth:`Account.authorize
<payground.testing.Account.authorize>` (and so :meth:`Account.connect
<payground.testing.Account.connect>`); and the page-reading bits Payground's own tests share.

Every function that a helper calls sets ``__tracebackhide__`` (see ``server._expect``): its
arguments (a session token) stay out of a failing test's report.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

from ..oauth import CONSENT_PATH  # where /oauth/authorize sends the browser

if TYPE_CHECKING:
    import requests

    from .server import Server

#: Where :meth:`Account.connect_application <payground.testing.Account.connect_application>`
#: sends the browser back when no redirect URI is given: never called (``connect`` reads the
#: redirect itself), and allowed in both modes (a loopback host may use ``http``).
DEFAULT_REDIRECT_URI = "http://localhost/callback"

_INPUT = re.compile(r'<input type="hidden" name="([\w]+)" value="([^"]*)">')
_ALERT = re.compile(r'class="alert alert-error"[^>]*>\s*(.*?)\s*</(?:div|p)>', re.S)


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of the page's forms (the CSRF token, the nonce, the request)."""
    return {name: html.unescape(value) for name, value in _INPUT.findall(page)}


def query_of(url: str) -> dict[str, str]:
    """The query of ``url`` as a dict (the first value of each name)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def approve(server: Server, session: str, query: str) -> str:
    """Open ``/oauth/authorize?query`` signed in with ``session`` (the connected account's
    ``sess_...``), press Connect on the consent page, and return where it sends the browser
    (the redirect URI with ``code``, ``scope`` and ``state``).

    :raises requests.HTTPError: a refusal on the way, with Payground's message: an error
        page (unknown client, redirect URI not registered, the platform's own account ...)
        or an error sent back to the redirect URI (``invalid_scope`` ...).
    """
    __tracebackhide__ = True
    import requests

    cookie = {"Cookie": f"payground_session={session}"}  # the dashboard's session cookie
    response = requests.get(server.url_for(f"/oauth/authorize?{query}"),
                            allow_redirects=False, timeout=30)
    consent = _redirect(response, f"{server.url}{CONSENT_PATH}")
    page = requests.get(consent, headers=cookie, allow_redirects=False, timeout=30)
    if page.status_code == 303:  # to the log-in page
        _raise(page, "the account's session no longer works (logged out, or expired): "
                     "the consent page asks to log in")
    if page.status_code != 200:
        _refused(page)
    form = {**hidden_fields(page.text), "decision": "approve"}
    answer = requests.post(server.url_for(CONSENT_PATH), data=form, headers=cookie,
                           allow_redirects=False, timeout=30)
    return _redirect(answer, None)


def exchange(server: Server, key: str, code: str) -> dict[str, Any]:
    """``POST /oauth/token`` for ``code`` with the platform's ``key``: the token response.

    :raises requests.HTTPError: an OAuth error, with its ``error`` and ``error_description``.
    """
    __tracebackhide__ = True
    import requests

    response = requests.post(server.url_for("/oauth/token"),
                             headers={"Authorization": f"Bearer {key}"},
                             data={"grant_type": "authorization_code", "code": code}, timeout=30)
    if response.status_code != 200:
        _refused(response)
    return response.json()


def _redirect(response: requests.Response, expected: str | None) -> str:
    """The absolute address ``response`` redirects to, which must start with ``expected``
    (when given) and must not carry an OAuth ``error``."""
    __tracebackhide__ = True
    location = urljoin(response.url, response.headers.get("Location", ""))
    if response.status_code != 302:
        _refused(response)
    sent = query_of(location)
    if "error" in sent or (expected is not None and not location.startswith(expected)):
        _raise(response, f"redirected with {sent.get('error', 'no consent page')}: "
                         f"{sent.get('error_description', '')}".rstrip(": "))
    return location


def _refused(response: requests.Response) -> None:
    """Raise the ``HTTPError`` of a refusal: OAuth's JSON error, or an error page's alert."""
    __tracebackhide__ = True
    try:
        body = response.json()
        message = f"{body['error']}: {body['error_description']}"
    except (ValueError, KeyError, TypeError):
        found = _ALERT.search(response.text)
        message = html.unescape(found.group(1)) if found else response.text[:500]
    _raise(response, message)


def _raise(response: requests.Response, message: str) -> None:
    __tracebackhide__ = True
    import requests

    # The path only: a redirect's query holds the authorization code.
    where = response.url.partition("?")[0]
    raise requests.HTTPError(f"{response.request.method} {where} -> {response.status_code}: "
                             f"{message}", response=response)
