"""JSON through orjson (http/json_provider.py): what clients and JSON columns get."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import datetime, timezone

import pytest
from markupsafe import Markup


def test_responses_are_compact_utf8_in_schema_order(account):
    r = account.post("/v1/customers", data={"name": "Zoë Ångström", "email": "z@example.com"})
    assert r.status_code == 200
    assert r.data.endswith(b"}\n")
    assert "Zoë Ångström".encode() in r.data and b"\\u00eb" not in r.data
    assert b": " not in r.data and b", " not in r.data
    assert list(json.loads(r.data))[:2] == ["id", "object"]  # the schema's order, not sorted


def test_metadata_round_trips_through_the_json_column(account):
    made = account.post("/v1/customers", data={"metadata[note]": "naïve ☃"}).get_json()
    again = account.get(f"/v1/customers/{made['id']}").get_json()
    assert again["metadata"] == {"note": "naïve ☃"}


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_types_orjson_lacks_are_turned_as_flasks_provider_would(app):
    when = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    text = app.json.dumps({"when": when, "price": decimal.Decimal("1.50"), "id": ident,
                           "point": Point(1, 2), "html": Markup("<b>hi</b>"), 3: "int key"})
    assert json.loads(text) == {
        "when": "Sun, 06 Dec 2026 09:30:00 GMT", "price": "1.50",
        "id": "12345678-1234-5678-1234-567812345678", "point": {"x": 1, "y": 2},
        "html": "<b>hi</b>", "3": "int key"}
    assert app.json.loads(text)["price"] == "1.50"


def test_unknown_types_are_refused(app):
    with pytest.raises(TypeError, match="^Type is not JSON serializable: object$"):
        app.json.dumps({"x": object()})


def test_indent_gives_readable_output(app):
    assert app.json.dumps({"a": [1]}, indent=2) == '{\n  "a": [\n    1\n  ]\n}'
