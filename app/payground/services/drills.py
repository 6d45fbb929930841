"""Leak drills (Story 4): a real key of the account is treated as leaked, and bots use it.

The bots' requests (``core.drills``) land where real ones do: the request log (from
documentation addresses such as ``203.0.113.51``), the audit trail (``api_key.revoked_used``
once the key is revoked), the key's ``last_used``, and the charges they make with stolen cards.
Nothing runs in the background: the attempts that have happened by now, on the account's
clock, are written down when someone looks (:func:`catch_up`, called on every GET of the
sandbox API, the dashboard and ``/v1``, and before a ``/v1`` DELETE; the account's
``open_drills`` keeps it query-free for accounts without bots at work). Each attempt's
outcome depends only on the key's row and the attempt's time, so writing it late changes
nothing: a key revoked at 12:03 refused the 12:04 attempt even if that attempt is written at
12:30.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, insert, select, update

from .. import messages
from ..core import cards, drills
from ..core.ids import new_sortable_id
from ..errors import InvalidRequestError
from ..extensions import write_transactions
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.base import db
from ..models.customer import Customer
from ..models.drill import LeakDrill
from ..models.request_log import RequestLog
from . import audit, events, logs, tokens
from .charges import charge_card
from .common import Page, locking, new_object_id
from .keys import get_key, require_mode

BOTS_PAGE = 100  # a bot lists customers with limit=100 (the log keeps the path only)


def start_drill(account, key_id: str, *, clock, livemode: bool | None = None,
                source: audit.Source | None = None) -> LeakDrill:
    """Treat the key ``key_id`` as pushed to a public repository now.

    :param livemode: the mode the caller works in (the dashboard's), when it has one: a key
        of the other mode is refused. ``None`` (the sandbox API's session sees both): any.
    :param source: the request that started it and its client's address, for the audit trail.
    :raises InvalidRequestError: a publishable key (public by design), a key of the other
        mode, a key that no longer works, or one whose bots are still at work from an
        earlier drill.
    :raises ResourceMissing: no such key in this account (404, naming ``key``).
    """
    key = get_key(account, key_id, for_update=True, param="key")  # two starts: one drill
    if livemode is not None:
        require_mode(key, livemode, "leak", param="key")
    now = clock.for_account(account)
    if key.type == "publishable":
        raise InvalidRequestError(messages.DRILL_PUBLISHABLE, param="key")
    if key.status_at(now) in ("revoked", "expired"):
        raise InvalidRequestError(messages.DRILL_KEY_DEAD.format(key=key.redacted), param="key")
    running = db.session.execute(
        select(LeakDrill.id).where(LeakDrill.account_id == account.id,
                                   LeakDrill.key_id == key.id,
                                   LeakDrill.created > now - drills.GIVE_UP_AFTER)).scalar()
    if running is not None:
        raise InvalidRequestError(messages.DRILL_RUNNING.format(key=key.redacted, id=running),
                                  param="key")
    drill = LeakDrill(id=new_object_id(LeakDrill), account_id=account.id,
                      livemode=key.livemode, created=now, key_id=key.id,
                      key_redacted=key.redacted)
    db.session.add(drill)
    _count_open(account, +1)
    audit.record_event("leak_drill.started", key=key, now=now, source=source,
                       data={"drill": drill.id, "bots_from": drills.FOUND_AFTER})
    db.session.commit()
    return drill


def get_drill(account, drill_id: str) -> LeakDrill:
    """One of the account's drills (either mode: the session sees both), or a 404."""
    drill = db.session.get(LeakDrill, drill_id)
    if drill is None or drill.account_id != account.id:
        from ..errors import ResourceMissing

        raise ResourceMissing(messages.NO_SUCH.format(noun="leak drill", id=drill_id),
                              param="id")
    return drill


def list_drills(account, params: dict[str, Any], url: str, *,
                livemode: bool | None = None) -> Page:
    """The account's drills (of one mode, or both), newest first, a page at a time."""
    filters = [] if livemode is None else [LeakDrill.livemode == livemode]
    return logs.page_both_modes(LeakDrill, account, params, url, filters, noun="leak drill")


def describe(drill: LeakDrill, key: ApiKey, now: int) -> dict[str, Any]:
    """The drill as the sandbox API shows it: how long the key was out, what the bots got."""
    state = _key_state(key)
    exposure, stopped = drills.exposure(drill.created, state, now)
    # Decided once it is final: a key rolled with an hour's grace can still be revoked in time.
    beat = None
    if stopped:
        beat = exposure <= drills.TARGET_SECONDS
    elif exposure > drills.TARGET_SECONDS:
        beat = False
    return {
        "id": drill.id, "object": "leak_drill", "livemode": drill.livemode,
        "key": drill.key_id, "key_redacted": drill.key_redacted,
        "leaked_at": drill.created,
        "bots_arrive_at": drill.created + drills.FOUND_AFTER,
        "bots_give_up_at": drill.created + drills.GIVE_UP_AFTER,
        "status": "contained" if stopped else "exposed",
        "key_stopped_at": drills.stopped_at(state) if stopped else None,
        "exposure_seconds": exposure,
        "target_seconds": drills.TARGET_SECONDS,
        "beat_target": beat,
        "bot_requests": {"total": drill.requests,
                         "let_in": drill.requests - drill.refused,
                         "refused": drill.refused},
        "bots_got": {"balance_reads": drill.balance_reads,
                     "customers_exposed": drill.customers_exposed,
                     "charges_succeeded": drill.charges_succeeded,
                     "charges_declined": drill.charges_declined,
                     "amount_charged": drill.amount_charged, "currency": "usd"},
    }


def describe_all(drills_: list[LeakDrill], now: int) -> list[dict[str, Any]]:
    """:func:`describe` for each drill, their keys read in one query."""
    ids = {drill.key_id for drill in drills_}
    keys = {key.id: key for key in db.session.execute(
        select(ApiKey).where(ApiKey.id.in_(ids))).scalars()} if ids else {}
    return [describe(drill, keys[drill.key_id], now) for drill in drills_]


def key_of(drill: LeakDrill) -> ApiKey:
    return db.session.get(ApiKey, drill.key_id)


# --- replaying the bots ---------------------------------------------------------------------


def catch_up(account, *, clock, pepper: str) -> None:
    """Write down every bot attempt of the account's drills that has happened by now.

    Safe with several workers: each batch of attempts is claimed by a conditional UPDATE
    (``attempts_done`` moves from what this worker read to the new count), so only one
    worker writes a given attempt; a worker that loses the claim leaves it to the winner.
    """
    if not getattr(account, "open_drills", 0):
        return  # no bots at work: not even a query
    now = clock.for_account(account)
    pending = db.session.execute(
        select(LeakDrill.id, LeakDrill.key_id, LeakDrill.created, LeakDrill.attempts_done,
               LeakDrill.livemode)
        .where(LeakDrill.account_id == account.id,
               LeakDrill.attempts_done < drills.MAX_ATTEMPTS,
               LeakDrill.created < now - drills.FOUND_AFTER)).all()
    todo = [(row, drills.due(row.created, row.attempts_done, now)) for row in pending]
    todo = [(row, attempts) for row, attempts in todo if attempts]
    if not todo:
        return
    db.session.commit()  # end the read: the writes below need a transaction of their own
    with write_transactions():
        for row, attempts in todo:
            _replay(account, row, attempts, pepper)


def _replay(account, row, attempts: range, pepper: str) -> None:
    claimed = db.session.execute(
        update(LeakDrill).where(LeakDrill.id == row.id,
                                LeakDrill.attempts_done == attempts.start)
        .values(attempts_done=attempts.stop)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:  # another worker is writing these attempts down
        db.session.rollback()
        return
    # Rolls and revokes lock the key before reading the clock (``keys.get_key``): one that
    # comes while these attempts are written reads a later time than all of them.
    key = db.session.execute(locking(select(ApiKey).where(ApiKey.id == row.key_id))
                             ).scalar_one()
    state = _key_state(key)
    in_all = drills.attempts_in_all(row.created, state)
    if attempts.stop >= in_all:
        # The bots' last request (the hour is over, or the key is dead and they know it):
        # the drill is over. Only the claim whose range reaches the end gets here.
        db.session.execute(update(LeakDrill).where(LeakDrill.id == row.id)
                           .values(attempts_done=drills.MAX_ATTEMPTS)
                           .execution_options(synchronize_session=False))
        attempts = range(attempts.start, in_all)
        _count_open(account, -1)
    tally = dict(requests=len(attempts), refused=0, balance_reads=0, customers_exposed=0,
                 charges_succeeded=0, charges_declined=0, amount_charged=0)
    log_rows, last_used = [], None
    for number in attempts:
        started = time.perf_counter()
        bot = drills.attempt(row.created, number, row.livemode)
        request_id = new_sortable_id("req_", 14)
        with events.acting_request(request_id):  # the charge's events name the bot's request
            status, error_type, error_code = _attempt(account, key, state, bot, tally, pepper)
        if error_code != "api_key_expired":
            last_used = bot.at  # the API marks a key used once it is found working
        else:
            audit.record_event("api_key.revoked_used" if key.revoked_at is not None
                               and bot.at >= key.revoked_at else "api_key.expired_used",
                               key=key, now=bot.at,
                               source=audit.Source(request_id, bot.address))
        log_rows.append(logs.request_log_row(
            id=request_id, account_id=account.id, livemode=row.livemode, key_id=key.id,
            key_redacted=key.redacted, method=bot.action.method, path=bot.action.path,
            status=status, client_ip=bot.address, idempotency_key=None, created=bot.at,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            error_type=error_type, error_code=error_code))
    if log_rows:
        db.session.execute(insert(RequestLog), log_rows)
    if last_used is not None:
        db.session.execute(update(ApiKey).where(
            ApiKey.id == key.id, (ApiKey.last_used.is_(None)) | (ApiKey.last_used < last_used))
            .values(last_used=last_used).execution_options(synchronize_session=False))
    exposed = tally.pop("customers_exposed")
    db.session.execute(update(LeakDrill).where(LeakDrill.id == row.id).values(
        customers_exposed=func.max(LeakDrill.customers_exposed, exposed)
        if db.session.get_bind().dialect.name == "sqlite"
        else func.greatest(LeakDrill.customers_exposed, exposed),
        **{name: getattr(LeakDrill, name) + value for name, value in tally.items()})
        .execution_options(synchronize_session=False))
    db.session.commit()


def _attempt(account, key: ApiKey, state: drills.KeyState, bot: drills.Attempt,
             tally: dict[str, int], pepper: str) -> tuple[int, str | None, str | None]:
    """One bot request: ``(status, error type, error code)``, its effects added to the session."""
    refusal = drills.refusal(state, bot.at, bot.address, bot.action.permission)
    if refusal == "api_key_expired":
        tally["refused"] += 1
        return 401, "invalid_request_error", "api_key_expired"
    if refusal is not None:
        tally["refused"] += 1
        code = "api_key_ip_not_allowed" if refusal == "api_key_ip_not_allowed" else None
        return 403, "invalid_request_error", code
    if bot.action is drills.READ_BALANCE:
        tally["balance_reads"] += 1
        return 200, None, None
    if bot.action is drills.LIST_CUSTOMERS:
        # The customers there are when the attempt is written: deletions keep no time, so a
        # /v1 DELETE writes down the attempts before it first (http.auth).
        seen = db.session.execute(select(func.count()).select_from(
            select(Customer.id).where(Customer.account_id == account.id,
                                      Customer.livemode == key.livemode,
                                      Customer.deleted.is_(False), Customer.created <= bot.at)
            .limit(BOTS_PAGE).subquery())).scalar_one()
        tally["customers_exposed"] = max(tally["customers_exposed"], seen)
        return 200, None, None
    return _card_test(account, key.livemode, bot, tally, pepper)


def _card_test(account, livemode: bool, bot: drills.Attempt, tally: dict[str, int],
               pepper: str) -> tuple[int, str | None, str | None]:
    """A $1 charge on a stolen card, made as ``POST /v1/charges`` would make it."""
    next_year = datetime.fromtimestamp(bot.at, timezone.utc).year + 1
    card = cards.describe(bot.card_number, 12, next_year, livemode=livemode, key=pepper)
    columns = tokens.card_columns(card)
    columns.update(cvc_check="pass", card_name=None)
    _charge, outcome = charge_card(account, livemode, bot.at, columns, magic=False,
                                   amount=drills.CARD_TEST_AMOUNT, currency="usd", capture=True)
    if outcome.declined:
        tally["charges_declined"] += 1
        return 402, "card_error", outcome.code
    tally["charges_succeeded"] += 1
    tally["amount_charged"] += drills.CARD_TEST_AMOUNT
    return 200, None, None


def _count_open(account, change: int) -> None:
    # Never below 0: a count that went wrong must not make every /v1 read look for drills.
    db.session.execute(update(Account).where(Account.id == account.id).values(
        open_drills=case((Account.open_drills + change < 0, 0),
                         else_=Account.open_drills + change))
        .execution_options(synchronize_session=False))


def _key_state(key: ApiKey) -> drills.KeyState:
    return drills.KeyState(type=key.type, revoked_at=key.revoked_at, expires_at=key.expires_at,
                           permissions=tuple(key.permissions or ()),
                           ip_allowlist=tuple(key.ip_allowlist or ()))

