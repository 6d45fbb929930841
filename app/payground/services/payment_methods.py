"""PaymentMethods (cards): create, retrieve, update, attach, detach, list; and resolving one to
pay with."""

from __future__ import annotations

from typing import Any

from .. import messages
from ..core import cards
from ..errors import CardError, InvalidRequestError, ParameterMissing
from ..models.base import db
from ..models.payment_method import PaymentMethod
from . import events, tokens
from .charges import CARD_FIELDS
from .common import (Page, clean_metadata, get_scoped, get_scoped_child, merge_metadata,
                     new_object_id, paginate)
from .customers import forget_default, get_customer

MAGIC_PREFIX = "pm_card_"
CARD_DETAILS = ("number", "exp_month", "exp_year", "cvc")


def create_payment_method(account, livemode: bool, clock, params: dict[str, Any], *,
                          pepper: str) -> PaymentMethod:
    """Create a card payment method from raw card details or a token (``card[token]``).

    Raw details are checked exactly as ``POST /v1/tokens`` checks them (same 402s); a token is
    used up, as a charge would use it; a magic token (``tok_visa``) stands for its test card
    (so live mode refuses it, as it refuses the card's number).

    :param params: ``type`` ("card"), ``card`` (``number``/``exp_month``/``exp_year``/``cvc``
        or ``token``), optional ``billing_details``, ``metadata`` and ``allow_redisplay``.
    :raises ParameterMissing: no ``card``, or a card without number or expiry.
    :raises CardError: what tokenising the card would raise (``live_mode_test_card`` for a
        magic token in live mode).
    """
    data = params.get("card")
    if not data:
        raise ParameterMissing("card")
    now = clock.for_account(account)
    token = data.get("token")
    if token is not None:
        if any(data.get(name) not in (None, "") for name in CARD_DETAILS):
            raise InvalidRequestError(messages.PAYMENT_METHOD_TOKEN_AND_CARD, param="card[token]")
        columns = _card_from_token(account, livemode, token, now, pepper)
    else:
        card = tokens.card_from_params(data, livemode, now, pepper=pepper)
        columns = tokens.card_columns(card)
        columns.update(cvc_check="unchecked" if data.get("cvc") else None, card_name=None)
    billing = params.get("billing_details") or {}
    if billing.get("name") is not None:
        columns["card_name"] = billing["name"]
    if billing.get("address") is not None:  # else a token's card address, if it had one
        columns["billing_address"] = billing["address"]
    method = PaymentMethod(
        id=new_object_id(PaymentMethod), account_id=account.id, livemode=livemode, created=now,
        type="card", billing_email=billing.get("email"), billing_phone=billing.get("phone"),
        metadata_=clean_metadata(params.get("metadata")), spent=False,
        allow_redisplay=params.get("allow_redisplay", "unspecified"), **columns)
    db.session.add(method)
    db.session.commit()
    return method


def get_payment_method(account, livemode: bool, method_id: str, *,
                       param: str | None = "id") -> PaymentMethod:
    """The payment method ``method_id`` of this account and mode (404 otherwise)."""
    return get_scoped(PaymentMethod, account, livemode, method_id, param=param)


def get_customer_payment_method(account, livemode: bool, customer_id: str,
                                method_id: str) -> PaymentMethod:
    """``GET /v1/customers/{customer}/payment_methods/{id}``: the payment method, if it is
    attached to that customer; one that is not is as unknown as a made-up id (404)."""
    customer = get_customer(account, livemode, customer_id, param="customer")
    return get_scoped_child(PaymentMethod, account, livemode, method_id, parent="customer_id",
                            parent_id=customer.id)


def update_payment_method(account, livemode: bool, clock, method_id: str,
                          params: dict[str, Any]) -> PaymentMethod:
    """Update a payment method attached to a customer (``payment_method.updated``, with what
    changed in ``previous_attributes``; nothing changed, no event).

    A new expiry is checked against the account's clock as a new card's is, the month or year
    not sent being the card's: a card that expired can be given its new date, and is then
    charged as any other (payments read the expiry from the payment method).
    :param params: ``billing_details`` (each field sent replaces its own, empty unsets it; the
        address merged key by key, ``address=`` removes it), ``card[exp_month|exp_year]``,
        ``metadata`` (Stripe's rules) and ``allow_redisplay``.
    :raises InvalidRequestError: it is not attached to a customer (never, or detached).
    :raises CardError: ``invalid_expiry_month`` / ``invalid_expiry_year``.
    """
    method = get_scoped(PaymentMethod, account, livemode, method_id, for_update=True)
    if method.customer_id is None:
        raise InvalidRequestError(messages.PAYMENT_METHOD_UPDATE_UNATTACHED)
    now = clock.for_account(account)
    expiry = params.get("card") or {}
    if expiry:
        problem, exp_month, exp_year = cards.expiry_problem(
            expiry.get("exp_month", method.exp_month), expiry.get("exp_year", method.exp_year),
            now)
        if problem is not None:
            raise CardError(problem.message, code=problem.code, param=problem.param)
    before = events.snapshot(method)
    if expiry:
        method.exp_month, method.exp_year = exp_month, exp_year
    _change_billing(method, params.get("billing_details") or {})
    if "allow_redisplay" in params:
        method.allow_redisplay = params["allow_redisplay"]
    if "metadata" in params:
        method.metadata_ = merge_metadata(method.metadata_, params["metadata"])
    events.emit_changes(account, livemode, now, "payment_method.updated", method, before)
    db.session.commit()
    return method


