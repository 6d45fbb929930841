"""The session-authenticated ``/sandbox`` API: accounts, keys, clock (JSON or form bodies)."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from . import accounts, keys  # noqa: E402,F401
