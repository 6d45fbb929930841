"""SetupIntents: create, retrieve, update, confirm, cancel, list.

A SetupIntent saves a card for later payments without charging it. Statuses:
``requires_payment_method`` -> (a payment method is set) ``requires_confirmation`` ->
(confirm) ``succeeded``; a card that wants 3-D Secure waits in ``requires_action`` for the
customer on the authentication page (``services.three_d_secure``), which completes the setup
(``answer``) or fails it. A decline, or a failed authentication, goes back to
``requires_payment_method`` with ``last_setup_error``. Any status but ``succeeded`` can be
``canceled``.

Confirming asks the card's issuer to verify it, as a zero-amount authorisation (no charge, no
money, nothing in the ledger): a card Payground's issuer declines on a charge is declined here
with the same 402, except Stripe's cards that are declined only when charged
(``cards.decide_setup``: ``4000000000000341`` and ``4000008260003178``). A setup is on session
(the customer is there), so every 3-D Secure test card asks (``core.three_d_secure``), except
the one that only asks when a payment requests it; live mode's simulated issuer never asks. A
card set up (``succeeded``) is attached to the intent's customer, if it has one; with
``usage=off_session`` (the default) it counts as set up for off-session payments
(``PaymentMethod.set_up``): an off-session PaymentIntent with ``4000002500003155`` then needs no
authentication. ``on_session`` saves it for payments the customer is there for only, and sets up
nothing more. Without a customer, the setup is the one use a payment method attached to nobody
has: it may then be attached to a customer, and nothing else
(``payment_methods.payment_method_to_use``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import messages
from ..core import cards
from ..core import three_d_secure as rules
from ..core.ids import new_id
from ..errors import CardError, InvalidRequestError
from ..models.base import db
from ..models.payment_method import PaymentMethod
from ..models.setup_intent import SetupIntent
from . import events, payment_methods, three_d_secure
from .common import (Page, check_client_secret, clean_metadata, get_scoped, merge_metadata,
                     new_object_id, paginate)
from .customers import get_customer

UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CONFIRMABLE = CANCELABLE = UPDATABLE
# What changes the setup itself: only before it succeeds, as on Stripe.
SETUP_FIELDS = ("customer", "payment_method", "payment_method_types")


def create_setup_intent(account, livemode: bool, clock, params: dict[str, Any], *,
                        pepper: str, page_url: str = "") -> SetupIntent:
    """Create a SetupIntent, and confirm it at once if ``confirm`` is true.

    :param page_url: where the 3-D Secure page is served (as for PaymentIntents).
    :raises InvalidRequestError: an unusable payment method, or ``confirm`` without one
        (``setup_intent_unexpected_state``).
    :raises CardError: confirming was declined (the intent exists, and is named).
    """
    now = clock.for_account(account)
    customer = None
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer")
    method = None
    if params.get("payment_method"):
        method = _method_to_use(account, livemode, params["payment_method"], customer, now,
                                pepper=pepper)
    if params.get("confirm") and method is None:
        raise _unexpected_state(messages.SETUP_MISSING_PAYMENT_METHOD)
    intent_id = new_object_id(SetupIntent)
    automatic = params.get("automatic_payment_methods")
    intent = SetupIntent(
        id=intent_id, account_id=account.id, livemode=livemode, created=now,
        customer=customer, payment_method=method,
        status="requires_confirmation" if method else "requires_payment_method",
        usage=params.get("usage", "off_session"),
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        description=params.get("description"),
        metadata_=clean_metadata(params.get("metadata")),
        payment_method_types=params.get("payment_method_types") or ["card"],
        automatic_payment_methods=None if automatic is None else {
            "allow_redirects": automatic.get("allow_redirects", "always"),
            "enabled": automatic["enabled"]})
    db.session.add(intent)
    events.emit(account, livemode, now, "setup_intent.created", intent)
    if params.get("confirm"):
        return _confirm(account, livemode, now, intent, method, params.get("return_url"),
                        page_url)
    db.session.commit()
    return intent


def get_setup_intent(account, livemode: bool, intent_id: str, *,
                     client_secret: str | None = None, publishable: bool = False) -> SetupIntent:
    """The SetupIntent ``intent_id``; a publishable key must show its ``client_secret``."""
    intent = get_scoped(SetupIntent, account, livemode, intent_id)
    check_client_secret(intent, client_secret, publishable, messages.SETUP_CLIENT_SECRET_MISMATCH)
    return intent


def update_setup_intent(account, livemode: bool, clock, intent_id: str,
                        params: dict[str, Any], *, pepper: str) -> SetupIntent:
    """Change a SetupIntent: customer, payment method and types only before it succeeds or is
    canceled; description and metadata at any time. Like Stripe, clears ``last_setup_error``.

    :raises InvalidRequestError: ``setup_intent_unexpected_state`` naming the field.
    """
    intent = get_scoped(SetupIntent, account, livemode, intent_id, for_update=True)
    for field in SETUP_FIELDS:
        if field in params and intent.status not in UPDATABLE:
            raise _unexpected_state(messages.SETUP_UPDATE_SUCCEEDED
                                    if intent.status == "succeeded"
                                    else messages.SETUP_UPDATE_CANCELED, intent, param=field)
    if intent.status == "requires_action" and any(f in params for f in SETUP_FIELDS):
        # What the customer is authenticating has changed: the link no longer moves it on.
        intent.status = "requires_confirmation"
    if "customer" in params:
        intent.customer = get_customer(account, livemode, params["customer"], param="customer")
    if "payment_method" in params:
        intent.payment_method = _method_to_use(
            account, livemode, params["payment_method"], intent.customer,
            clock.for_account(account), pepper=pepper,
            held=three_d_secure.held_method_id(intent))
        if intent.status == "requires_payment_method":
            intent.status = "requires_confirmation"
    for field in ("payment_method_types", "description"):
        if field in params:
            setattr(intent, field, params[field])
    if "metadata" in params:
        intent.metadata_ = merge_metadata(intent.metadata_, params["metadata"])
    intent.last_setup_error, intent.last_setup_error_method = None, None
    db.session.commit()
    return intent


def confirm_setup_intent(account, livemode: bool, clock, intent_id: str,
                         params: dict[str, Any], *, pepper: str, publishable: bool = False,
                         page_url: str = "") -> SetupIntent:
    """Set up the intent's payment method (or ``payment_method``, which replaces it), or ask
    the customer to authenticate first (``requires_action``) if its card wants 3-D Secure.

    :param publishable: the caller used a publishable key: ``client_secret`` is required.
    :raises InvalidRequestError: wrong status or no payment method
        (``setup_intent_unexpected_state``), a wrong client secret, an unusable method.
    :raises CardError: the card was declined; the intent is back to
        ``requires_payment_method`` with ``last_setup_error`` set.
    """
    intent = get_scoped(SetupIntent, account, livemode, intent_id, for_update=True)
    check_client_secret(intent, params.get("client_secret"), publishable,
                        messages.SETUP_CLIENT_SECRET_MISMATCH)
    # The method set earlier is checked again: it may have been detached since. Stripe says
    # a method is missing before it looks at the status (a canceled intent without one too).
    chosen = params.get("payment_method") or intent.payment_method_id
    if chosen is None:
        raise _unexpected_state(messages.SETUP_MISSING_PAYMENT_METHOD, intent)
    if intent.status not in CONFIRMABLE:
        raise _unexpected_state(messages.SETUP_CONFIRM_SUCCEEDED if intent.status == "succeeded"
                                else messages.SETUP_CONFIRM_CANCELED, intent)
    now = clock.for_account(account)
    method = _method_to_use(account, livemode, chosen, intent.customer, now, pepper=pepper,
                            held=three_d_secure.held_method_id(intent))
    return _confirm(account, livemode, now, intent, method, params.get("return_url"),
                    page_url)


def cancel_setup_intent(account, livemode: bool, clock, intent_id: str,
                        params: dict[str, Any]) -> SetupIntent:
    """Cancel a SetupIntent that has not succeeded (``setup_intent.canceled``).

    :raises InvalidRequestError: ``setup_intent_unexpected_state`` (succeeded or canceled).
    """
    intent = get_scoped(SetupIntent, account, livemode, intent_id, for_update=True)
    if intent.status not in CANCELABLE:
        raise _unexpected_state(messages.SETUP_CANCEL_CANCELED if intent.status == "canceled"
                                else messages.SETUP_CANCEL_STATE.format(status=intent.status),
                                intent)
    intent.status = "canceled"
    intent.cancellation_reason = params.get("cancellation_reason")
    events.emit(account, livemode, clock.for_account(account), "setup_intent.canceled", intent)
    db.session.commit()
    return intent


def list_setup_intents(account, livemode: bool, params: dict[str, Any], url: str) -> Page:
    """SetupIntents newest first, optionally only those of ``customer`` (a deleted one's
    too) or of ``payment_method`` (404 for an unknown one, as Stripe's filters answer)."""
    filters: tuple = ()
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer",
                                include_deleted=True)
        filters += (SetupIntent.customer_id == customer.id,)
    if params.get("payment_method"):
        method = payment_methods.get_payment_method(account, livemode, params["payment_method"],
                                                    param="payment_method")
        filters += (SetupIntent.payment_method_id == method.id,)
    return paginate(SetupIntent, account, livemode, params, url, filters)


