"""SetupIntents: saving a card for later payments, without charging it.

requires_payment_method -> (a payment method is set) requires_confirmation -> (confirm)
succeeded, or requires_action while the customer authenticates (3-D Secure); a decline or a
failed authentication goes back to requires_payment_method. Any of these but succeeded can be
canceled.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import AccountScoped, db
from .customer import Customer
from .payment_method import PaymentMethod


class SetupIntent(AccountScoped, db.Model):
    __tablename__ = "setup_intents"
    object = "setup_intent"
    id_prefix = "seti_"
    noun = "setupintent"  # Stripe's 404: "No such setupintent: 'seti_...'"

    status: Mapped[str] = mapped_column(String(32))
    usage: Mapped[str] = mapped_column(String(16))  # off_session | on_session
    # `<id>_secret_<random>`, as a PaymentIntent's: a publishable key showing it may read and
    # confirm this one intent. Never logged (request logs keep paths only).
    client_secret: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(5000))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    payment_method_types: Mapped[list] = mapped_column(JSON, default=list)
    automatic_payment_methods: Mapped[dict | None] = mapped_column(JSON)
    cancellation_reason: Mapped[str | None] = mapped_column(String(32))
    # The last decline or failed authentication as Stripe's error fields; its method below.
    last_setup_error: Mapped[dict | None] = mapped_column(JSON)
    last_setup_error_method_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("payment_methods.id"))
    customer_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("customers.id"),
                                                    index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64),
                                                          ForeignKey("payment_methods.id"),
                                                          index=True)
    # The 3-D Secure authentication asked for, as a PaymentIntent's (services.three_d_secure).
    authentication: Mapped[dict | None] = mapped_column(JSON)

    customer: Mapped[Customer | None] = relationship(lazy="select")
    payment_method: Mapped[PaymentMethod | None] = relationship(
        lazy="select", foreign_keys=[payment_method_id])
    last_setup_error_method: Mapped[PaymentMethod | None] = relationship(
        lazy="select", foreign_keys=[last_setup_error_method_id])
