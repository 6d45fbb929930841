"""PaymentIntents: create, retrieve, update, confirm, capture, cancel, list.

Statuses: ``requires_payment_method`` -> (a payment method is set) ``requires_confirmation``
-> (confirm) ``succeeded``, or ``requires_capture`` when ``capture_method`` is ``manual``;
a decline goes back to ``requires_payment_method``. A card that wants 3-D Secure makes the
confirmation wait in ``requires_action`` until the customer answers on the authentication
page (``services.three_d_secure``), which then charges it (``charge_intent``) or fails it.
Any of these but ``succeeded`` can be ``canceled``. Confirming charges the card with the same
code as ``POST /v1/charges`` (``charges.charge_card``), so a PaymentIntent's money moves
exactly like a charge's. As on Stripe, the charge copies the intent's description, receipt
e-mail, statement descriptor suffix, shipping, transfer group and metadata as they are at that
moment.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..core import cards
from ..core import three_d_secure as rules
from ..core.ids import new_id
from ..errors import InvalidRequestError
from ..models.base import db
from ..models.charge import Charge
from ..models.payment_intent import PaymentIntent
from . import charge_expiry, charges, events, payment_methods, refunds, three_d_secure
from .common import (Page, check_client_secret, clean_metadata, get_scoped, merge_metadata,
                     new_object_id, paginate)
from .customers import get_customer

UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CONFIRMABLE = UPDATABLE
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")
# What changes the payment itself: Stripe allows it only before a successful confirmation.
PAYMENT_FIELDS = ("amount", "currency", "customer", "payment_method", "capture_method",
                  "payment_method_types", "payment_method_options")
TEXT_FIELDS = ("description", "receipt_email", "statement_descriptor",
               "statement_descriptor_suffix", "setup_future_usage", "shipping",
               "transfer_group")


def create_payment_intent(account, livemode: bool, clock, params: dict[str, Any], *,
                          pepper: str, page_url: str = "") -> PaymentIntent:
    """Create a PaymentIntent, and confirm it at once if ``confirm`` is true.

    :param page_url: where the 3-D Secure page is served (``/3d_secure`` at this server's
        public address): a confirmation that needs authentication links to it.
    :raises InvalidRequestError: ``amount_too_small``, an unusable payment method, or
        ``confirm`` without a payment method (``payment_intent_unexpected_state``).
    :raises CardError: confirming declined the card (the intent exists, and is named).
    """
    amount, currency = params["amount"], params["currency"]
    charges.check_amount(amount, currency)
    now = clock.for_account(account)
    customer = None
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer")
    method = None
    if params.get("payment_method"):
        method = payment_methods.payment_method_to_use(
            account, livemode, params["payment_method"], customer, now, pepper=pepper)
    if params.get("confirm") and method is None:
        raise _unexpected_state(messages.INTENT_MISSING_PAYMENT_METHOD)
    intent_id = new_object_id(PaymentIntent)
    automatic = params.get("automatic_payment_methods")
    intent = PaymentIntent(
        id=intent_id, account_id=account.id, livemode=livemode, created=now, amount=amount,
        currency=currency, customer=customer, payment_method=method,
        status="requires_confirmation" if method else "requires_payment_method",
        capture_method=params.get("capture_method", "automatic"),
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        amount_capturable=0, amount_received=0,
        metadata_=clean_metadata(params.get("metadata")),
        payment_method_types=params.get("payment_method_types") or ["card"],
        automatic_payment_methods=None if automatic is None else {
            "allow_redirects": automatic.get("allow_redirects", "always"),
            "enabled": automatic.get("enabled", False)},
        payment_method_options=_method_options(None, params.get("payment_method_options")),
        **{field: params.get(field) for field in TEXT_FIELDS})
    db.session.add(intent)
    events.emit(account, livemode, now, "payment_intent.created", intent)
    if params.get("confirm"):
        return _confirm(account, livemode, now, intent, method, params, page_url)
    db.session.commit()
    return intent


def get_payment_intent(account, livemode: bool, clock, intent_id: str, *,
                       client_secret: str | None = None,
                       publishable: bool = False) -> PaymentIntent:
    """The PaymentIntent ``intent_id``; a publishable key must show its ``client_secret``.
    One whose authorisation is over seven days old is canceled first (the charge expired)."""
    intent = get_scoped(PaymentIntent, account, livemode, intent_id)
    check_client_secret(intent, client_secret, publishable, messages.CLIENT_SECRET_MISMATCH)
    charge_expiry.catch_up_intents(account, livemode, clock, [intent])
    return intent


def update_payment_intent(account, livemode: bool, clock, intent_id: str,
                          params: dict[str, Any], *, pepper: str) -> PaymentIntent:
    """Change a PaymentIntent. Amount, currency, customer, payment method, capture method,
    payment method types and options only before it succeeds; description, receipt e-mail,
    statement descriptor suffix and metadata at any time, ``transfer_group`` while it has
    none. Like Stripe, an update clears ``last_payment_error``.

    :raises InvalidRequestError: ``payment_intent_unexpected_state`` naming the field, or
        ``transfer_group`` when the intent has one already.
    """
    intent = get_scoped(PaymentIntent, account, livemode, intent_id, for_update=True)
    charge_expiry.expire_intent_if_due(account, livemode, clock, intent)
    if "transfer_group" in params and intent.transfer_group is not None:
        # Stripe: "You can only provide transfer_group if it hasn't been set" (as a charge's).
        raise InvalidRequestError(messages.INTENT_TRANSFER_GROUP_SET.format(id=intent.id),
                                  param="transfer_group")
    for field in PAYMENT_FIELDS:
        if field in params and intent.status not in UPDATABLE:
            raise _unexpected_state(messages.INTENT_UPDATE_STATE.format(
                field=field, status=intent.status), intent, param=field)
    if intent.status == "requires_action" and (
            any(f in params for f in PAYMENT_FIELDS) or _saving_changes(intent, params)):
        # What the customer authenticated has changed: it must be confirmed again (and the
        # page's link no longer moves it on).
        intent.status = "requires_confirmation"
    if "amount" in params or "currency" in params:
        charges.check_amount(params.get("amount", intent.amount),
                             params.get("currency", intent.currency))
    if "customer" in params:
        intent.customer = get_customer(account, livemode, params["customer"], param="customer")
    if "payment_method" in params:
        intent.payment_method = payment_methods.payment_method_to_use(
            account, livemode, params["payment_method"], intent.customer,
            clock.for_account(account), pepper=pepper,
            held=three_d_secure.held_method_id(intent))
        if intent.status == "requires_payment_method":
            intent.status = "requires_confirmation"
    for field in ("amount", "currency", "capture_method", "payment_method_types", *TEXT_FIELDS):
        if field in params:
            setattr(intent, field, params[field])
    if "metadata" in params:
        intent.metadata_ = merge_metadata(intent.metadata_, params["metadata"])
    if "payment_method_options" in params:
        intent.payment_method_options = _method_options(intent.payment_method_options,
                                                        params["payment_method_options"])
    intent.last_payment_error, intent.last_payment_error_method = None, None
    db.session.commit()
    return intent


def confirm_payment_intent(account, livemode: bool, clock, intent_id: str,
                           params: dict[str, Any], *, pepper: str, publishable: bool = False,
                           page_url: str = "") -> PaymentIntent:
    """Charge the intent's payment method (or ``payment_method``, which replaces it), or ask
    the customer to authenticate first (``requires_action``) if its card wants 3-D Secure.

    :param publishable: the caller used a publishable key: ``client_secret`` is required.
    :param page_url: as for ``create_payment_intent``.
    :raises InvalidRequestError: wrong status or no payment method
        (``payment_intent_unexpected_state``), a wrong client secret, an unusable method, or
        a publishable key choosing the capture method (or unsetting the card's), or
        unsetting or lowering a ``setup_future_usage`` the intent has.
    :raises CardError: the card was declined; the intent is back to
        ``requires_payment_method`` with ``last_payment_error`` set.
    """
    intent = get_scoped(PaymentIntent, account, livemode, intent_id, for_update=True)
    check_client_secret(intent, params.get("client_secret"), publishable,
                        messages.CLIENT_SECRET_MISMATCH)
    charge_expiry.expire_intent_if_due(account, livemode, clock, intent)
    if intent.status == "succeeded":
        raise _unexpected_state(messages.INTENT_CONFIRM_SUCCEEDED, intent)
    if intent.status not in CONFIRMABLE:
        raise _unexpected_state(messages.INTENT_CONFIRM_STATE.format(status=intent.status),
                                intent)
    now = clock.for_account(account)
    # The method set earlier is checked again: it may have been detached since.
    chosen = params.get("payment_method") or intent.payment_method_id
    if chosen is None:
        raise _unexpected_state(messages.INTENT_MISSING_PAYMENT_METHOD, intent)
    method = payment_methods.payment_method_to_use(account, livemode, chosen, intent.customer,
                                                   now, pepper=pepper,
                                                   held=three_d_secure.held_method_id(intent))
    options = params.get("payment_method_options")
    if publishable:
        _check_publishable_saving(intent, params, options)
    for field in ("receipt_email", "setup_future_usage", "shipping"):  # None: unset
        if field in params:
            setattr(intent, field, params[field])
    if publishable:  # the server decides when money moves, not the browser
        card = (options or {}).get("card", {})  # None: ``payment_method_options[card]=``
        set_card = intent.card_options
        for param, given in (("capture_method", params.get("capture_method")),
                             ("payment_method_options[card][capture_method]",
                              card is not None and "capture_method" in card),
                             # Unsetting every card option unsets a manual capture too.
                             ("payment_method_options[card]",
                              card is None and "capture_method" in set_card)):
            if given:
                raise InvalidRequestError(messages.SECRET_KEY_PARAM.format(param=param),
                                          param=param)
    if params.get("capture_method"):
        intent.capture_method = params["capture_method"]
    if options is not None:
        intent.payment_method_options = _method_options(intent.payment_method_options, options)
    return _confirm(account, livemode, now, intent, method, params, page_url)


def capture_payment_intent(account, livemode: bool, clock, intent_id: str,
                           params: dict[str, Any]) -> PaymentIntent:
    """Capture a ``requires_capture`` intent's charge, in full or ``amount_to_capture``
    (``metadata`` updates the intent, ``statement_descriptor_suffix`` the intent and its
    charge, as on Stripe).

    The charge is captured by ``charges.capture_charge`` (so the money is posted as for any
    captured charge); a partial capture releases the rest.
    :raises InvalidRequestError: wrong status, or ``amount_to_capture`` out of range.
    """
    # One time throughout: the intent found unexpired must not see its charge expire when
    # ``capture_charge`` reads the clock a second later (succeeded over a released charge).
    clock = clock.stopped()
    intent = get_scoped(PaymentIntent, account, livemode, intent_id, for_update=True)
    charge_expiry.expire_intent_if_due(account, livemode, clock, intent)
    if intent.status == "succeeded":
        raise _unexpected_state(messages.INTENT_ALREADY_CAPTURED, intent)
    if intent.status != "requires_capture":
        raise _unexpected_state(messages.INTENT_CAPTURE_STATE.format(status=intent.status),
                                intent)
    amount = params.get("amount_to_capture", intent.amount_capturable)
    if amount > intent.amount_capturable:
        raise InvalidRequestError(messages.INTENT_CAPTURE_TOO_LARGE, code="amount_too_large",
                                  param="amount_to_capture", payment_intent=intent)
    try:
        charges.check_amount(amount, intent.currency)
    except InvalidRequestError as error:
        error.param = "amount_to_capture"
        raise
    intent.status, intent.amount_received, intent.amount_capturable = "succeeded", amount, 0
    if "metadata" in params:
        intent.metadata_ = merge_metadata(intent.metadata_, params["metadata"])
    if "statement_descriptor_suffix" in params:
        intent.statement_descriptor_suffix = params["statement_descriptor_suffix"]
    events.emit(account, livemode, clock.for_account(account), "payment_intent.succeeded",
                intent)
    # Commits the intent's changes together with the capture; the suffix is the charge's too.
    capture = {"amount": amount}
    if "statement_descriptor_suffix" in params:
        capture["statement_descriptor_suffix"] = params["statement_descriptor_suffix"]
    charges.capture_charge(account, livemode, clock, intent.latest_charge_id, capture)
    return intent


def cancel_payment_intent(account, livemode: bool, clock, intent_id: str,
                          params: dict[str, Any]) -> PaymentIntent:
    """Cancel an intent that has not succeeded; an uncaptured charge is released (refunded).

    :raises InvalidRequestError: ``payment_intent_unexpected_state`` (succeeded or canceled).
    """
    clock = clock.stopped()  # as for a capture: the refund below must not find it expired
    intent = get_scoped(PaymentIntent, account, livemode, intent_id, for_update=True)
    charge_expiry.expire_intent_if_due(account, livemode, clock, intent)
    if intent.status not in CANCELABLE:
        raise _unexpected_state(messages.INTENT_CANCEL_STATE.format(status=intent.status),
                                intent)
    now = clock.for_account(account)
    authorized = intent.status == "requires_capture"
    intent.status, intent.canceled_at, intent.amount_capturable = "canceled", now, 0
    intent.cancellation_reason = params.get("cancellation_reason")
    events.emit(account, livemode, now, "payment_intent.canceled", intent)
    charge = db.session.get(Charge, intent.latest_charge_id) if authorized else None
    if charge is not None and not (charge.refunded or charge.captured):
        # A full refund of an uncaptured charge releases it; it commits the intent too.
        refunds.create_refund(account, livemode, clock, {"charge": charge.id})
    else:
        db.session.commit()
    return intent


def list_payment_intents(account, livemode: bool, clock, params: dict[str, Any],
                         url: str) -> Page:
    """PaymentIntents newest first, optionally only those of ``customer`` (404 if there is
    no such customer, as for charges; a deleted customer's intents are still listed). Those
    on the page whose authorisation is over seven days old are canceled first."""
    filters: tuple = ()
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer",
                                include_deleted=True)
        filters += (PaymentIntent.customer_id == customer.id,)
    page = paginate(PaymentIntent, account, livemode, params, url, filters)
    charge_expiry.catch_up_intents(account, livemode, clock, page.items)
    return page


def _confirm(account, livemode: bool, now: int, intent: PaymentIntent, method,
             params: dict[str, Any], page_url: str) -> PaymentIntent:
    """Confirm ``intent`` with ``method``: ask for 3-D Secure if its card wants it and the
    customer is there (``requires_action``), else charge it (``charge_intent``)."""
    intent.payment_method = method
    off_session = params.get("off_session") not in (None, False)  # true, one_off, recurring
    need = rules.requirement(method.card_outcome, livemode=livemode, off_session=off_session,
                             set_up=method.set_up,
                             requested=intent.card_options.get("request_three_d_secure"))
    # An expired card is declined at confirmation (expired_card), as on Stripe, before its
    # issuer could ask anything: charging it now says so (``cards.decide`` puts it first).
    expired = cards.is_expired(method.exp_month, method.exp_year, now)
    if need == rules.CHALLENGE and not params.get("error_on_requires_action") and not expired:
        return three_d_secure.ask(account, livemode, now, intent, method,
                                  return_url=params.get("return_url"), page_url=page_url)
    # error_on_requires_action: Stripe fails the payment rather than wait for the customer.
    return charge_intent(account, livemode, now, intent, method,
                         unauthenticated=need is not None)


def charge_intent(account, livemode: bool, now: int, intent: PaymentIntent, method, *,
                  unauthenticated: bool = False, authenticated: dict | None = None,
                  reusable: bool = True) -> PaymentIntent:
    """Charge ``method`` for ``intent`` and move it on; commits, then raises on a decline.

    :param unauthenticated: the card wants 3-D Secure and the payment could not have it: it
        is declined ``authentication_required``.
    :param authenticated: the 3-D Secure authentication the customer completed for this
        charge (the charge's ``three_d_secure``), if any.
    :param reusable: whether saving the card (``setup_future_usage``) may attach it again;
        not a method detached while its authentication waited (never usable again).
    """
    if method.customer_id is None:
        method.spent = True  # used without a customer: Stripe never accepts it again
    card, magic = payment_methods.card_for_charge(method)
    card_options = intent.card_options
    # The card's own options win over the intent's (Stripe: "overrides ... for this payment
    # method type"); setup_future_usage "none" saves nothing.
    capture_method = card_options.get("capture_method", intent.capture_method)
    future_usage = card_options.get("setup_future_usage", intent.setup_future_usage)
    save = future_usage not in (None, "none")
    charge, outcome = charges.charge_card(
        account, livemode, now, card, magic=magic, amount=intent.amount,
        currency=intent.currency, capture=capture_method != "manual",
        customer=intent.customer, description=intent.description,
        receipt_email=intent.receipt_email, statement_descriptor=intent.statement_descriptor,
        statement_descriptor_suffix=intent.statement_descriptor_suffix,
        shipping=intent.shipping, transfer_group=intent.transfer_group,
        metadata_=dict(intent.metadata_ or {}), payment_intent_id=intent.id,
        payment_method_id=method.id, unauthenticated=unauthenticated,
        three_d_secure=authenticated)
    # The issuer has now answered the checks: the method shows them from here on.
    if method.cvc_check == "unchecked":
        method.cvc_check = charge.cvc_check
    method.card_checked = True
    intent.latest_charge = charge
    if outcome.declined:
        intent.status, intent.payment_method = "requires_payment_method", None
        intent.last_payment_error = {**charges.declined(charge, outcome).to_dict(),
                                     "payment_method_type": "card"}
        intent.last_payment_error_method = method
        events.emit(account, livemode, now, "payment_intent.payment_failed", intent)
        db.session.commit()
        raise charges.declined(charge, outcome, payment_intent=intent, payment_method=method,
                               payment_method_type="card")
    intent.last_payment_error, intent.last_payment_error_method = None, None
    if future_usage == "off_session":
        # Set up for payments without the customer: off session, it needs no authentication
        # now. ``on_session`` saves it for payments the customer is there for only (Stripe:
        # "only reuse the payment method when your customer is present in your checkout
        # flow"), as a SetupIntent's ``usage`` does.
        method.set_up = True
    if save and reusable and method.customer_id is None:
        # Saved for later, as Stripe does: attached to the intent's customer, or (without
        # one, or deleted since: a deleted customer keeps no payment methods) still free to
        # be attached, and only that (it has had its one use: ``payment_method_to_use``).
        method.spent = False
        if intent.customer is not None and not intent.customer.deleted:
            method.customer = intent.customer
            events.emit(account, livemode, now, "payment_method.attached", method)
    if capture_method != "manual":  # automatic, or automatic_async
        intent.status, intent.amount_received = "succeeded", intent.amount
        events.emit(account, livemode, now, "payment_intent.succeeded", intent)
    else:
        intent.status, intent.amount_capturable = "requires_capture", intent.amount
        events.emit(account, livemode, now, "payment_intent.amount_capturable_updated", intent)
    db.session.commit()
    return intent


def _method_options(current: dict | None, given: dict | None) -> dict | None:
    """``payment_method_options`` after ``given``: each card option given replaces the one
    set, an empty one (None) unsets it, and ``card=`` (None) unsets them all."""
    if not given or "card" not in given:
        return current
    card = {} if given["card"] is None else {**(current or {}).get("card", {}),
                                                 **given["card"]}
    card = {name: value for name, value in card.items() if value is not None}
    return {"card": card} if card else None


def _check_future_usage_change(current: str | None, wanted: str | None, *,
                               message: str = messages.PUBLISHABLE_FUTURE_USAGE,
                               param: str = "setup_future_usage") -> None:
    """A publishable key may set ``setup_future_usage`` the server left unset, and raise
    ``on_session`` to ``off_session``; nothing else (Stripe's rule): a page must not unset or
    lower the saving of the card the server asked for."""
    if current is None or wanted == current or (current, wanted) == ("on_session",
                                                                      "off_session"):
        return
    raise InvalidRequestError(message.format(current=current), param=param)


def _check_publishable_saving(intent: PaymentIntent, params: dict[str, Any],
                              options: dict | None) -> None:
    """Before a publishable key's confirm changes anything: ``setup_future_usage`` follows
    Stripe's rule (``_check_future_usage_change``), and so does the saving the card gets,
    since the card's own option overrides the intent's (``_confirm``): else
    ``payment_method_options[card][setup_future_usage]=none``, or ``[card]=`` unsetting the
    server's, would drop what the first check keeps."""
    if "setup_future_usage" in params:
        _check_future_usage_change(intent.setup_future_usage, params["setup_future_usage"])
    before = _card_saving(intent.card_options, intent.setup_future_usage)
    after = _card_saving((_method_options(intent.payment_method_options, options) or {})
                         .get("card", {}),
                         params.get("setup_future_usage", intent.setup_future_usage))
    if after != before:
        card = (options or {}).get("card", {})
        _check_future_usage_change(
            before, after, message=messages.PUBLISHABLE_CARD_FUTURE_USAGE,
            param="payment_method_options[card]" if card is None
            else "payment_method_options[card][setup_future_usage]")


def _saving_changes(intent: PaymentIntent, params: dict[str, Any]) -> bool:
    """Whether an update's ``setup_future_usage`` changes how the card is saved: part of what
    the customer authenticates (an ``off_session`` saving sets the card up for payments
    without them), as its card option is. Not when the card's own option overrides it."""
    if "setup_future_usage" not in params:
        return False
    card_options = intent.card_options
    return _card_saving(card_options, params["setup_future_usage"]) != _card_saving(
        card_options, intent.setup_future_usage)


def _card_saving(card_options: dict, intent_value: str | None) -> str | None:
    """How a confirm saves the card (``_confirm``): the card's option, else the intent's;
    ``none`` saves nothing."""
    value = card_options.get("setup_future_usage", intent_value)
    return None if value == "none" else value


def _unexpected_state(message: str, intent: PaymentIntent | None = None, *,
                      param: str | None = None) -> InvalidRequestError:
    # Like Stripe, the error carries the intent as it is now (the view renders it).
    extra = {"payment_intent": intent} if intent is not None else {}
    return InvalidRequestError(message, code="payment_intent_unexpected_state", param=param,
                               **extra)
