"""The session-authenticated ``/sandbox`` API: accounts, keys, logs, clock (JSON or form bodies)."""

from flask import Blueprint, request

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


@bp.after_request
def sort_allow(response):
    """``OPTIONS``: Flask's automatic answer lists the methods out of a set, in an order that
    changed with each process's hash seed; sorted, as the dashboard's ``Allow`` is."""
    if request.method == "OPTIONS" and "Allow" in response.headers:
        response.headers["Allow"] = ", ".join(sorted(response.allow))
    return response


from . import (accounts, clock, connect, drills, keys, ledger, logs, version,  # noqa: E402,F401
               webhooks)
