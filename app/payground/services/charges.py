"""Charges: create (test cards, tokens, the simulated issuer), retrieve, update, capture, list."""

from __future__ import annotations

from typing import Any

from .. import messages
from ..core import cards, money, three_d_secure
from ..errors import CardError, InvalidRequestError, ResourceMissing
from ..models.balance_transaction import BalanceTransaction
from ..models.base import build, db
from ..models.direct import Writes
from ..models.charge import Charge
from ..models.payment_intent import PaymentIntent
from . import charge_expiry, events, intent_sync, ledger, tokens
from .common import Page, clean_metadata, get_scoped, merge_metadata, new_object_id, paginate
from .customers import get_customer

SETTLEMENT_SECONDS = 2 * 86400
# Stripe's descriptive fields a charge keeps and shows back (shipping in Stripe's shape).
DESCRIPTIVE = ("statement_descriptor_suffix", "shipping", "transfer_group")
CARD_FIELDS = ("card_id", "brand", "last4", "exp_month", "exp_year", "funding", "card_country",
               "fingerprint", "cvc_check", "card_name", "card_outcome", "issuer_limit",
               "billing_address")


def create_charge(account, livemode: bool, clock, params: dict[str, Any], *,
                  pepper: str) -> Charge:
    """Charge a card and return the charge (captured unless ``capture`` is false).

    ``source`` is a token (``tok_...``, single use), a magic test token (``tok_visa``), a
    test payment method (``pm_card_visa``) or, with ``customer``, one of its saved cards
    (``card_...``); ``customer`` alone charges its default source. A declined charge is
    stored with status ``failed`` and committed before the 402 is raised, so the error can
    name it.

    :param pepper: the app's secret, which keys card fingerprints.
    :raises InvalidRequestError: ``amount_too_small``, raw card data, a missing source,
        ``token_already_used``, or an unknown token/customer (404).
    :raises CardError: the card was declined; ``charge`` holds the failed charge's id.
    """
    amount, currency = params["amount"], params["currency"]
    check_amount(amount, currency)
    customer = None
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer")
    source = _source_param(params)
    if source is None and customer is None:
        raise InvalidRequestError(messages.SOURCE_OR_CUSTOMER, code="parameter_missing",
                                  param="source")
    now = clock.for_account(account)
    if customer is not None and (source is None or source.startswith("card_")):
        # One of the customer's saved cards: the one named, or its default source. Only
        # charges naming a customer look (a charge of a token reads no more than before).
        from .sources import card_to_charge  # it imports this module

        saved = card_to_charge(account, livemode, customer, source)
        card, magic = {field: getattr(saved, field) for field in CARD_FIELDS}, False
    else:
        card, magic = _card_for(account, livemode, source, now, pepper)
    # A charge has no way to ask the customer to authenticate: a card that wants 3-D Secure
    # is declined as an off-session payment is (use a PaymentIntent).
    need = three_d_secure.requirement(card["card_outcome"], livemode=livemode, off_session=True)
    charge, outcome = charge_card(
        account, livemode, now, card, magic=magic, amount=amount, currency=currency,
        capture=params.get("capture", True), customer=customer,
        unauthenticated=need is not None,
        description=params.get("description"), receipt_email=params.get("receipt_email"),
        statement_descriptor=params.get("statement_descriptor"),
        metadata_=clean_metadata(params.get("metadata")),
        **{field: params.get(field) for field in DESCRIPTIVE})
    # A declined charge is committed too: the error names it.
    db.session.commit()
    if outcome.declined:
        raise declined(charge, outcome)
    return charge


