"""Connect OAuth: a platform's application, the accounts connected to it, and the one-time
codes and refresh tokens between them (stored as peppered digests, never in full)."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class ConnectApplication(AccountScoped, db.Model):
    """A platform's Connect settings for one mode (``ca_``, its public ``client_id``);
    ``account_id`` is the platform's."""

    __tablename__ = "connect_applications"
    object = "connect_application"
    id_prefix = "ca_"
    noun = "application"
    __table_args__ = (UniqueConstraint("account_id", "livemode",
                                       name="ux_connect_applications_mode"),)

    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list] = mapped_column(JSON)


class OAuthConnection(AccountScoped, db.Model):
    """An account connected to an application (``conn_``): ``account_id`` is the connected
    account's, ``platform_id`` the application's owner. Revoked, it stays as history; the
    next approval makes a new one."""

    __tablename__ = "oauth_connections"
    object = "connection"
    id_prefix = "conn_"
    __table_args__ = (
        Index("ix_oauth_connections_scope", "account_id", "livemode", "created", "id"),
        # What ``Stripe-Account`` asks on every such request.
        Index("ix_oauth_connections_reach", "platform_id", "account_id", "livemode"),
    )

    application_id: Mapped[str] = mapped_column(String(64), ForeignKey("connect_applications.id"))
    platform_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"))
    scope: Mapped[str] = mapped_column(String(16))  # read_only | read_write
    revoked_at: Mapped[int | None]


class AuthorizationCode(db.Model):
    """An ``ac_`` code handed to the platform through the browser: single use, five minutes.

    ``used_at`` is kept after the exchange: a second exchange revokes what the first gave.
    """

    __tablename__ = "oauth_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), ForeignKey("connect_applications.id"))
    connection_id: Mapped[str] = mapped_column(String(64), ForeignKey("oauth_connections.id"))
    livemode: Mapped[bool]
    scope: Mapped[str] = mapped_column(String(16))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    created: Mapped[int]
    expires_at: Mapped[int]  # on the platform's clock
    used_at: Mapped[int | None]


class RefreshToken(db.Model):
    """An ``rt_`` refresh token (one per code exchanged), and the access tokens (API keys of
    the connected account) issued with it or its code: revoked together if the code is
    replayed."""

    __tablename__ = "oauth_refresh_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    connection_id: Mapped[str] = mapped_column(String(64), ForeignKey("oauth_connections.id"),
                                               index=True)
    code_digest: Mapped[str] = mapped_column(String(64), index=True)
    key_ids: Mapped[list] = mapped_column(JSON)
    created: Mapped[int]
    revoked_at: Mapped[int | None]
