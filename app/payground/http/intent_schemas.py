"""Input and output schemas of /v1/payment_methods and /v1/payment_intents.

Output schemas dump models outside a request too (``services.events`` snapshots with them).
Related objects' schemas are imported lazily: the ``v1`` modules import this one.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validates_schema
from werkzeug.urls import iri_to_uri

from .. import messages
from ..core import cards
from .schemas import (Bool, CardText, Currency, Email, Expand, Int, ListParams, Metadata,
                      OneOf, StatementDescriptor, Str, StringArray, StripeSchema)
from .validation import coded, shown

CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
# What a publishable key (with the client secret) may see of a PaymentIntent: Stripe's
# "retrievable with publishable key" attributes.
PUBLIC_INTENT_FIELDS = frozenset((
    "id", "object", "amount", "automatic_payment_methods", "canceled_at", "cancellation_reason",
    "capture_method", "client_secret", "confirmation_method", "created", "currency",
    "description", "last_payment_error", "livemode", "next_action", "payment_method",
    "payment_method_types", "processing", "receipt_email", "setup_future_usage", "shipping",
    "status"))
# PaymentMethod `card.display_brand` names the brands a little differently from `card.brand`.
DISPLAY_BRANDS = {"amex": "american_express", "diners": "diners_club",
                  "unionpay": "union_pay", "unknown": "other"}


class PaymentMethodTypes(StringArray):
    """``payment_method_types[]=card``: a list of types, of which Payground has only ``card``."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value:  # a JSON []: an intent that no payment method could pay
            raise ValidationError(coded(None, messages.INVALID_ARRAY))
        for name in value:
            if name != "card":
                raise ValidationError(coded(None, messages.PAYMENT_METHOD_TYPE_INVALID.format(
                    type=name[:40])))
        return list(dict.fromkeys(value))


# -- addresses -------------------------------------------------------------------------------


class ShippingAddress(StripeSchema):
    city = Str(max_length=200, allow_empty=True)
    country = Str(max_length=2, allow_empty=True)
    line1 = Str(max_length=200, allow_empty=True)
    line2 = Str(max_length=200, allow_empty=True)
    postal_code = Str(max_length=20, allow_empty=True)
    state = Str(max_length=200, allow_empty=True)


class FreeformAddress(ShippingAddress):
    """A customer's address: Stripe's ``country`` there is "a freeform text field" (a
    two-letter code only matters to its tax features, which Payground does not have)."""

    country = Str(max_length=200, allow_empty=True)


ADDRESS_KEYS = tuple(ShippingAddress._declared_fields)


def full_address(given: dict) -> dict:
    """An address in Stripe's shape: every key present, ``null`` where not given."""
    return {key: given.get(key) or None for key in ADDRESS_KEYS}


