"""Stripe's ``Idempotency-Key`` on ``/v1`` POST requests (SPEC §7).

Two hooks, wired in ``app.py``: ``claim()`` runs last in ``before_request`` (after
authentication, so only the key's owner can replay and the scope ``(account, livemode)`` is
known); ``store(response)`` runs in ``after_request``. Views know nothing about idempotency.

- The first request inserts an in-progress record and commits it *before* the view runs, so a
  concurrent duplicate sees it. The record's primary key is ``(account, livemode, key)``:
  when N requests race, the database lets exactly one insert win.
- A loser, or any later request with the key, gets: the saved response with
  ``Idempotent-Replayed: true`` and ``Original-Request: req_...`` if the first request has
  finished; 409 ``idempotency_key_in_use`` if it is still running (no waiting); 400
  ``idempotency_error`` if the path (Stripe's message names both) or parameters differ. Every
  answer carries the key back in ``Idempotency-Key``, as Stripe's do (``echo_key``), and the
  request that ran with a key says so in ``Original-Request`` (its own id), as Stripe's do.
- Like Stripe, a result is saved only once the endpoint has started executing: a request
  refused while decoding or validating its parameters releases the key, so the corrected
  retry can use it. Errors the endpoint itself raises (404, 402 ...) are saved and replayed.
  A 5xx also releases the key (Stripe replays its 500s; a Payground 500 is a bug, and a
  retry should not be punished for it), and so does a 429 ``lock_timeout``: it wrote nothing
  and tells the client to retry (``Stripe-Should-Retry: true``), so the retry must run.
- Records live 24 h on the account's clock (``clock advance`` ages them). An expired record is
  treated as absent and replaced on next use; nothing sweeps them. A claim still in progress
  after ``STALE_CLAIM`` seconds belongs to a worker that died and is taken over.
- An empty ``Idempotency-Key`` header is refused, as an over-long one is: Stripe's 400
  ``idempotency_error`` (keys are 1 to 255 characters), before anything runs.
- A new webhook endpoint's signing secret is withheld from its saved response and derived
  again for the replay: the database never holds a secret that can sign.
- A replay shows the caller nothing its key could not have had answered: the ``expand[]``
  paths are checked against the key asking now (a restricted key without ``customer_read``
  gets the 403, not the customer a secret key's request expanded), and a publishable key's
  request never matches another key's (it would get the whole object where its own request
  shows the public fields only), nor the other way round. Nor does a platform's request on a
  connected account (``Stripe-Account``, or an OAuth access token) ever match the account's
  own, nor the other way round: the replay of the account's new webhook endpoint would give
  the platform its signing secret. The record names its first caller (``caller``), so such a
  request is told the key is another caller's (400 ``idempotency_error``), not that its
  parameters differ; records older than that column get the parameters' message.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from flask import Response, current_app, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import messages
from ..core.keys import scrub, scrub_start
from ..errors import IdempotencyError, IdempotencyKeyInUse
from ..models.base import db
from ..models.idempotency import IdempotencyRecord as Record
from ..services.webhooks import restore_secret, withhold_secret
from .decorators import OUTPUT_ATTR, check_expand, request_params
from .schemas import Expand

KEY_MAX_LENGTH = 255
PATH_MAX_LENGTH = 1024  # the column's; as the request log cuts its paths
# The one /v1 answer that shows a secret (a new webhook endpoint's): saved without it.
_CREATES_A_SECRET = "v1.create_webhook_endpoint"
TTL = 24 * 3600
STALE_CLAIM = 60


def claim() -> Response | None:
    """Own this request's key, or answer for it: a replay, 400 or 409 (raised)."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return None
    if not 0 < len(key) <= KEY_MAX_LENGTH:
        raise IdempotencyError(messages.IDEMPOTENCY_KEY_LENGTH.format(length=len(key)))
    state = current_app.extensions["payground"]
    scope = (g.account.id, g.livemode, _digest(state.pepper, "key", key))
    parts = [request.method, request.path, request_params()]
    callers = []
    if g.api_key.type == "publishable":  # what it is shown differs (module docstring)
        parts.append("publishable")
        callers.append("publishable")
    connect = g.get("platform_id") or g.api_key.connection_id
    if connect is not None:  # a platform's request on a connected account (module docstring)
        parts.append(["connect", connect])
        callers.append(f"connect:{connect}")
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    fingerprint = _digest(state.pepper, "request", canonical)
    caller = " ".join(callers) or "account"
    now = state.clock.for_account(g.account)
    path = scrub_start(request.path, PATH_MAX_LENGTH)
    mine = dict(fingerprint=fingerprint, request_id=g.request_id, created=now, status=None,
                body=None, path=path, caller=caller)
    try:
        db.session.add(Record(account_id=scope[0], livemode=scope[1], key_digest=scope[2],
                              **mine))
        db.session.commit()
        g.idempotency_scope = scope
        return None
    except IntegrityError:
        db.session.rollback()

    # A Core row, not an ORM object: it survives the rollback below untouched.
    row = db.session.execute(select(Record.__table__).where(*_match(scope))).first()
    if row is not None and (row.created + TTL <= now
                            or (row.status is None and row.created + STALE_CLAIM <= now)):
        # Take over an expired or abandoned record, unless another request just did.
        taken = db.session.execute(
            update(Record).where(*_match(scope), Record.request_id == row.request_id)
            .values(**mine).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if taken:
            g.idempotency_scope = scope
            return None
        row = None
    db.session.rollback()  # end the read (on SQLite it holds the write lock)
    if row is not None and row.fingerprint != fingerprint:
        if row.caller is not None and row.caller != caller:
            raise IdempotencyError(messages.IDEMPOTENCY_OTHER_CALLER.format(key=scrub(key)))
        if row.path is not None and row.path != path:
            raise IdempotencyError(messages.IDEMPOTENCY_OTHER_ENDPOINT.format(
                path=path, original=row.path, key=scrub(key)))
        raise IdempotencyError(messages.IDEMPOTENCY_MISMATCH.format(key=scrub(key)))
    if row is None or row.status is None:
        # Running now, or released/taken over a moment ago: either way, retry later.
        raise IdempotencyKeyInUse(messages.IDEMPOTENCY_KEY_IN_USE.format(key=scrub(key)))
    _refuse_expansions_the_key_may_not_see()
    body = row.body
    if request.endpoint == _CREATES_A_SECRET:  # same path as the saved one (fingerprint)
        body = restore_secret(body, state.pepper)
    replay = current_app.response_class(body, status=row.status, mimetype="application/json")
    replay.headers["Idempotent-Replayed"] = "true"
    replay.headers["Original-Request"] = row.request_id
    return replay


def _refuse_expansions_the_key_may_not_see() -> None:
    """Before a replay: the 400 or 403 the view would give this key for its ``expand[]``
    (``@accepts`` checks them, but a replay never reaches the view). The saved request had
    the same parameters and passed their validation: ``expand`` reads as it did then."""
    sent = request_params().get("expand")
    if sent:
        view = current_app.view_functions[request.endpoint]
        check_expand(getattr(view, OUTPUT_ATTR, None), Expand().deserialize(sent))


def echo_key(response: Response) -> None:
    """Send the request's ``Idempotency-Key`` back, as Stripe does on every answer (the SDKs
    read it: stripe-python's ``last_response.idempotency_key``). Masked if it holds a key."""
    key = request.headers.get("Idempotency-Key")
    if key and len(key) <= KEY_MAX_LENGTH and "\0" not in key:
        response.headers["Idempotency-Key"] = scrub(key)
    if g.get("idempotency_ran"):  # a replay has the first request's id there already
        response.headers["Original-Request"] = g.request_id


def store(response: Response) -> Response:
    """Save the response of a request that owns its key (or release the key after a 5xx or
    a 429)."""
    scope = g.pop("idempotency_scope", None)
    if scope is None:
        return response
    g.idempotency_ran = True
    # Whatever the view left uncommitted would be discarded at teardown anyway.
    db.session.rollback()
    owned = (*_match(scope), Record.request_id == g.request_id)
    # Rate limits refuse before the claim, so a 429 here is a lock timeout: retry-able.
    if response.status_code >= 500 or response.status_code == 429 \
            or not g.get("params_accepted"):
        db.session.execute(delete(Record).where(*owned)
                           .execution_options(synchronize_session=False))
    else:
        body = response.get_data(as_text=True)
        if request.endpoint == _CREATES_A_SECRET:
            body = withhold_secret(body)
        db.session.execute(update(Record).where(*owned)
                           .values(status=response.status_code, body=body)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return response


def _match(scope: tuple) -> tuple:
    account_id, livemode, key_digest = scope
    return (Record.account_id == account_id, Record.livemode == livemode,
            Record.key_digest == key_digest)


def _digest(pepper: str, purpose: str, text: str) -> str:
    return hmac.new(pepper.encode(), f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()
