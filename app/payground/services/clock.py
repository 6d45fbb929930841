"""Each account's clock: wall time plus an offset that only moves forward."""

from __future__ import annotations

import time

from sqlalchemy import func, update

from ..errors import ParameterInvalid
from ..models.account import Account
from ..models.base import db
from . import audit, ledger, webhooks

MAX_ADVANCE = 365 * 86400
# Timestamps are 32-bit columns (PostgreSQL INTEGER); an account's time, plus the furthest
# ahead anything is dated from it (7-day grace periods, 30-day sessions, 2-day settlement),
# must stay below 2**31. A margin of 60 days covers them all.
LATEST_ACCOUNT_TIME = 2**31 - 1 - 60 * 86400


def advance_clock(account, seconds: int, *, clock, source: audit.Source | None = None) -> int:
    """Move ``account``'s clock forward by ``seconds``; returns the account's new time.

    Only this account's time moves: key expiries, idempotency retention, settlements and
    webhook retries read it through ``clock.for_account``. What came due by the new time
    (funds settling, payouts moving on, authorisations expiring) is carried out in the same
    transaction, with the ``clock.advanced`` audit event: if any of it fails, the clock has
    not moved either.

    :param source: the request that moved it and its client's address, for the audit trail.
    :raises ParameterInvalid: ``seconds`` is not between 1 and one year, or would take the
        account past ``LATEST_ACCOUNT_TIME``.
    """
    if not 1 <= seconds <= MAX_ADVANCE:
        raise ParameterInvalid(
            f"Invalid seconds: must be between 1 and {MAX_ADVANCE} (one year).",
            param="seconds", code="parameter_invalid_integer")
    # One UPDATE adds to the offset the database holds: two advances at once both count (read,
    # added to and written back, one would undo the other, and the clock would go back).
    offset = func.coalesce(Account.clock_offset, 0)
    moved = db.session.execute(
        update(Account).where(Account.id == account.id,
                              offset + seconds + clock.now() <= LATEST_ACCOUNT_TIME)
        .values(clock_offset=offset + seconds).execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.rollback()
        latest = time.strftime("%Y-%m-%d", time.gmtime(LATEST_ACCOUNT_TIME))
        raise ParameterInvalid(
            f"Invalid seconds: the account's clock would pass {latest}, the latest time "
            "Payground can keep (its timestamps are 32-bit).",
            param="seconds", code="parameter_invalid_integer")
    db.session.refresh(account, ["clock_offset"])
    now = clock.for_account(account)
    for livemode in (False, True) if account.live_enabled else (False,):
        ledger.carry_out_due(account, livemode, now)  # settle and move what just matured
    audit.record_event("clock.advanced", now=now, account_id=account.id, source=source,
                       data={"seconds": seconds, "from": now - seconds, "to": now})
    if account.webhook_endpoint_count:
        webhooks.send_after_commit()  # retries waiting on this account's clock may be due
    db.session.commit()
    return now
