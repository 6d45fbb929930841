"""Card tokens: create (the only place a raw card number is accepted), retrieve, consume."""

from __future__ import annotations

from typing import Any

from .. import messages
from ..core import cards
from ..core.ids import new_id, new_sortable_id
from ..errors import CardError, InvalidRequestError, ParameterMissing
from ..models.base import db
from ..models.token import Token
from .common import get_scoped, new_object_id


def create_token(account, livemode: bool, clock, params: dict[str, Any], *, pepper: str,
                 client_ip: str | None = None) -> Token:
    """Tokenise a card: validate it, keep brand/last4/expiry/fingerprint, drop the number.

    :param params: ``{"card": {"number", "exp_month", "exp_year", "cvc", "name",
        "address_*"}}`` (the address is kept as ``billing_address``).
    :param pepper: the app's secret; card fingerprints are an HMAC keyed with it.
    :raises ParameterMissing: no card, or a card without number or expiry.
    :raises CardError: 402 with Stripe's ``invalid_number``, ``incorrect_number``,
        ``invalid_expiry_month``/``year``, ``invalid_cvc``, or ``card_declined`` with
        ``test_mode_live_card`` / ``live_mode_test_card``.
    """
    data = params.get("card")
    if not data:
        raise InvalidRequestError(messages.TOKEN_NEEDS_CARD, code="parameter_missing",
                                  param="card")
    now = clock.for_account(account)
    card = card_from_params(data, livemode, now, pepper=pepper)
    columns = card_columns(card)
    # Sortable: saved on a customer, the card keeps this id (as on Stripe, where a token's
    # card.id is the id of the card it saves), and a customer's cards list newest first.
    columns["card_id"] = new_sortable_id("card_")
    columns["billing_address"] = card_address(data)
    token = Token(id=new_object_id(Token), account_id=account.id, livemode=livemode,
                  created=now, client_ip=client_ip, used=False,
                  cvc_check="unchecked" if data.get("cvc") else None,
                  card_name=data.get("name"), **columns)
    db.session.add(token)
    db.session.commit()
    return token


# A card's ``address_*`` parameters, as the keys of Stripe's address hash.
_ADDRESS_PARAMS = {"city": "address_city", "country": "address_country",
                   "line1": "address_line1", "line2": "address_line2",
                   "postal_code": "address_zip", "state": "address_state"}
ADDRESS_KEYS = tuple(_ADDRESS_PARAMS)  # Stripe's address hash, in its order
ADDRESS_PARAMS = _ADDRESS_PARAMS  # for updates of a saved card's address


def card_address(data: dict[str, Any]) -> dict[str, str | None] | None:
    """The billing address of card parameters (Stripe's shape, every key), or None."""
    address = {key: data.get(param) or None for key, param in _ADDRESS_PARAMS.items()}
    return address if any(address.values()) else None


def card_from_params(data: dict[str, Any], livemode: bool, now: int, *,
                     pepper: str) -> cards.Card:
    """Check raw card data (``number``, ``exp_month``, ``exp_year``, ``cvc``) for this mode.

    Shared by tokens and payment methods; what is returned no longer holds the number.
    :raises ParameterMissing: no number or expiry.
    :raises CardError: the 402 a bad number, expiry or CVC gets, or a card of the wrong mode.
    """
    for name in ("number", "exp_month", "exp_year"):
        if data.get(name) in (None, ""):
            raise ParameterMissing(f"card[{name}]")
    number = cards.normalize(data["number"])
    problem = cards.number_problem(number)
    if problem is None:
        problem, exp_month, exp_year = cards.expiry_problem(data["exp_month"], data["exp_year"],
                                                            now)
    if problem is None:
        problem = cards.cvc_problem(data.get("cvc"))
    if problem is None:
        card = cards.describe(number, exp_month, exp_year, livemode=livemode, key=pepper,
                              cvc=bool(data.get("cvc")))
        problem = card if isinstance(card, cards.CardProblem) else None
    if problem is not None:
        raise CardError(problem.message, code=problem.code, param=problem.param,
                        decline_code=problem.decline_code)
    return card


def get_token(account, livemode: bool, token_id: str) -> Token:
    """The token ``token_id`` of this account and mode (404 otherwise)."""
    return get_scoped(Token, account, livemode, token_id)


def consume_token(account, livemode: bool, token_id: str, *, param: str = "source") -> Token:
    """Mark a token used, in the caller's transaction; a used token is refused.

    The row is locked so that two charges racing for one token cannot both win.
    :param param: the parameter that named the token, for errors.
    :raises InvalidRequestError: ``token_already_used``.
    """
    token = get_scoped(Token, account, livemode, token_id, param=param, for_update=True)
    if token.used:
        raise InvalidRequestError(messages.TOKEN_ALREADY_USED.format(id=token.id),
                                  code="token_already_used", param=param)
    token.used = True
    return token


def card_columns(card: cards.Card) -> dict[str, Any]:
    """A ``core.cards.Card`` as the column values of ``models.token.CardColumns``."""
    return {"card_id": new_id("card_"), "brand": card.brand, "last4": card.last4,
            "exp_month": card.exp_month, "exp_year": card.exp_year, "funding": card.funding,
            "card_country": card.country, "fingerprint": card.fingerprint,
            "card_outcome": card.outcome, "issuer_limit": card.issuer_limit,
            "billing_address": None}
