"""/v1/tokens: create (publishable keys too), retrieve; and the card object charges reuse."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..core import cards
from ..http import request_log
from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.schemas import CardText, Expand, IsoCurrency, Str, StripeSchema
from ..services import tokens
from . import bp


class CardParams(StripeSchema):
    number = CardText()
    exp_month = CardText()
    exp_year = CardText()
    cvc = CardText()
    name = Str(max_length=256)
    # The billing address: kept and shown back. Stripe.js sends the lines a form left blank
    # empty (`card[address_line2]=`): shown as null.
    address_city = Str(max_length=200, allow_empty=True)
    address_country = Str(max_length=200, allow_empty=True)
    address_line1 = Str(max_length=200, allow_empty=True)
    address_line2 = Str(max_length=200, allow_empty=True)
    address_state = Str(max_length=200, allow_empty=True)
    address_zip = Str(max_length=20, allow_empty=True)
    # Stripe uses it only for a Connect account's debit card (a payout destination), and
    # ignores it on any other card: checked for its shape, then ignored here too.
    currency = IsoCurrency()


class TokenCreate(StripeSchema):
    card = fields.Nested(CardParams)
    expand = Expand()


class TokenRetrieve(StripeSchema):
    expand = Expand()


def _address(obj, key: str) -> str | None:
    return (obj.billing_address or {}).get(key)


def address_check(obj, key: str) -> str | None:
    """Stripe's ``address_line1_check``/``address_zip_check`` for a given line1 or postal
    code: ``unchecked`` on a token, the issuer's answer on a charge or a card saved on a
    customer (saving verifies it): ``pass``, or ``fail`` / ``unavailable`` for Stripe's
    verification test cards; ``null`` when none was given."""
    if _address(obj, key) is None:
        return None
    if obj.object in ("charge", "card"):
        return cards.address_check(obj.card_outcome, key)
    return "unchecked"


class CardOut(Schema):
    """Stripe's ``card`` object, dumped from a token or a charge (both have the card columns)."""

    id = fields.String(attribute="card_id")
    object = fields.Constant("card")
    address_city = fields.Function(lambda obj: _address(obj, "city"))
    address_country = fields.Function(lambda obj: _address(obj, "country"))
    address_line1 = fields.Function(lambda obj: _address(obj, "line1"))
    address_line1_check = fields.Function(lambda obj: address_check(obj, "line1"))
    address_line2 = fields.Function(lambda obj: _address(obj, "line2"))
    address_state = fields.Function(lambda obj: _address(obj, "state"))
    address_zip = fields.Function(lambda obj: _address(obj, "postal_code"))
    address_zip_check = fields.Function(lambda obj: address_check(obj, "postal_code"))
    brand = fields.Function(lambda obj: cards.BRAND_NAMES.get(obj.brand, "Unknown"))
    country = fields.String(attribute="card_country")
    # A saved card's customer; on a charge, the customer charged (Stripe charges a card of a
    # customer only with that customer); a token's card has none.
    customer = fields.Function(lambda obj: getattr(obj, "customer_id", None))
    cvc_check = fields.String()
    dynamic_last4 = fields.Constant(None)
    exp_month = fields.Integer()
    exp_year = fields.Integer()
    fingerprint = fields.String()
    funding = fields.String()
    last4 = fields.String()
    metadata = fields.Constant({})
    name = fields.String(attribute="card_name")
    regulated_status = fields.Constant("unregulated")
    tokenization_method = fields.Constant(None)


_card_out = CardOut()


class TokenOut(Schema):
    id = fields.String()
    object = fields.Constant("token")
    card = fields.Function(lambda token: _card_out.dump(token))
    client_ip = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    type = fields.Constant("card")
    used = fields.Boolean()


@bp.post("/tokens")
@requires("token_write", publishable=True)
@accepts(TokenCreate)
@returns(TokenOut)
def create_token(params):
    """Create a card token: one of the two endpoints that take a raw card number."""
    s = scope()
    return tokens.create_token(s.account, s.livemode, s.clock, params, pepper=state().pepper,
                               client_ip=request_log.client_ip())  # through trusted proxies


@bp.get("/tokens/<token_id>")
@requires("token_read")
@accepts(TokenRetrieve)
@returns(TokenOut)
def retrieve_token(token_id, params):
    """Retrieve a token."""
    s = scope()
    return tokens.get_token(s.account, s.livemode, token_id)
