"""Every model, imported here so relationships resolve and the schema knows every table."""

from .account import Account, Session
from .api_key import ApiKey
from .base import AccountScoped, Base, db
from .customer import Customer
# (token, charge, refund and idempotency models are imported here as they land)

__all__ = ["Account", "AccountScoped", "ApiKey", "Base", "Customer", "Session", "db"]
