"""Lesson 9 (keys or OAuth): both sides against a real server. Acme Analytics' programs and its
website (a real process), the business's programs in its own project, and the browser step
driven with ``requests`` through the dashboard's log-in and consent forms, as the README
tells the learner to click. The outputs the README shows are compared with what ran."""

from __future__ import annotations

import json
import queue
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from payground import messages
from payground.core import keys
from payground.core import oauth as oauthfmt
from tests.oauth_flow import form_fields, query_of
from tests.tutorial_support import (FULL_KEY, PASSWORD, PROGRAM_TIMEOUT, LessonProject,
                                    lesson_server, login_again, masked)

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "09-oauth"
README = (LESSON / "README.md").read_text()
OUTPUT = re.compile(r"<!-- output: (?P<name>[\w-]+) -->\n```\n(?P<text>.*?)```", re.DOTALL)
# What differs from run to run, as the README writes it.
VARYING = [(re.compile(r"\b(acct|ch|conn|ca)_[0-9A-Za-z]+"), r"\1_..."),
           (re.compile(r"\b(sk|rk)_test_\*+[0-9A-Za-z]{4}\b"), r"\1_test_***...Ab12"),
           (re.compile(r"\bac_[0-9A-Za-z]{4}\.\.\."), "ac_....")]
# What a program says when the saved session is the other side's: the advice of lessons 2 to 8
# (`payground login`, which writes nothing but the session), for a check by the secret key.
ANOTHER_ACCOUNT = ("the saved session is another account's, not the one whose key is in .env: "
                   "`payground login` with this folder's account's email signs it in again "
                   "(and changes nothing else)\n")


def shown(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


def readme_output(name: str) -> str:
    """The block the README shows under ``<!-- output: name -->`` (its command line first)."""
    found = {m.group("name"): m.group("text") for m in OUTPUT.finditer(README)}
    return found[name]


def assert_as_shown(name: str, command: str, out: str) -> None:
    assert shown(f"$ {command}\n{out}") == shown(readme_output(name))


# --- a live server, Acme's project and the business's --------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson9_home")


@pytest.fixture(autouse=True)
def _server_errors(server):
    yield
    server.check_errors()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Side(LessonProject):
    """One side's project folder (`payground init` ran there, with its own saved session)."""

    def __init__(self, server, path: Path, acme_url: str) -> None:
        path.mkdir()
        super().__init__(server, path)
        self.acme_url = acme_url
        self.email = self.dashboard("GET", "/sandbox/account")["email"]

    def run(self, name: str, *args: str, status: int = 0) -> str:
        """``python NAME ARGS`` in this folder, as the README runs it; its standard output."""
        result = self.run_args([sys.executable, str(LESSON / name), *args],
                               env={"ACME_URL": self.acme_url}, status=status)
        assert result.stderr == "" or status, result.stderr
        return result.stdout if not status else result.stderr


@pytest.fixture
def acme_url() -> str:
    return f"http://localhost:{_free_port()}"


@pytest.fixture
def acme(server, tmp_path, acme_url) -> Side:
    return Side(server, tmp_path / "acme", acme_url)


@pytest.fixture
def bloom(server, tmp_path, acme_url) -> Side:
    return Side(server, tmp_path / "business", acme_url)


class Site:
    """``acme_site.py`` running in Acme's folder; ``.lines`` gets what it prints."""

    def __init__(self, acme: Side) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(LESSON / "acme_site.py")], cwd=acme.path, text=True,
            env={**acme.env, "ACME_URL": acme.acme_url, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        listening = threading.Event()
        threading.Thread(target=self._read, args=(self.process.stdout, None),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, listening),
                         daemon=True).start()
        # Flask says "Running on http://..." once it accepts connections.
        assert listening.wait(PROGRAM_TIMEOUT), "acme_site.py did not start"

    def _read(self, stream, listening) -> None:
        for line in stream:
            if listening is None:
                if not line.startswith(" * "):  # Flask's banner, not the site's words
                    self.lines.put(line.rstrip("\n"))
            elif "Running on" in line:
                listening.set()

    def next_line(self) -> str:
        return self.lines.get(timeout=PROGRAM_TIMEOUT)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(PROGRAM_TIMEOUT)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def site(acme):
    acme.run("register_app.py")
    running = Site(acme)
    yield running
    running.stop()


