"""Customers."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class Customer(AccountScoped, db.Model):
    __tablename__ = "customers"
    object = "customer"
    id_prefix = "cus_"

    email: Mapped[str | None] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(5000))
    phone: Mapped[str | None] = mapped_column(String(64))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    # Stripe's descriptive fields: kept and shown back, never acted on (Payground has no
    # invoices and no tax). Addresses in Stripe's shape, every key present.
    address: Mapped[dict | None] = mapped_column(JSON)
    shipping: Mapped[dict | None] = mapped_column(JSON)
    preferred_locales: Mapped[list | None] = mapped_column(JSON)
    tax_exempt: Mapped[str | None] = mapped_column(String(8))  # None shows as "none"
    invoice_prefix: Mapped[str | None] = mapped_column(String(12))
    next_invoice_sequence: Mapped[int | None]  # None shows as 1
    # custom_fields, footer and rendering_options, as given (None: none was).
    invoice_settings: Mapped[dict | None] = mapped_column(JSON)
    # invoice_settings[default_payment_method]: one of its attached payment methods (cleared
    # when that one is detached). No foreign key: payment methods point at their customer.
    default_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(default=False)
    # The card (``card_sources``) a charge naming only the customer pays with; None when it
    # has no saved card. No foreign key: cards point at their customer.
    default_source_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def default_payment_method(self):
        """The default payment method (for ``expand[]=invoice_settings.default_payment_method``)."""
        if self.default_payment_method_id is None:
            return None
        from .payment_method import PaymentMethod  # it imports this module

        return db.session.get(PaymentMethod, self.default_payment_method_id)

    @property
    def default_source(self):
        """The default card (for ``expand[]=default_source``)."""
        if self.default_source_id is None:
            return None
        from .card_source import CardSource  # it imports this module

        return db.session.get(CardSource, self.default_source_id)

    @property
    def sources(self):
        """The first page of its saved cards (``expand[]=sources``)."""
        from ..services.sources import embedded_sources  # services import this module

        return embedded_sources(self)
