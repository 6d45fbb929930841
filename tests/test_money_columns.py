"""Money columns are 64-bit, as Stripe's amounts are: a value past 2**31 - 1 (the most a
PostgreSQL INTEGER holds) is stored and read back whole, on SQLite and on PostgreSQL.

The API refuses an amount past Stripe's eight digits, so no single charge, refund or payout
reaches 2**31 through it; balances do (``test_payouts``' eight-digit test makes one), and the
columns no longer depend on that limit.
"""

from __future__ import annotations

import sqlalchemy as sa

from payground.extensions import db
from payground.migrations import MONEY_COLUMNS

BIG = 2**40 + 7  # past 2**31, and odd so nothing rounds it


def test_every_money_column_is_64_bit(app):
    with app.app_context():
        tables = db.metadata.tables
        narrow = [f"{table}.{name}" for table, names in MONEY_COLUMNS.items()
                  for name in names if not isinstance(tables[table].c[name].type, sa.BigInteger)]
        ledger = [isinstance(tables[t].c.amount.type, sa.BigInteger)
                  for t in ("ledger_entries", "ledger_balances")]
    assert narrow == []
    assert ledger == [True, True]


def test_a_customer_balance_past_2_31_round_trips_through_the_service(app, account):
    from payground.core.clock import Clock
    from payground.models.account import Account
    from payground.services import customers

    cus = account.post("/v1/customers", {"email": "big@example.com"}).get_json()["id"]
    with app.app_context():
        owner = db.session.get(Account, account.account_id)
        customers.update_customer(owner, False, Clock(), cus, {"balance": -BIG})
        db.session.remove()
    assert account.get(f"/v1/customers/{cus}").get_json()["balance"] == -BIG
    (event,) = account.get("/v1/events?type=customer.updated").get_json()["data"]
    assert event["data"]["object"]["balance"] == -BIG


def test_every_money_column_keeps_a_value_past_2_31(app, account):
    """Each column is written past 2**31 (the API would refuse such an amount) and read back
    through the API: on PostgreSQL with INTEGER columns the UPDATE itself failed."""
    charge = account.post("/v1/charges", {"amount": 5000, "currency": "usd",
                                          "source": "tok_bypassPending"}).get_json()
    refund = account.post("/v1/refunds", {"charge": charge["id"], "amount": 100}).get_json()
    payout = account.post("/v1/payouts", {"amount": 300, "currency": "usd"}).get_json()
    intent = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
        "capture_method": "manual"}).get_json()
    ids = {"charges": charge["id"], "refunds": refund["id"], "payouts": payout["id"],
           "balance_transactions": charge["balance_transaction"], "payment_intents": intent["id"],
           "customers": account.post("/v1/customers", {}).get_json()["id"]}
    with app.app_context():
        with db.engine.begin() as conn:
            for table, names in MONEY_COLUMNS.items():
                conn.execute(sa.text(f"UPDATE {table} SET "
                                     + ", ".join(f"{name} = :big" for name in names)
                                     + " WHERE id = :id"), {"big": BIG, "id": ids[table]})
    read = {
        "charges": account.get(f"/v1/charges/{charge['id']}").get_json(),
        "refunds": account.get(f"/v1/refunds/{refund['id']}").get_json(),
        "payouts": account.get(f"/v1/payouts/{payout['id']}").get_json(),
        "balance_transactions": account.get(
            f"/v1/balance_transactions/{charge['balance_transaction']}").get_json(),
        "payment_intents": account.get(f"/v1/payment_intents/{intent['id']}").get_json(),
        "customers": account.get(f"/v1/customers/{ids['customers']}").get_json(),
    }
    assert {table: {name: read[table][name] for name in names}
            for table, names in MONEY_COLUMNS.items()} == {
        table: dict.fromkeys(names, BIG) for table, names in MONEY_COLUMNS.items()}