def _change_billing(method: PaymentMethod, billing: dict[str, Any]) -> None:
    for field, column in (("name", "card_name"), ("email", "billing_email"),
                          ("phone", "billing_phone")):
        if field in billing:
            setattr(method, column, billing[field])
    if "address" not in billing:
        return
    if billing["address"] is None:
        method.billing_address = None  # its checks are null: nothing left to check
        return
    kept = method.billing_address or {}
    merged = {**kept, **billing["address"]}
    address = {key: merged.get(key) for key in tokens.ADDRESS_KEYS}
    if any(address.get(key) != kept.get(key) for key in ("line1", "postal_code")):
        # The issuer never saw this line 1 or postal code: its checks are `unchecked` again
        # until the card is next charged (not the answer it gave about the old ones).
        method.card_checked = False
    # As on create: no address at all is None (the output shows every key null either way).
    method.billing_address = address if any(address.values()) else None


def attach_payment_method(account, livemode: bool, clock, method_id: str,
                          params: dict[str, Any], *, pepper: str) -> PaymentMethod:
    """Attach a payment method to ``customer``, so it can be used again and again.

    Attaching it again to the same customer changes nothing. A magic id (``pm_card_visa``)
    attaches a new payment method for its test card, as in Stripe's test mode.
    :raises CardError: a magic id in live mode, or a live payment method a PaymentIntent made
        of one (``live_mode_test_card``).
    :raises InvalidRequestError: attached to another customer, or spent (used once without a
        customer, or detached).
    """
    now = clock.for_account(account)
    if livemode and _is_magic(method_id):
        raise live_mode_test_card("id")
    method = _magic_method(account, livemode, method_id, now, pepper) or get_scoped(
        PaymentMethod, account, livemode, method_id, for_update=True)
    if livemode and method.card_outcome != "issuer":
        # The one a live PaymentIntent made of a magic id (``payment_method=pm_card_visa``):
        # declined when charged, never kept for a customer.
        raise live_mode_test_card("id")
    customer = get_customer(account, livemode, params["customer"], param="customer")
    if method.customer_id == customer.id:
        return method
    if method.customer_id is not None:
        raise InvalidRequestError(messages.PAYMENT_METHOD_ALREADY_ATTACHED)
    if method.spent:
        raise InvalidRequestError(messages.PAYMENT_METHOD_SPENT, param="payment_method")
    method.customer = customer
    events.emit(account, livemode, now, "payment_method.attached", method)
    db.session.commit()
    return method


def detach_payment_method(account, livemode: bool, clock, method_id: str) -> PaymentMethod:
    """Detach a payment method from its customer; like Stripe's, it can never be used again
    (``payment_method.detached``, with the customer it had in ``previous_attributes``), and is
    no longer the customer's default (``customer.updated``, if it was).

    :raises InvalidRequestError: it is not attached to a customer.
    """
    method = get_scoped(PaymentMethod, account, livemode, method_id, for_update=True)
    if method.customer_id is None:
        raise InvalidRequestError(messages.PAYMENT_METHOD_NOT_ATTACHED)
    customer, now = method.customer, clock.for_account(account)
    detach(account, livemode, now, method)
    forget_default(account, livemode, now, customer, method.id)
    db.session.commit()
    return method


def detach(account, livemode: bool, now: int, method: PaymentMethod) -> None:
    """Take ``method`` from its customer for good (``payment_method.detached``, naming the
    customer it had in ``previous_attributes``); the caller commits."""
    before = events.snapshot(method)
    method.customer, method.spent = None, True
    events.emit_changes(account, livemode, now, "payment_method.detached", method, before)


def list_payment_methods(account, livemode: bool, params: dict[str, Any], url: str) -> Page:
    """Payment methods newest first, optionally only those attached to ``customer``."""
    filters: tuple = ()
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer")
        filters += (PaymentMethod.customer_id == customer.id,)
    if params.get("type"):
        filters += (PaymentMethod.type == params["type"],)
    return paginate(PaymentMethod, account, livemode, params, url, filters)


