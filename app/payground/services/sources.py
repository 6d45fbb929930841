"""Cards saved on a customer (Stripe's legacy sources): save from a token, retrieve, update,
delete, list; the customer's default source; and the card a charge of a customer pays with.

A saved card is verified when it is saved, as Stripe verifies it: a card its issuer would
decline (``tok_chargeDeclined``) is refused with that decline; Stripe's 0341
(``tok_chargeCustomerFail``) is saved, and declined when charged (``core.cards``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import messages
from ..core import cards
from ..core.ids import new_sortable_id
from ..errors import CardError, InvalidRequestError, ResourceMissing
from ..models.base import db
from ..models.card_source import CardSource
from ..models.customer import Customer
from . import events, tokens
from .common import Page, clean_metadata, get_scoped, merge_metadata, paginate
from .customers import get_customer, locked_customer

CARD_FIELDS = ("card_id", "brand", "last4", "exp_month", "exp_year", "funding", "card_country",
               "fingerprint", "cvc_check", "card_name", "card_outcome", "issuer_limit",
               "billing_address")
EMBEDDED_SOURCES = 10  # a customer's ``sources`` when expanded: its 10 newest, as Stripe's


def save_card(account, livemode: bool, now: int, customer: Customer, token_id: Any, *,
              pepper: str, metadata: dict | None = None, param: str = "source") -> CardSource:
    """Save the card of ``token_id`` on ``customer`` (``customer.source.created``); the
    caller makes it the default if it should be, and commits.

    :param token_id: a token (single use) or a magic test token (``tok_visa``).
    :raises InvalidRequestError: raw card data, ``token_already_used``, no such token (404).
    :raises CardError: the issuer declines the card, or a magic token in live mode
        (``live_mode_test_card``, as its number would be when tokenised).
    """
    if not isinstance(token_id, str) or cards.looks_like_card_number(token_id):
        raise InvalidRequestError(messages.RAW_CARD_DATA, param=param)
    magic = cards.magic_card(token_id, now=now, key=pepper) \
        if token_id.startswith("tok_") else None
    if magic is not None:
        if livemode:
            raise CardError(messages.LIVE_MODE_TEST_CARD, code="card_declined", param=param,
                            decline_code="live_mode_test_card")
        columns = tokens.card_columns(magic)
        # Sortable (a charge's magic card need not be): a customer's cards list newest first.
        columns.update(card_id=new_sortable_id("card_"), cvc_check="pass", card_name=None)
    else:
        # Anything else is looked up as a token: "No such token: '...'" (404), as Stripe.
        token = tokens.consume_token(account, livemode, token_id, param=param)
        columns = {field: getattr(token, field) for field in CARD_FIELDS}
        if columns["cvc_check"]:
            columns["cvc_check"] = "pass"  # the issuer checked the CVC the token carried
    outcome = cards.saving_outcome(
        columns["card_outcome"], livemode=livemode,
        expired=cards.is_expired(columns["exp_month"], columns["exp_year"], now))
    if outcome.declined:
        raise CardError(outcome.message, code=outcome.code, decline_code=outcome.decline_code,
                        param=outcome.param)
    card = CardSource(id=columns["card_id"], account_id=account.id, livemode=livemode,
                      created=now, customer=customer, customer_id=customer.id,
                      metadata_=clean_metadata(metadata), **columns)
    db.session.add(card)
    events.emit(account, livemode, now, "customer.source.created", card)
    return card


def create_source(account, livemode: bool, clock, customer_id: str, params: dict[str, Any], *,
                  pepper: str) -> CardSource:
    """``POST /v1/customers/{id}/sources``: save a card; it becomes the default only if the
    customer has none (``customer.updated`` then), as on Stripe."""
    customer = locked_customer(account, livemode, customer_id)
    now = clock.for_account(account)
    card = save_card(account, livemode, now, customer, params["source"], pepper=pepper,
                     metadata=params.get("metadata"))
    if customer.default_source_id is None:
        _set_default(account, livemode, now, customer, card.id)
    db.session.commit()
    return card


def get_source(account, livemode: bool, customer_id: str, source_id: str) -> CardSource:
    """One of the customer's cards; any other id (another customer's card, another account's
    or mode's, a made-up one) gets one answer: "No such source" (404, param ``id``)."""
    customer = get_customer(account, livemode, customer_id)
    return _card_of(account, livemode, customer, source_id)


def update_source(account, livemode: bool, clock, customer_id: str, source_id: str,
                  params: dict[str, Any]) -> CardSource:
    """Change a saved card's expiry, cardholder name, address or metadata
    (``customer.source.updated`` with what changed; nothing changed, no event).

    :raises CardError: ``invalid_expiry_month`` / ``invalid_expiry_year`` (checked against the
        account's clock, the part not sent being the card's).
    """
    customer = get_customer(account, livemode, customer_id)
    card = _card_of(account, livemode, customer, source_id, for_update=True)
    now = clock.for_account(account)
    if "exp_month" in params or "exp_year" in params:
        problem, exp_month, exp_year = cards.expiry_problem(
            params.get("exp_month", card.exp_month), params.get("exp_year", card.exp_year), now)
        if problem is not None:
            raise CardError(problem.message, code=problem.code, param=problem.param)
    before = events.snapshot(card)
    if "exp_month" in params or "exp_year" in params:
        card.exp_month, card.exp_year = exp_month, exp_year
    if "name" in params:
        card.card_name = params["name"]
    given = {key: params[param] for key, param in tokens.ADDRESS_PARAMS.items()
             if param in params}
    if given:
        merged = {**(card.billing_address or {}), **given}
        address = {key: merged.get(key) for key in tokens.ADDRESS_KEYS}
        card.billing_address = address if any(address.values()) else None
    if "metadata" in params:
        card.metadata_ = merge_metadata(card.metadata_, params["metadata"])
    events.emit_changes(account, livemode, now, "customer.source.updated", card, before)
    db.session.commit()
    return card