class BrowserOf:
    """The business's browser: Acme's pages, Payground's log-in and consent pages."""

    def __init__(self, server, business: Side) -> None:
        self.server, self.business = server, business
        self.http = requests.Session()

    def log_in(self, page: requests.Response, email: str) -> requests.Response:
        """Fill in the log-in page's form (its ``next`` included) and follow where it goes."""
        return self.http.post(self.server.url_for("/dashboard/login"), timeout=30, data={
            **form_fields(page.text, "/dashboard/login"), "email": email,
            "password": PASSWORD})

    def answer(self, link: str, decision: str = "approve") -> str:
        """Follow one of Acme's Connect links, log in if asked, press Connect (or Deny): the
        address Payground sends the browser back to (not followed yet)."""
        page = self.http.get(link, timeout=30)
        if page.url.startswith(self.server.url_for("/dashboard/login")):
            page = self.log_in(page, self.business.email)
        assert "Connect Acme Analytics to your account" in page.text, page.text
        self.consent, self.consent_url = page.text, page.url
        answer = self.http.post(self.server.url_for("/dashboard/oauth/authorize"), timeout=30,
                                data={**form_fields(page.text, "/dashboard/oauth/authorize"),
                                      "decision": decision},
                                allow_redirects=False)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def connect(self, link: str, decision: str = "approve") -> tuple[str, requests.Response]:
        """:meth:`answer`, then the address followed: it and Acme's page there."""
        back = self.answer(link, decision)
        return back, self.http.get(back, timeout=30)


def _connections(business: Side) -> list[dict]:
    return business.dashboard("GET", "/sandbox/connections")["data"]


def _audit_types(business: Side) -> list[str]:
    return [e["type"] for e in business.dashboard("GET", "/sandbox/audit")["data"]]


# --- step 1: Acme registers its application -------------------------------------------------


def test_register_app_saves_the_client_id(acme):
    out = acme.run("register_app.py")
    # The README's Acme is on port 8000; this one on a free port.
    assert_as_shown("register", "python register_app.py",
                    out.replace(acme.acme_url, "http://localhost:8000"))
    client_id = acme.dotenv()["STRIPE_CLIENT_ID"]
    assert out.splitlines() == [f"Acme Analytics: client_id {client_id}, saved to .env",
                                f"businesses come back to {acme.acme_url}/callback"]
    [application] = acme.dashboard("GET", "/sandbox/connect")["data"]
    assert (application["client_id"], application["redirect_uris"]) == (
        client_id, [f"{acme.acme_url}/callback"])
    # Run again, it updates the application: the client_id stays.
    assert acme.run("register_app.py") == out


def test_register_app_with_the_business_session_refuses(acme, bloom):
    """`payground init` in business/ after Acme's saved the business's session last."""
    (acme.path / "home" / "session").write_text(bloom.session + "\n")
    env = (acme.path / ".env").read_text()
    err = acme.run("register_app.py", status=1)
    assert err == ANOTHER_ACCOUNT
    assert bloom.dashboard("GET", "/sandbox/connect")["data"] == []
    assert (acme.path / ".env").read_text() == env
    # The advice, followed: Acme signed in again, its .env untouched, and the step goes on.
    login_again(acme)
    assert (acme.path / ".env").read_text() == env
    assert acme.run("register_app.py").startswith("Acme Analytics: client_id ca_")
    assert len(acme.dashboard("GET", "/sandbox/connect")["data"]) == 1


# --- the whole story --------------------------------------------------------------------------