def charge_card(account, livemode: bool, now: int, card: dict[str, Any], *, magic: bool,
                amount: int, currency: str, capture: bool, customer=None,
                unauthenticated: bool = False, **fields: Any) -> tuple[Charge, cards.Outcome]:
    """Decide what happens to ``card``, add the charge to the session and settle it if captured.

    Shared by ``POST /v1/charges`` and confirming a PaymentIntent. Nothing is committed: a
    declined charge is added with status ``failed``; the caller commits, then raises
    ``declined(charge, outcome)``.

    :param card: the card columns (``CARD_FIELDS``) of a token, magic token or payment method.
    :param unauthenticated: the card wants 3-D Secure and this payment could not have it
        (``core.three_d_secure.DECLINE``): declined ``authentication_required``.
    :param fields: other charge columns (``description``, ``metadata_``, ``payment_intent_id``,
        ``three_d_secure``).
    """
    outcome = cards.decide(
        card["card_outcome"], amount=amount, issuer_limit=card["issuer_limit"],
        livemode=livemode, magic=magic, unauthenticated=unauthenticated,
        expired=cards.is_expired(card["exp_month"], card["exp_year"], now))
    if card["cvc_check"]:
        card["cvc_check"] = "fail" if outcome.name == "incorrect_cvc" else "pass"
    fields.setdefault("metadata_", {})
    fields.setdefault("three_d_secure", None)  # only a completed authentication sets it
    # Every column is set here, foreign keys included (not only through the relationships):
    # the rows are INSERTed directly (`insert_now`, no unit-of-work flush) and the event's
    # snapshot, taken before any flush, shows what the API will return.
    charge = build(
        Charge, id=new_object_id(Charge), account_id=account.id, livemode=livemode,
        created=now, amount=amount, currency=currency, customer=customer,
        customer_id=customer.id if customer is not None else None, result=outcome.name,
        amount_captured=0, amount_refunded=0, captured=False, refunded=False,
        balance_transaction_id=None, **fields, **card)
    # Everything is built first and written at the end in one go: the transaction (on SQLite,
    # the database's write lock) is held for the statements only (see models.direct).
    writes = Writes()
    if outcome.declined:
        charge.status = "failed"
        charge.failure_code, charge.failure_message = outcome.code, outcome.message
        writes.insert(charge)
        events.emit(account, livemode, now, "charge.failed", charge, writes=writes)
        writes.run()
        return charge, outcome
    charge.status = "succeeded"
    if capture:
        _settle(charge, amount, now, writes)  # the balance transaction the charge points at
    writes.insert(charge)
    if not capture:  # the authorisation lapses if it is not captured in time
        ledger.schedule(account.id, livemode, charge_expiry.EXPIRE, charge.id,
                        now + charge_expiry.AUTHORIZATION_SECONDS, writes=writes)
    events.emit(account, livemode, now, "charge.succeeded", charge, writes=writes)
    writes.run()
    return charge, outcome


def declined(charge: Charge, outcome: cards.Outcome, **extra: Any) -> CardError:
    """The 402 for a declined ``charge`` (``extra``: more error fields, e.g. ``payment_intent``)."""
    return CardError(outcome.message, code=outcome.code, decline_code=outcome.decline_code,
                     param=outcome.param, charge=charge.id, **extra)


def get_charge(account, livemode: bool, clock, charge_id: str) -> Charge:
    """The charge ``charge_id`` of this account and mode (404 otherwise), expired first if it
    is an authorisation whose seven days are over."""
    charge = get_scoped(Charge, account, livemode, charge_id)
    charge_expiry.catch_up_charges(account, livemode, clock, [charge])
    return charge


def update_charge(account, livemode: bool, clock, charge_id: str,
                  params: dict[str, Any]) -> Charge:
    """Change a charge's description, receipt e-mail, metadata, shipping (``None``: removed)
    or transfer group.

    :raises InvalidRequestError: ``transfer_group`` when the charge has one already.
    """
    charge = get_charge(account, livemode, clock, charge_id)
    _check_transfer_group(charge, params)
    before = events.snapshot(charge)
    for field in ("description", "receipt_email", "shipping", "transfer_group"):
        if field in params:
            setattr(charge, field, params[field])
    if "metadata" in params:
        charge.metadata_ = merge_metadata(charge.metadata_, params["metadata"])
    events.emit_changes(account, livemode, clock.for_account(account), "charge.updated",
                        charge, before)
    db.session.commit()
    return charge