def payment_methods_of(account, livemode: bool, intents) -> dict[str, PaymentMethod]:
    """The payment methods ``intents`` (a listed page) hold, by id, in one query: the
    dashboard shows each one's card without a query per row."""
    ids = {i.payment_method_id for i in intents if i.payment_method_id}
    if not ids:
        return {}
    return {m.id: m for m in db.session.execute(select(PaymentMethod).where(
        PaymentMethod.account_id == account.id, PaymentMethod.livemode == livemode,
        PaymentMethod.id.in_(ids))).scalars()}


def answer(account, now: int, intent: SetupIntent, method, *, completed: bool,
           reusable: bool) -> None:
    """The customer's answer on the 3-D Secure page (``three_d_secure.answer``): completed,
    the card is verified (a decline stays possible, committed without raising); failed,
    the intent goes back to ``requires_payment_method`` with Stripe's
    ``setup_intent_authentication_failure``. Commits."""
    if completed:
        try:
            _verify(account, intent.livemode, now, intent, method, reusable=reusable)
        except CardError:
            pass  # declined after all (committed): the intent says so
        return
    failure = InvalidRequestError(messages.SETUP_INTENT_AUTHENTICATION_FAILURE,
                                  code="setup_intent_authentication_failure")
    _failed(account, intent.livemode, now, intent, method, failure)
    db.session.commit()


