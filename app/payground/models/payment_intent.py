"""PaymentIntents: one payment's life, from requires_payment_method to succeeded or canceled."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import AccountScoped, db
from .charge import Charge
from .customer import Customer
from .payment_method import PaymentMethod


class PaymentIntent(AccountScoped, db.Model):
    __tablename__ = "payment_intents"
    object = "payment_intent"
    id_prefix = "pi_"

    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # requires_payment_method | requires_confirmation | requires_action | requires_capture
    # | succeeded | canceled
    status: Mapped[str] = mapped_column(String(32))
    capture_method: Mapped[str] = mapped_column(String(16))  # automatic | manual
    amount_capturable: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_received: Mapped[int] = mapped_column(BigInteger, default=0)
    # `<id>_secret_<random>`: lets a publishable key read and confirm this one intent. It is
    # returned in API bodies (as Stripe does) and never logged: request logs keep paths only.
    client_secret: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(5000))
    receipt_email: Mapped[str | None] = mapped_column(String(512))
    statement_descriptor: Mapped[str | None] = mapped_column(String(22))
    statement_descriptor_suffix: Mapped[str | None] = mapped_column(String(22))
    setup_future_usage: Mapped[str | None] = mapped_column(String(16))  # saves the card
    shipping: Mapped[dict | None] = mapped_column(JSON)  # Stripe's shape, every key present
    transfer_group: Mapped[str | None] = mapped_column(String(5000))  # given to its charges
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    payment_method_types: Mapped[list] = mapped_column(JSON, default=list)
    automatic_payment_methods: Mapped[dict | None] = mapped_column(JSON)
    # The options that were set, {"card": {"capture_method": "manual", ...}} (None: none).
    payment_method_options: Mapped[dict | None] = mapped_column(JSON)
    canceled_at: Mapped[int | None]
    cancellation_reason: Mapped[str | None] = mapped_column(String(32))
    # The last decline as Stripe's error fields; its payment method is the column below.
    last_payment_error: Mapped[dict | None] = mapped_column(JSON)
    last_payment_error_method_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("payment_methods.id"))
    customer_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("customers.id"),
                                                    index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64),
                                                          ForeignKey("payment_methods.id"))
    latest_charge_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("charges.id"))
    # The last 3-D Secure authentication asked for (services.three_d_secure), None if none:
    # {"token", "url", "return_url", "outcome", "payment_method"}. The token is the page link's
    # secret: like the client secret, whoever may read the intent sees it (in next_action),
    # nobody else.
    authentication: Mapped[dict | None] = mapped_column(JSON)

    customer: Mapped[Customer | None] = relationship(lazy="select")
    payment_method: Mapped[PaymentMethod | None] = relationship(
        lazy="select", foreign_keys=[payment_method_id])
    last_payment_error_method: Mapped[PaymentMethod | None] = relationship(
        lazy="select", foreign_keys=[last_payment_error_method_id])
    latest_charge: Mapped[Charge | None] = relationship(lazy="select")

    @property
    def card_options(self) -> dict:
        """The card's ``payment_method_options`` that were set (``{}``: none)."""
        return (self.payment_method_options or {}).get("card", {})