def test_connect_read_only_then_read_write_then_disconnect(server, acme, bloom, site):
    browser = BrowserOf(server, bloom)
    sales = bloom.run("business/sales.py")
    assert_as_shown("sales", "python sales.py", sales)
    assert [line.split(" ", 1)[1] for line in sales.splitlines()] == [
        "succeeded: 25.00 usd, spring bouquet", "succeeded: 40.00 usd, wedding flowers"]
    biggest = sales.splitlines()[1].split()[0]

    # The business connects Acme, read only, from Acme's home page.
    home = browser.http.get(acme.acme_url, timeout=30)
    assert "none yet" in home.text and "/connect?scope=read_write" in home.text
    back, page = browser.connect(f"{acme.acme_url}/connect")
    sent = query_of(back)
    assert back.startswith(f"{acme.acme_url}/callback?code=ac_")
    assert sent["scope"] == "read_only" and len(sent["state"]) >= 43
    assert page.status_code == 200
    assert f"Connected <code>{bloom.account_id}</code> with read_only access" in page.text
    assert site.next_line() == f"connected {bloom.account_id} (read_only)"
    assert json.loads((acme.path / "connected_accounts.json").read_text()) == [bloom.account_id]
    [connection] = _connections(bloom)
    assert (connection["scope"], connection["platform"]) == ("read_only", acme.account_id)

    # Acme reads the business's charges with its own key; the write is refused.
    out = acme.run("report.py")
    assert_as_shown("report-read-only", "python report.py", out)
    assert out.splitlines() == [
        f"{bloom.account_id}: 2 charges, 65.00 usd paid",
        f"  tag {biggest}: refused 403 "
        + messages.OAUTH_READ_ONLY.format(account=bloom.account_id)]
    # In Bloom's request log, under Acme's key: Bloom sees who calls.
    platform_key = acme.dotenv()["STRIPE_SECRET_KEY"]
    logged = bloom.dashboard("GET", "/sandbox/requests", params={"limit": 100})["data"]
    assert {(e["method"], e["status"]) for e in logged
            if e["key_redacted"] == masked(platform_key)} == {("GET", 200), ("POST", 403)}

    # The same answer again (a reload): the state cookie is gone, the code is not sent.
    again = browser.http.get(back, timeout=30)
    assert again.status_code == 400 and "not the answer to a connection you started" in again.text
    assert site.next_line() == "refused a callback: its state is not this browser's"
    assert "oauth.code_reused" not in _audit_types(bloom)

    # A thief with the code (and Acme's key): refused, and the code's tokens revoked.
    out = acme.run("replay_code.py", sent["code"])
    assert_as_shown("replay", "python replay_code.py ac_...", out)
    assert out == f"refused: invalid_grant: {messages.OAUTH_CODE_USED}\n"
    assert "oauth.code_reused" in _audit_types(bloom)
    [token] = [k for k in bloom.dashboard("GET", "/sandbox/keys")["data"] if k.get("connection")]
    assert (token["name"], token["type"], token["status"]) == (
        "OAuth: Acme Analytics", "restricted", "revoked")
    # Acme never held that token: its key and the account id still reach the account.
    assert acme.run("report.py").splitlines()[0] == f"{bloom.account_id}: 2 charges, 65.00 usd paid"

    # Connected again, read and write: the same connection, a wider scope. Already logged in.
    back, page = browser.connect(f"{acme.acme_url}/connect?scope=read_write")
    assert query_of(back)["scope"] == "read_write"
    assert "Read and write" in browser.consent and "Read only" not in browser.consent
    assert site.next_line() == f"connected {bloom.account_id} (read_write)"
    assert json.loads((acme.path / "connected_accounts.json").read_text()) == [bloom.account_id]
    assert [(c["id"], c["scope"]) for c in _connections(bloom)] == [(connection["id"],
                                                                     "read_write")]
    out = acme.run("report.py")
    assert_as_shown("report-read-write", "python report.py", out)
    assert out.splitlines() == [f"{bloom.account_id}: 2 charges, 65.00 usd paid",
                                f"  tagged {biggest} acme_segment=top"]
    charge = requests.get(server.url_for(f"/v1/charges/{biggest}"), timeout=30,
                          auth=(bloom.dotenv()["STRIPE_SECRET_KEY"], "")).json()
    assert charge["metadata"] == {"acme_segment": "top"}

    # The business disconnects Acme.
    out = bloom.run("business/disconnect.py")
    assert_as_shown("disconnect", "python disconnect.py", out)
    client_id = acme.dotenv()["STRIPE_CLIENT_ID"]
    assert out == f"disconnected Acme Analytics ({client_id}, read_write): {connection['id']}\n"
    assert _connections(bloom)[0]["revoked_at"] is not None
    assert "oauth.disconnected" in _audit_types(bloom)

    # Acme's next call on the account fails, and Acme forgets the account.
    out = acme.run("report.py")
    assert_as_shown("report-disconnected", "python report.py", out)
    assert out.splitlines() == [
        f"{bloom.account_id}: 403 account_invalid: " + messages.ACCOUNT_NOT_ACCESSIBLE.format(
            masked=keys.mask(platform_key), account=bloom.account_id),
        f"  forgotten: {bloom.account_id} disconnected Acme Analytics"]
    assert json.loads((acme.path / "connected_accounts.json").read_text()) == []
    err = acme.run("report.py", status=1)
    assert err == (f"no business has connected yet: run python acme_site.py, open "
                   f"{acme.acme_url} and connect one\n")
    # The business's own key never stopped working.
    assert requests.get(server.url_for("/v1/charges"), timeout=30,
                        auth=(bloom.dotenv()["STRIPE_SECRET_KEY"], "")).status_code == 200
    assert {k["status"] for k in bloom.dashboard("GET", "/sandbox/keys")["data"]
            if k.get("connection")} == {"revoked"}  # the tokens Acme threw away end too
    # Disconnecting again: nothing to do.
    err = bloom.run("business/disconnect.py", status=1)
    assert err == "Acme Analytics is not connected to this account: nothing to disconnect\n"

    # Nothing Acme printed or wrote holds a secret: no key, no code, no refresh token.
    written = (acme.path / "connected_accounts.json").read_text() + (acme.path / ".env").read_text()
    assert not re.search(r"\b(?:ac|rt)_[0-9A-Za-z]{20,}", written)
    assert FULL_KEY.findall((acme.path / ".env").read_text()) == [platform_key]


