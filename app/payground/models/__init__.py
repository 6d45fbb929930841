"""Every model, imported here so relationships resolve and the schema knows every table."""

from .account import Account, Session
from .api_key import ApiKey
from .audit import AuditEvent
from .base import AccountScoped, Base, db
from .balance_transaction import BalanceTransaction
from .charge import Charge
from .customer import Customer
from .refund import Refund
from .request_log import RequestLog
from .token import Token
from .idempotency import IdempotencyRecord

__all__ = ["Account", "AccountScoped", "ApiKey", "AuditEvent", "Base", "BalanceTransaction", "Charge",
           "Customer", "IdempotencyRecord", "Refund", "RequestLog", "Session", "Token", "db"]
