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
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, request, url_for
from werkzeug.exceptions import Conflict

from .. import messages
from ..http.context import state
from ..models.base import db
from ..services import form_nonces
from .csrf import CsrfRefused

FIELD = "form_nonce"
_PURPOSE = b"payground-dashboard-form-nonce\x00"


class FormAlreadySent(Conflict):
    """A form sent again with the nonce an earlier sending spent (409): nothing was done."""

    def __init__(self, message: str, back: str, back_label: str) -> None:
        super().__init__(message)
        self.back, self.back_label = back, back_label


def _mac(session_token: str, value: str) -> str:
    return hmac.new(state().pepper.encode(), _PURPOSE + session_token.encode() + b"\x00"
                    + value.encode(), hashlib.sha256).hexdigest()


def form_nonce() -> str:
    """A new nonce for a form of this page (a Jinja global: ``{{ form_nonce() }}``)."""
    value = secrets.token_hex(16)
    return f"{value}.{_mac(g.session_token, value)}"


@contextmanager
def once(done: str, back: str, back_label: str) -> Iterator[None]:
    """Run the block (the service call) only if this form's nonce is unspent, and spend it in
    the block's transaction: committed with what the block did, rolled back if it fails.

    A POST without the field (a script's; a page's form always has it) is not checked.

    :param done: what the first sending did, for the page a second one gets
        (``messages.DASHBOARD_..._BEFORE``).
    :param back: the endpoint of the page it links back to, with ``back_label``.
    :raises FormAlreadySent: an earlier sending of this form spent the nonce.
    :raises CsrfRefused: the nonce is not one this session's pages were given.
    """
    sent = request.form.get(FIELD, "")
    if not sent:
        yield
        return
    value, _, mac = sent.partition(".")
    token = g.get("session_token")
    if not (token and value and hmac.compare_digest(mac.encode(), _mac(token, value).encode())):
        raise CsrfRefused()
    try:
        form_nonces.spend(value, now=state().clock.now())
    except form_nonces.NonceSpent:
        raise FormAlreadySent(messages.DASHBOARD_FORM_ALREADY_SENT.format(done=done),
                              url_for(back), back_label) from None
    try:
        yield
    except BaseException:
        db.session.rollback()  # the nonce stays unspent: the corrected form can be sent
        raise
    db.session.commit()  # the services commit; this one makes sure the nonce goes with them
