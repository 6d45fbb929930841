"""Input and output schemas of the sandbox API."""

from __future__ import annotations

import ipaddress

from marshmallow import Schema, ValidationError, fields

from ..http.schemas import Bool, Email, Int, OneOf, Str, StripeSchema
from ..http.validation import coded
from ..services.keys import MAX_GRACE, PERMISSIONS


class Credentials(StripeSchema):
    email = Email(required=True)
    password = Str(required=True, max_length=1024)


class BankAccount(StripeSchema):
    routing_number = Str(max_length=20)
    account_number = Str(max_length=34)


class Activation(StripeSchema):
    business_name = Str(max_length=200)
    country = Str(max_length=2)
    bank_account = fields.Nested(BankAccount)


class AccountOut(Schema):
    id = fields.String()
    object = fields.Constant("account")
    email = fields.String()
    created = fields.Integer()
    live_enabled = fields.Boolean()
    business_name = fields.String()
    country = fields.String()
    clock_offset = fields.Integer()
    bank_account = fields.Method("_bank")

    def _bank(self, account):
        if not account.bank_account_last4:
            return None
        return {"routing_number": account.bank_routing_number,
                "last4": account.bank_account_last4}


class KeyOut(Schema):
    id = fields.String()
    object = fields.Constant("api_key")
    type = fields.String()
    livemode = fields.Boolean()
    name = fields.String()
    note = fields.String()
    redacted = fields.String()
    created = fields.Integer()
    last_used = fields.Integer()
    expires_at = fields.Integer()
    revoked_at = fields.Integer()
    permissions = fields.Raw()
    ip_allowlist = fields.Raw()
    rolled_from = fields.String()


class IpNetwork(Str):
    """An IPv4/IPv6 address or CIDR range."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValidationError(coded(
                "parameter_invalid", f"Invalid IP address or range: {value}")) from None


class KeyCreate(StripeSchema):
    type = OneOf(("secret", "restricted"), required=True)
    livemode = Bool()
    name = Str(max_length=200)
    note = Str(max_length=500, allow_empty=True)
    permissions = fields.List(OneOf(PERMISSIONS))
    ip_allowlist = fields.List(IpNetwork())
    expires_at = Int()


class KeyRoll(StripeSchema):
    expires_in = Int(minimum=0, maximum=MAX_GRACE, load_default=0)
