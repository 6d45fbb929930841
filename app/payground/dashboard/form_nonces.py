"""One-time form nonces: a form that creates or rolls something acts once, however often the
browser sends it.

Reloading the page that answered "Create key", or going Back and confirming the browser's
"send the form again?", sends the same POST again: a second key, a second endpoint, a second
roll. Post/Redirect/Get cannot help where the answer shows a new secret once: a page to
redirect to would have to be able to show it again. So each such form carries a nonce
(``form_nonce``): random, tied to the session by an HMAC under the server's secret (as the
CSRF token is), and spent in the database in the same transaction as what the form does. A
second sending finds it spent, does nothing and is answered ``409`` with a page saying so;
the secret is not shown again. A form refused (a wrong field) spends nothing.

A double click is such a second sending too, and the one whose answer the browser shows:
the first sending's answer, with the secret, is dropped. (The sending that spends the nonce
first is the one that acts: should the second overtake the first on the way to the database,
it acts and shows the secret, and the dropped answer is the first's ``409``.) So the page
names what the first sending made where it can (the nonce keeps that sending's
``Request-Id``, and the audit trail what the request did) and links to rolling it.
``dashboard.js`` disables a form's button once it is sent, which spares most people that
page; without the script the nonce still holds.

Before log-in (the sign-up form) the nonce is tied to the pre-session CSRF cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import g, request, url_for
from werkzeug.exceptions import Conflict

from .. import messages
from ..http.context import state
from ..models.base import db
from ..services import form_nonces
from . import csrf
from .csrf import CsrfRefused

FIELD = "form_nonce"
_PURPOSE = b"payground-dashboard-form-nonce\x00"
# What the first sending made, from its Request-Id: (address, label) of the page that acts
# on it (rolling the key it showed once), or None when it cannot be told.
Made = Callable[[str], "tuple[str, str] | None"]


class FormAlreadySent(Conflict):
    """A form sent again with the nonce an earlier sending spent (409): nothing was done."""

    def __init__(self, message: str, back: str, back_label: str,
                 action: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.back, self.back_label = back, back_label
        self.action = action


def _mac(seed: str, value: str) -> str:
    return hmac.new(state().pepper.encode(), _PURPOSE + seed.encode() + b"\x00"
                    + value.encode(), hashlib.sha256).hexdigest()


def form_nonce() -> str:
    """A new nonce for a form of this page (a Jinja global: ``{{ form_nonce() }}``)."""
    value = secrets.token_hex(16)
    return f"{value}.{_mac(csrf.page_seed(), value)}"


def _verified(seed: str | None) -> str | None:
    """The random part of the form's nonce if ``seed`` made it; ``None`` if it did not."""
    value, _, mac = request.form.get(FIELD, "").partition(".")
    if seed and value and hmac.compare_digest(mac.encode(), _mac(seed, value).encode()):
        return value
    return None


def _already_sent(value: str, done: str, back: str, back_label: str,
                  made: Made | None) -> FormAlreadySent:
    first = form_nonces.spent(value)
    action = made(first.request_id) if made and first and first.request_id else None
    return FormAlreadySent(messages.DASHBOARD_FORM_ALREADY_SENT.format(done=done),
                           url_for(back), back_label, action)


@contextmanager
def once(done: str, back: str, back_label: str, made: Made | None = None) -> Iterator[None]:
    """Run the block (the service call) only if this form's nonce is unspent, and spend it in
    the block's transaction: committed with what the block did, rolled back if it fails.

    A POST without the field (a script's; a page's form always has it) is not checked.

    :param done: what the first sending did, for the page a second one gets
        (``messages.DASHBOARD_..._BEFORE``).
    :param back: the endpoint of the page it links back to, with ``back_label``.
    :param made: finds what the first sending made from its ``Request-Id``, for that page's
        link to it.
    :raises FormAlreadySent: an earlier sending of this form spent the nonce.
    :raises CsrfRefused: the nonce is not one this browser's pages were given.
    """
    if not request.form.get(FIELD, ""):
        yield
        return
    value = _verified(csrf.request_seed())
    if value is None:
        raise CsrfRefused()
    try:
        form_nonces.spend(value, now=state().clock.now(), request_id=g.get("request_id"))
    except form_nonces.NonceSpent:
        raise _already_sent(value, done, back, back_label, made) from None
    try:
        yield
    except BaseException:
        db.session.rollback()  # the nonce stays unspent: the corrected form can be sent
        raise
    db.session.commit()  # the services commit; this one makes sure the nonce goes with them


def refuse_if_sent_before(seed: str | None, done: str, back: str, back_label: str,
                          made: Made | None = None) -> None:
    """For a form whose answer changed what its nonce is tied to (sign-up: it starts the
    session), sent again: refuse it as ``once`` would if ``seed`` made its nonce and a
    sending spent it; else do nothing (and spend nothing).

    :raises FormAlreadySent: an earlier sending of this form spent the nonce.
    """
    value = _verified(seed)
    if value is not None and form_nonces.spent(value) is not None:
        raise _already_sent(value, done, back, back_label, made)
