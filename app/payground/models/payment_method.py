"""PaymentMethods (cards only): what is kept of the card, and the customer it is attached to."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import AccountScoped, db
from .customer import Customer
from .token import CardColumns


class PaymentMethod(AccountScoped, CardColumns, db.Model):
    __tablename__ = "payment_methods"
    object = "payment_method"
    id_prefix = "pm_"
    noun = "PaymentMethod"  # Stripe says "No such PaymentMethod: 'pm_...'"

    type: Mapped[str] = mapped_column(String(16), default="card")
    customer_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("customers.id"),
                                                    index=True)
    billing_email: Mapped[str | None] = mapped_column(String(512))
    billing_phone: Mapped[str | None] = mapped_column(String(64))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    # Like Stripe's: a payment method used without being attached to a customer, or detached
    # from one, may not be used (or attached) again.
    spent: Mapped[bool] = mapped_column(default=False)
    # The card has been charged: the issuer has answered the address checks, which show
    # `unchecked` before (core.cards.address_check). Rows from before schema version 19 that
    # a charge used were marked by the upgrade.
    card_checked: Mapped[bool] = mapped_column(default=False)
    # Set up for off-session payments by a PaymentIntent (setup_future_usage=off_session) or
    # a SetupIntent (usage=off_session) that went through (on_session saves set up nothing):
    # Stripe's "authenticate unless set up" card then pays off session without authenticating.
    set_up: Mapped[bool] = mapped_column(default=False)
    # Stripe's `allow_redisplay` (always, limited, unspecified): whether a checkout may offer
    # the card to its customer again; given on create or update. Rows from before schema
    # version 24 got `unspecified`, which they showed.
    allow_redisplay: Mapped[str] = mapped_column(String(16), default="unspecified")

    customer: Mapped[Customer | None] = relationship(lazy="select")
