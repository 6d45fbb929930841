"""The dashboard in a real browser: Playwright driving Debian's Chromium against a live server.

Skipped (with the reason) when ``/usr/bin/chromium`` or the ``playwright`` package is
missing: ``apt-get install -y chromium`` and ``pip install playwright`` (no
``playwright install``: the system Chromium is used). Screenshots go to the test's temporary
directory; with ``PAYGROUND_UPDATE_SCREENSHOTS=1`` also to ``docs/screenshots/`` (the ones
the README shows).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from tests.browser import launch, sync_api_or_skip

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
sync_api = sync_api_or_skip()


@pytest.fixture
def server(database_url, tmp_path):
    from payground.testing import Server

    config = {"HOME": str(tmp_path / "home")}
    if database_url:
        config["DATABASE_URL"] = database_url
    with Server(config) as running:
        yield running
        running.check_errors()


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      accept_downloads=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Script errors and CSP violations show up as console errors: there must be none.
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        assert errors == []
        context.close()
        browser.close()


@pytest.fixture
def shoot(page, tmp_path):
    update_docs = os.environ.get("PAYGROUND_UPDATE_SCREENSHOTS") == "1"

    def shoot(name: str, **kw) -> None:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), **kw)
        if update_docs:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")

    return shoot


def api(server, key: str, method: str = "GET", path: str = "/v1/customers", **kw):
    return requests.request(method, server.url_for(path),
                            headers={"Authorization": f"Bearer {key}"}, timeout=10, **kw)


def copy_from_dialog(page, index: int = 1) -> str:
    """Press the dialog's Copy button and read what reached the clipboard."""
    dialog = page.locator("dialog.secret-dialog")
    assert dialog.is_visible()
    dialog.locator(f"button[data-copy-target='secret-{index}']").click()
    sync_api.expect(dialog.locator(".copy-status")).to_have_text("Copied to the clipboard.")
    return page.evaluate("navigator.clipboard.readText()")


def close_dialog(page) -> None:
    page.get_by_role("button", name="I’ve saved it, close").click()
    # Closed, then removed by the dialog's close event (a task of its own, a moment later):
    # wait for the removal, or page.content() can still hold the secret's input.
    sync_api.expect(page.locator("dialog.secret-dialog")).to_have_count(0)


def test_keys_lifecycle_in_a_browser(server, page, shoot):
    expect = sync_api.expect
    # Sign up: the dashboard sends a logged-out visitor to log in; from there, sign up.
    page.goto(server.url_for("/dashboard/keys"))
    expect(page).to_have_url(server.url_for("/dashboard/login?next=/dashboard/keys"))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(f"ada.{secrets.token_hex(2)}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    shoot("signup")
    page.get_by_role("button", name="Create account").click()

    # The show-once dialog: copy the secret key, download the .env, use the key.
    expect(page.get_by_role("dialog")).to_contain_text("It won’t be shown again.")
    shoot("show-once-dialog")
    secret = copy_from_dialog(page)
    assert secret.startswith("sk_test_")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as .env").click()
    assert download_info.value.suggested_filename == "payground.env"
    env = Path(download_info.value.path()).read_text()
    assert f"STRIPE_SECRET_KEY={secret}\n" in env
    # The browser keeps a download's address in its history (the Downloads page): a blob:
    # address, not a data: one that holds the keys.
    assert download_info.value.url.startswith("blob:")
    assert secret[8:] not in unquote(download_info.value.url)
    close_dialog(page)
    assert api(server, secret).status_code == 200
    assert secret not in page.content()

    # A read-only restricted key: reads work, a write is refused.
    page.get_by_role("radio", name="Restricted").check()
    page.get_by_label("Name", exact=True).fill("reporting")
    page.get_by_label("Note (optional)").fill("read-only, for the weekly report")
    page.get_by_label("Customers: Read").check()
    page.get_by_role("button", name="Create key").click()
    restricted = copy_from_dialog(page)
    assert restricted.startswith("rk_test_")
    close_dialog(page)
    assert api(server, restricted).status_code == 200
    refused = api(server, restricted, "POST", data={"email": "x@example.com"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].endswith(
        "Having the 'rak_customer_write' permission would allow this request to continue.")
    shoot("keys", full_page=True)

    # Roll the secret key, keeping the old one for an hour; then move the clock an hour on.
    page.get_by_role("row", name="Test secret key").get_by_role("link", name="Roll").click()
    page.get_by_label("Expire the old key").select_option(label="In 1 hour")
    page.get_by_role("button", name="Roll key").click()
    rolled = copy_from_dialog(page)
    close_dialog(page)
    assert rolled != secret
    assert api(server, secret).status_code == 200  # the grace period
    old_row = page.get_by_role("row").filter(has_text=f"sk_test_...{secret[-4:]}")
    expect(old_row).to_contain_text("expiring")
    expect(old_row).to_contain_text("1 h left")
    page.get_by_role("link", name="Clock").click()
    page.get_by_role("button", name="Advance 1 hour").click()
    expect(page.get_by_role("status")).to_have_text("The clock moved forward.")
    old = api(server, secret)
    assert old.status_code == 401 and old.json()["error"]["code"] == "api_key_expired"
    assert api(server, rolled).status_code == 200

    # Revoke the restricted key, after confirming.
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("row", name="reporting").get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke reporting?")
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("status")).to_contain_text("The key is revoked")
    failed = api(server, restricted)
    assert failed.status_code == 401 and failed.json()["error"]["code"] == "api_key_expired"
    failed_id = failed.headers["Request-Id"]

    # Find the failed request in the log and open it.
    page.get_by_role("link", name="Request log").click()
    page.get_by_label("Status").select_option("4xx")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f"tr[data-href='/dashboard/requests/{failed_id}']")
    expect(row).to_contain_text("401")
    shoot("request-log")
    row.get_by_role("link").click()
    expect(page).to_have_url(server.url_for(f"/dashboard/requests/{failed_id}"))
    expect(page.locator("main")).to_contain_text(failed_id)
    expect(page.locator("main")).to_contain_text("api_key_expired")

    # No page the browser saw on the way holds a secret now.
    for key in (secret, restricted, rolled):
        assert key not in page.content()
    page.goto(server.url_for("/dashboard/keys"))
    for key in (secret, restricted, rolled):
        assert key not in page.content()