def capture_charge(account, livemode: bool, clock, charge_id: str,
                   params: dict[str, Any]) -> Charge:
    """Capture an uncaptured charge, in full or in part.

    A partial capture releases the rest of the authorisation: like Stripe, the released
    amount shows in ``amount_refunded`` (without a refund object or balance transaction).

    :raises InvalidRequestError: the charge failed, expired (``charge_expired_for_capture``:
        seven days have passed), was released (``charge_already_refunded``), was already
        captured (``charge_already_captured``), ``amount`` is out of range, or
        ``transfer_group`` is given for a charge that has one.
    """
    intent_sync.lock_intent_of(account, livemode, charge_id)
    charge = get_scoped(Charge, account, livemode, charge_id, for_update=True)
    if charge.status == "failed":
        raise InvalidRequestError(messages.CHARGE_FAILED_CANNOT.format(id=charge.id,
                                                                      action="captured"))
    now = clock.for_account(account)
    if charge_expiry.is_due(charge, now):
        charge_expiry.release(account, livemode, now, charge)
        db.session.commit()  # it has expired, whatever becomes of this request
        raise _expired(charge)
    if charge.refunded:
        if charge_expiry.has_expired(charge):
            raise _expired(charge)
        raise InvalidRequestError(messages.CHARGE_ALREADY_REFUNDED.format(id=charge.id),
                                  code="charge_already_refunded")
    if charge.captured:
        raise InvalidRequestError(messages.CHARGE_ALREADY_CAPTURED.format(id=charge.id),
                                  code="charge_already_captured")
    amount = params.get("amount", charge.amount)
    if amount > charge.amount:
        raise InvalidRequestError(messages.CAPTURE_TOO_LARGE.format(
            amount=money.format_amount(amount, charge.currency),
            authorized=money.format_amount(charge.amount, charge.currency)),
            code="amount_too_large", param="amount")
    check_amount(amount, charge.currency)
    _check_transfer_group(charge, params)
    before = events.snapshot(charge)
    for field in ("receipt_email", "statement_descriptor", "statement_descriptor_suffix",
                  "transfer_group"):
        if field in params:
            setattr(charge, field, params[field])
    _settle(charge, amount, now)
    charge.amount_refunded = charge.amount - amount
    intent_sync.follow_capture(account, livemode, now, charge, amount)
    events.emit_changes(account, livemode, now, "charge.captured", charge, before)
    db.session.commit()
    return charge


def list_charges(account, livemode: bool, clock, params: dict[str, Any], url: str) -> Page:
    """Charges newest first, optionally only those of ``customer``, ``payment_intent`` or
    ``transfer_group`` (authorisations on the page whose seven days are over are expired first).

    :raises ResourceMissing: no such customer or PaymentIntent (Stripe documents the error
        for a non-existent customer); a deleted customer's charges are still listed.
    """
    filters: tuple = ()
    if params.get("customer"):
        customer = get_customer(account, livemode, params["customer"], param="customer",
                                include_deleted=True)
        filters += (Charge.customer_id == customer.id,)
    if params.get("payment_intent"):
        intent = get_scoped(PaymentIntent, account, livemode, params["payment_intent"],
                            param="payment_intent")
        filters += (Charge.payment_intent_id == intent.id,)
    if params.get("transfer_group"):
        filters += (Charge.transfer_group == params["transfer_group"],)
    page = paginate(Charge, account, livemode, params, url, filters)
    charge_expiry.catch_up_charges(account, livemode, clock, page.items)
    return page


def _check_transfer_group(charge: Charge, params: dict[str, Any]) -> None:
    """Stripe's rule: ``transfer_group`` "may only be provided if it has not been set"."""
    if "transfer_group" in params and charge.transfer_group is not None:
        raise InvalidRequestError(messages.CHARGE_TRANSFER_GROUP_SET.format(id=charge.id),
                                  param="transfer_group")


def _expired(charge: Charge) -> InvalidRequestError:
    return InvalidRequestError(messages.CHARGE_EXPIRED_FOR_CAPTURE.format(id=charge.id),
                               code="charge_expired_for_capture")


