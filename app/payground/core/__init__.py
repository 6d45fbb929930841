"""Framework-free algorithms: keys, ids, money, cards, ledger, clock. No Flask, no SQLAlchemy."""