class HeldSendings:
    """Holds the first form sent to the server, once it has spent its nonce (so it holds the
    database's write lock, as a slow request would), until ``release()``: the time a second
    click has in real life; ``wait_held()`` returns once it is held. ``arrived[n]`` is set
    when the ``n``-th POST (1, 2) reaches the server, ``count`` says how many did."""

    def __init__(self, server, monkeypatch):
        import threading

        from payground.services import form_nonces

        self.arrived = {n: threading.Event() for n in (1, 2)}
        self._holding = threading.Event()
        self._release = threading.Event()
        self.count = 0
        spend, app = form_nonces.spend, server.app.wsgi_app

        def counting_app(environ, start_response):
            if environ["REQUEST_METHOD"] == "POST":
                self.count += 1  # before the write lock: a held sending does not hide it
                self.arrived.get(self.count, threading.Event()).set()
            return app(environ, start_response)

        def held_spend(*args, **kwargs):
            result = spend(*args, **kwargs)
            if not self._holding.is_set():  # the first: no second is sent before it is held
                self._holding.set()
                assert self._release.wait(timeout=30)
            return result

        monkeypatch.setattr(server.app, "wsgi_app", counting_app)
        monkeypatch.setattr(form_nonces, "spend", held_spend)

    def wait(self, number: int) -> None:
        assert self.arrived[number].wait(timeout=30), f"sending {number} never arrived"

    def wait_held(self) -> None:
        """Until the first sending has spent the nonce and is held."""
        assert self._holding.wait(timeout=30), "the first sending never spent its nonce"

    def release(self) -> None:
        self._release.set()


def click_twice(page, button, held: HeldSendings, *, second_is_sent: bool) -> None:
    """A double click as people make it: the second click while the first sending is on
    its way (Playwright's dblclick is quicker than any request: the browser merges them).
    With the mouse: a locator waits for a page that is navigating away.

    The second click waits for the first sending to hold the nonce, not just to reach the
    server: else the second can overtake it there (a busy machine) and be the one that
    spends it, and the answer the browser shows is then the new key, not the 409 page."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    held.wait_held()
    page.mouse.click(x, y)
    if second_is_sent:
        held.wait(2)
    held.release()


def fill_sign_up(page, server) -> str:
    email = f"grace.{secrets.token_hex(2)}@example.com"
    page.goto(server.url_for("/dashboard/signup"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    return email


def test_a_double_click_sends_a_form_once(server, page, monkeypatch):
    """dashboard.js: the second click sends nothing, so the answer shown is the first one,
    with the new secret; and a button's value still goes with its form (Test/Live)."""
    expect = sync_api.expect
    held = HeldSendings(server, monkeypatch)
    fill_sign_up(page, server)
    click_twice(page, page.get_by_role("button", name="Create account"), held, second_is_sent=False)
    expect(page.get_by_role("dialog")).to_contain_text("It won’t be shown again.")
    assert copy_from_dialog(page).startswith("sk_test_")
    close_dialog(page)
    assert held.count == 1

    held = HeldSendings(server, monkeypatch)
    page.get_by_role("radio", name="Secret (full access)").check()
    page.get_by_label("Name", exact=True).fill("clicked twice")
    click_twice(page, page.get_by_role("button", name="Create key"), held, second_is_sent=False)
    expect(page.get_by_role("dialog")).to_contain_text("“clicked twice” is ready.")
    secret = copy_from_dialog(page)
    close_dialog(page)
    assert held.count == 1
    assert api(server, secret).status_code == 200
    expect(page.get_by_role("row", name="clicked twice")).to_have_count(1)
    expect(page.get_by_role("button", name="Create key")).to_be_enabled()  # a new page

    # The switch's buttons carry the mode: "Live" without live mode leads to activating it.
    page.get_by_role("button", name="Live").click()
    expect(page).to_have_url(server.url_for("/dashboard/activate"))


