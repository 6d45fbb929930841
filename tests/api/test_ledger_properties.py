"""Property test: random charges, captures, refunds, payouts, cancels and clock moves.

After every step the API must agree with a tiny model of the rules (fees 2.9% + 30, two days
pending, refunds never above what was captured, payouts only from available funds, pending ->
in_transit -> paid on the account's clock), and ``/sandbox/ledger/verify`` must be clean.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payground.core import money

DAY = 86400

operations = st.lists(st.one_of(
    st.tuples(st.just("charge"), st.integers(50, 20000),
              st.sampled_from(["tok_visa", "tok_bypassPending"]), st.booleans()),
    st.tuples(st.just("capture"), st.integers(0, 9), st.integers(1, 100)),
    st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 12000)),
    st.tuples(st.just("payout"), st.integers(1, 15000)),
    st.tuples(st.just("cancel"), st.integers(0, 9)),
    st.tuples(st.just("advance"), st.sampled_from([3600, DAY - 1, DAY, 2 * DAY]),
              st.booleans()),
), min_size=1, max_size=25)


@dataclass
class Model:
    """What the balance should be: each balance transaction's net and when it is available."""

    now: int
    txns: list[tuple[int, int]] = field(default_factory=list)  # (net, available_on)
    charges: list[dict] = field(default_factory=list)
    payouts: list[dict] = field(default_factory=list)

    def available(self) -> int:
        return sum(net for net, on in self.txns if on <= self.now)

    def pending(self) -> int:
        return sum(net for net, on in self.txns if on > self.now)

    def payout_status(self, payout: dict) -> str:
        if payout["canceled"]:
            return "canceled"
        if self.now >= payout["created"] + 2 * DAY:
            return "paid"
        return "in_transit" if self.now >= payout["created"] + DAY else "pending"


class Api:
    """One fresh account, called through the test client."""

    def __init__(self, client):
        body = client.post("/sandbox/signup", json={
            "email": f"prop-{secrets.token_hex(6)}@example.com",
            "password": "correct horse battery"}).get_json()
        self.client = client
        self.key = {"Authorization": f"Bearer {body['keys']['secret']}"}
        self.session = {"Authorization": f"Bearer {body['session']}"}

    def post(self, path, data=None):
        return self.client.post(path, data=data or {}, headers=self.key)

    def get(self, path):
        return self.client.get(path, headers=self.key)


def step(api: Api, model: Model, op: tuple, wall: list) -> None:
    kind = op[0]
    if kind == "charge":
        _, amount, source, capture = op
        r = api.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source,
                                     "capture": str(capture).lower()})
        assert r.status_code == 200, r.get_json()
        model.charges.append({"id": r.get_json()["id"], "amount": amount, "captured": 0,
                              "refunded": 0, "authorized": not capture, "released": False,
                              "bypass": source == "tok_bypassPending", "available_on": None})
        if capture:
            _captured(model, model.charges[-1], amount)
    elif kind == "capture":
        authorized = [c for c in model.charges if c["authorized"]]
        if not authorized:
            return
        c = authorized[op[1] % len(authorized)]
        amount = c["amount"] * op[2] // 100
        r = api.post(f"/v1/charges/{c['id']}/capture", {"amount": amount})
        if amount < 50:
            code = "amount_too_small" if amount else "parameter_invalid_integer"
            assert (r.status_code, r.get_json()["error"]["code"]) == (400, code)
            return
        assert r.status_code == 200, r.get_json()
        c["authorized"] = False
        _captured(model, c, amount)
    elif kind == "refund":
        if not model.charges:
            return
        c = model.charges[op[1] % len(model.charges)]
        left = c["amount"] if c["authorized"] else c["captured"] - c["refunded"]
        amount = min(op[2], c["amount"]) if not c["authorized"] else c["amount"]
        r = api.post("/v1/refunds", {"charge": c["id"], "amount": amount})
        if c["released"] or left <= 0 or amount > left:
            assert r.status_code == 400, r.get_json()
            return
        assert r.status_code == 200, r.get_json()
        if c["authorized"]:  # releasing an authorisation moves no money
            c["authorized"], c["released"] = False, True
            return
        c["refunded"] += amount
        model.txns.append((-amount, max(model.now, c["available_on"])))
    elif kind == "payout":
        r = api.post("/v1/payouts", {"amount": op[1], "currency": "usd"})
        if op[1] > model.available():
            assert (r.status_code, r.get_json()["error"]["code"]) == (400,
                                                                    "balance_insufficient")
            return
        assert r.status_code == 200, r.get_json()
        model.txns.append((-op[1], model.now))
        model.payouts.append({"id": r.get_json()["id"], "amount": op[1], "created": model.now,
                              "canceled": False})
    elif kind == "cancel":
        if not model.payouts:
            return
        p = model.payouts[op[1] % len(model.payouts)]
        r = api.post(f"/v1/payouts/{p['id']}/cancel")
        if model.payout_status(p) != "pending":
            assert r.status_code == 400, r.get_json()
            return
        assert r.status_code == 200, r.get_json()
        p["canceled"] = True
        model.txns.append((p["amount"], model.now))
    else:
        _, seconds, through_api = op
        if through_api:
            r = api.client.post("/sandbox/clock/advance", json={"seconds": seconds},
                                headers=api.session)
            assert r.status_code == 200, r.get_json()
        else:
            wall[0] += seconds
        model.now += seconds


def _captured(model: Model, c: dict, amount: int) -> None:
    c["captured"] = amount
    c["available_on"] = model.now if c["bypass"] else model.now + 2 * DAY
    model.txns.append((amount - money.fee(amount), c["available_on"]))


def check(api: Api, model: Model) -> None:
    balance = api.get("/v1/balance").get_json()
    assert (balance["available"][0]["amount"], balance["pending"][0]["amount"]) == (
        model.available(), model.pending())
    for payout in model.payouts:
        assert api.get(f"/v1/payouts/{payout['id']}").get_json()["status"] == \
            model.payout_status(payout)
    report = api.client.get("/sandbox/ledger/verify", headers=api.session).get_json()
    assert (report["ok"], report["problems"]) == (True, [])


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_random_money_movements_keep_the_ledger_true(client, wall, ops):
    api = Api(client)
    model = Model(now=int(wall[0]))
    for op in ops:
        step(api, model, op, wall)
        check(api, model)
    for c in model.charges:
        body = api.get(f"/v1/charges/{c['id']}").get_json()
        assert body["amount_refunded"] <= body["amount"]
