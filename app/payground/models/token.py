"""Card tokens, and the card columns tokens and charges share (never the card number)."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class CardColumns:
    """What is kept of a card: brand, last four, expiry, fingerprint and its outcome class."""

    card_id: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str] = mapped_column(String(16))  # visa, mastercard ... (core.cards.brand)
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    funding: Mapped[str] = mapped_column(String(16))
    card_country: Mapped[str] = mapped_column(String(2))
    fingerprint: Mapped[str] = mapped_column(String(32))
    cvc_check: Mapped[str | None] = mapped_column(String(16))
    card_name: Mapped[str | None] = mapped_column(String(256))
    # The cardholder's billing address in Stripe's keys (city, country, line1, line2,
    # postal_code, state; every key present), as a token's card[address_*] or a payment
    # method's billing_details[address] gave it; None when none was given. Only shown back.
    billing_address: Mapped[dict | None] = mapped_column(JSON)
    # A key of core.cards.OUTCOMES, or "issuer" for a live card (decided per charge).
    card_outcome: Mapped[str] = mapped_column(String(32))
    issuer_limit: Mapped[int | None]


class Token(AccountScoped, CardColumns, db.Model):
    __tablename__ = "tokens"
    object = "token"
    id_prefix = "tok_"

    client_ip: Mapped[str | None] = mapped_column(String(64))
    used: Mapped[bool] = mapped_column(default=False)
