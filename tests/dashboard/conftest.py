"""Dashboard fixtures: a browser-like test client that signs up, keeps cookies, sends CSRF
tokens, and reads the show-once dialog."""

from __future__ import annotations

import html
import itertools
import re
import secrets
from dataclasses import dataclass

import pytest

PASSWORD = "correct horse battery"
_emails = itertools.count()
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_SHOWN_SECRET = re.compile(r'value="((?:sk|rk|pk)_(?:test|live)_[0-9A-Za-z]+)"[^>]*data-secret')


def new_email() -> str:
    return f"dash{next(_emails)}-{secrets.token_hex(3)}@example.com"


def text(response) -> str:
    """The page's HTML with entities decoded (``&#39;`` -> ``'``), for message checks."""
    return html.unescape(response.get_data(as_text=True))


def shown_secrets(response) -> list[str]:
    """The keys in the show-once dialog of this response, in order."""
    return _SHOWN_SECRET.findall(response.get_data(as_text=True))


@dataclass
class SignedUp:
    email: str
    secret_key: str
    publishable_key: str


class Dashboard:
    """A test client used as a browser: cookies kept, CSRF tokens read from real pages."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def token(self) -> str:
        """A CSRF token from a page this browser can see (log-in page when logged out)."""
        page = self.client.get("/dashboard/clock")
        if page.status_code != 200:
            page = self.client.get("/dashboard/login")
        return _TOKEN.search(page.get_data(as_text=True)).group(1)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token())
        return self.client.post(path, data=form, **kw)

    def signup(self, email: str | None = None, password: str = PASSWORD) -> SignedUp:
        email = email or new_email()
        r = self.post("/dashboard/signup", {"email": email, "password": password,
                                            "password_confirm": password})
        assert r.status_code == 200, text(r)
        secret, publishable = shown_secrets(r)
        return SignedUp(email=email, secret_key=secret, publishable_key=publishable)

    def key_ids(self) -> dict[str, str]:
        """``{redacted form or full publishable key: key id}`` from the keys page."""
        page = self.client.get("/dashboard/keys").get_data(as_text=True)
        rows = re.findall(r'data-key-id="(key_\w+)".*?<code class="key-token[^"]*">([^<]+)</code>',
                          page, re.S)
        return {shown: key_id for key_id, shown in rows}

    def key_id(self, secret: str) -> str:
        return self.key_ids()[f"{secret[:8]}...{secret[-4:]}"]


def v1(client, path: str, key: str, method: str = "get", **kw):
    """Call the API with a key, as an integration would."""
    return getattr(client, method)(path, headers={"Authorization": f"Bearer {key}"}, **kw)


@pytest.fixture
def dash(client) -> Dashboard:
    return Dashboard(client)


@pytest.fixture
def signed_in(dash) -> SignedUp:
    """A new account, signed up through the dashboard, whose session ``dash`` holds."""
    return dash.signup()
