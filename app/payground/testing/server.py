"""A real Payground server on a free loopback port, in a background thread, for tests."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

if TYPE_CHECKING:
    import requests
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer

__all__ = ["Account", "Server"]

#: What :class:`Server` sets unless ``config`` says otherwise. ``HOME`` and ``DATABASE_URL``
#: are added per server (a temporary directory and the SQLite file in it), so that a
#: ``PAYGROUND_DATABASE_URL`` or ``PAYGROUND_REDIS_URL`` meant for a real deployment never
#: reaches a test; nor do the deployment's other ``PAYGROUND_*`` settings about its network
#: (allowed webhook hosts, public URL, trusted proxies), which would refuse webhooks to the
#: loopback or send error links to the deployment.
TEST_DEFAULTS: dict[str, Any] = {
    "TESTING": True,
    # Tests sign up and call the API far faster than a person; limits would only add flakes.
    "RATE_LIMITS": "off",
    # Nor a log-in throttle: a suite that checks its wrong-password handling a few times must
    # not find every later log-in of the session refused. (Pass "5/1m" to test it; its
    # per-email budget, LOGIN_EMAIL_FAILURE_LIMIT, is off while this is.)
    "LOGIN_FAILURE_LIMIT": "off",
    # Nor the failed-authentication throttle, which RATE_LIMITS turns on with itself: every
    # test calls from 127.0.0.1, so a session with limits on (to test 429s) would, after ten
    # tests of a bad key's 401, see every request of every later test refused for a minute.
    # (Pass "10/1m" to test it; it needs RATE_LIMITS on.)
    "AUTH_FAILURE_LIMIT": "off",
    # scrypt with the production cost takes ~50 ms per sign-up; 2**10 is ~16x faster and
    # still a real scrypt hash. Never use it for accounts that guard anything.
    "PASSWORD_COST": 2**10,
    "REDIS_URL": None,
    "WEBHOOK_ALLOWED_HOSTS": "",
    "PUBLIC_URL": None,
    "TRUSTED_PROXIES": "",
}

_START_TIMEOUT = 30.0
_emails = itertools.count(1)
# Every server that is running, so the pytest plugin can stop strays at session end.
_running: weakref.WeakSet[Server] = weakref.WeakSet()


class Server:
    """Serve the real Payground app on a free loopback port, in a background thread.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`)::

        with payground.testing.Server() as server:
            account = server.signup()
            requests.get(server.url_for("/v1/customers"),
                         headers={"Authorization": f"Bearer {account.secret_key}"})

    The app is built by :func:`payground.create_app` from :data:`TEST_DEFAULTS`
    (``TESTING=True``, ``RATE_LIMITS="off"``, ``LOGIN_FAILURE_LIMIT="off"``,
    ``AUTH_FAILURE_LIMIT="off"``, ``PASSWORD_COST=2**10`` - a weaker scrypt
    cost that makes sign-ups fast, fine for throwaway test accounts only; no Redis, allowed
    webhook hosts, public URL or trusted proxies, whatever ``PAYGROUND_*`` says), updated
    with ``config``. Unless ``config`` gives ``HOME``, each start uses a new temporary
    ``PAYGROUND_HOME`` (``tempfile.mkdtemp``) holding the SQLite database and the key pepper,
    and :meth:`stop` deletes it. Unless ``config`` gives ``DATABASE_URL``, the database is
    the SQLite file in that home, whatever ``PAYGROUND_DATABASE_URL`` says.

    Requests are served by werkzeug's threaded server, one thread per request, so a test can
    send concurrent requests. An exception that escapes a view is answered with Stripe's
    ``500 api_error`` as usual, and is also kept: :meth:`check_errors` re-raises it in the
    test's thread.

    :param config: settings for :func:`payground.create_app`; they win over
        :data:`TEST_DEFAULTS` and over ``PAYGROUND_*`` environment variables.
    :param host: the address to listen on; keep the loopback default unless the server must
        be reachable from elsewhere (a container, another machine).
    :param port: the port to listen on; ``0`` picks a free one (see :attr:`url`).

    .. versionadded:: 0.1
    """

    def __init__(self, config: Mapping[str, Any] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config: dict[str, Any] = dict(config or {})
        self.host = host
        self.port = port
        #: The Flask app being served, once started (``None`` before).
        self.app: Flask | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._temp_home: str | None = None
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Server:
        """Build the app and start serving it; returns once the server accepts connections.

        :returns: the server itself, so ``server = Server().start()`` works.
        :raises RuntimeError: if the server is already running, or did not come up in time.
        :raises OSError: if the address cannot be bound (the port is taken, say).
        :raises Exception: whatever :func:`payground.create_app` raises for a bad ``config``.

        .. versionadded:: 0.1
        """
        if self.is_running:
            raise RuntimeError(f"this Payground server is already running at {self.url}")
        from payground import create_app
        from payground.config import sqlite_url

        settings = {**TEST_DEFAULTS, **self.config}
        if not settings.get("HOME"):
            self._temp_home = tempfile.mkdtemp(prefix="payground-")
            settings["HOME"] = self._temp_home
        if not settings.get("DATABASE_URL"):
            settings["DATABASE_URL"] = sqlite_url(os.path.join(settings["HOME"], "payground.db"))
        try:
            self.app = create_app(settings)
            # Tests may share the database with other servers (pytest-xdist workers given one
            # DATABASE_URL): wait_for_webhooks must wait for what they send of this one's.
            self.app.extensions["payground"].webhooks.watch_queued = True
            self._capture_errors(self.app)
            self._ready.clear()
            self._startup_error = None
            self._thread = threading.Thread(target=self._serve, name="payground-server",
                                            daemon=True)
            self._thread.start()
            if not self._ready.wait(_START_TIMEOUT):
                raise RuntimeError("the Payground server did not start within "
                                   f"{_START_TIMEOUT:.0f} seconds")
            if self._startup_error is not None:
                raise self._startup_error
        except BaseException:
            self._cleanup()
            raise
        _running.add(self)
        return self

    def stop(self) -> None:
        """Stop serving, release the port and delete the temporary ``PAYGROUND_HOME``.

        Requests still in flight are abandoned. Errors collected so far are kept for
        :meth:`check_errors`. Stopping a server that is not running does nothing.

        .. versionadded:: 0.1
        """
        if self._server is not None and self.is_running:
            self._server.shutdown()  # returns once serve_forever has returned
        if self._thread is not None:
            self._thread.join()
        self._cleanup()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def is_running(self) -> bool:
        """Whether the server is serving requests.

        .. versionadded:: 0.1
        """
        return self._thread is not None and self._thread.is_alive()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:<port>`` (no trailing slash).

        Give it to the official SDK as ``stripe.api_base``.

        :raises RuntimeError: if the server is not running.

        .. versionadded:: 0.1
        """
        if self._server is None:
            raise RuntimeError("the Payground server is not running; call start() first")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._server.port}"

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this server.

        :param path: a path such as ``/v1/customers`` (the leading slash is optional) and,
            if needed, its query string.
        :raises RuntimeError: if the server is not running.

        .. versionadded:: 0.1
        """
        return urljoin(self.url + "/", path.lstrip("/"))

    # -- errors ------------------------------------------------------------------------------

    def check_errors(self) -> None:
        """Re-raise, in the calling thread, the first exception the server caught.

        An exception that escapes a view (or the app around it) is answered with a 500 in
        the server's thread, where the test cannot see it; this brings it back. The
        fixtures call it when each test ends and when the session ends. The collected errors
        are cleared, so each is raised once; if there were several, a note on the raised
        exception lists the others.

        :raises BaseException: the first collected exception, unchanged (so
            ``pytest.raises(ZeroDivisionError)`` works).

        .. versionadded:: 0.1
        """
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if not errors:
            return
        first, others = errors[0], errors[1:]
        if hasattr(first, "add_note"):  # Python 3.11+
            first.add_note("(raised in the Payground test server's thread)")
            for other in others:
                first.add_note(f"the server also raised {other!r}")
        raise first

    # -- webhooks ----------------------------------------------------------------------------

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Wait until every webhook delivery due now has been attempted.

        Deliveries are sent by a background thread after the request that caused the event
        has answered; call this before checking what your webhook handler received::

            stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
            server.wait_for_webhooks()
            assert received[-1]["type"] == "charge.succeeded"

        Retries that wait on the account's clock are not due until it is advanced. On a
        database other servers share (pytest-xdist workers given one ``DATABASE_URL``), the
        deliveries this server queued that another one is sending are waited for too.

        :raises TimeoutError: if deliveries were still being attempted after ``timeout`` s.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        if self.app is None:
            raise RuntimeError("this Payground server has not been started")
        if not self.app.extensions["payground"].webhooks.wait_idle(timeout):
            raise TimeoutError(f"webhook deliveries still running after {timeout} s")

    # -- accounts ----------------------------------------------------------------------------

    def signup(self, email: str | None = None,
               password: str = "correct horse battery staple") -> Account:
        """Sign up a new account through ``POST /sandbox/signup``.

        :param email: the account's email address; a unique ``@example.com`` address when
            omitted.
        :param password: the account's password (at least 8 characters).
        :returns: an :class:`Account` holding the session and the test keys.
        :raises requests.HTTPError: if Payground refuses the sign-up (the email is taken,
            the password is too short); the message is Payground's.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        import requests

        if email is None:
            email = f"user{next(_emails)}-{secrets.token_hex(4)}@example.com"
        response = requests.post(self.url_for("/sandbox/signup"),
                                 json={"email": email, "password": password}, timeout=30)
        body = _expect(response, 201)
        return Account(server=self, id=body["account"]["id"], email=body["account"]["email"],
                       session=body["session"], secret_key=body["keys"]["secret"],
                       publishable_key=body["keys"]["publishable"])

    # -- internals ---------------------------------------------------------------------------

    def _serve(self) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            # No access log line per request; errors are still logged (and collected).
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        try:
            # Bind here rather than in make_server: on a taken port werkzeug prints to
            # stderr and calls sys.exit(1); create_server raises a plain OSError instead.
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            with socket.create_server((self.host, self.port), family=family) as sock:
                self._server = make_server(self.host, self.port, self._wsgi, threaded=True,
                                           request_handler=QuietHandler, fd=sock.fileno())
        except BaseException as error:  # reported by start(), in the caller's thread
            self._startup_error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            self._server.serve_forever(poll_interval=0.05)
        except BaseException as error:  # pragma: no cover - serve_forever itself failing
            self._record(error)

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        # Catches what Flask lets through: errors in error handlers or after_request hooks
        # (TESTING propagates them), and anything in the WSGI layer.
        try:
            return self.app(environ, start_response)  # type: ignore[misc]
        except Exception as error:
            self._record(error)
            raise

    def _capture_errors(self, app: Flask) -> None:
        from flask import got_request_exception

        # The app's catch-all handler renders unexpected exceptions as a Stripe 500 and
        # sends `got_request_exception` (so does Flask for errors no handler took).
        got_request_exception.connect(self._on_request_exception, app, weak=False)

    def _on_request_exception(self, sender: Any, exception: BaseException, **extra: Any) -> None:
        self._record(exception)

    def _record(self, error: BaseException) -> None:
        with self._errors_lock:
            if not any(error is seen for seen in self._errors):
                self._errors.append(error)

    def _cleanup(self) -> None:
        _running.discard(self)
        if self._server is not None:
            self._server.server_close()
            self._server = None
        self._thread = None
        if self.app is not None:
            from flask import got_request_exception

            from ..app import dispose_app

            got_request_exception.disconnect(self._on_request_exception, self.app)
            dispose_app(self.app)  # log rows written, SQLite files closed before deleting them
        if self._temp_home is not None:
            shutil.rmtree(self._temp_home, ignore_errors=True)
            self._temp_home = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<payground.testing.Server {where}>"


class Account:
    """A signed-up account on a test :class:`Server`, with its keys and a few helpers.

    Made by :meth:`Server.signup` (and the ``payground_account`` fixture); not meant to be
    built by hand. Secret keys are available here because the sign-up response showed them
    once, and this object remembered them.

    .. attribute:: server

       The :class:`Server` the account lives on.

    .. attribute:: id

       The account's id (``acct_...``).

    .. attribute:: email

    .. attribute:: session

       The sandbox session token (``sess_...``) for ``/sandbox`` calls.

    .. attribute:: secret_key

       The test-mode secret key (``sk_test_...``).

    .. attribute:: publishable_key

       The test-mode publishable key (``pk_test_...``).

    .. attribute:: live_secret_key

       The live-mode secret key once :meth:`activate_live` was called, else ``None``.

    .. attribute:: live_publishable_key

       The live-mode publishable key once :meth:`activate_live` was called, else ``None``.

    .. versionadded:: 0.1
    """

    def __init__(self, *, server: Server, id: str, email: str, session: str, secret_key: str,
                 publishable_key: str) -> None:
        self.server = server
        self.id = id
        self.email = email
        self.session = session
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.live_secret_key: str | None = None
        self.live_publishable_key: str | None = None

    def request(self, method: str, path: str, key: str | None = None,
                **kwargs: Any) -> requests.Response:
        """Send a request to the server, authenticated with one of this account's keys.

        Nothing is checked: the response is returned whatever its status, so tests can
        assert on errors too.

        :param method: ``GET``, ``POST``, ``DELETE`` ...
        :param path: the path, such as ``/v1/customers``.
        :param key: the key for ``Authorization: Bearer``; the test secret key when omitted
            (``None``), sent as given otherwise, even empty. A ``sess_...`` token works too,
            for ``/sandbox`` routes. To send no ``Authorization`` header at all, pass
            ``headers={"Authorization": None}``.
        :param kwargs: passed to :func:`requests.request` (``data=`` for Stripe's form
            bodies, ``json=``, ``params=``, ``headers=`` to add or override headers).
        :returns: the :class:`requests.Response`.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        import requests

        # `is None`, not `or`: a test that sends an empty key (an unset variable) must get
        # the 401 its client would get, not quietly the account's secret key.
        headers = {"Authorization": f"Bearer {self.secret_key if key is None else key}",
                   **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.server.url_for(path), headers=headers, **kwargs)

    def activate_live(self, **details: Any) -> str:
        """Activate live mode (``POST /sandbox/account/activate``) and keep the live keys.

        :param details: ``business_name``, ``country``, ``bank_account`` (a dict with
            ``routing_number`` and ``account_number``); Payground invents what is missing.
        :returns: the live secret key (``sk_live_...``), also kept as
            :attr:`live_secret_key`, with the publishable one as :attr:`live_publishable_key`.
        :raises requests.HTTPError: if Payground refuses (live mode is already active).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", "/sandbox/account/activate", key=self.session,
                                json=details)
        keys = _expect(response, 201)["keys"]
        self.live_secret_key = keys["secret"]
        self.live_publishable_key = keys["publishable"]
        return self.live_secret_key

    def create_key(self, type: str = "restricted", *, permissions: list[str] | None = None,
                   livemode: bool = False, name: str | None = None, note: str | None = None,
                   ip_allowlist: list[str] | None = None) -> str:
        """Create a key (``POST /sandbox/keys``) and return its secret, shown this once.

        :param type: ``"restricted"`` (needs ``permissions``, e.g. ``["charge_read"]``) or
            ``"secret"``.
        :raises requests.HTTPError: if Payground refuses (unknown permission, live mode not
            activated ...).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        body = {"type": type, "livemode": livemode, "permissions": permissions, "name": name,
                "note": note, "ip_allowlist": ip_allowlist}
        response = self.request("POST", "/sandbox/keys", key=self.session,
                                json={k: v for k, v in body.items() if v is not None})
        return _expect(response, 201)["secret"]

    def roll(self, key: str, expires_in: int = 0) -> str:
        """Roll ``key`` (a full key or a ``key_...`` id); returns the new key.

        The old key keeps working for ``expires_in`` seconds of the account's clock.
        :attr:`secret_key` (which :meth:`request` sends by default) and the key the
        ``payground_stripe`` fixture set are not changed: rolling :attr:`secret_key`, assign
        the new key to it (and to ``stripe.api_key``) if later calls should use it.

        :raises requests.HTTPError: if Payground refuses (the key was rolled already, expired
            or was revoked; ``expires_in`` is over 7 days).
        :raises LookupError: if a full key given is not one of this account's.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", f"/sandbox/keys/{self._key_id(key)}/roll",
                                key=self.session, json={"expires_in": expires_in})
        return _expect(response, 201)["secret"]

    def revoke(self, key: str) -> None:
        """Revoke ``key`` (a full key or a ``key_...`` id): its next request fails.

        :raises requests.HTTPError: if Payground refuses (already revoked, a publishable key).
        :raises LookupError: if a full key given is not one of this account's.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", f"/sandbox/keys/{self._key_id(key)}/revoke",
                                key=self.session)
        _expect(response, 200)

    def roll_webhook_secret(self, endpoint_id: str, expires_in: int = 0) -> str:
        """Give webhook endpoint ``endpoint_id`` a new signing secret; returns it.

        For ``expires_in`` seconds of the account's clock (at most a day) deliveries carry
        signatures made with the old secret too, so a handler can switch without refusing
        one.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", f"/sandbox/webhook_endpoints/{endpoint_id}/roll",
                                key=self.session, json={"expires_in": expires_in})
        return _expect(response, 200)["secret"]

    def advance_clock(self, seconds: int) -> int:
        """Move this account's clock forward; returns the account's new time (Unix seconds).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", "/sandbox/clock/advance", key=self.session,
                                json={"seconds": seconds})
        return _expect(response, 200)["now"]

    def use_test_bank_account(self, account_number: str) -> dict[str, Any]:
        """Send later test-mode payouts to one of Stripe's test bank accounts
        (``POST /sandbox/bank``); returns that bank account (``ba_...``).

        ``000123456789`` is paid; ``000111111116`` (``no_account``), ``000111111113``
        (``account_closed``), ``000222222227`` (``insufficient_funds``), ``000333333335``
        (``debit_not_authorized``) and ``000444444440`` (``invalid_currency``) make a payout
        fail on its arrival date, its money back in the available balance.

        :raises requests.HTTPError: if Payground refuses (not one of those numbers).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", "/sandbox/bank", key=self.session,
                                json={"bank_account": {"account_number": account_number}})
        return _expect(response, 201)

    def start_leak_drill(self, key: str | None = None) -> dict[str, Any]:
        """Treat ``key`` (a full key or a ``key_...`` id; the test secret key when omitted) as
        pushed to a public repository now; returns the drill (``POST /sandbox/leak_drills``).

        Bots use the key from two minutes later on the account's clock: move it with
        :meth:`advance_clock`, then read :meth:`leak_drill`.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("POST", "/sandbox/leak_drills", key=self.session,
                                json={"key": self._key_id(self.secret_key if key is None
                                                          else key)})
        return _expect(response, 201)

    def leak_drill(self, drill_id: str) -> dict[str, Any]:
        """A drill as it stands now: ``status`` (``exposed`` or ``contained``),
        ``exposure_seconds``, ``bot_requests``, ``bots_got`` ...

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        response = self.request("GET", f"/sandbox/leak_drills/{drill_id}", key=self.session)
        return _expect(response, 200)

    # -- Connect OAuth ----------------------------------------------------------------------

    def connect_application(self, redirect_uris: list[str] | None = None, *,
                            name: str | None = None, livemode: bool = False) -> dict[str, Any]:
        """Make this account a Connect platform: create or update its OAuth application of
        the mode (``POST /sandbox/connect``); returns it (``client_id``, ``name``,
        ``redirect_uris`` ...). Calling it again keeps the ``client_id``.

        :param redirect_uris: where the consent page may send the browser back; omitted,
            those the application has already, or ``["http://localhost/callback"]`` (never
            called: :meth:`connect` reads the redirect itself).
        :param name: what the consent page shows; omitted, the application's name already,
            or ``"Payground test app"``.
        :param livemode: the live-mode application (live mode must be activated).
        :raises requests.HTTPError: if Payground refuses (a redirect URI that is not an
            absolute http(s) URL, more than 10 ...), with its message.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        from .oauth import DEFAULT_REDIRECT_URI

        existing = self._application(livemode) or {}
        body = {"livemode": livemode,
                "name": name or existing.get("name") or "Payground test app",
                "redirect_uris": (redirect_uris or existing.get("redirect_uris")
                                  or [DEFAULT_REDIRECT_URI])}
        return _expect(self.request("POST", "/sandbox/connect", key=self.session, json=body),
                       200)

    def authorize(self, platform: Account | str, scope: str = "read_write", *,
                  livemode: bool = False, redirect_uri: str | None = None,
                  state: str | None = None) -> dict[str, str]:
        """Approve a platform's application as this account's owner does (``/oauth/authorize``,
        Connect pressed on the dashboard's consent page with this account's session), without
        exchanging the code: for testing the platform's own callback, which does that.

        Returns what the consent page sends the browser to: ``url`` (the redirect URI with the
        query), ``code`` (``ac_...``: it works once, within five minutes of the platform's
        clock), ``scope`` and, when one was sent, ``state``. The connection exists from here
        on (its ``account.application.authorized`` event is sent now).

        :param platform: the platform's :class:`Account` (its application of ``livemode`` is
            made if it has none, as :meth:`connect_application` does), or an application's
            ``client_id`` (``ca_...``).
        :param scope: ``"read_write"`` or ``"read_only"``.
        :param livemode: with a platform :class:`Account`, its live application (both
            accounts need live mode activated).
        :param redirect_uri: one of the application's redirect URIs (its first by default).
        :param state: sent through the flow as a platform would.
        :raises requests.HTTPError: a refusal on the way, with Payground's message (an
            account approving its own application, live mode not activated, an unknown
            ``client_id``, a redirect URI not registered, an unknown scope ...).
        :raises ValueError: ``livemode=True`` with a platform :class:`Account` that has no
            live application and whose live mode :meth:`activate_live` did not activate.

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        from urllib.parse import urlencode

        from . import oauth

        client_id = platform
        if isinstance(platform, Account):
            # Its application as it is (saving it again would add an audit event), or a new one.
            application = platform._application(livemode)
            if application is None and livemode and platform.live_secret_key is None:
                raise ValueError(f"the platform {platform.id} has no live-mode application: "
                                 "activate its live mode with activate_live() first")
            client_id = (application or platform.connect_application(livemode=livemode))[
                "client_id"]
        query = urlencode({k: v for k, v in {
            "response_type": "code", "client_id": client_id, "scope": scope,
            "redirect_uri": redirect_uri, "state": state}.items() if v is not None})
        back = oauth.approve(self.server, self.session, query)
        return {"url": back, **oauth.query_of(back)}

    def connect(self, platform: Account | str, scope: str = "read_write", *,
                livemode: bool = False, redirect_uri: str | None = None,
                state: str | None = None, platform_key: str | None = None) -> dict[str, Any]:
        """Connect this account to a platform's application through the real Connect OAuth
        flow: :meth:`authorize` (``/oauth/authorize``, Connect pressed on the dashboard's
        consent page with this account's session), then ``POST /oauth/token`` with the
        platform's secret key.

        Returns the token response, as the platform gets it: ``access_token`` (an
        ``sk_``/``rk_`` key of this account), ``refresh_token``, ``stripe_user_id`` (this
        account's id, for ``Stripe-Account`` / ``stripe_account=``), ``scope``,
        ``livemode``, ``stripe_publishable_key``. Connected already, the connection gets the
        scope asked now (and a new access token); ``read_only`` after ``read_write`` revokes
        the connection's earlier ``read_write`` tokens and refresh tokens.

        :param platform: the platform's :class:`Account` (its application of ``livemode`` is
            made if it has none, as :meth:`connect_application` does, and its secret key of
            that mode exchanges the code), or an application's ``client_id`` (``ca_...``;
            give the platform's secret key as ``platform_key``).
        :param scope: ``"read_write"`` or ``"read_only"``.
        :param livemode: with a platform :class:`Account`, connect to its live application
            (both accounts need live mode activated).
        :param redirect_uri: one of the application's redirect URIs (its first by default).
        :param state: sent through the flow as a platform would.
        :param platform_key: the key that exchanges the code; the platform's secret key of
            the mode when omitted.
        :raises requests.HTTPError: a refusal on the way, with Payground's message (an
            account connecting to its own application, live mode not activated, an unknown
            ``client_id``, a key of the other mode ...).
        :raises ValueError: before any request, a ``client_id`` without ``platform_key``, or
            ``livemode=True`` with a platform :class:`Account` whose live key this object
            does not hold (call its :meth:`activate_live` first).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        from . import oauth

        if isinstance(platform, Account) and not platform_key:
            platform_key = platform.live_secret_key if livemode else platform.secret_key
            if not platform_key:
                raise ValueError(f"connect(livemode=True) needs the platform's live secret key: "
                                 f"activate {platform.id}'s live mode with activate_live() "
                                 "first (or pass platform_key=)")
        if not platform_key:
            raise ValueError("connect() needs the platform's secret key to exchange the code: "
                             "pass platform_key=")
        back = self.authorize(platform, scope, livemode=livemode, redirect_uri=redirect_uri,
                              state=state)
        return oauth.exchange(self.server, platform_key, back["code"])

    def disconnect(self, connection: Account | str, *, livemode: bool = False) -> dict[str, Any]:
        """Disconnect an application from this account (``POST
        /sandbox/connections/<id>/revoke``): its access tokens are refused from the next
        request on. Returns the connection (``revoked_at`` set).

        :param connection: the connection's id (``conn_...``), the application's
            ``client_id`` (``ca_...``), or the platform's :class:`Account`: its connection
            that is not revoked.
        :param livemode: with a platform :class:`Account`, its live application's connection.
        :raises LookupError: a ``client_id`` or platform this account has no active
            connection to (in that mode).
        :raises requests.HTTPError: if Payground refuses (revoked already, unknown id).

        .. versionadded:: 0.1
        """
        __tracebackhide__ = True  # see _expect
        connection_id = connection
        if isinstance(connection, Account) or connection.startswith("ca_"):
            def matches(c: dict[str, Any]) -> bool:
                if isinstance(connection, Account):
                    return c["platform"] == connection.id and c["livemode"] == livemode
                return c["application"]["client_id"] == connection

            listed = _expect(self.request("GET", "/sandbox/connections", key=self.session),
                             200)["data"]
            connection_id = next((c["id"] for c in listed
                                  if c["revoked_at"] is None and matches(c)), "")
            if not connection_id:
                to = (f"{connection.id}'s {'live' if livemode else 'test'}-mode application"
                      if isinstance(connection, Account) else connection)
                raise LookupError(f"account {self.id} has no active connection to {to}")
        response = self.request("POST", f"/sandbox/connections/{connection_id}/revoke",
                                key=self.session)
        return _expect(response, 200)

    def _application(self, livemode: bool) -> dict[str, Any] | None:
        __tracebackhide__ = True  # see _expect
        listed = _expect(self.request("GET", "/sandbox/connect", key=self.session), 200)
        return next((a for a in listed["data"] if a["livemode"] == livemode), None)

    def _key_id(self, key: str) -> str:
        __tracebackhide__ = True  # see _expect
        if key.startswith("key_"):
            return key
        redacted = f"{key[:8]}...{key[-4:]}"
        listed = _expect(self.request("GET", "/sandbox/keys", key=self.session), 200)["data"]
        for item in listed:
            if item["redacted"] == redacted:
                return item["id"]
        raise LookupError(f"{redacted} is not a key of account {self.id}")

    def __repr__(self) -> str:
        return f"<payground.testing.Account {self.id} {self.email}>"


def _expect(response: requests.Response, status: int) -> dict[str, Any]:
    """The JSON body of ``response``, or an ``HTTPError`` carrying Payground's message (and
    the parameter it is about, when the message does not name it).

    This function and the helpers that call it set ``__tracebackhide__``: pytest leaves their
    frames out of a failing test's report, which would otherwise print their arguments (a
    full key given to ``roll``/``revoke``, the session token given to ``request``) - the
    innermost frame's always, every frame's with ``--tb=long``. The report then points at
    the test's own line, and this error says what the server refused; ``--fulltrace``
    still shows every frame."""
    __tracebackhide__ = True
    import requests

    from ..errors import error_line

    if response.status_code != status:
        try:
            message = error_line(response.json()["error"], response.status_code)
        except (ValueError, KeyError, TypeError, AttributeError):
            message = response.text[:500]
        raise requests.HTTPError(
            f"{response.request.method} {response.url} -> {response.status_code}: {message}",
            response=response)
    return response.json()