@pytest.fixture
def page_without_script(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def test_without_the_script_a_double_click_gets_a_page_that_says_what_to_do(
        server, page_without_script, monkeypatch):
    """The server's one-time form nonce: the second sending creates nothing, and its answer
    (the one the browser shows) says what the first did and links to rolling the key."""
    page, expect = page_without_script, sync_api.expect
    held = HeldSendings(server, monkeypatch)
    email = fill_sign_up(page, server)
    click_twice(page, page.get_by_role("button", name="Create account"), held, second_is_sent=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Form already sent")
    expect(page.get_by_role("main")).to_contain_text("it created your account")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server.url_for("/dashboard/keys"))

    held = HeldSendings(server, monkeypatch)
    page.get_by_role("radio", name="Secret (full access)").check()
    page.get_by_label("Name", exact=True).fill("clicked twice")
    click_twice(page, page.get_by_role("button", name="Create key"), held, second_is_sent=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Form already sent")
    page.get_by_role("link", name="Roll clicked twice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Roll")
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("row", name="clicked twice")).to_have_count(1)


def test_searching_customers_from_the_box(server, page, shoot):
    """The search box is a plain GET form: Enter searches, the query stays, Clear lists all.
    (A refused query is a 400 page, which the fixture would take for a console error: see
    test_search.py for those.)"""
    expect = sync_api.expect
    fill_sign_up(page, server)
    page.get_by_role("button", name="Create account").click()
    secret = copy_from_dialog(page)
    close_dialog(page)
    for email in ("ada@example.com", "bob@elsewhere.org", "cy@example.com"):
        assert api(server, secret, "POST", data={"email": email}).status_code == 200

    page.goto(server.url_for("/dashboard/customers"))
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill('email~"example.com"')
    box.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("cy@example.com")
    expect(box).to_have_value('email~"example.com"')
    shoot("customers-search")

    page.get_by_role("link", name="Clear").click()
    expect(page.locator("tbody tr")).to_have_count(3)


def test_the_mode_switch_keeps_a_search_in_the_other_mode(server, page):
    """Searching in test mode then pressing Live: the same search, on live mode's data (the
    query in the switch's hidden ``next``), its first page; and back. The request log's
    status filter comes along the same way."""
    expect = sync_api.expect
    fill_sign_up(page, server)
    page.get_by_role("button", name="Create account").click()
    test_key = copy_from_dialog(page)
    close_dialog(page)
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "payground_session")
    activated = api(server, session, "POST", "/sandbox/account/activate", json={})
    assert activated.status_code == 201, activated.text
    live_key = activated.json()["keys"]["secret"]
    for key, emails in ((test_key, ("ada@example.com", "bob@elsewhere.org")),
                        (live_key, ("cy@example.com", "di@elsewhere.org"))):
        for email in emails:
            assert api(server, key, "POST", data={"email": email}).status_code == 200

    page.goto(server.url_for("/dashboard/customers"))
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill('email~"example.com"')
    box.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("ada@example.com")

    page.get_by_role("button", name="Live").click()
    expect(page).to_have_url(server.url_for("/dashboard/customers?query=email~%22example.com%22"))
    expect(page.get_by_role("button", name="Live")).to_have_attribute("aria-pressed", "true")
    expect(box).to_have_value('email~"example.com"')
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("cy@example.com")

    page.get_by_role("button", name="Test").click()
    expect(page.get_by_role("button", name="Test")).to_have_attribute("aria-pressed", "true")
    expect(box).to_have_value('email~"example.com"')
    expect(page.locator("tbody")).to_contain_text("ada@example.com")

    # The request log's filters too: the status stays, the mode follows the switch.
    page.goto(server.url_for("/dashboard/requests"))
    page.get_by_label("Status").select_option("2xx")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(2)  # the test key's two customers
    page.get_by_role("button", name="Live").click()
    expect(page).to_have_url(server.url_for("/dashboard/requests?status=2xx"))
    expect(page.get_by_label("Status")).to_have_value("2xx")
    expect(page.get_by_role("combobox", name="Mode")).to_have_value("live")
    expect(page.locator("tbody tr")).to_have_count(2)  # the live key's


def test_setup_intents_from_the_nav(server, page):
    """The nav's Setup intents link: the mode's intents, each card as its row's header."""
    expect = sync_api.expect
    fill_sign_up(page, server)
    page.get_by_role("button", name="Create account").click()
    secret = copy_from_dialog(page)
    close_dialog(page)
    saved = api(server, secret, "POST", "/v1/setup_intents",
                data={"payment_method": "pm_card_visa", "confirm": "true"}).json()
    assert saved["status"] == "succeeded", saved

    page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Setup intents").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Setup intents")
    expect(page.get_by_role("table", name="Setup intents").locator("tbody tr")).to_have_count(1)
    header = page.get_by_role("rowheader")
    expect(header).to_contain_text("Visa ·· 4242")
    expect(header).to_contain_text(saved["id"])
    assert saved["client_secret"] not in page.content()
