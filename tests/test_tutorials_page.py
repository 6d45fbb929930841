"""Lesson 6's checkout page in a real browser, served from its own origin, as a shop serves it.

The page calls Payground across origins with the publishable key, so this is where CORS
(payground/http/cors.py) is proved end to end: Chromium sends its preflight, reads the token,
and reads the refusal when the page's key is used for more than tokens.
"""

from __future__ import annotations

import functools
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from payground import messages
from tests.browser import launch, sync_api_or_skip
from tests.tutorial_support import masked
from tests import test_tutorials_browser as lesson6

LESSON = lesson6.LESSON
sync_api = sync_api_or_skip()
server, project = lesson6.server, lesson6.project  # the lesson's server and learner's project


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


@pytest.fixture
def shop(project, tmp_path, request):
    """The lesson's site/ as the learner edits it (Payground's address and the publishable
    key, or the key a test passes as its parameter), served by a static server on another
    port: another origin."""
    site = tmp_path / "site"
    shutil.copytree(LESSON / "site", site)
    script = site / "checkout.js"
    key = project.dotenv()[getattr(request, "param", "STRIPE_PUBLISHABLE_KEY")]
    script.write_text(script.read_text()
                      .replace("http://127.0.0.1:4242", project.server.url)
                      .replace("pk_test_REPLACE_ME", key))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


@pytest.fixture
def page(shop):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        # A call blocked by CORS is a console error; a refused one (4xx) only "failed to load".
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                and not msg.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(shop)
        yield page
        assert errors == []
        browser.close()


def test_the_page_tokenises_across_origins_and_the_server_charges_the_token(project, page):
    page.get_by_role("button", name="Pay").click()
    result = page.get_by_role("status")
    sync_api.expect(result).to_contain_text("Token tok_")
    token_id = result.text_content().split()[1].rstrip(":")

    paid = project.run_args([sys.executable, str(LESSON / "pay_server.py"), token_id],
                            env={name: value for name, value in project.dotenv().items()
                                 if name.startswith("STRIPE_")})
    assert paid.stdout.strip().endswith("succeeded: 15.00 usd on the card ending 4242")
    logged = project.dashboard("GET", "/sandbox/requests", params={"limit": 2})["data"]
    # The page's one call (its preflight is not a call), then the server's charge.
    assert [(row["method"], row["path"], row["status"]) for row in logged] == [
        ("POST", "/v1/charges", 200), ("POST", "/v1/tokens", 200)]


def test_the_page_reads_stripes_refusal_of_a_bad_card(page):
    page.get_by_label("Card number").fill("4242424242424241")  # fails the Luhn check
    page.get_by_role("button", name="Pay").click()
    sync_api.expect(page.get_by_role("status")).to_have_text(
        f"Refused: {messages.CARD_NUMBER_INCORRECT}")


def test_a_visitor_with_the_pages_key_can_read_only_a_refusal(project, page):
    # What someone who copies the key from the page's source gets, from their own page.
    answer = page.evaluate("""async () => {
        const response = await fetch(`${payground.apiBase}/v1/charges`,
                                     {headers: {Authorization: `Bearer ${payground.key}`}});
        return {status: response.status, requestId: response.headers.get("Request-Id"),
                error: (await response.json()).error};
    }""")

    assert (answer["status"], answer["error"]["code"], answer["error"]["message"]) == (
        401, "secret_key_required", messages.SECRET_KEY_REQUIRED)
    logged = project.dashboard("GET", f"/sandbox/requests/{answer['requestId']}")
    assert (logged["method"], logged["path"], logged["status"]) == ("GET", "/v1/charges", 401)
    secret = project.dotenv()["STRIPE_SECRET_KEY"]
    listed = requests.get(project.server.url_for("/v1/charges"), timeout=10,
                          headers={"Authorization": f"Bearer {secret}"}).json()
    assert listed["data"] == []  # and nothing was charged


@pytest.mark.parametrize("shop", ["STRIPE_SECRET_KEY"], indirect=True)
def test_a_secret_key_in_the_page_works_and_the_audit_trail_says_where_it_is(project, shop,
                                                                            page):
    page.get_by_role("button", name="Pay").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("Token tok_")

    [event] = project.dashboard("GET", "/sandbox/audit",
                                params={"type": "api_key.used_in_browser"})["data"]
    secret = project.dotenv()["STRIPE_SECRET_KEY"]
    assert (event["key_redacted"], event["data"]) == (masked(secret),
                                                      {"origin": shop.rstrip("/")})
