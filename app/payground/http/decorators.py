"""``@accepts(Schema)`` and ``@returns(Schema)``: the whole of a view's input and output work."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from ..errors import InvalidRequestError
from .forms import decode_body, decode_query
from .schemas import dumper_for


def request_params() -> dict[str, Any]:
    """The request's parameters, decoded once (body for writes, query string for reads)."""
    if "params" not in g:
        if request.method in ("GET", "HEAD", "DELETE"):
            g.params = decode_query(request.query_string.decode("latin-1"))
        else:
            g.params = decode_body(request.get_data(cache=True), request.content_type)
    return g.params


def accepts(schema_class: type, **load_kwargs: Any) -> Callable:
    """Decode and validate the request's parameters; pass them to the view as ``params``."""
    schema = schema_class()

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            params = schema.load(request_params(), **load_kwargs)
            g.params_accepted = True  # the endpoint is executing: idempotency saves from here
            g.expand = params.pop("expand", None) or []
            return view(*args, params=params, **kwargs)

        return wrapper

    return decorator


def returns(schema_class: type, status: int = 200) -> Callable:
    """Dump what the view returns with ``schema_class``, applying ``expand[]``."""
    dump = dumper_for(schema_class)  # the schema's own output, compiled (http.schemas)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            result = view(*args, **kwargs)
            data = dump(result)
            expand(data, result, schema_class, g.get("expand") or [])
            return data, status

        return wrapper

    return decorator


def expand(data: dict, obj: Any, schema_class: type, paths: list[str]) -> None:
    """Replace ids by whole objects for each path in ``paths`` (``customer``, ``data.customer``).

    An output schema lists what may be expanded in ``EXPANDABLE``: a mapping of field name to
    ``(attribute holding the related object, lambda returning its schema class)``.
    """
    expandable = getattr(schema_class, "EXPANDABLE", {})
    for path in paths:
        head, _, rest = path.partition(".")
        if head == "data" and isinstance(data.get("data"), list) and rest:
            item_schema = getattr(schema_class, "ITEM_SCHEMA", None)
            for item_data, item in zip(data["data"], obj.items):
                expand(item_data, item, item_schema, [rest])
            continue
        if head not in expandable:
            raise InvalidRequestError(f"This property cannot be expanded ({path}).",
                                      param="expand")
        attribute, nested = expandable[head]
        related = getattr(obj, attribute, None)
        if related is not None:
            nested_class = nested()
            data[head] = dumper_for(nested_class)(related)
            if rest:
                expand(data[head], related, nested_class, [rest])
