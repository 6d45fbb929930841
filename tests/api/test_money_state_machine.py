"""Stateful property test: random money movements in both modes against a model kept here.

A hypothesis ``RuleBasedStateMachine`` drives one fresh account (live mode activated) through
charges (captured, uncaptured, available at once, declined; four currencies), captures (whole,
partial, too small, too large), refunds (whole, partial, too large), payouts (to the default
bank account, to a failing test one, to a ``destination``, more than is available), payout
cancels and clock advances (an hour to ten days: settlement, payouts moving on, seven-day
authorisation expiry), through ``/sandbox/clock/advance`` or by moving the wall clock so that
a refund, capture, payout or cancel is the first request to see what came due. The model
knows what each request must answer, to the error message, and what each step must emit.

Balances are not asserted to stay at or above zero: a refund may take the available (or, for
a charge still pending, the pending) balance below zero, as on Stripe and as the README says.
What is asserted is that a payout never takes more than is available when it is made.

After every step, in each mode: ``/sandbox/ledger/verify`` is clean; ``GET /v1/balance`` equals
the model; available + pending equals the balance transactions' nets (split by
``available_on``); every charge's ``amount_refunded`` is its released amount plus its refunds
(never more than it captured) and never more than its amount; every ``charge.expired`` has its refund; and the new events are
exactly the ones the step should have made (``balance.available`` only when the available
balance grew, showing the balance as it is).

The wall clock is fixed and hypothesis is derandomized: every run tries the same examples.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)

from payground import messages
from payground.core import money
from tests.helpers import assert_error

DAY = 86400
WALL = 1_767_225_600  # 2026-01-01T00:00:00Z: the same timestamps on every run
LIVE_CARD = "4012888888881881"  # Luhn-valid, not a test card; its issuer takes $500 at least
LIVE_DECLINED = 600_000  # above any simulated issuer's limit ($5,250 at most)
MINIMUM = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50}
CURRENCIES = tuple(MINIMUM)
SUCCESS_BANK = "000123456789"
FAILING_BANKS = {"000111111116": "no_account", "000111111113": "account_closed",
                 "000222222227": "insufficient_funds"}
MODES = (False, True)


def fee(amount: int) -> int:
    """2.9% (half-up) + 30, never more than the charge: written out again, not imported."""
    return min((amount * 29 + 500) // 1000 + 30, amount)


def too_small(currency: str) -> str:
    if currency == "usd":
        return messages.AMOUNT_TOO_SMALL
    return messages.AMOUNT_TOO_SMALL_IN.format(
        minimum=money.format_amount(MINIMUM[currency], currency), currency=currency)


@dataclass
class Txn:
    net: int
    currency: str
    available_on: int


@dataclass
class Charge:
    id: str
    currency: str
    amount: int
    created: int
    failed: bool = False
    captured: bool = False
    amount_captured: int = 0
    refunds: int = 0  # what its refund objects add up to
    released: bool = False  # an uncaptured charge refunded in full, or expired
    expired: bool = False
    available_on: int | None = None  # its balance transaction's
    net: int = 0

    @property
    def amount_refunded(self) -> int:
        if self.captured:
            return self.amount - self.amount_captured + self.refunds
        return self.amount if self.released else 0


@dataclass
class Payout:
    id: str
    currency: str
    amount: int
    created: int
    failure: str | None  # the failure code its bank account sends it back with
    status: str = "pending"


@dataclass
class Mode:
    """One mode of the account, as the model sees it."""

    livemode: bool
    txns: list[Txn] = field(default_factory=list)
    currencies: set[str] = field(default_factory=set)  # with ledger rows
    charges: list[Charge] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    banks: dict[str, str | None] = field(default_factory=dict)  # ba_... -> failure code
    default_bank: str = ""
    expected: Counter = field(default_factory=Counter)  # event types this step should make
    snapshots: list[dict] = field(default_factory=list)  # their balance.available, in order
    seen_events: set[str] = field(default_factory=set)

    def balance_available(self, now: int) -> None:
        """This step sends balance.available, showing the balance as it is at ``now``."""
        self.expected["balance.available"] += 1
        self.snapshots.append(self.balance(now))

    def available(self, currency: str, now: int) -> int:
        return sum(t.net for t in self.txns if t.currency == currency and t.available_on <= now)

    def pending(self, currency: str, now: int) -> int:
        return sum(t.net for t in self.txns if t.currency == currency and t.available_on > now)

    def balance(self, now: int) -> dict:
        currencies = sorted(self.currencies) or ["usd"]

        def funds(amount, currency):
            return {"amount": amount, "currency": currency, "source_types": {"card": amount}}

        return {"available": [funds(self.available(c, now), c) for c in currencies],
                "pending": [funds(self.pending(c, now), c) for c in currencies]}


percent = st.integers(1, 110)
modes = st.sampled_from(MODES)
indexes = st.integers(0, 50)
shares = st.one_of(st.none(), percent)
advances = st.one_of(st.sampled_from([3600, DAY - 1, DAY, 2 * DAY, 7 * DAY, 10 * DAY]),
                     st.integers(3600, 10 * DAY))
payout_targets = st.sampled_from(["default", "default", "named", "other_mode"])
# The arguments of the rules `act_late` calls.
ARGUMENTS = {
    "refund": {"livemode": modes, "index": indexes, "share": shares},
    "capture": {"livemode": modes, "index": indexes, "share": shares},
    "payout": {"livemode": modes, "currency": st.sampled_from(CURRENCIES),
               "share": st.integers(1, 130), "where": payout_targets, "index": indexes},
    "cancel_payout": {"livemode": modes, "index": indexes},
}


class MoneyMachine(RuleBasedStateMachine):
    client = None  # set by the test: the app's test client
    wall = None  # and the wall clock it sees

    def __init__(self):
        super().__init__()
        self.wall[0], self.wall_moved = WALL, 0  # every example starts at the same time
        c = self.client
        r = c.post("/sandbox/signup", json={"email": f"sm-{secrets.token_hex(6)}@example.com",
                                            "password": "correct horse battery"})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        self.session = {"Authorization": f"Bearer {body['session']}"}
        self.keys = {False: body["keys"]["secret"]}
        r = c.post("/sandbox/account/activate", headers=self.session, json={
            "bank_account": {"routing_number": "021000021", "account_number": "000111111116"}})
        assert r.status_code == 201, r.get_json()
        self.keys[True] = r.get_json()["keys"]["secret"]
        self.live_publishable = r.get_json()["keys"]["publishable"]
        self.now = c.get("/sandbox/clock", headers=self.session).get_json()["now"]
        self.exact_snapshots = True
        self.modes = {livemode: Mode(livemode) for livemode in MODES}
        for bank in self.banks_listed():  # the defaults, made now
            mode = self.modes[bank["livemode"]]
            mode.banks[bank["id"]], mode.default_bank = None, bank["id"]

    # --- plumbing ---------------------------------------------------------------------------

    def post(self, livemode, path, data=None):
        return self.client.post(path, data=data or {},
                                headers={"Authorization": f"Bearer {self.keys[livemode]}"})

    def get(self, livemode, path, **query):
        return self.client.get(path, query_string=query,
                               headers={"Authorization": f"Bearer {self.keys[livemode]}"})

    def all_of(self, livemode, path, **query) -> list[dict]:
        items, after = [], None
        while True:
            page = self.get(livemode, path, limit=100, **query,
                            **({"starting_after": after} if after else {})).get_json()
            items += page["data"]
            if not page["has_more"]:
                return items
            after = page["data"][-1]["id"]

    def banks_listed(self) -> list[dict]:
        r = self.client.get("/sandbox/bank", headers=self.session)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["data"]

    def pick(self, items, index):
        return items[index % len(items)] if items else None

    # --- rules ------------------------------------------------------------------------------

    @rule(livemode=st.sampled_from(MODES), currency=st.sampled_from(CURRENCIES),
          amount=st.one_of(st.integers(51, 20_000), st.integers(51, 20_000),
                           st.sampled_from([29, 30, 31, 49, 50])),
          kind=st.sampled_from(["captured", "captured", "uncaptured", "uncaptured",
                                "available_at_once", "declined"]))
    def charge(self, livemode, currency, amount, kind):
        mode = self.modes[livemode]
        if livemode:
            r = self.client.post("/v1/tokens", data={
                "card[number]": LIVE_CARD, "card[exp_month]": "12",
                "card[exp_year]": str(time.gmtime(WALL).tm_year + 5)},
                headers={"Authorization": f"Bearer {self.live_publishable}"})
            assert r.status_code == 200, r.get_json()
            source = r.get_json()["id"]
            if kind == "declined":
                amount = LIVE_DECLINED
        else:
            source = {"available_at_once": "tok_bypassPending",
                      "declined": "tok_chargeDeclined"}.get(kind, "tok_visa")
        r = self.post(livemode, "/v1/charges", {"amount": amount, "currency": currency,
                                                 "source": source,
                                                 "capture": str(kind != "uncaptured").lower()})
        if amount < MINIMUM[currency]:
            assert_error(r, 400, code="amount_too_small", param="amount",
                         message=too_small(currency))
            return
        if kind == "declined":
            error = assert_error(
                r, 402, type="card_error", code="card_declined",
                message=messages.CARD_INSUFFICIENT_FUNDS if livemode else messages.CARD_DECLINED,
                decline_code="insufficient_funds" if livemode else "generic_decline")
            mode.charges.append(Charge(error["charge"], currency, amount, self.now, failed=True))
            mode.expected["charge.failed"] += 1
            return
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        charge = Charge(body["id"], currency, amount, self.now)
        mode.charges.append(charge)
        mode.expected["charge.succeeded"] += 1
        if kind != "uncaptured":
            self._captured(mode, charge, amount, at_once=kind == "available_at_once"
                           and not livemode)
        assert (body["amount_captured"], body["captured"]) == (charge.amount_captured,
                                                               charge.captured)

    def _captured(self, mode: Mode, charge: Charge, amount: int, at_once: bool) -> None:
        charge.captured, charge.amount_captured = True, amount
        charge.net = amount - fee(amount)
        charge.available_on = self.now if at_once else self.now + 2 * DAY
        mode.txns.append(Txn(charge.net, charge.currency, charge.available_on))
        mode.currencies.add(charge.currency)

    def has_charges(self):
        return any(mode.charges for mode in self.modes.values())

    def has_payouts(self):
        return any(mode.payouts for mode in self.modes.values())

    @precondition(has_charges)
    @rule(**ARGUMENTS["capture"])
    def capture(self, livemode, index, share):
        mode = self.modes[livemode]
        # Mostly the ones still waiting: anything else is an error (tried too, less often).
        waiting = [c for c in mode.charges if not (c.failed or c.captured or c.released)]
        charge = self.pick(waiting if waiting and index % 4 else mode.charges, index)
        if charge is None:
            return
        amount = charge.amount if share is None else max(1, charge.amount * share // 100)
        r = self.post(livemode, f"/v1/charges/{charge.id}/capture",
                      {} if share is None else {"amount": amount})
        if charge.failed:
            assert_error(r, 400, message=messages.CHARGE_FAILED_CANNOT.format(
                id=charge.id, action="captured"))
        elif charge.expired:
            assert_error(r, 400, code="charge_expired_for_capture",
                         message=messages.CHARGE_EXPIRED_FOR_CAPTURE.format(id=charge.id))
        elif charge.amount_refunded == charge.amount:  # released, or refunded in full
            assert_error(r, 400, code="charge_already_refunded",
                         message=messages.CHARGE_ALREADY_REFUNDED.format(id=charge.id))
        elif charge.captured:
            assert_error(r, 400, code="charge_already_captured",
                         message=messages.CHARGE_ALREADY_CAPTURED.format(id=charge.id))
        elif amount > charge.amount:
            assert_error(r, 400, code="amount_too_large", param="amount",
                         message=messages.CAPTURE_TOO_LARGE.format(
                             amount=money.format_amount(amount, charge.currency),
                             authorized=money.format_amount(charge.amount, charge.currency)))
        elif amount < MINIMUM[charge.currency]:
            assert_error(r, 400, code="amount_too_small", param="amount",
                         message=too_small(charge.currency))
        else:
            assert r.status_code == 200, r.get_json()
            self._captured(mode, charge, amount, at_once=False)
            mode.expected["charge.captured"] += 1
            body = r.get_json()
            assert (body["amount_captured"], body["amount_refunded"]) == (
                amount, charge.amount - amount)

    @precondition(has_charges)
    @rule(**ARGUMENTS["refund"])
    def refund(self, livemode, index, share):
        mode = self.modes[livemode]
        charge = self.pick(mode.charges, index)
        if charge is None:
            return
        amount = None if share is None else max(1, charge.amount * share // 100)
        r = self.post(livemode, "/v1/refunds", {"charge": charge.id,
                                                 **({} if amount is None else {"amount": amount})})
        remaining = charge.amount - charge.amount_refunded
        if charge.failed:
            assert_error(r, 400, param="charge", message=messages.CHARGE_FAILED_CANNOT.format(
                id=charge.id, action="refunded"))
            return
        if remaining <= 0:
            assert_error(r, 400, code="charge_already_refunded",
                         message=messages.CHARGE_ALREADY_REFUNDED.format(id=charge.id))
            return
        amount = remaining if amount is None else amount
        if amount > remaining:
            message = (messages.REFUND_TOO_LARGE_AFTER_REFUNDS if charge.amount_refunded
                       else messages.REFUND_TOO_LARGE)
            assert_error(r, 400, param="amount", message=message.format(
                amount=money.format_amount(amount, charge.currency),
                remaining=money.format_amount(remaining, charge.currency)))
            return
        if not charge.captured and amount != charge.amount:
            assert_error(r, 400, param="amount", message=messages.REFUND_UNCAPTURED_PARTIAL)
            return
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["amount"] == amount
        mode.expected.update(["charge.refunded", "refund.created"])
        if not charge.captured:  # releasing an authorisation moves no money
            charge.released = True
            assert r.get_json()["balance_transaction"] is None
            return
        charge.refunds += amount
        # Out of the bucket the charge's money is in: still pending, it settles with it.
        still_pending = charge.net and charge.available_on > self.now
        mode.txns.append(Txn(-amount, charge.currency,
                             charge.available_on if still_pending else self.now))

    @rule(number=st.sampled_from([SUCCESS_BANK, *FAILING_BANKS]))
    def choose_test_bank(self, number):
        r = self.client.post("/sandbox/bank", headers=self.session,
                             json={"bank_account": {"account_number": number}})
        assert r.status_code == 201, r.get_json()
        mode = self.modes[False]
        mode.default_bank = r.get_json()["id"]
        mode.banks[mode.default_bank] = FAILING_BANKS.get(number)

    @rule(**ARGUMENTS["payout"])
    def payout(self, livemode, currency, share, where, index):
        mode = self.modes[livemode]
        available = mode.available(currency, self.now)
        amount = max(1, (available if available > 0 else 100) * share // 100)
        data = {"amount": amount, "currency": currency}
        bank = mode.default_bank
        if where == "named":
            bank = data["destination"] = self.pick(sorted(mode.banks), index)
        elif where == "other_mode":
            data["destination"] = self.modes[not livemode].default_bank
        r = self.post(livemode, "/v1/payouts", data)
        if where == "other_mode":
            assert_error(r, 404, code="resource_missing", param="destination",
                         message=messages.NO_SUCH_OTHER_MODE.format(
                             noun="external account", id=data["destination"],
                             other="test" if livemode else "live",
                             mode="live" if livemode else "test"))
            return
        if amount > available:  # never more than is available when it is made
            assert_error(r, 400, code="balance_insufficient",
                         message=messages.BALANCE_INSUFFICIENT)
            return
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert (body["status"], body["destination"], body["arrival_date"]) == (
            "pending", bank, self.now + 2 * DAY)
        mode.payouts.append(Payout(body["id"], currency, amount, self.now, mode.banks[bank]))
        mode.txns.append(Txn(-amount, currency, self.now))
        mode.expected["payout.created"] += 1

    @precondition(has_payouts)
    @rule(**ARGUMENTS["cancel_payout"])
    def cancel_payout(self, livemode, index):
        mode = self.modes[livemode]
        payout = self.pick(mode.payouts, index)
        if payout is None:
            return
        r = self.post(livemode, f"/v1/payouts/{payout.id}/cancel")
        if payout.status != "pending":
            assert_error(r, 400, message=messages.PAYOUT_NOT_PENDING)
            return
        assert r.status_code == 200, r.get_json()
        payout.status = "canceled"
        mode.txns.append(Txn(payout.amount, payout.currency, self.now))
        mode.expected["payout.canceled"] += 1
        mode.balance_available(self.now)

    @rule(seconds=advances)
    def advance_clock(self, seconds):
        r = self.client.post("/sandbox/clock/advance", headers=self.session,
                             json={"seconds": seconds})
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["now"] == self.now + seconds
        self._time_passes(seconds)

    @rule(seconds=advances, then=st.sampled_from(["refund", "capture", "payout",
                                                  "cancel_payout"]), data=st.data())
    def act_late(self, seconds, then, data):
        """The wall clock moves (nothing tells the API), then a request is the first to see
        what came due meanwhile."""
        if self.wall_moved + seconds > 20 * DAY:  # sessions are dated by the wall clock
            return
        self.wall[0] += seconds
        self.wall_moved += seconds
        self._time_passes(seconds)
        if then == "capture":  # it posts before anything catches up: the next read does
            self.exact_snapshots = False
        args = {name: data.draw(strategy) for name, strategy in ARGUMENTS[then].items()}
        getattr(self, then)(**args)

    def _time_passes(self, seconds):
        """What the clock moving on does: payouts move on, authorisations expire, funds
        settle, and balance.available is sent where the available balance grew."""
        before = {m.livemode: {c: m.available(c, self.now) for c in CURRENCIES}
                  for m in self.modes.values()}
        self.now += seconds
        for mode in self.modes.values():
            for payout in mode.payouts:
                if payout.status == "pending" and payout.created + DAY <= self.now:
                    payout.status = "in_transit"
                    mode.expected["payout.updated"] += 1
                if payout.status == "in_transit" and payout.created + 2 * DAY <= self.now:
                    if payout.failure:  # the bank sends it back: available again
                        payout.status = "failed"
                        mode.txns.append(Txn(payout.amount, payout.currency,
                                             payout.created + 2 * DAY))
                        mode.expected["payout.failed"] += 1
                    else:
                        payout.status = "paid"
                        mode.expected["payout.paid"] += 1
            for charge in mode.charges:
                if not (charge.failed or charge.captured or charge.released) \
                        and charge.created + 7 * DAY <= self.now:
                    charge.released = charge.expired = True
                    mode.expected.update(["charge.expired", "refund.created"])
            # Stripe sends balance.available when the available balance grows, never for a
            # decrease (README, Events).
            if any(mode.available(c, self.now) > before[mode.livemode][c] for c in CURRENCIES):
                mode.balance_available(self.now)

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def ledger_verifies(self):
        report = self.client.get("/sandbox/ledger/verify", headers=self.session).get_json()
        assert (report["ok"], report["problems"]) == (True, []), report

    @invariant()
    def balance_matches_model_and_transactions(self):
        for livemode, mode in self.modes.items():
            balance = self.get(livemode, "/v1/balance").get_json()
            want = mode.balance(self.now)
            assert (balance["available"], balance["pending"], balance["livemode"]) == (
                want["available"], want["pending"], livemode), (balance, want)
            # available + pending is what the balance transactions add up to, split by date.
            sums = Counter()
            for txn in self.all_of(livemode, "/v1/balance_transactions"):
                bucket = "available" if txn["available_on"] <= self.now else "pending"
                sums[(bucket, txn["currency"])] += txn["net"]
            for bucket in ("available", "pending"):
                for funds in balance[bucket]:
                    assert funds["amount"] == sums[(bucket, funds["currency"])], (bucket, funds)

    @invariant()
    def charges_and_refunds_add_up(self):
        for livemode, mode in self.modes.items():
            charges = {c["id"]: c for c in self.all_of(livemode, "/v1/charges")}
            refunds = Counter()
            expired_refunds = set()
            for refund in self.all_of(livemode, "/v1/refunds"):
                refunds[refund["charge"]] += refund["amount"]
                if refund["reason"] == "expired_uncaptured_charge":
                    expired_refunds.add(refund["charge"])
            assert sorted(charges) == sorted(c.id for c in mode.charges)
            for model in mode.charges:
                got = charges[model.id]
                assert (got["status"], got["captured"], got["amount_captured"],
                        got["amount_refunded"]) == (
                    "failed" if model.failed else "succeeded", model.captured,
                    model.amount_captured, model.amount_refunded), (got, model)
                # Refunds never exceed what was captured (all of an authorisation, released).
                took = got["amount_captured"] if got["captured"] else got["amount"]
                assert refunds[model.id] <= took
                # A partial capture shows the part it let go in amount_refunded, as on Stripe.
                released = got["amount"] - got["amount_captured"] if got["captured"] else 0
                assert got["amount_refunded"] == released + refunds[model.id] <= got["amount"]
                assert (model.id in expired_refunds) == model.expired
            self._events(livemode, mode, charges, expired_refunds)
        self.exact_snapshots = True  # checked: the next step starts afresh

    def _events(self, livemode, mode, charges, expired_refunds):
        new = [e for e in self.all_of(livemode, "/v1/events") if e["id"] not in mode.seen_events]
        mode.seen_events.update(e["id"] for e in new)
        assert Counter(e["type"] for e in new) == mode.expected, (
            [e["type"] for e in new], mode.expected)
        mode.expected = Counter()
        sent = [e["data"]["object"] for e in reversed(new) if e["type"] == "balance.available"]
        if self.exact_snapshots:
            assert [{k: b[k] for k in ("available", "pending")} for b in sent] == \
                mode.snapshots
        mode.snapshots = []
        for event in new:
            assert event["livemode"] == livemode
            if event["type"] == "charge.expired":
                charge_id = event["data"]["object"]["id"]
                assert charge_id in expired_refunds and charges[charge_id]["refunded"]

    @invariant()
    def payouts_match_model(self):
        for livemode, mode in self.modes.items():
            payouts = {p["id"]: p for p in self.all_of(livemode, "/v1/payouts")}
            assert {p.id: p.status for p in mode.payouts} == {
                i: p["status"] for i, p in payouts.items()}
            for model in mode.payouts:
                assert payouts[model.id]["failure_code"] == (
                    model.failure if model.status == "failed" else None)


# Modest, to keep the suite (run twice by CI) fast: ~10 s on SQLite; derandomized, the same
# examples every run. Bigger runs (150 examples of 40 steps) found the two bugs its regression
# tests in test_balance.py pin: raise these locally when changing money code.
SETTINGS = settings(max_examples=12, stateful_step_count=20, deadline=None, derandomize=True,
                    database=None, suppress_health_check=[HealthCheck.too_slow])


def test_money_state_machine(client, wall):
    wall[0] = WALL
    MoneyMachine.client, MoneyMachine.wall = client, wall
    run_state_machine_as_test(MoneyMachine, settings=SETTINGS)