def _confirm(account, livemode: bool, now: int, intent: SetupIntent, method,
             return_url: str | None, page_url: str) -> SetupIntent:
    """Ask for 3-D Secure if ``method``'s card wants it (``requires_action``), else verify it."""
    intent.payment_method = method
    # On session: the customer is there to authenticate (Stripe's SetupIntents take no
    # off_session); set_up does not spare it, as Stripe's cards ask at every setup.
    need = rules.requirement(method.card_outcome, livemode=livemode, off_session=False,
                             set_up=method.set_up)
    # An expired card is declined before its issuer could ask anything, as for a payment.
    expired = cards.is_expired(method.exp_month, method.exp_year, now)
    if need == rules.CHALLENGE and not expired:
        three_d_secure.begin(intent, method, return_url=return_url, page_url=page_url)
        intent.last_setup_error, intent.last_setup_error_method = None, None
        events.emit(account, livemode, now, "setup_intent.requires_action", intent)
        db.session.commit()
        return intent
    if method.customer_id is None:
        method.spent = True  # used without a customer: freed again only by success
    return _verify(account, livemode, now, intent, method)


def _verify(account, livemode: bool, now: int, intent: SetupIntent, method, *,
            reusable: bool = True) -> SetupIntent:
    """The issuer's answer to a zero-amount check of ``method``: succeeded (set up, and
    attached to the intent's customer), or declined; commits, then raises on a decline.

    :param reusable: as for ``payment_intents.charge_intent``: not a method detached while
        its authentication waited (never usable again, nor attached again).
    """
    card, magic = payment_methods.card_for_charge(method)
    outcome = cards.decide_setup(
        card["card_outcome"], issuer_limit=card["issuer_limit"], livemode=livemode,
        magic=magic, expired=cards.is_expired(method.exp_month, method.exp_year, now))
    if method.cvc_check == "unchecked":  # the issuer has answered the checks now
        method.cvc_check = "fail" if outcome.name == "incorrect_cvc" else "pass"
    method.card_checked = True
    if outcome.declined:
        error = CardError(outcome.message, code=outcome.code, decline_code=outcome.decline_code,
                          param=outcome.param)
        _failed(account, livemode, now, intent, method, error)
        db.session.commit()
        error.extra.update(setup_intent=intent, payment_method=method,
                           payment_method_type="card")
        raise error
    intent.status = "succeeded"
    intent.last_setup_error, intent.last_setup_error_method = None, None
    if intent.usage == "off_session":
        # Set up for payments without the customer: off session, it needs no authentication
        # now. ``on_session`` saves it only for payments the customer is there for (Stripe:
        # "only reuse the payment method when the customer is in your checkout flow").
        method.set_up = True
    if reusable and method.customer_id is None:
        # Set up for later: attached to the intent's customer (not a deleted one: a deleted
        # customer keeps no payment methods), or free to be attached to one (and only that:
        # ``card_checked`` now says it had its one use, see ``payment_method_to_use``).
        method.spent = False
        if intent.customer is not None and not intent.customer.deleted:
            method.customer = intent.customer
            events.emit(account, livemode, now, "payment_method.attached", method)
    events.emit(account, livemode, now, "setup_intent.succeeded", intent)
    db.session.commit()
    return intent


def _failed(account, livemode: bool, now: int, intent: SetupIntent, method,
            error: InvalidRequestError | CardError) -> None:
    """Back to ``requires_payment_method`` with ``error`` as ``last_setup_error``."""
    intent.status, intent.payment_method = "requires_payment_method", None
    intent.last_setup_error = {**error.to_dict(), "payment_method_type": "card"}
    intent.last_setup_error_method = method
    events.emit(account, livemode, now, "setup_intent.setup_failed", intent)


def _method_to_use(account, livemode: bool, value: str, customer, now: int, *, pepper: str,
                   held: str | None = None):
    """``payment_methods.payment_method_to_use``, refusing another customer's method in
    Stripe's SetupIntent words."""
    return payment_methods.payment_method_to_use(
        account, livemode, value, customer, now, pepper=pepper, held=held,
        refusals=(messages.SETUP_METHOD_OF_OTHER_CUSTOMER,
                  messages.SETUP_METHOD_NEEDS_ITS_CUSTOMER))


def _unexpected_state(message: str, intent: SetupIntent | None = None, *,
                      param: str | None = None) -> InvalidRequestError:
    # Like Stripe, the error carries the intent as it is now (the view renders it).
    extra = {"setup_intent": intent} if intent is not None else {}
    return InvalidRequestError(message, code="setup_intent_unexpected_state", param=param,
                               **extra)