def payment_method_to_use(account, livemode: bool, value: str, customer, now: int, *,
                          pepper: str, param: str = "payment_method",
                          held: str | None = None,
                          refusals: tuple[str, str] | None = None) -> PaymentMethod:
    """The payment method ``value`` names, checked for a payment by ``customer`` (or nobody).

    A magic id (``pm_card_visa``) creates a new payment method for its test card each time,
    as Stripe does. Nothing is committed.
    :param held: the id of the method the payment already holds, spent for it alone (3-D
        Secure's ``services.three_d_secure.held_method_id``): that one is still usable.
    :param refusals: the messages for a method of another customer and for one of a customer
        the payment has not (each formatted with ``id`` and ``customer``, the customer
        supplied or the method's own); a PaymentIntent's by default (a SetupIntent's differ).
    :raises ResourceMissing: no such payment method (404).
    :raises InvalidRequestError: it is spent or ``used_once``, or attached to another
        customer.
    """
    magic = _magic_method(account, livemode, value, now, pepper)
    if magic is not None:
        return magic
    # Locked: two payments racing for one single-use method must not both get it.
    method = get_scoped(PaymentMethod, account, livemode, value, param=param, for_update=True)
    if (method.spent or used_once(method)) and method.id != held:
        raise InvalidRequestError(messages.PAYMENT_METHOD_SPENT, param=param)
    customer_id = customer.id if customer is not None else None
    if method.customer_id is not None and method.customer_id != customer_id:
        other, needs_its_own = refusals or (messages.PAYMENT_METHOD_OF_OTHER_CUSTOMER,
                                            messages.PAYMENT_METHOD_NEEDS_ITS_CUSTOMER)
        message = other if customer_id else needs_its_own
        raise InvalidRequestError(message.format(id=method.id,
                                                 customer=customer_id or method.customer_id),
                                  param=param)
    return method


def used_once(method: PaymentMethod) -> bool:
    """Whether ``method``, attached to no customer, has had the one use Stripe allows such a
    method ("To use a PaymentMethod multiple times, you must attach it to a Customer first"),
    though it is not spent: a payment or setup saved it for later without a customer
    (``setup_future_usage``, or a SetupIntent that succeeded), so it may still be attached to
    one, and nothing else. ``card_checked`` says it was used: a payment or setup sets it, and
    only an update, which needs a customer, clears it."""
    return method.customer_id is None and method.card_checked


def card_for_charge(method: PaymentMethod) -> tuple[dict[str, Any], bool]:
    """The card columns a charge copies from ``method``, and whether it is a known test card.

    Live mode refuses test card numbers when they are tokenised, and magic ids when a payment
    method is created or attached, so a live payment method with a test outcome can only come
    from a magic id given to a PaymentIntent (``payment_method=pm_card_visa``).
    """
    return {field: getattr(method, field) for field in CARD_FIELDS}, \
        method.card_outcome != "issuer"


def live_mode_test_card(param: str) -> CardError:
    """The 402 a test card number gets in live mode, for a magic id standing for one: live
    mode keeps no test card, whatever name it comes under."""
    return CardError(messages.LIVE_MODE_TEST_CARD, code="card_declined", param=param,
                     decline_code="live_mode_test_card")


def _is_magic(value: str) -> bool:
    return value.startswith(MAGIC_PREFIX) and cards.magic_number(value) is not None


def _magic_method(account, livemode: bool, value: str, now: int,
                  pepper: str) -> PaymentMethod | None:
    """A new payment method (in the session) for a magic ``pm_card_...`` id, else None.

    Also in live mode: a payment made with one is then declined ``live_mode_test_card`` and
    kept as a failed charge, as Stripe declines it when charged."""
    if not _is_magic(value):
        return None
    card = cards.magic_card(value, now=now, key=pepper)
    columns = tokens.card_columns(card)
    columns.update(cvc_check=cards.magic_cvc_check(card), card_name=None)
    method = PaymentMethod(
        id=new_object_id(PaymentMethod), account_id=account.id, livemode=livemode,
        created=now, type="card", metadata_={}, spent=False, allow_redisplay="unspecified",
        **columns)
    db.session.add(method)
    return method


def _card_from_token(account, livemode: bool, token_id: str, now: int,
                     pepper: str) -> dict[str, Any]:
    magic = cards.magic_card(token_id, now=now, key=pepper) \
        if token_id.startswith("tok_") else None
    if magic is not None:
        if livemode:  # refused as its card number would be when tokenised
            raise live_mode_test_card("card[token]")
        columns = tokens.card_columns(magic)
        columns.update(cvc_check=cards.magic_cvc_check(magic), card_name=None)
        return columns
    token = tokens.consume_token(account, livemode, token_id, param="card[token]")
    return {field: getattr(token, field) for field in CARD_FIELDS}