def delete_source(account, livemode: bool, clock, customer_id: str,
                  source_id: str) -> CardSource:
    """Delete a saved card (``customer.source.deleted``). If it was the default, the most
    recently added card left becomes the default, or none (``customer.updated``), as Stripe
    documents."""
    customer = locked_customer(account, livemode, customer_id)
    card = _card_of(account, livemode, customer, source_id, for_update=True)
    now = clock.for_account(account)
    events.emit(account, livemode, now, "customer.source.deleted", card)
    db.session.delete(card)
    db.session.flush()
    if customer.default_source_id == card.id:
        newest = db.session.execute(
            select(CardSource.id).where(*_scope(account, livemode, customer))
            .order_by(CardSource.created.desc(), CardSource.id.desc()).limit(1)).scalar()
        _set_default(account, livemode, now, customer, newest)
    db.session.commit()
    return card


def list_sources(account, livemode: bool, customer_id: str, params: dict[str, Any],
                 url: str) -> Page:
    """The customer's saved cards, newest first (``object=card``; Payground saves no bank
    accounts or Sources, so any other ``object`` lists nothing)."""
    customer = get_customer(account, livemode, customer_id)
    filters: tuple = (CardSource.customer_id == customer.id,)
    if params.get("object") not in (None, "card"):
        filters += (CardSource.id.is_(None),)
    return paginate(CardSource, account, livemode, params, url, filters)


def embedded_sources(customer: Customer) -> Page:
    """A customer's ``sources`` (``expand[]=sources``): its 10 newest cards; the list's
    ``url`` pages through the rest."""
    from ..models.account import Account

    account = db.session.get(Account, customer.account_id)  # the caller's: already loaded
    return paginate(CardSource, account, customer.livemode, {"limit": EMBEDDED_SOURCES},
                    f"/v1/customers/{customer.id}/sources",
                    (CardSource.customer_id == customer.id,))


def replace_default(account, livemode: bool, now: int, customer: Customer, token_id: Any, *,
                    pepper: str) -> None:
    """``source`` on a customer update: the new card becomes the default, and the old default
    is deleted (Stripe: "Passing source will create a new source object, make it the new
    customer default source, and delete the old customer default if one exists")."""
    card = save_card(account, livemode, now, customer, token_id, pepper=pepper)
    old = customer.default_source_id
    if old is not None:
        previous = db.session.get(CardSource, old)
        if previous is not None:
            events.emit(account, livemode, now, "customer.source.deleted", previous)
            db.session.delete(previous)
    customer.default_source_id = card.id


def check_default(account, livemode: bool, customer: Customer, source_id: str) -> None:
    """Refuse ``default_source`` unless it is one of ``customer``'s cards ("No such source",
    404, param ``default_source``: one answer for another customer's card, another
    account's, a made-up id; one of the other mode is said to be so, as everywhere). The card
    is locked: a delete racing this waits, then finds it the default."""
    _card_of(account, livemode, customer, source_id, for_update=True, param="default_source")


def card_to_charge(account, livemode: bool, customer: Customer,
                   source: str | None) -> CardSource:
    """The saved card a charge of ``customer`` pays with: ``source`` (one of its cards), or
    its default.

    :raises CardError: no ``source`` and no default (Stripe's "Cannot charge a customer that
        has no active card", code ``missing``, param ``card``).
    :raises ResourceMissing: ``source`` is not one of its cards (Stripe's "does not have a
        linked source", 404, code ``missing``).
    """
    if source is None:
        if customer.default_source_id is None:
            raise CardError(messages.CUSTOMER_HAS_NO_CARD, code="missing", param="card")
        source = customer.default_source_id
    card = db.session.execute(select(CardSource).where(
        CardSource.id == source, *_scope(account, livemode, customer))).scalar_one_or_none()
    if card is None:
        raise ResourceMissing(messages.NO_LINKED_SOURCE.format(customer=customer.id, id=source),
                              code="missing", param="source")
    return card


def delete_all(account, livemode: bool, customer: Customer) -> None:
    """A deleted customer's cards go with it (the caller commits)."""
    for card in db.session.execute(select(CardSource).where(
            *_scope(account, livemode, customer))).scalars():
        db.session.delete(card)


def _set_default(account, livemode: bool, now: int, customer: Customer,
                 source_id: str | None) -> None:
    before = events.snapshot(customer)
    customer.default_source_id = source_id
    events.emit_changes(account, livemode, now, "customer.updated", customer, before)


def _scope(account, livemode: bool, customer: Customer) -> tuple:
    return (CardSource.account_id == account.id, CardSource.livemode == livemode,
            CardSource.customer_id == customer.id)


def _card_of(account, livemode: bool, customer: Customer, source_id: str, *,
             for_update: bool = False, param: str = "id") -> CardSource:
    """One of ``customer``'s cards; another customer's is as unknown as a made-up id."""
    card = get_scoped(CardSource, account, livemode, source_id, param=param,
                      for_update=for_update)
    if card.customer_id != customer.id:
        raise ResourceMissing(messages.NO_SUCH.format(noun="source", id=source_id),
                              param=param)
    return card