def test_denying_connects_nothing(server, acme, bloom, site):
    back, page = BrowserOf(server, bloom).connect(f"{acme.acme_url}/connect", "deny")
    assert query_of(back)["error"] == "access_denied"
    assert page.status_code == 200
    assert f"Not connected: {messages.OAUTH_ACCESS_DENIED}." in page.text
    assert site.next_line() == "not connected: access_denied"
    assert not (acme.path / "connected_accounts.json").exists()
    assert _connections(bloom) == []


def test_a_callback_link_from_someone_else_is_not_exchanged(server, acme, bloom, site):
    """Login CSRF: a link carrying another browser's code. Without this browser's state the
    site never sends the code, which stays unused (the business's own browser could)."""
    link = BrowserOf(server, bloom).answer(f"{acme.acme_url}/connect")
    victim = requests.Session()
    refused = victim.get(link, timeout=30)
    assert refused.status_code == 400
    assert site.next_line() == "refused a callback: its state is not this browser's"
    assert not (acme.path / "connected_accounts.json").exists()
    assert acme.run("replay_code.py", query_of(link)["code"]) == (
        f"exchanged: {bloom.account_id} (read_only), a code not used before\n")


def test_signed_in_as_acme_the_consent_page_logs_out_and_comes_back(server, acme, bloom,
                                                                     site):
    browser = BrowserOf(server, bloom)
    page = browser.log_in(browser.http.get(f"{acme.acme_url}/connect", timeout=30), acme.email)
    assert "Connect Acme Analytics to your account" in page.text
    assert page.status_code == 400
    assert messages.OAUTH_OWN_APPLICATION in page.text and 'value="approve"' not in page.text
    # Its button logs out; logged in as the business, the same consent page comes back.
    consent = page.url
    assert "Log out, then log in as the account to connect" in page.text
    page = browser.http.post(server.url_for("/dashboard/logout"), timeout=30,
                             data=form_fields(page.text, "/dashboard/logout", "switch-account"))
    assert "You are logged out." in page.text
    page = browser.log_in(page, bloom.email)
    assert (page.status_code, page.url) == (200, consent)
    assert f"{bloom.email}" in page.text and 'value="approve"' in page.text


