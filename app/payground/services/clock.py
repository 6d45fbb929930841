"""Each account's clock: wall time plus an offset that only moves forward."""

from __future__ import annotations

from ..errors import ParameterInvalid
from ..models.base import db
from . import ledger, webhooks

MAX_ADVANCE = 365 * 86400


def advance_clock(account, seconds: int, *, clock) -> int:
    """Move ``account``'s clock forward by ``seconds``; returns the account's new time.

    Only this account's time moves: key expiries, idempotency retention, settlements and
    webhook retries read it through ``clock.for_account``.

    :raises ParameterInvalid: ``seconds`` is not between 1 and one year.
    """
    if not 1 <= seconds <= MAX_ADVANCE:
        raise ParameterInvalid(
            f"Invalid seconds: must be between 1 and {MAX_ADVANCE} (one year).",
            param="seconds", code="parameter_invalid_integer")
    account.clock_offset = (account.clock_offset or 0) + seconds
    if account.webhook_endpoint_count:
        webhooks.send_after_commit()  # retries waiting on this account's clock may be due
    db.session.commit()
    ledger.catch_up_modes(account, clock)  # settle funds and move payouts that just matured
    return clock.for_account(account)
