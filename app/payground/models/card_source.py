"""Cards saved on a customer (Stripe's legacy ``customer.sources``): ``card_...`` objects."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import AccountScoped, db
from .customer import Customer
from .token import CardColumns


class CardSource(AccountScoped, CardColumns, db.Model):
    """A card saved on a customer. Its ``id`` is the ``card_...`` id its token's card had
    (``card_id`` holds it too, the column charges copy); a deleted card's row is removed."""

    __tablename__ = "card_sources"
    object = "card"
    id_prefix = "card_"
    noun = "source"  # Stripe says "No such source: 'card_...'"

    customer_id: Mapped[str] = mapped_column(String(64), ForeignKey("customers.id"),
                                             index=True)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)

    customer: Mapped[Customer] = relationship(lazy="select")