def test_a_code_expires_on_acmes_clock(server, acme, bloom, site):
    """Five minutes on the platform's clock: the business's clock moving does not age it."""
    advance = [sys.executable, "-m", "payground", "clock", "advance", "6m"]
    browser = BrowserOf(server, bloom)
    back = browser.answer(f"{acme.acme_url}/connect")
    bloom.run_args(advance)
    page = browser.http.get(back, timeout=30)
    assert f"Connected <code>{bloom.account_id}</code> with read_only" in page.text
    assert site.next_line() == f"connected {bloom.account_id} (read_only)"

    back = browser.answer(f"{acme.acme_url}/connect?scope=read_write")
    acme.run_args(advance)
    page = browser.http.get(back, timeout=30)
    expired = messages.OAUTH_CODE_EXPIRED.format(code=oauthfmt.shown(query_of(back)["code"]))
    assert page.status_code == 400 and f"Not connected: {expired}" in page.text
    assert site.next_line() == "not connected: invalid_grant"
    assert [c["scope"] for c in _connections(bloom)] == ["read_write"]  # approved, not used


def test_bloom_programs_in_acmes_folder_refuse(acme):
    """`python business/sales.py` in Acme's terminal would charge Acme's own account."""
    acme.run("register_app.py")
    for program in ("business/sales.py", "business/disconnect.py"):
        assert acme.run(program, status=1) == (
            "this .env is Acme's (it has STRIPE_CLIENT_ID): run this in business/, where Bloom "
            "ran `payground init`\n")
    assert acme.dashboard("GET", "/sandbox/requests")["data"] == []


def test_connect_opened_at_another_address_moves_to_acme_url(acme, site):
    """The state cookie is set where /callback is: 127.0.0.1 and localhost keep their own."""
    port = acme.acme_url.rsplit(":", 1)[1]
    r = requests.get(f"http://127.0.0.1:{port}/connect?scope=read_write", timeout=30,
                     allow_redirects=False)
    assert (r.status_code, r.headers["Location"]) == (
        302, f"{acme.acme_url}/connect?scope=read_write")
    assert "Set-Cookie" not in r.headers


def test_the_business_disconnect_with_acmes_session_refuses(acme, bloom):
    (bloom.path / "home" / "session").write_text(acme.session + "\n")
    env = (bloom.path / ".env").read_text()
    err = bloom.run("business/disconnect.py", status=1)
    assert err == ANOTHER_ACCOUNT
    # The advice, followed: Bloom's session again, its .env untouched; nothing is connected.
    login_again(bloom)
    assert (bloom.path / ".env").read_text() == env
    assert bloom.run("business/disconnect.py", status=1) == (
        "Acme Analytics is not connected to this account: nothing to disconnect\n")


def test_acme_site_needs_the_application_first(acme):
    result = acme.run_args([sys.executable, str(LESSON / "acme_site.py")], status=1)
    assert result.stderr == ("STRIPE_CLIENT_ID is not set: run `python register_app.py` in "
                             "this folder first\n")


def test_replay_code_needs_a_code(acme):
    result = acme.run_args([sys.executable, str(LESSON / "replay_code.py")], status=1)
    assert result.stderr == ("usage: python replay_code.py ac_... (the code in the address bar "
                             "after /callback)\n")



def test_back_to_the_consent_page_and_connect_again(server, acme, bloom, site):
    """The browser's Back button reloads the consent page (no-store): Connect again makes a
    new code, whose answer Acme refuses (its state cookie went with the first answer)."""
    browser = BrowserOf(server, bloom)
    back, page = browser.connect(f"{acme.acme_url}/connect")
    assert site.next_line() == f"connected {bloom.account_id} (read_only)"
    consent = browser.http.get(browser.consent_url, timeout=30)
    again = browser.http.post(server.url_for("/dashboard/oauth/authorize"), timeout=30, data={
        **form_fields(consent.text, "/dashboard/oauth/authorize"), "decision": "approve"})
    assert query_of(again.url)["code"] != query_of(back)["code"]
    assert again.status_code == 400 and "not the answer to a connection you started" in again.text
    assert site.next_line() == "refused a callback: its state is not this browser's"
