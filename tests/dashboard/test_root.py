"""The server's own address, ``/``: a browser is sent to the dashboard (a learner types
http://127.0.0.1:4242/ and meant it); API clients get Stripe's 404, as Stripe's root answers."""

from __future__ import annotations

import pytest

from payground import messages

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Firefox's


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("accept", [BROWSER, "text/html", "TEXT/HTML;q=0.5"])
def test_a_browser_at_the_root_is_sent_to_the_dashboard(client, method, accept):
    r = client.open("/", method=method, headers={"Accept": accept})
    assert r.status_code == 302
    assert r.headers["Location"] == "/dashboard"
    assert r.headers["Vary"] == "Accept"  # curl at the same URL gets the 404: caches must know


def test_the_redirect_ends_on_the_log_in_page(client):
    r = client.get("/", headers={"Accept": BROWSER}, follow_redirects=True)
    assert r.status_code == 200
    # Signed out: the dashboard asks to log in first, and comes back to its front page.
    assert [h.location for h in r.history] == ["/dashboard", "/dashboard/login?next=/dashboard"]
    assert r.request.path == "/dashboard/login"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/*",
                                    "text/html;q=0, */*"],
                         ids=["none", "curl", "json", "text-wildcard", "html-refused"])
def test_an_api_client_at_the_root_gets_stripes_404(client, accept):
    r = client.get("/", headers={"Accept": accept} if accept else {})
    assert r.status_code == 404
    assert r.get_json() == {"error": {
        "type": "invalid_request_error",
        "message": messages.UNRECOGNIZED_URL.format(method="GET", path="/")}}
    assert r.headers["Vary"] == "Accept"
    assert "Location" not in r.headers


@pytest.mark.parametrize(("method", "path"), [("POST", "/"), ("DELETE", "/"), ("OPTIONS", "/"),
                                              ("GET", "/index.html")])
def test_only_a_get_of_the_root_itself_is_redirected(client, method, path):
    r = client.open(path, method=method, headers={"Accept": BROWSER})
    assert r.status_code == 404
    assert r.get_json()["error"] == {
        "type": "invalid_request_error",
        "message": messages.UNRECOGNIZED_URL.format(method=method, path=path)}
    assert "Location" not in r.headers


def test_the_redirect_stays_on_this_server_whatever_the_headers_say(client):
    """The Location is a path of this server's own: no Host, X-Forwarded-Host or
    X-Forwarded-Prefix makes it another site (Payground reads none of the last two)."""
    r = client.get("/", headers={"Accept": BROWSER, "Host": "evil.example",
                                 "X-Forwarded-Host": "evil.example",
                                 "X-Forwarded-Prefix": "//evil.example",
                                 "X-Forwarded-Proto": "https"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/dashboard"