class Address(fields.Nested):
    """Stripe's address hash (``address[line1]=...``), or ``address=`` to remove it (None);
    kept in Stripe's shape (``full_address``). On update it replaces the whole address."""

    def __init__(self, schema: type[StripeSchema] = ShippingAddress, **kwargs):
        super().__init__(schema, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return full_address(super()._deserialize(value, attr, data, **kwargs))


class AddressChanges(fields.Nested):
    """An address on update, merged into the one kept: only the keys sent (``None`` for one
    sent empty, which unsets it), or ``address=`` to remove it all (None)."""

    def __init__(self, **kwargs):
        super().__init__(ShippingAddress, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


# -- payment methods -------------------------------------------------------------------------

ALLOW_REDISPLAY = ("always", "limited", "unspecified")


class PaymentMethodCard(StripeSchema):
    number = CardText()
    exp_month = CardText()
    exp_year = CardText()
    cvc = CardText()
    token = Str(max_length=255)


class BillingDetails(StripeSchema):
    # Each may be sent empty (Stripe's `Emptyable`; stripe-node's `null`): shown as null.
    name = Str(max_length=256, allow_empty=True)
    email = Email(allow_empty=True)
    phone = Str(max_length=64, allow_empty=True)
    address = Address()


class PaymentMethodCreate(StripeSchema):
    type = OneOf(("card",), required=True)
    allow_redisplay = OneOf(ALLOW_REDISPLAY)  # Stripe.js sends it with a publishable key
    card = fields.Nested(PaymentMethodCard)
    billing_details = fields.Nested(BillingDetails)
    metadata = Metadata()
    expand = Expand()


class BillingDetailsChanges(BillingDetails):
    """``billing_details`` on update: each field sent replaces (or, empty, unsets) its own."""

    address = AddressChanges()


class PaymentMethodCardChanges(StripeSchema):
    # Integers in Stripe's update (its create takes card text); range and date are checked
    # against the account's clock by the service, with the 402s a new card's expiry gets.
    exp_month = Int()
    exp_year = Int()


class PaymentMethodUpdate(StripeSchema):
    allow_redisplay = OneOf(ALLOW_REDISPLAY)
    billing_details = fields.Nested(BillingDetailsChanges)
    card = fields.Nested(PaymentMethodCardChanges)
    metadata = Metadata()
    expand = Expand()


class PaymentMethodAttach(StripeSchema):
    customer = Str(required=True, max_length=255)
    expand = Expand()


class PaymentMethodRetrieve(StripeSchema):
    expand = Expand()


class PaymentMethodListParams(ListParams):
    customer = Str(max_length=255)
    type = OneOf(("card",))


class CustomerPaymentMethodListParams(ListParams):
    """``GET /v1/customers/{id}/payment_methods``: the customer is in the path."""

    type = OneOf(("card",))


def _address_check(method, key: str) -> str | None:
    # Stripe's for a line1 or postal code given: `unchecked` until the card is charged, then
    # the issuer's answer; null for one not given.
    if not (method.billing_address or {}).get(key):
        return None
    return cards.address_check(method.card_outcome, key) if method.card_checked else "unchecked"


def _method_card(method) -> dict:
    return {
        "brand": method.brand,
        "checks": {"address_line1_check": _address_check(method, "line1"),
                   "address_postal_code_check": _address_check(method, "postal_code"),
                   "cvc_check": method.cvc_check},
        "country": method.card_country,
        "display_brand": DISPLAY_BRANDS.get(method.brand, method.brand),
        "exp_month": method.exp_month, "exp_year": method.exp_year,
        "fingerprint": method.fingerprint, "funding": method.funding, "generated_from": None,
        "last4": method.last4, "networks": {"available": [method.brand], "preferred": None},
        "regulated_status": "unregulated", "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def _customer_schema():
    from ..v1.customers import CustomerOut

    return CustomerOut


class PaymentMethodOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("payment_method_read",)  # to expand one
    EXPANDABLE: ClassVar[dict] = {"customer": ("customer", _customer_schema)}

    id = fields.String()
    object = fields.Constant("payment_method")
    allow_redisplay = fields.String()
    billing_details = fields.Function(lambda m: {
        "address": m.billing_address or full_address({}),
        "email": m.billing_email, "name": m.card_name, "phone": m.billing_phone,
        "tax_id": None})
    card = fields.Function(_method_card)
    created = fields.Integer()
    customer = fields.String(attribute="customer_id")
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    type = fields.String()


# -- payment intents -------------------------------------------------------------------------


class AutomaticPaymentMethods(StripeSchema):
    enabled = Bool(required=True)
    allow_redirects = OneOf(("always", "never"))


class CardStatementDescriptor(Str):
    """A PaymentIntent's ``statement_descriptor``: Stripe refuses it when ``card`` is among the
    intent's payment method types, as it always is here (``statement_descriptor_suffix``
    is the card's)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=22, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        super()._deserialize(value, attr, data, **kwargs)
        raise ValidationError(coded(None, messages.INTENT_STATEMENT_DESCRIPTOR_CARD))


class OffSession(fields.Field):
    """``off_session``: ``true``/``false``, or (on confirm) ``one_off``/``recurring``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("one_off", "recurring"):
            return value
        return Bool()._deserialize(value, attr, data, **kwargs)


class ShippingDetails(StripeSchema):
    name = Str(required=True, max_length=200)
    address = fields.Nested(ShippingAddress, required=True)
    carrier = Str(max_length=200, allow_empty=True)
    phone = Str(max_length=50, allow_empty=True)
    tracking_number = Str(max_length=200, allow_empty=True)


class CustomerShippingDetails(StripeSchema):
    """A customer's ``shipping``: Stripe takes no carrier or tracking number there."""

    name = Str(required=True, max_length=200)
    address = fields.Nested(FreeformAddress, required=True)
    phone = Str(max_length=50, allow_empty=True)


class Shipping(fields.Nested):
    """``shipping[name]=...&shipping[address][line1]=...``, or ``shipping=`` to remove it;
    kept in Stripe's shape, every key present (``null`` where not given)."""

    def __init__(self, schema: type[StripeSchema] = ShippingDetails, **kwargs):
        super().__init__(schema, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        given = super()._deserialize(value, attr, data, **kwargs)
        return {"address": full_address(given.get("address", {})),
                **{k: given.get(k) or None for k in ("carrier", "name", "phone",
                                                     "tracking_number")}}


class CardPaymentMethodOptions(StripeSchema):
    """``payment_method_options[card]``: the card options a sandbox can honour.
    ``capture_method`` (``manual``) and ``setup_future_usage`` override the intent's own for
    cards, ``""`` unsets one; ``request_three_d_secure`` ``any`` or ``challenge`` asks a card
    that supports 3-D Secure to authenticate (``core.three_d_secure``). Stripe's other card
    options (installments, networks, mandates, MOTO ...) need a real card network: they are
    unknown parameters."""

    capture_method = OneOf(("manual",), allow_empty=True)
    request_three_d_secure = OneOf(("any", "automatic", "challenge"))
    setup_future_usage = OneOf(("none", "off_session", "on_session"), allow_empty=True)


class CardOptions(fields.Nested):
    """``payment_method_options[card][...]``, or ``payment_method_options[card]=`` to unset
    every card option (None)."""

    def __init__(self, **kwargs):
        super().__init__(CardPaymentMethodOptions, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class PaymentMethodOptions(StripeSchema):
    card = CardOptions()


class ReturnUrl(Str):
    """``return_url``: where the customer's browser goes after 3-D Secure. An absolute URL
    (``https://...``, or an app's own scheme, as Stripe takes), never one that runs or holds
    content itself (``javascript:``, ``data:`` ...): Payground's page sends the browser there."""

    NOT_PAGES = ("javascript", "data", "vbscript", "file", "blob", "about")

    def __init__(self, **kwargs):
        super().__init__(max_length=2048, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            parts = urlsplit(value)
            # As the page's redirect will send it (werkzeug's Location header): a host no
            # browser could look up (an empty or 64-character label) or a port that is none
            # (99999, "abc") would fail there, a 500 after the payment moved on.
            iri_to_uri(value)
        except ValueError:  # an unclosed IPv6 bracket, a bad port, a host IDNA refuses
            parts = None
        if parts is None or not parts.scheme or not parts.netloc \
                or parts.scheme.lower() in self.NOT_PAGES \
                or any(char.isspace() or not char.isprintable() for char in value):
            raise ValidationError(coded("url_invalid", messages.RETURN_URL_INVALID.format(
                url=shown(value))))
        return value


class _NoRedirects(StripeSchema):
    """What Stripe takes for saved cards and 3-D Secure (``core.three_d_secure``).
    ``off_session`` says the customer is not there to authenticate (a card that wants it is
    then declined ``authentication_required``), ``error_on_requires_action`` declines so
    rather than wait for the customer, ``return_url`` is where the authentication page sends
    the browser, and ``setup_future_usage`` saves the card as Stripe does (the README says
    so)."""

    off_session = OffSession()
    error_on_requires_action = Bool()
    setup_future_usage = OneOf(("off_session", "on_session"))
    shipping = Shipping()
    payment_method_options = fields.Nested(PaymentMethodOptions)


class TransferGroup(Str):
    """``transfer_group``: Stripe's free text grouping a payment with transfers (a charge's,
    a PaymentIntent's; Payground has no Connect transfers: it only groups)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=5000, **kwargs)


# Create's parameters that Stripe reads only with confirm=true (in the order it lists them);
# its others (mandate, mandate_data, confirmation_token ...) are unknown here.
CONFIRM_ONLY = ("error_on_requires_action", "off_session", "return_url")


class PaymentIntentCreate(_NoRedirects):
    amount = Int(required=True, minimum=1)
    currency = Currency(required=True)
    customer = Str(max_length=255)
    payment_method = Str(max_length=255)
    confirm = Bool()
    capture_method = OneOf(CAPTURE_METHODS)
    payment_method_types = PaymentMethodTypes()
    automatic_payment_methods = fields.Nested(AutomaticPaymentMethods)
    description = Str(allow_empty=True)
    metadata = Metadata()
    receipt_email = Email()
    statement_descriptor = CardStatementDescriptor()
    statement_descriptor_suffix = StatementDescriptor(minimum=1)
    transfer_group = TransferGroup()  # copied to the charge, as on Stripe
    return_url = ReturnUrl()  # with confirm=true (as Stripe says), for 3-D Secure's redirect
    expand = Expand()

    @validates_schema
    def automatic_or_listed_types(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Stripe takes one or the other: code that sends both would pass here and fail there.
        if "automatic_payment_methods" in data and "payment_method_types" in data:
            raise ValidationError(coded(None, messages.ONE_OF_PARAMS.format(
                params="automatic_payment_methods, payment_method_types")))

    @validates_schema
    def confirm_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Stripe refuses what only a confirmation reads ("This parameter can only be used with
        # confirm=true") on a create that does not confirm, whatever its value: accepted and
        # dropped, an integration would believe the payment was off session or had a page to
        # come back to.
        if data.get("confirm"):
            return
        for param in CONFIRM_ONLY:
            if param in data:
                raise ValidationError(coded(None, messages.INTENT_CONFIRM_ONLY_PARAM.format(
                    param=param)), param)


class PaymentIntentUpdate(StripeSchema):
    amount = Int(minimum=1)
    currency = Currency()
    customer = Str(max_length=255)
    payment_method = Str(max_length=255)
    capture_method = OneOf(CAPTURE_METHODS)
    payment_method_types = PaymentMethodTypes()
    description = Str(allow_empty=True)
    metadata = Metadata()
    receipt_email = Email(allow_empty=True)  # `receipt_email=` unsets it, as on Stripe
    statement_descriptor = CardStatementDescriptor()
    statement_descriptor_suffix = StatementDescriptor(minimum=1)
    setup_future_usage = OneOf(("off_session", "on_session"), allow_empty=True)
    shipping = Shipping()
    transfer_group = TransferGroup()  # only while the intent has none (Stripe's rule)
    payment_method_options = fields.Nested(PaymentMethodOptions)
    expand = Expand()


class PaymentIntentConfirm(_NoRedirects):
    payment_method = Str(max_length=255)
    capture_method = OneOf(CAPTURE_METHODS)
    client_secret = Str(max_length=255)
    # Stripe's confirm unsets both with an empty value, as its update does (create cannot).
    receipt_email = Email(allow_empty=True)
    setup_future_usage = OneOf(("off_session", "on_session"), allow_empty=True)
    return_url = ReturnUrl()
    expand = Expand()


class PaymentIntentCapture(StripeSchema):
    amount_to_capture = Int(minimum=1)
    metadata = Metadata()
    statement_descriptor = CardStatementDescriptor()
    statement_descriptor_suffix = StatementDescriptor(minimum=1)
    expand = Expand()


class PaymentIntentCancel(StripeSchema):
    cancellation_reason = OneOf(CANCELLATION_REASONS)
    expand = Expand()


class PaymentIntentRetrieve(StripeSchema):
    client_secret = Str(max_length=255)
    expand = Expand()


class PaymentIntentListParams(ListParams):
    customer = Str(max_length=255)


_method_out = PaymentMethodOut()


def _last_payment_error(intent) -> dict | None:
    if not intent.last_payment_error:
        return None
    method = intent.last_payment_error_method
    return {**intent.last_payment_error,
            "payment_method": _method_out.dump(method) if method is not None else None}


def _payment_method_options(intent) -> dict:
    # Stripe shows the card's defaults, and the options that were set over them.
    card = {"installments": None, "mandate_options": None, "network": None,
            "request_three_d_secure": "automatic",
            **intent.card_options}
    return {"card": dict(sorted(card.items()))}


def _next_action(intent) -> dict | None:
    """Stripe's ``next_action`` while the intent awaits 3-D Secure (``services.three_d_secure``):
    a redirect to Payground's authentication page when the confirmation gave a ``return_url``,
    else what Stripe.js would handle (``stripe_js``: the same page)."""
    found = intent.authentication
    if intent.status != "requires_action" or not found:
        return None
    if found.get("return_url"):
        return {"type": "redirect_to_url",
                "redirect_to_url": {"return_url": found["return_url"], "url": found["url"]}}
    return {"type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": found["url"]}}


def _charge_schema():
    from ..v1.charges import ChargeOut

    return ChargeOut


class PaymentIntentOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("payment_intent_read",)  # to expand one
    EXPANDABLE: ClassVar[dict] = {
        "customer": ("customer", _customer_schema),
        "payment_method": ("payment_method", lambda: PaymentMethodOut),
        "latest_charge": ("latest_charge", _charge_schema),
    }

    id = fields.String()
    object = fields.Constant("payment_intent")
    amount = fields.Integer()
    amount_capturable = fields.Integer()
    amount_details = fields.Constant({"tip": {}})
    amount_received = fields.Integer()
    application = fields.Constant(None)
    application_fee_amount = fields.Constant(None)
    automatic_payment_methods = fields.Raw()
    canceled_at = fields.Integer()
    cancellation_reason = fields.String()
    capture_method = fields.String()
    client_secret = fields.String()
    confirmation_method = fields.Constant("automatic")
    created = fields.Integer()
    currency = fields.String()
    customer = fields.String(attribute="customer_id")
    description = fields.String()
    last_payment_error = fields.Function(_last_payment_error)
    latest_charge = fields.String(attribute="latest_charge_id")
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    next_action = fields.Function(_next_action)
    on_behalf_of = fields.Constant(None)
    payment_method = fields.String(attribute="payment_method_id")
    payment_method_configuration_details = fields.Constant(None)
    payment_method_options = fields.Function(_payment_method_options)
    payment_method_types = fields.List(fields.String())
    processing = fields.Constant(None)
    receipt_email = fields.String()
    review = fields.Constant(None)
    setup_future_usage = fields.String()
    shipping = fields.Raw()
    source = fields.Constant(None)
    statement_descriptor = fields.String()
    statement_descriptor_suffix = fields.String()
    status = fields.String()
    transfer_data = fields.Constant(None)
    transfer_group = fields.String()
