"""/v1/account, /v1/accounts/{id} and /v1/accounts: the account a key belongs to, and a
platform's connected accounts, as Stripe's Account object.

Apps call ``GET /v1/account`` (``stripe.Account.retrieve()``) at start-up or in a health check
to see that their key works. Payground fills what it knows (the sign-up's email, the live-mode
activation's business name and country) and gives Stripe's empty values for the rest; it
never shows the bank account (see ``AccountOut``).
"""

from __future__ import annotations

from typing import ClassVar

from flask import request
from marshmallow import Schema, fields

from .. import messages
from ..errors import PermissionDenied
from ..http.auth import account_not_accessible, reaches_connected_accounts, requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import Expand, ListParams, StripeSchema, list_schema
from ..services import accounts
from . import bp

# Where payouts are concerned, what Payground does: funds are available two days after a
# charge (services.charges.SETTLEMENT_SECONDS), and payouts are made only when asked for.
_PAYOUT_DELAY_DAYS = 2


def _requirements(_shown) -> dict:
    # Nothing is ever due: activation asks for all it needs at once.
    return {"alternatives": [], "current_deadline": None, "currently_due": [],
            "disabled_reason": None, "errors": [], "eventually_due": [], "past_due": [],
            "pending_verification": []}


def _business_profile(shown) -> dict:
    return {"annual_revenue": None, "estimated_worker_count": None, "mcc": None,
            "name": shown.account.business_name, "product_description": None,
            "support_address": None, "support_email": None, "support_phone": None,
            "support_url": None, "url": None}


def _settings(shown) -> dict:
    return {
        "branding": {"icon": None, "logo": None, "primary_color": None,
                     "secondary_color": None},
        # Payground declines a charge whose CVC check fails (Stripe's 4000000000000101), and
        # lets one through whose address checks fail, as Stripe does by default.
        "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": True},
                          "statement_descriptor_prefix": None,
                          "statement_descriptor_prefix_kana": None,
                          "statement_descriptor_prefix_kanji": None},
        # Payground shows every time in UTC (the dashboard, the CLI, the request log).
        "dashboard": {"display_name": shown.account.business_name, "timezone": "Etc/UTC"},
        "payments": {"statement_descriptor": None, "statement_descriptor_kana": None,
                     "statement_descriptor_kanji": None},
        "payouts": {"debit_negative_balances": True,
                    "schedule": {"delay_days": _PAYOUT_DELAY_DAYS, "interval": "manual"},
                    "statement_descriptor": None},
    }


class AccountOut(Schema):
    """Stripe's Account object, less what Payground does not have or must not show:
    ``external_accounts`` (the bank account payouts go to: ``GET /sandbox/bank`` shows it to
    the account's session), ``company``, ``individual``, ``tos_acceptance`` and
    ``login_links``. No ``livemode``: an account is both modes' (as on Stripe)."""

    # Stripe's branding files: always null here, so expanding leaves them null.
    EXPANDABLE_NULLS: ClassVar[tuple[str, ...]] = ("settings.branding.icon",
                                                   "settings.branding.logo")

    id = fields.Function(lambda shown: shown.account.id)
    object = fields.Constant("account")
    business_profile = fields.Function(_business_profile)
    # The activation's details are a business's (its name): a company. Unknown before.
    business_type = fields.Function(
        lambda shown: "company" if shown.account.live_enabled else None)
    capabilities = fields.Function(
        lambda shown: {"card_payments": "active" if shown.enabled else "inactive"})
    charges_enabled = fields.Function(lambda shown: shown.enabled)
    controller = fields.Function(lambda _shown: {"type": "account"})  # a Standard account
    # Until activation asks for one, Payground's accounts are American (dollars, US banks).
    country = fields.Function(lambda shown: shown.account.country or "US")
    created = fields.Function(lambda shown: shown.account.created)
    default_currency = fields.Constant("usd")
    details_submitted = fields.Function(lambda shown: shown.account.live_enabled)
    email = fields.Function(lambda shown: shown.account.email)
    future_requirements = fields.Function(_requirements)
    metadata = fields.Function(lambda _shown: {})
    payouts_enabled = fields.Function(lambda shown: shown.enabled)
    requirements = fields.Function(_requirements)
    settings = fields.Function(_settings)
    type = fields.Constant("standard")


class AccountRetrieve(StripeSchema):
    expand = Expand()


# Stripe's restricted-key permission for the account: its 403 names
# ``rak_accounts_kyc_basic_read`` (README, "Restricted keys").
@bp.get("/account")
@requires("accounts_kyc_basic_read")
@accepts(AccountRetrieve)
@returns(AccountOut)
def retrieve_own_account(params):
    """Retrieve the key's account (the connected one, acting as it with Stripe-Account)."""
    s = scope()
    return accounts.shown(s.account, s.livemode)


@bp.get("/accounts/<account_id>")
@requires("accounts_kyc_basic_read")
@accepts(AccountRetrieve)
@returns(AccountOut)
def retrieve_account(params, account_id):
    """Retrieve an account by id: the key's own, or one connected to the platform."""
    s = scope()
    found = accounts.reachable(s.account, s.livemode, account_id,
                               connected=reaches_connected_accounts())
    if found is None:
        raise account_not_accessible(account_id)
    return found


@bp.get("/accounts")
@requires("accounts_kyc_basic_read")
@accepts(ListParams)
@returns(list_schema(AccountOut))
def list_accounts(params):
    """List the accounts connected to the platform, newest account first."""
    s = scope()
    # Acting as a connected account (its access token, Stripe-Account), the accounts
    # connected to *it* would be another platform's business: Stripe refuses, rather than
    # answer an empty list that would read as "none".
    if not reaches_connected_accounts():
        raise PermissionDenied(messages.CONNECTED_ACCOUNTS_OF_CONNECTED)
    return accounts.connected(s.account, s.livemode, params, request.path)
