"""Customers: create, retrieve, update, delete, list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import messages
from ..errors import InvalidRequestError
from ..models.base import db
from ..models.customer import Customer
from ..models.payment_method import PaymentMethod
from . import events
from .common import (Page, clean_metadata, get_scoped, locking, merge_metadata, new_object_id,
                     paginate)


# Stripe's descriptive fields: kept as given and shown back, never acted on.
DESCRIPTIVE = ("address", "shipping", "preferred_locales", "tax_exempt", "invoice_prefix",
               "next_invoice_sequence")


def create_customer(account, livemode: bool, clock, params: dict[str, Any], *,
                    pepper: str = "") -> Customer:
    """Create a customer; with ``source`` (a token), its card is saved on it and made its
    default source (``services.sources``).

    :param pepper: the app's secret, which keys card fingerprints (for ``source``).
    :raises InvalidRequestError: ``invoice_settings[default_payment_method]`` names a payment
        method (a new customer has none attached; ``""`` is no default, and is taken); what
        saving ``source`` raises (a used or unknown token).
    :raises CardError: the card of ``source`` is declined when saved.
    """
    settings = dict(params.get("invoice_settings") or {})
    default = settings.pop("default_payment_method", None)
    if default is not None:
        raise _not_attached(default)
    customer = Customer(
        id=new_object_id(Customer), account_id=account.id, livemode=livemode,
        created=clock.for_account(account), email=params.get("email"), name=params.get("name"),
        description=params.get("description"), phone=params.get("phone"),
        balance=params.get("balance", 0), metadata_=clean_metadata(params.get("metadata")),
        invoice_settings=_invoice_settings(None, settings),
        **{field: params.get(field) for field in DESCRIPTIVE},
    )
    db.session.add(customer)
    card = None
    if params.get("source") is not None:
        from . import sources  # it imports this module

        card = sources.save_card(account, livemode, customer.created, customer,
                                 params["source"], pepper=pepper)
        customer.default_source_id = card.id
    events.emit(account, livemode, customer.created, "customer.created", customer)
    db.session.commit()
    return customer


def _invoice_settings(stored: dict | None, given: dict | None) -> dict | None:
    """``stored`` with what ``given`` sets (Stripe updates each invoice setting on its own;
    ``rendering_options`` is kept with both its keys)."""
    if not given:
        return stored
    merged = dict(stored or {})
    for key, value in given.items():
        if key == "rendering_options" and value is not None:
            value = {"amount_tax_display": value.get("amount_tax_display"),
                     "template": value.get("template")}
        merged[key] = value
    return merged


def get_customer(account, livemode: bool, customer_id: str, *, param: str | None = "id",
                 include_deleted: bool = False) -> Customer:
    customer = get_scoped(Customer, account, livemode, customer_id, param=param)
    if customer.deleted and not include_deleted:
        # Stripe returns deleted customers as {id, object, deleted: true} on retrieve;
        # everywhere else (as a reference) they no longer exist.
        from ..errors import ResourceMissing
        from .. import messages

        raise ResourceMissing(messages.NO_SUCH.format(noun="customer", id=customer_id),
                              param=param)
    return customer


def locked_customer(account, livemode: bool, customer_id: str) -> Customer:
    """The customer, its row locked and read afresh (``get_customer``'s 404s first).

    Whatever changes a customer's saved cards or default source takes this lock before any
    card's, so that such requests queue: each then sees the default source (and whether the
    customer was deleted) as the one before it left it, not as it read it while waiting."""
    customer = get_customer(account, livemode, customer_id)
    db.session.execute(locking(select(Customer).where(Customer.id == customer.id))).scalar_one()
    if customer.deleted:  # deleted while this request waited for the lock
        from ..errors import ResourceMissing

        raise ResourceMissing(messages.NO_SUCH.format(noun="customer", id=customer_id),
                              param="id")
    return customer


def update_customer(account, livemode: bool, clock, customer_id: str,
                    params: dict[str, Any], *, pepper: str = "") -> Customer:
    """Update a customer; invoice settings are merged one by one, as on Stripe.

    ``default_source`` must be one of its saved cards; ``source`` (a token) saves a card that
    replaces the default source, which is deleted (``services.sources.replace_default``).
    :raises InvalidRequestError: ``invoice_settings[default_payment_method]`` is not a payment
        method attached to this customer (``""`` removes the default); ``default_source`` is
        not one of its cards (404); what saving ``source`` raises.
    :raises CardError: the card of ``source`` is declined when saved.
    """
    from . import sources  # it imports this module

    if params.get("source") is not None or params.get("default_source") is not None:
        customer = locked_customer(account, livemode, customer_id)  # see locked_customer
    else:
        customer = get_customer(account, livemode, customer_id)

    if params.get("default_source") is not None:
        sources.check_default(account, livemode, customer, params["default_source"])
    settings = dict(params.get("invoice_settings") or {})
    choosing = "default_payment_method" in settings
    default = settings.pop("default_payment_method", None)
    if default is not None:
        _check_attached(account, livemode, customer, default)
    before = events.snapshot(customer)
    for field in ("email", "name", "description", "phone", "balance", *DESCRIPTIVE):
        if field in params:
            setattr(customer, field, params[field])
    if choosing:
        customer.default_payment_method_id = default
    if settings:
        customer.invoice_settings = _invoice_settings(customer.invoice_settings, settings)
    if "metadata" in params:
        customer.metadata_ = merge_metadata(customer.metadata_, params["metadata"])
    now = clock.for_account(account)
    if params.get("default_source") is not None:
        customer.default_source_id = params["default_source"]
    if params.get("source") is not None:
        sources.replace_default(account, livemode, now, customer, params["source"],
                                pepper=pepper)
    events.emit_changes(account, livemode, now, "customer.updated", customer, before)
    db.session.commit()
    return customer


def _check_attached(account, livemode: bool, customer: Customer, method_id: str) -> None:
    """Refuse ``method_id`` as ``customer``'s default unless it is attached to it. Any other
    id gets the one answer (another account's or mode's, a made-up one: no oracle). The
    payment method is locked: a detach racing this waits, then finds it the default."""
    found = db.session.execute(locking(select(PaymentMethod.id).where(
        PaymentMethod.id == method_id, PaymentMethod.account_id == account.id,
        PaymentMethod.livemode == livemode,
        PaymentMethod.customer_id == customer.id))).scalar_one_or_none()
    if found is None:
        raise _not_attached(method_id)


def _not_attached(method_id: str) -> InvalidRequestError:
    return InvalidRequestError(messages.PAYMENT_METHOD_OF_OTHER_CUSTOMER.format(id=method_id),
                               param="invoice_settings[default_payment_method]")


def forget_default(account, livemode: bool, now: int, customer: Customer | None,
                   method_id: str) -> None:
    """``method_id``, detached from ``customer``, is no longer its default (as on Stripe:
    ``customer.updated``); the caller commits."""
    if customer is None or customer.default_payment_method_id != method_id:
        return
    before = events.snapshot(customer)
    customer.default_payment_method_id = None
    events.emit_changes(account, livemode, now, "customer.updated", customer, before)


def delete_customer(account, livemode: bool, clock, customer_id: str) -> Customer:
    """Delete a customer. As on Stripe, its payment methods are detached with it (their
    ``customer`` becomes ``null``, ``payment_method.detached``) and can never be used again."""
    # Locked first, as a change to its cards locks it: none is added or deleted meanwhile.
    customer = locked_customer(account, livemode, customer_id)
    now = clock.for_account(account)
    customer.deleted = True
    events.emit(account, livemode, now, "customer.deleted", customer)
    attached = db.session.execute(locking(select(PaymentMethod).where(
        PaymentMethod.account_id == account.id, PaymentMethod.livemode == livemode,
        PaymentMethod.customer_id == customer.id))).scalars().all()
    from .payment_methods import detach  # it imports this module
    from .sources import delete_all  # it imports this module

    for method in attached:
        detach(account, livemode, now, method)
    delete_all(account, livemode, customer)
    db.session.commit()
    return customer


def list_customers(account, livemode: bool, params: dict[str, Any], url: str) -> Page:
    filters: tuple = (Customer.deleted.is_(False),)
    if params.get("email"):
        filters += (Customer.email == params["email"],)
    return paginate(Customer, account, livemode, params, url, filters)
