"""``http.schemas.fast_loader`` gives exactly what marshmallow's ``Schema.load`` gives, and
raises exactly what it raises."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError, fields, validates_schema

from payground.http.decorators import INPUT_ATTR
from payground.http.schemas import Int, Str, StripeSchema, fast_loader

# Values of every shape a form or JSON body decodes to.
VALUES = ["", "1", "2000", "-3", "abc", "true", "usd", "sk_test_" + "a" * 24, None, 7, True,
          {"a": "b"}, {"0": "x"}, ["x", "y"], [""]]


def _outcome(load, data):
    try:
        return "ok", load(data)
    except ValidationError as error:
        return "error", error.messages


def _input_schemas(app):
    seen = {}
    for view in app.view_functions.values():
        schema_class = getattr(view, INPUT_ATTR, None)
        if schema_class is not None:
            seen[schema_class.__name__] = schema_class
    return [seen[name] for name in sorted(seen)]


def test_every_input_schema_loads_each_value_like_marshmallow(app):
    schemas = _input_schemas(app)
    compiled = 0
    for schema_class in schemas:
        schema = schema_class()
        load = fast_loader(schema)
        compiled += load != schema.load
        cases = [{}, {"unknown_parameter": "1"}]
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            cases += [{key: value} for value in VALUES]
            cases.append({key: "1", "unknown_parameter": "1"})
        for data in cases:
            assert _outcome(load, data) == _outcome(schema.load, data), (schema_class, data)
    assert compiled >= len(schemas) // 2  # most input schemas take the fast path


def test_a_charge_loads_like_marshmallow():
    from payground.v1.charges import ChargeCreate

    schema = ChargeCreate()
    load = fast_loader(schema)
    assert load != schema.load
    for data in ({"amount": "2000", "currency": "USD", "source": "tok_visa"},
                 {"amount": "2000", "currency": "usd", "source": "tok_visa", "capture": "false",
                  "metadata": {"order": "7", "gone": ""}, "description": "",
                  "expand": ["customer"], "receipt_email": "r@example.com"},
                 {"amount": "0", "currency": "usd"},
                 {"currency": "usd", "source": "tok_visa"},
                 {"amount": "2000", "currency": "xxx", "description": "x" * 5001}):
        assert _outcome(load, data) == _outcome(schema.load, data), data


class _Sample(StripeSchema):
    number = Int(required=True, minimum=1)
    name = Str(allow_empty=True)
    renamed = fields.String(data_key="label", attribute="title")
    defaulted = Int(load_default=10)
    made = fields.List(fields.String(), load_default=list)
    nullable = fields.String(allow_none=True)
    checked = fields.String(validate=lambda value: value != "bad")
    shown = fields.String(dump_only=True)


@pytest.mark.parametrize("data", [
    {"number": "3"},
    {"number": "3", "name": "", "label": "t", "defaulted": "4", "made": ["a"], "nullable": None},
    {"number": "3", "checked": "bad"},
    {"number": "0", "checked": "bad", "name": 5},
    {},
    {"number": "3", "title": "not the data key"},
    {"number": "3", "shown": "dump only"},
    ["not", "a", "hash"],
    None,
])
def test_fast_loader_matches_marshmallow_field_by_field(data):
    schema = _Sample()
    load = fast_loader(schema)
    assert load != schema.load
    assert _outcome(load, data) == _outcome(schema.load, data)


def test_a_default_made_per_load_is_not_shared():
    load = fast_loader(_Sample())
    first, second = load({"number": "1"}), load({"number": "1"})
    assert first == {"number": 1, "defaulted": 10, "made": []}
    assert first["made"] is not second["made"]


def test_schemas_with_load_hooks_or_dotted_attributes_use_marshmallow():
    class Hooked(Schema):
        a = fields.String()
        b = fields.String()

        @validates_schema
        def one_of(self, data, **kwargs):
            if "a" in data and "b" in data:
                raise ValidationError("a or b")

    class Dotted(Schema):
        a = fields.String(attribute="inner.a")

    for schema in (Hooked(), Dotted(), _Sample(many=True), _Sample(partial=True)):
        assert fast_loader(schema) == schema.load


def test_every_route_s_load_and_dump_build(app):
    # @accepts and @returns build them on a route's first request (http/decorators.py): a
    # schema that cannot be built must fail here, not on a user's first request to its route.
    from payground.http.decorators import OUTPUT_ATTR, _loader
    from payground.http.schemas import dumper_for

    built = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        schema_class = getattr(view, INPUT_ATTR, None)
        if schema_class is not None:
            with pytest.raises(ValidationError):  # it answers: an unknown parameter
                _loader(schema_class, {})({"parameter_no_route_takes": "1"})
            built.add(schema_class)
        output = getattr(view, OUTPUT_ATTR, None)
        if output is not None:
            assert callable(dumper_for(output))
            built.add(output)
    assert len(built) > 60
