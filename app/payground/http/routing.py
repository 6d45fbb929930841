"""URL rules whose URL builders are compiled on first use instead of at registration.

Why: werkzeug compiles two Python functions per rule (``url_for`` with and without unknown
arguments) as each rule is added, through ``compile()`` of generated source. With ~80 rules
that was over half of ``create_app`` (~50 ms of ~90 ms on the benchmark machine): paid on
every start and by every test that builds an app, while most rules are never built into a URL.
Matching requests does not use the builders, so nothing else changes.
"""

from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A werkzeug ``Rule`` that compiles its URL builder the first time it is called."""

    def _compile_builder(self, append_unknown: bool = True):
        compiled = None

        def build(rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:  # two threads may both compile once: same result, no harm
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, *args, **kwargs)

        return build


def rule_class() -> type[Rule]:
    """``LazyBuilderRule``, or werkzeug's own ``Rule`` on a werkzeug that builds differently."""
    return LazyBuilderRule if hasattr(Rule, "_compile_builder") else Rule
