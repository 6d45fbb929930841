"""JSON through orjson: response bodies, JSON columns and event snapshots.

Every request encodes its response and, for writes, an event snapshot; with the standard
library's encoder that was about a twentieth of a create-charge request (bench/RESULTS.md).
orjson writes the same JSON (compact, keys in insertion order, UTF-8 rather than ``\\uXXXX``
escapes, as Stripe's API does) several times faster.

Types orjson does not know go through ``_default`` as Flask's own provider would turn them:
dates as HTTP dates, decimals, UUIDs and markup as strings.
"""

from __future__ import annotations

import dataclasses
import decimal
import uuid
from datetime import date
from typing import Any

import orjson
from flask.json.provider import JSONProvider
from werkzeug.http import http_date

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return http_date(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact JSON, UTF-8 encoded."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def dumps(value: Any) -> str:
    """``value`` as compact JSON text (what JSON columns store)."""
    return dumps_bytes(value).decode()


loads = orjson.loads


class OrjsonProvider(JSONProvider):
    """Flask's ``app.json``: compact output, keys in the order the schemas give them.

    ``dumps(..., indent=...)`` (debug output) falls back to two-space indentation.
    """

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = _OPTIONS | (orjson.OPT_INDENT_2 if kwargs.get("indent") else 0)
        return orjson.dumps(obj, default=_default, option=option).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any):
        body = dumps_bytes(self._prepare_response_obj(args, kwargs)) + b"\n"
        return self._app.response_class(body, mimetype=self.mimetype)
