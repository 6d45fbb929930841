"""Connect OAuth in tests: a browser (a Flask test client) that
logs in to the dashboard and answers the consent page, as a connected account's owner does."""

from __future__ import annotations

import re

import pytest

from payground.testing.oauth import CONSENT_PATH, hidden_fields, query_of

__all__ = ["Browser", "CALLBACK", "business", "form_fields", "hidden_fields", "platform",
           "query_of", "register_application"]
CALLBACK = "http://localhost:8000/callback"  # the platform's; never called: tests read redirects
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
PASSWORD = "correct horse battery"


@pytest.fixture
def platform(make_account):
    """An account with a Connect application to register (``register_application``)."""
    return make_account()


@pytest.fixture
def business(make_account):
    """The account that connects to the platform."""
    return make_account()


def register_application(platform, *redirect_uris: str) -> dict:
    """``platform``'s test-mode Connect application ("Acme Analytics"), through the sandbox
    API; its redirect URIs ``redirect_uris`` (``CALLBACK`` if none)."""
    r = platform.client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Analytics", "redirect_uris": list(redirect_uris or [CALLBACK])})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def form_fields(page: str, action: str, form_id: str | None = None) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (the one with id ``form_id``): what
    a browser sends with it (the page's other forms, the mode switch and log-out, keep theirs)."""
    for attributes, body in _FORM.findall(page):
        if f'action="{action}"' in attributes and (
                form_id is None or f'id="{form_id}"' in attributes):
            return hidden_fields(body)
    raise AssertionError(f"no form posts to {action}")


class Browser:
    """A Flask test client used as a browser signed in to the dashboard."""

    def __init__(self, app, email: str, password: str = PASSWORD) -> None:
        self.client = app.test_client()
        page = self.client.get("/dashboard/login").get_data(as_text=True)
        r = self.client.post("/dashboard/login", data={
            "email": email, "password": password,
            "csrf_token": hidden_fields(page)["csrf_token"]})
        assert r.status_code == 303, r.get_data(as_text=True)

    def consent_page(self, query: str):
        """``GET /oauth/authorize?query``, followed to the consent page."""
        r = self.client.get(f"/oauth/authorize?{query}")
        assert r.status_code == 302, r.get_data(as_text=True)
        return self.client.get(r.headers["Location"])

    def decide(self, query: str, decision: str = "approve"):
        """Answer the consent page; the response (a 302 back to the platform)."""
        page = self.consent_page(query)
        assert page.status_code == 200, page.get_data(as_text=True)
        form = hidden_fields(page.get_data(as_text=True))
        form["decision"] = decision
        return self.client.post(CONSENT_PATH, data=form)

    def code(self, query: str) -> str:
        r = self.decide(query)
        assert r.status_code == 302, r.get_data(as_text=True)
        return query_of(r.headers["Location"])["code"]
