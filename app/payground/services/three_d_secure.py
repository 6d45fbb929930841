"""3-D Secure for PaymentIntents and SetupIntents: asking the customer to authenticate, and
the page's answer.

A confirmation whose card wants authentication (``core.three_d_secure``) charges nothing: the
intent waits in ``requires_action`` (``payment_intent.requires_action``), its ``next_action``
pointing at Payground's authentication page, the stand-in for the issuer's
(``/3d_secure/<intent>?token=...``). There, as on Stripe's test page, whoever holds the link
chooses "Complete authentication" (the card is charged: ``succeeded``, ``requires_capture``,
or a decline) or "Fail authentication" (``requires_payment_method``, with
``payment_intent_authentication_failure``), and the browser goes on to the ``return_url``.

The charge a completed authentication makes says so (``details``: Stripe's
``payment_method_details.card.three_d_secure``), declined or not. A payment method detached
while the intent waited still pays for it when the customer completes (they authenticated that
card, and the intent holds it; Stripe is silent here), but nothing else: the intent cannot be
confirmed with it again, and saving it (``setup_future_usage``) does not attach it again.

The link's token is random and belongs to one authentication of one intent (and so to its
account and mode); a later confirmation makes a new one. Without the current token, an intent
is as unknown as a made-up id: the page tells nobody which intents exist.

A SetupIntent (``seti_...``) waits on the same page in the same way (``begin``); its answer
sets the card up or fails the setup (``services.setup_intents.answer``), and the browser goes
back with Stripe's ``setup_intent`` and ``setup_intent_client_secret``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import select

from .. import messages
from ..errors import CardError, InvalidRequestError, ResourceMissing
from ..models.account import Account
from ..models.base import db
from ..models.payment_intent import PaymentIntent
from ..models.setup_intent import SetupIntent
from . import events
from .common import locking

# The page's two answers (``action``), and the authentication's outcome each records.
OUTCOMES = {"complete": "succeeded", "fail": "failed"}
# Where the browser goes once the intent has moved on, as Stripe's redirect_status says it.
SUCCEEDED = ("succeeded", "requires_capture", "processing")
# The 3-D Secure version Stripe's test cards authenticate with.
VERSION = "2.2.0"


def ask(account, livemode: bool, now: int, intent: PaymentIntent, method, *,
        return_url: str | None, page_url: str) -> PaymentIntent:
    """Make ``intent`` wait for the customer to authenticate ``method``; commits.

    :param page_url: the authentication page's address at this server (``.../3d_secure``).
    """
    begin(intent, method, return_url=return_url, page_url=page_url)
    intent.last_payment_error, intent.last_payment_error_method = None, None
    events.emit(account, livemode, now, "payment_intent.requires_action", intent)
    db.session.commit()
    return intent


def begin(intent: PaymentIntent | SetupIntent, method, *, return_url: str | None,
          page_url: str) -> None:
    """Make ``intent`` (either kind) wait in ``requires_action`` for a new authentication of
    ``method``, with a new link; the caller clears its last error, emits and commits."""
    token = secrets.token_hex(24)  # no "_": never read as a key (``core.keys``) in a URL
    if method.customer_id is None:
        # Used without a customer, as a charged one is: no other payment may take it (the
        # customer could then authenticate two payments with one single-use card); this
        # intent still may, while it holds it (``held_method_id``).
        method.spent = True
    intent.payment_method, intent.status = method, "requires_action"
    intent.authentication = {"token": token, "url": f"{page_url}/{intent.id}?token={token}",
                             "return_url": return_url, "outcome": None,
                             "payment_method": method.id, "customer": method.customer_id}


def held_method_id(intent: PaymentIntent | SetupIntent) -> str | None:
    """The payment method ``intent`` holds for an authentication not yet answered: ``ask``
    spent it, and this intent (only) may still be confirmed or updated with it."""
    found = intent.authentication
    if not found or found["outcome"] is not None \
            or found.get("payment_method") != intent.payment_method_id:
        return None  # answered, or the intent has another method now (not spent for it)
    if _detached(found, intent.payment_method):
        return None  # spent for good: only the answer to this authentication may charge it
    return intent.payment_method_id


def details() -> dict:
    """Stripe's ``payment_method_details.card.three_d_secure`` of the charge a completed
    authentication makes: a challenge the customer passed, with 3-D Secure 2. The ECI is
    Visa's "fully authenticated" ``05`` (Stripe's cards that ask are all Visas); the directory
    server's transaction id is a random UUID, as a real one looks."""
    return {"authentication_flow": "challenge", "electronic_commerce_indicator": "05",
            "exemption_indicator": None, "exemption_indicator_applied": False,
            "result": "authenticated", "result_reason": None,
            "transaction_id": str(uuid.uuid4()), "version": VERSION}


def _detached(found: dict, method) -> bool:
    """Whether ``method``, a customer's when the authentication was asked for, has been
    detached since (``POST /v1/payment_methods/{id}/detach``)."""
    return found.get("customer") is not None and method is not None \
        and method.customer_id is None


def awaiting(intent_id: str, token: str | None) -> PaymentIntent | SetupIntent:
    """The intent the page's link names, still waiting for this authentication.

    :raises ResourceMissing: no such intent, or not with this token (404).
    :raises InvalidRequestError: answered already, or the intent has moved on (400).
    """
    return _checked(_find(intent_id, token))


