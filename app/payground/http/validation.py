"""Turn marshmallow's ValidationError into the Stripe error that names the parameter.

Field error messages may carry a Stripe code: ``"<code>\\x1f<message>"`` (see ``coded``).
``{param}`` in a message is replaced by the parameter's name in ``a[b]`` notation. A message
without a code is one of marshmallow's own (a ``Nested`` field sent a string says "Invalid
input type."): it never reaches a client as it is, but in Stripe's words (``STRIPE_WORDS``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from .. import messages
from ..core.keys import scrub_start
from ..errors import ParameterInvalid, ParameterMissing, ParameterUnknown, StripeError

CODE_SEP = "\x1f"
UNKNOWN = "Unknown field."
MISSING = "Missing data for required field."
NULL = "Field may not be null."  # marshmallow's, for a JSON null
_HASH = (None, messages.INVALID_HASH)
_ARRAY = (None, messages.INVALID_ARRAY)
_STRING = ("parameter_invalid_string", messages.INVALID_STRING)
_INTEGER = ("parameter_invalid_integer", messages.INVALID_INTEGER)
# marshmallow's messages for a value of the wrong type, as Stripe says it: (code, message),
# ``{value}`` being the value sent. A field that keeps marshmallow's defaults (a ``Nested``
# hash, a ``List``) answers like Payground's own fields do.
STRIPE_WORDS: dict[str, tuple[str | None, str]] = {
    "Invalid input type.": _HASH,  # a schema (``fields.Nested``) sent a string or an array
    "Not a valid mapping type.": _HASH,  # fields.Dict / fields.Mapping
    "Invalid type.": _ARRAY,  # fields.Nested(many=True) sent a string or a hash
    "Not a valid list.": _ARRAY,
    "Not a valid tuple.": _ARRAY,
    "Not a valid string.": _STRING,
    "Not a valid utf-8 string.": _STRING,
    "Not a valid integer.": _INTEGER,
    "Number too large.": _INTEGER,
    "Not a valid boolean.": ("parameter_invalid_boolean", messages.INVALID_BOOLEAN),
}


def coded(code: str | None, message: str) -> str:
    """A field error message that carries Stripe's ``code`` along."""
    return f"{code or ''}{CODE_SEP}{message}"


def error_from_validation(error: ValidationError) -> StripeError:
    positions, message = _first(error.messages, [])
    path = _as_sent(error.data, positions)
    param = path[0] + "".join(f"[{p}]" for p in path[1:]) if path else None
    if message == UNKNOWN:
        return ParameterUnknown(param or "")
    if message == MISSING:
        return ParameterMissing(param or "")
    if message == NULL:
        return ParameterInvalid(messages.INVALID_NULL.format(param=param or ""),
                                code="parameter_invalid_empty", param=param)
    code, sep, text = message.partition(CODE_SEP)
    if not sep:  # marshmallow's own words: Stripe's instead (any other: a generic line)
        code, text = STRIPE_WORDS.get(message, (None, messages.INVALID_VALUE))
        text = text.replace("{value}", shown(_value_at(error.data, positions)))
    return ParameterInvalid(text.replace("{param}", param or ""), code=code or None, param=param)


def shown(value: Any) -> str:
    """A bad value as echoed in an error: short, and never a whole key (only its start is
    read: a value may be a whole 256 KiB body)."""
    text = scrub_start(value if isinstance(value, str) else _repr_start(value, 61), 61)
    return text if len(text) <= 60 else text[:57] + "..."


def _repr_start(value: Any, length: int) -> str:
    """The start of ``repr(value)`` (at least ``length`` characters of it, when it has them)
    with its strings scrubbed first: ``repr`` writes an invisible character as an escape
    (``\\u200b``), and a key split by one would be read as text around the escape, not
    masked whole."""
    if isinstance(value, str):
        return repr(scrub_start(value, length))
    if isinstance(value, (list, dict)):
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        parts, size = [], 0
        for key, item in items:
            if size > length:
                break
            part = _repr_start(item, length)
            if isinstance(value, dict):
                part = f"{_repr_start(key, length)}: {part}"
            parts.append(part)
            size += len(part) + 2
        opening, closing = "{}" if isinstance(value, dict) else "[]"
        return opening + ", ".join(parts) + closing
    return repr(value)[:length]


def _value_at(data: Any, path: list[str]) -> Any:
    """The value the request sent at ``path`` (list positions, as marshmallow names them)."""
    node = data
    for segment in path:
        if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        elif isinstance(node, dict):
            node = node.get(segment)
        else:
            return None
    return node


def _as_sent(data: Any, path: list[str]) -> list[str]:
    """``path`` with each list position given as the index the request sent (``a[5]=x``
    alone is the list ``[x]``: its error is about ``a[5]``; see ``forms.SparseList``)."""
    from .forms import SparseList

    sent, node = [], data
    for segment in path:
        position = int(segment) if segment.isdigit() else None
        if isinstance(node, list) and position is not None and position < len(node):
            sent.append(str(node.indexes[position]) if isinstance(node, SparseList)
                        else segment)
            node = node[position]
        else:
            sent.append(segment)
            node = node.get(segment) if isinstance(node, dict) else None
    return sent


def _first(messages: Any, path: list[str]) -> tuple[list[str], str]:
    """The first error in marshmallow's nested messages, with its path."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                return _first(value, path)
            return _first(value, path + [str(key)])
    if isinstance(messages, list) and messages:
        return _first(messages[0], path)
    return path, str(messages)
