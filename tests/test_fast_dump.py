"""``http.schemas.fast_dumper`` gives exactly what marshmallow's ``Schema.dump`` gives."""

from __future__ import annotations

import types

import pytest
from marshmallow import Schema, fields, post_dump
from sqlalchemy import select

from payground.http.schemas import dumper_for, fast_dumper, list_schema

CARDS = ["tok_visa", "tok_mastercard", "tok_amex", "tok_chargeDeclined", "tok_visa_debit"]


def _charges(account):
    """Charges of every shape the API makes: captured, uncaptured, declined, refunded, ..."""
    customer = account.post("/v1/customers", {"email": "a@example.com"}).get_json()["id"]
    made = []
    for i in range(40):
        params = {"amount": 500 + 37 * i, "currency": ("usd", "eur", "jpy")[i % 3],
                  "source": CARDS[i % len(CARDS)]}
        if i % 2:
            params.update({"description": f"order {i} sk_test_" + "a" * 24,
                           "metadata[order]": str(i), "metadata[n]": "x" * i})
        if i % 4 == 1:
            params["customer"] = customer
        if i % 5 == 2:
            params["capture"] = "false"
        if i % 7 == 3:
            params.update({"receipt_email": "r@example.com", "statement_descriptor": "SHOP 7"})
        r = account.post("/v1/charges", params)
        assert r.status_code in (200, 402), r.get_json()
        made.append(r.get_json())
    for charge in made[:10]:
        if charge.get("id", "").startswith("ch_") and charge.get("captured"):
            account.post("/v1/refunds", {"charge": charge["id"], "amount": 100})
    return made


def test_every_output_schema_dumps_stored_objects_like_marshmallow(app, account):
    from payground.models import Charge, Customer, Event, Refund
    from payground.v1.charges import ChargeOut
    from payground.v1.customers import CustomerOut
    from payground.v1.events import EventOut
    from payground.v1.refunds import RefundOut

    _charges(account)
    pairs = [(Charge, ChargeOut), (Customer, CustomerOut), (Refund, RefundOut),
             (Event, EventOut)]  # BalanceTransactionOut reads the request scope
    with app.app_context():
        from payground.extensions import db

        for model, schema_class in pairs:
            rows = db.session.scalars(
                select(model).where(model.account_id == account.account_id)).all()
            assert rows, model
            for row in rows:
                assert dumper_for(schema_class)(row) == schema_class().dump(row)
            page = types.SimpleNamespace(url="/v1/x", has_more=True, items=rows)
            assert (dumper_for(list_schema(schema_class))(page)
                    == list_schema(schema_class)().dump(page))


class _Sample(Schema):
    name = fields.String()
    count = fields.Integer()
    flag = fields.Boolean()
    tags = fields.Dict()
    fixed = fields.Constant({"a": 1})
    computed = fields.Function(lambda o: repr(o)[:10])
    renamed = fields.String(attribute="name", data_key="label", dump_only=True)
    dotted = fields.String(attribute="inner.name")
    defaulted = fields.String(dump_default="dflt")
    as_text = fields.Integer(as_string=True)
    when = fields.DateTime()


@pytest.mark.parametrize("obj", [
    types.SimpleNamespace(name="n", count=3, flag=True, tags={"k": "v"}, inner=None,
                          as_text=5, when=None),
    types.SimpleNamespace(name=None, count=None, flag=None, tags=None,
                          inner=types.SimpleNamespace(name="i"), as_text=None, when=None),
    types.SimpleNamespace(name=b"bytes", count=True, flag=0, tags={}, inner=None, as_text=1,
                          when=None, defaulted="set"),
    {"name": "from a dict", "count": 1, "flag": False, "tags": {}, "as_text": 2},
])
def test_fast_dumper_matches_marshmallow_field_by_field(obj):
    schema = _Sample()
    assert fast_dumper(schema)(obj) == schema.dump(obj)


def test_schemas_with_dump_hooks_use_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def upper(self, data, **kwargs):
            return {k: v.upper() for k, v in data.items()}

    schema = Hooked()
    assert fast_dumper(schema)(types.SimpleNamespace(name="x")) == {"name": "X"}