def answer(intent_id: str, token: str | None, action: str | None, *,
           clock) -> tuple[PaymentIntent | SetupIntent, str | None]:
    """Complete (``action=complete``) or fail (``fail``) the authentication; returns the intent
    and where to send the browser (the ``return_url`` with Stripe's parameters), if anywhere.

    Completing charges the card as a confirmation would (a decline leaves the intent in
    ``requires_payment_method``, as ever); failing returns the intent to
    ``requires_payment_method`` with Stripe's ``payment_intent_authentication_failure``.
    Events name no request: the customer acted, not the API (``request.id`` null). The same
    answer given again changes nothing and is answered as the first was.

    :raises ResourceMissing: no such intent, or not with this token (404).
    :raises InvalidRequestError: answered the other way already, the intent has moved on, or
        ``action`` is neither (400). Nothing changes.
    """
    intent = _find(intent_id, token, lock=True)  # two answers at once: one goes through
    if action not in OUTCOMES:
        raise InvalidRequestError(messages.AUTHENTICATION_ACTION_INVALID, param="action")
    outcome = OUTCOMES[action]
    if intent.authentication["outcome"] == outcome:
        # The same answer again: a double click, whose second response is the one the
        # browser shows. It gets the first one's (the return_url, or the page saying it is
        # done), not an error page that strands the customer; nothing moves twice.
        return intent, _return_to(intent)
    _checked(intent)
    from .payment_intents import charge_intent  # imports this module

    account = db.session.get(Account, intent.account_id)
    now, method = clock.for_account(account), intent.payment_method
    intent.authentication = {**intent.authentication, "outcome": outcome}
    reusable = not _detached(intent.authentication, method)
    with events.by_the_customer():
        if isinstance(intent, SetupIntent):
            from .setup_intents import answer as set_up  # imports this module

            set_up(account, now, intent, method, completed=action == "complete",
                   reusable=reusable)
        elif action == "complete":
            try:
                charge_intent(account, intent.livemode, now, intent, method,
                              authenticated=details(), reusable=reusable)
            except CardError:
                pass  # declined after all (it is committed): the intent says so
        else:
            failure = InvalidRequestError(messages.INTENT_AUTHENTICATION_FAILURE,
                                          code="payment_intent_authentication_failure")
            intent.status, intent.payment_method = "requires_payment_method", None
            intent.last_payment_error = {**failure.to_dict(), "payment_method_type": "card"}
            intent.last_payment_error_method = method
            events.emit(account, intent.livemode, now, "payment_intent.payment_failed", intent)
            db.session.commit()
    return intent, _return_to(intent)


def _find(intent_id: str, token: str | None, *,
          lock: bool = False) -> PaymentIntent | SetupIntent:
    # Any account's intent: the token, not a key, says who may answer. The id's prefix says
    # which kind it is (ids are made with their model's prefix, and no prefix is another's).
    model = SetupIntent if intent_id.startswith(SetupIntent.id_prefix) else PaymentIntent
    query = select(model).where(model.id == intent_id)
    intent = _with_token(db.session.execute(query).scalar_one_or_none(), token)
    if lock:
        # Only once the token matched: a wrong link must not lock (and so wait on, or hold
        # up) an intent it cannot answer. Read again, locked: a confirmation may have just
        # replaced the authentication.
        intent = _with_token(db.session.execute(locking(query)).scalar_one_or_none(), token)
    return intent


def _with_token(intent, token: str | None):
    found = intent.authentication if intent is not None else None
    if not token or not found or not hmac.compare_digest(token.encode(),
                                                          found["token"].encode()):
        raise ResourceMissing(messages.AUTHENTICATION_NOT_FOUND)
    return intent


def noun(intent: PaymentIntent | SetupIntent) -> str:
    """How the page and its messages name ``intent``'s kind."""
    return "SetupIntent" if isinstance(intent, SetupIntent) else "PaymentIntent"


def _checked(intent):
    outcome = intent.authentication["outcome"]
    if outcome is not None:
        raise InvalidRequestError(messages.AUTHENTICATION_FINISHED.format(
            outcome="completed" if outcome == "succeeded" else "failed", noun=noun(intent),
            status=intent.status))
    if intent.status != "requires_action":  # canceled, updated, or confirmed without it
        raise InvalidRequestError(messages.AUTHENTICATION_NOT_AWAITED.format(
            noun=noun(intent), status=intent.status))
    return intent


def _return_to(intent) -> str | None:
    """The ``return_url`` with Stripe's ``payment_intent``, ``payment_intent_client_secret``
    (a SetupIntent's: ``setup_intent``, ``setup_intent_client_secret``) and
    ``redirect_status`` added (after the merchant's own query, left as it was)."""
    return_url = intent.authentication.get("return_url")
    if not return_url:
        return None
    status = "succeeded" if intent.status in SUCCEEDED else "failed"
    ours = urlencode({intent.object: intent.id,
                      f"{intent.object}_client_secret": intent.client_secret,
                      "redirect_status": status})
    parts = urlsplit(return_url)
    query = f"{parts.query}&{ours}" if parts.query else ours
    return urlunsplit(parts._replace(query=query))
