"""Turn marshmallow's ValidationError into the Stripe error that names the parameter.

Field error messages may carry a Stripe code: ``"<code>\\x1f<message>"`` (see ``coded``).
``{param}`` in a message is replaced by the parameter's name in ``a[b]`` notation.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from .. import messages
from ..errors import ParameterInvalid, ParameterMissing, ParameterUnknown, StripeError

CODE_SEP = "\x1f"
UNKNOWN = "Unknown field."
MISSING = "Missing data for required field."
NULL = "Field may not be null."  # marshmallow's, for a JSON null


def coded(code: str | None, message: str) -> str:
    """A field error message that carries Stripe's ``code`` along."""
    return f"{code or ''}{CODE_SEP}{message}"


def error_from_validation(error: ValidationError) -> StripeError:
    path, message = _first(error.messages, [])
    path = _as_sent(error.data, path)
    param = path[0] + "".join(f"[{p}]" for p in path[1:]) if path else None
    if message == UNKNOWN:
        return ParameterUnknown(param or "")
    if message == MISSING:
        return ParameterMissing(param or "")
    if message == NULL:
        return ParameterInvalid(messages.INVALID_NULL.format(param=param or ""),
                                code="parameter_invalid_empty", param=param)
    code, sep, text = message.partition(CODE_SEP)
    if not sep:
        code, text = None, message
    return ParameterInvalid(text.replace("{param}", param or ""), code=code or None, param=param)


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
