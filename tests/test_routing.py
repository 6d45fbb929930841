"""URL rules compile their builders lazily (``http/routing.py``); every URL still builds."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map, Rule

from payground.http.routing import LazyBuilderRule, rule_class


def test_the_app_uses_the_lazy_rule(app):
    assert rule_class() is LazyBuilderRule
    # Flask adds its /static rule in its constructor, before the app can choose the class.
    assert {type(rule) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"} == {LazyBuilderRule}


def test_every_rule_builds_what_werkzeugs_own_rule_builds(app):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 80
    eager = Map([Rule(rule.rule, **rule.get_empty_kwargs()) for rule in rules])
    lazy_adapter, eager_adapter = app.url_map.bind("payground.test"), eager.bind("payground.test")
    for rule in rules:
        values = {name: (7 if isinstance(converter, IntegerConverter) else f"{name}_x1")
                  for name, converter in rule._converters.items()}
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for extra in ({}, {"extra": "y"}):  # unknown arguments go to the query string
            built = lazy_adapter.build(rule.endpoint, {**values, **extra}, method=method)
            assert built == eager_adapter.build(rule.endpoint, {**values, **extra},
                                                method=method), rule
        # And the URL routes back to the same endpoint.
        path = lazy_adapter.build(rule.endpoint, values, method=method)
        assert lazy_adapter.match(path, method=method)[0] == rule.endpoint, rule


def test_a_lazy_rule_builds_like_an_eager_one():
    eager = Map([Rule("/v1/charges/<charge_id>/refunds/<int:n>", endpoint="e")])
    lazy = Map([LazyBuilderRule("/v1/charges/<charge_id>/refunds/<int:n>", endpoint="e")])
    for values in ({"charge_id": "ch_1", "n": 3}, {"charge_id": "a b/c", "n": 0, "x": "1"}):
        assert (lazy.bind("h").build("e", values) == eager.bind("h").build("e", values))
