"""Every model, imported here so relationships resolve and the schema knows every table."""

from .account import Account, Session
from .api_key import ApiKey
from .audit import AuditEvent
from .balance_transaction import BalanceTransaction
from .bank_account import BankAccount
from .card_source import CardSource
from .base import AccountScoped, Base, db
from .charge import Charge
from .customer import Customer
from .drill import LeakDrill
from .event import Event
from .form_nonce import UsedFormNonce
from .idempotency import IdempotencyRecord
from .ledger import LedgerBalance, LedgerEntry, LedgerJournal, LedgerSchedule
from .oauth import AuthorizationCode, ConnectApplication, OAuthConnection, RefreshToken
from .payment_intent import PaymentIntent
from .payment_method import PaymentMethod
from .payout import Payout
from .refund import Refund
from .setup_intent import SetupIntent
from .request_log import RequestLog
from .token import Token
from .webhook import WebhookDelivery, WebhookEndpoint

__all__ = ["Account", "AccountScoped", "ApiKey", "AuditEvent", "AuthorizationCode", "Base",
           "BalanceTransaction", "BankAccount", "CardSource", "Charge", "ConnectApplication",
           "Customer",
           "Event", "IdempotencyRecord", "LeakDrill",
           "LedgerBalance", "LedgerEntry", "LedgerJournal", "LedgerSchedule", "OAuthConnection",
           "PaymentIntent",
           "PaymentMethod", "Payout", "RefreshToken", "Refund", "RequestLog", "Session", "SetupIntent",
           "Token",
           "UsedFormNonce", "WebhookDelivery", "WebhookEndpoint", "db"]
