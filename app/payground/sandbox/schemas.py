"""Input and output schemas of the sandbox API."""

from __future__ import annotations

import ipaddress

from marshmallow import Schema, ValidationError, fields, validate

from ..http.schemas import Bool, Email, Int, OneOf, Str, StripeSchema, refuse_secrets
from ..http.validation import coded
from ..core.emails import normalize_email
from ..core.keys import scrub
from ..services.keys import MAX_GRACE, PERMISSIONS


class AccountEmail(Email):
    """An account's email address, checked in the form accounts are known by
    (``core.emails``): ``ａｄａ＠example.com``, typed in fullwidth, is ``ada@example.com``.
    Returned as typed: the service normalises it (and finds an older account by its own
    spelling, see ``services.accounts.accounts_for_email``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        normal = normalize_email(value) if isinstance(value, str) else value
        super()._deserialize(normal, attr, data, **kwargs)
        # As typed too: casefolded, a key pasted here fails its checksum, passed as no key,
        # and was kept and shown as the account's email - lower-cased, which its checksum
        # (a CRC) turns back into the key.
        refuse_secrets(value)
        return value


class Credentials(StripeSchema):
    email = AccountEmail(required=True)
    password = Str(required=True, max_length=1024)


class BankAccount(StripeSchema):
    routing_number = Str(max_length=20)
    account_number = Str(max_length=34)


class ChosenBankAccount(StripeSchema):
    routing_number = Str(max_length=20)
    account_number = Str(required=True, max_length=34)


class BankChoice(StripeSchema):
    """``POST /sandbox/bank``: which of Stripe's test bank accounts test payouts go to."""

    bank_account = fields.Nested(ChosenBankAccount, required=True)


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
    connection = fields.String(attribute="connection_id")  # an OAuth access token's


class IpNetwork(Str):
    """An IPv4/IPv6 address or CIDR range."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            # An address stays an address (canonical form); a range becomes its network.
            if "/" not in value:
                return str(ipaddress.ip_address(value))
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            # Echo the value scrubbed: a key pasted here by mistake must not come back whole.
            raise ValidationError(coded(
                "parameter_invalid",
                f"Invalid IP address or range: {scrub(value)[:100]}")) from None


class Permission(OneOf):
    """One of SPEC §6's permission names (``charge_read``, ``customer_write`` ...)."""

    def __init__(self, **kw):
        super().__init__(PERMISSIONS, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        value = Str._deserialize(self, value, attr, data, **kwargs)
        if value not in self.choices:
            raise ValidationError(coded(
                "parameter_invalid",
                f"Invalid {{param}}: must be one of {', '.join(self.choices)}"))
        return value


MAX_ALLOWLIST = 100  # a key's allow-list is checked on each of its requests


class KeyCreate(StripeSchema):
    type = OneOf(("secret", "restricted"), required=True)
    livemode = Bool()
    name = Str(max_length=200)
    note = Str(max_length=500, allow_empty=True)
    permissions = fields.List(Permission())
    ip_allowlist = fields.List(IpNetwork(), validate=validate.Length(
        max=MAX_ALLOWLIST, error=coded("parameter_invalid", f"Invalid {{{{param}}}}: at most "
                                                            f"{MAX_ALLOWLIST} addresses or ranges.")))
    expires_at = Int(maximum=2**31 - 1)  # timestamps are 32-bit columns (PostgreSQL INTEGER)


class FoundKey(fields.Field):
    """A key as ``payground scan`` found it: any string, never echoed back (it may be a
    working secret key; ``Str`` would refuse it for that very reason)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not 0 < len(value) <= MAX_FOUND_KEY_LENGTH:
            raise ValidationError(coded(
                "parameter_invalid_string",
                f"Invalid {{param}}: expected a key, a string of 1 to {MAX_FOUND_KEY_LENGTH} "
                "characters."))
        return value


MAX_FOUND_KEY_LENGTH = 255
MAX_KEYS_IDENTIFIED = 100


class KeyIdentify(StripeSchema):
    keys = fields.List(FoundKey(), required=True, validate=validate.Length(
        min=1, max=MAX_KEYS_IDENTIFIED,
        # Length formats its message with the bounds: "{{param}}" comes out as "{param}".
        error=coded("parameter_invalid", f"Invalid {{{{param}}}}: send 1 to "
                                         f"{MAX_KEYS_IDENTIFIED} keys at a time.")))


class KeyRoll(StripeSchema):
    expires_in = Int(minimum=0, maximum=MAX_GRACE, load_default=0)
