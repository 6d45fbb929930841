"""The session-authenticated ``/sandbox`` API: accounts, keys, logs, clock (JSON or form bodies)."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from . import accounts, clock, drills, keys, ledger, logs, version, webhooks  # noqa: E402,F401