def check_amount(amount: int, currency: str) -> None:
    """Refuse amounts under the currency's minimum with Stripe's ``amount_too_small``, and
    over its eight-digit maximum with ``amount_too_large`` (larger ones also overflowed the
    database's 64-bit sums once a few had settled)."""
    check_maximum(amount, currency)
    minimum = money.minimum_amount(currency)
    if amount < minimum:
        message = (messages.AMOUNT_TOO_SMALL if currency == "usd" else
                   messages.AMOUNT_TOO_SMALL_IN.format(
                       minimum=money.format_amount(minimum, currency), currency=currency))
        raise InvalidRequestError(message, code="amount_too_small", param="amount")


def check_maximum(amount: int, currency: str) -> None:
    """Refuse an amount over Stripe's eight-digit maximum with ``amount_too_large``: a charge's,
    or a payout's (Stripe has the same limit for both)."""
    if amount > money.MAXIMUM_AMOUNT:
        message = (messages.AMOUNT_TOO_LARGE if currency == "usd" else
                   messages.AMOUNT_TOO_LARGE_IN.format(
                       maximum=money.format_amount(money.MAXIMUM_AMOUNT, currency, grouped=True),
                       currency=currency))
        raise InvalidRequestError(message, code="amount_too_large", param="amount")


def _source_param(params: dict[str, Any]) -> str | None:
    # `card` is Stripe's legacy name for `source`; either may carry raw card data, which only
    # POST /v1/tokens may receive.
    for name in ("card", "source"):
        value = params.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or cards.looks_like_card_number(value):
            raise InvalidRequestError(messages.RAW_CARD_DATA, param=name)
        return value
    return None


def _card_for(account, livemode: bool, source: str, now: int,
              pepper: str) -> tuple[dict[str, Any], bool]:
    """The card columns for a charge from ``source``, and whether it is a magic test card."""
    magic = cards.magic_card(source, now=now, key=pepper)
    if magic is not None:
        columns = tokens.card_columns(magic)
        columns.update(cvc_check="pass", card_name=None)
        return columns, True
    if source.startswith("tok_"):
        token = tokens.consume_token(account, livemode, source)
        return {field: getattr(token, field) for field in CARD_FIELDS}, False
    if source.startswith("card_"):
        # A saved card is charged only with its customer (that path never gets here). Looked
        # up for the other mode's message; one of this mode is as unknown as a made-up id.
        from ..models.card_source import CardSource

        get_scoped(CardSource, account, livemode, source, param="source")
    noun = "payment_method" if source.startswith("pm_") else "source"
    raise ResourceMissing(messages.NO_SUCH.format(noun=noun, id=source), param="source")


def _settle(charge: Charge, amount: int, now: int, writes: Writes | None = None) -> None:
    """Capture ``amount``: the fee is taken and the net is pending for two days.

    With ``writes``, the rows are queued there (the caller runs them); otherwise now."""
    queue = writes if writes is not None else Writes()
    bypass = cards.OUTCOMES[charge.result].bypass_pending
    fee = money.fee(amount)
    charge.captured, charge.amount_captured = True, amount
    txn = build(
        BalanceTransaction, id=new_object_id(BalanceTransaction), account_id=charge.account_id,
        livemode=charge.livemode, created=now, amount=amount, fee=fee, net=amount - fee,
        currency=charge.currency, type="charge", reporting_category="charge", source=charge.id,
        description=charge.description,
        available_on=now if bypass else now + SETTLEMENT_SECONDS)
    queue.insert(txn)  # before the charge's row, which points at it
    # The column: the event's snapshot is taken before anything is flushed.
    charge.balance_transaction_id = txn.id
    ledger.record_charge(charge, txn, now, writes=queue)
    if writes is None:
        queue.run()
    # Only now the relationship: on a charge already in the session, it would cascade `txn`
    # into the session as a new object before its INSERT had run.
    charge.balance_transaction = txn
