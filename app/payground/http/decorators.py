"""``@accepts(Schema)`` and ``@returns(Schema)``: the whole of a view's input and output work."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from ..errors import InvalidRequestError
from .forms import decode_body, decode_query
from .schemas import dumper_for, fast_loader

OUTPUT_ATTR = "_payground_output_schema"  # set by @returns on the function it returns
INPUT_ATTR = "_payground_input_schema"  # set by @accepts: what a route takes (tests walk it)
MAX_EXPAND_LEVELS = 4  # Stripe's limit
PUBLISHABLE_EXPANDS = frozenset({"payment_method"})  # all a publishable key may expand


def request_params() -> dict[str, Any]:
    """The request's parameters, decoded once (body for writes, query string for reads)."""
    if "params" not in g:
        if request.method in ("GET", "HEAD", "DELETE"):
            g.params = decode_query(request.query_string)
        else:
            g.params = decode_body(request.get_data(cache=True), request.content_type)
    return g.params


def accepts(schema_class: type, **load_kwargs: Any) -> Callable:
    """Decode and validate the request's parameters; pass them to the view as ``params``."""
    load = None  # made on the route's first request (see _loader)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            nonlocal load
            if load is None:
                load = _loader(schema_class, load_kwargs)
            params = load(request_params())
            g.expand = params.pop("expand", None) or []
            if g.expand:
                check_expand(getattr(view, OUTPUT_ATTR, None), g.expand)
            g.params_accepted = True  # the endpoint is executing: idempotency saves from here
            return view(*args, params=params, **kwargs)

        setattr(wrapper, INPUT_ATTR, schema_class)
        return wrapper

    return decorator


def _loader(schema_class: type, load_kwargs: dict[str, Any]) -> Callable:
    """The load of ``@accepts(schema_class)``.

    Made on the route's first request, as ``@returns``' dump (two threads may both make it
    once: same result, no harm), not when the route's module is imported: made at import, the
    schema instances and compiled loads and dumps of every route took ~8 ms of each start-up
    (``payground serve``'s, each test app's), for routes most processes never serve. On use, a
    route's first request pays for its own, well under a millisecond.
    """
    schema = schema_class()
    # The schema's own load, compiled (http.schemas), unless it is asked for something special.
    return functools.partial(schema.load, **load_kwargs) if load_kwargs else fast_loader(schema)


def returns(schema_class: type, status: int = 200) -> Callable:
    """Dump what the view returns with ``schema_class``, applying ``expand[]``."""
    dump = None  # the schema's own output, compiled (http.schemas) on first use (see _loader)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            nonlocal dump
            if dump is None:
                dump = dumper_for(schema_class)
            result = view(*args, **kwargs)
            data = dump(result)
            expand(data, result, schema_class, g.get("expand") or [])
            return data, status

        setattr(wrapper, OUTPUT_ATTR, schema_class)  # for @accepts' check of expand[]
        return wrapper

    return decorator


def expands(schema_class: type) -> Callable:
    """For a view that dumps its own output (with a ``@returns`` helper): the schema whose
    ``EXPANDABLE`` its ``expand[]`` is checked against. Goes under ``@accepts``."""

    def decorator(view: Callable) -> Callable:
        setattr(view, OUTPUT_ATTR, schema_class)
        return view

    return decorator


def check_expand(schema_class: type | None, paths: list[str]) -> None:
    """Refuse an ``expand[]`` path that cannot be expanded, or that reaches an object the key
    may not read: each output schema an expansion reaches names, in ``READ_PERMISSIONS``,
    what a restricted key needs to read it (``customer_read`` ...), as its own route does.

    Run with the parameters' validation, before the view: a write must not happen and then be
    answered with a 400 or a 403 (which idempotency would keep) saying it did not.
    """
    from .auth import refuse_without  # auth imports services, which import this module

    publishable = g.api_key.type == "publishable"
    for path in paths:
        if publishable and path not in PUBLISHABLE_EXPANDS:
            # A page's key sees what its object shows a page, no further (a payment
            # method's customer is the account's business, not the browser's).
            raise InvalidRequestError(
                f"This property cannot be expanded with a publishable key ({path}).",
                param="expand")
        if path in getattr(schema_class, "EXPANDED_BY_VIEW", ()):
            continue  # the view fills it in itself (a search's ``total_count``)
        schema, rest, levels = schema_class, path, 0
        while rest:
            if rest in getattr(schema, "EXPANDABLE_NULLS", ()):
                break  # always null in Payground: expanded, it stays null (as on Stripe)
            head, rest = _split(rest, schema)
            item_schema = getattr(schema, "ITEM_SCHEMA", None)
            if head == "data" and item_schema is not None and rest:
                schema = item_schema
                continue
            expandable = getattr(schema, "EXPANDABLE", {})
            if head not in expandable:
                raise InvalidRequestError(f"This property cannot be expanded ({path}).",
                                          param="expand")
            levels += 1
            if levels > MAX_EXPAND_LEVELS:  # charge <-> payment_intent would go on for ever
                raise InvalidRequestError(
                    f"You cannot expand more than {MAX_EXPAND_LEVELS} levels of a property. "
                    f"Property: {path}", param="expand")
            schema = expandable[head][1]()
            for permission in schema.READ_PERMISSIONS:
                refuse_without(permission)


def _split(path: str, schema: type | None) -> tuple[str, str]:
    """``path``'s first field and the rest. A field under a hash that ``schema``'s
    ``EXPANDABLE`` names whole (``invoice_settings.default_payment_method``) is one field."""
    for name in getattr(schema, "EXPANDABLE", {}):
        if "." in name and (path == name or path.startswith(name + ".")):
            return name, path[len(name) + 1:]
    head, _, rest = path.partition(".")
    return head, rest


def expand(data: dict, obj: Any, schema_class: type, paths: list[str]) -> None:
    """Replace ids by whole objects for each path in ``paths`` (``customer``, ``data.customer``).

    An output schema lists what may be expanded in ``EXPANDABLE``: a mapping of field name
    (or ``hash.field``) to ``(attribute holding the related object, lambda returning its
    schema class)``; and in ``EXPANDABLE_NULLS`` the paths Stripe can expand that Payground
    always shows ``null`` (an account's ``settings.branding.icon``), which expanding leaves
    ``null``; in ``EXPANDED_BY_VIEW`` what the view computes itself when asked (a search's
    ``total_count``), which is left as dumped. The paths were checked by ``check_expand``
    (with the parameters, before the view ran).
    """
    expandable = getattr(schema_class, "EXPANDABLE", {})
    for path in paths:
        if path in getattr(schema_class, "EXPANDABLE_NULLS", ()) or path in getattr(
                schema_class, "EXPANDED_BY_VIEW", ()):
            continue
        head, rest = _split(path, schema_class)
        if head == "data" and isinstance(data.get("data"), list) and rest:
            item_schema = getattr(schema_class, "ITEM_SCHEMA", None)
            for item_data, item in zip(data["data"], obj.items):
                expand(item_data, item, item_schema, [rest])
            continue
        attribute, nested = expandable[head]
        related = getattr(obj, attribute, None)
        if related is not None:
            nested_class = nested()
            # A field under a hash (``invoice_settings.default_payment_method``) is set in it.
            *outer, key = head.split(".")
            holder = data
            for name in outer:
                holder = holder[name]
            if not isinstance(holder.get(key), dict):  # else a path before expanded it deeper
                holder[key] = dumper_for(nested_class)(related)
            if rest:
                expand(holder[key], related, nested_class, [rest])
