"""Charges."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .balance_transaction import BalanceTransaction
from .base import AccountScoped, db
from .customer import Customer
from .token import CardColumns


class Charge(AccountScoped, CardColumns, db.Model):
    __tablename__ = "charges"
    object = "charge"
    id_prefix = "ch_"

    # Money is 64-bit, as Stripe's is (PostgreSQL's INTEGER stops at 2**31 - 1).
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_captured: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    captured: Mapped[bool] = mapped_column(default=False)
    refunded: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))  # succeeded | pending | failed
    # The outcome actually applied (a key of core.cards.OUTCOMES).
    result: Mapped[str] = mapped_column(String(32))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(5000))
    receipt_email: Mapped[str | None] = mapped_column(String(512))
    statement_descriptor: Mapped[str | None] = mapped_column(String(22))
    # Stripe's descriptive fields: kept and shown back (shipping in Stripe's shape, every key
    # present); a PaymentIntent's charge copies its intent's shipping and suffix.
    statement_descriptor_suffix: Mapped[str | None] = mapped_column(String(22))
    shipping: Mapped[dict | None] = mapped_column(JSON)
    transfer_group: Mapped[str | None] = mapped_column(String(5000))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    customer_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("customers.id"),
                                                    index=True)
    balance_transaction_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("balance_transactions.id"))
    # Set on charges made by confirming a PaymentIntent. Plain columns (no foreign keys): the
    # intent points back at its latest charge, and a cycle of foreign keys is not worth it.
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    # Stripe's payment_method_details.card.three_d_secure: set on the charge a completed 3-D
    # Secure authentication made (services.three_d_secure.details), None when none happened.
    three_d_secure: Mapped[dict | None] = mapped_column(JSON)

    customer: Mapped[Customer | None] = relationship(lazy="select")
    balance_transaction: Mapped[BalanceTransaction | None] = relationship(lazy="select")

    @property
    def payment_intent(self):
        """The PaymentIntent that made this charge (for ``expand[]=payment_intent``), or None."""
        if self.payment_intent_id is None:
            return None
        from .payment_intent import PaymentIntent  # it imports this module

        return db.session.get(PaymentIntent, self.payment_intent_id)

    @property
    def refunds(self):
        """The first page of this charge's refunds (for ``expand[]=refunds``)."""
        from ..services.refunds import embedded_refunds  # services import this module

        return embedded_refunds(self)

    @property
    def paid(self) -> bool:
        return self.status == "succeeded"
