"""Stripe's form encoding, decoded once at the edge into nested dicts and lists.

``card[number]=4242`` -> ``{"card": {"number": "4242"}}``; ``expand[]=a&expand[]=b`` and
``expand[0]=a&expand[1]=b`` -> ``{"expand": ["a", "b"]}``; ``items[0][price]=p`` ->
``{"items": [{"price": "p"}]}``. JSON bodies pass through. Values stay strings: schemas decide
what they mean, so that ``amount=abc`` fails with the parameter's name.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..errors import InvalidRequestError, ParameterInvalid
from .. import messages

MAX_FIELDS = 1000
# Stripe's deepest parameters are ~5 levels (line_items[0][price_data][product_data][name]);
# a bound keeps every later step (decoding, the idempotency fingerprint) off Python's
# recursion limit, which 1,000 levels reached: a 500.
MAX_DEPTH = 16
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_query(query: str | bytes) -> dict[str, Any]:
    """Decode a query string; as bytes (``request.query_string``), its raw octets are UTF-8
    like its percent-escaped ones (``?email=josé@...`` sent unescaped is not ``josÃ©``)."""
    if isinstance(query, bytes):
        try:
            query = query.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequestError(messages.MALFORMED_QUERY) from None
    return nest(_pairs(query, messages.MALFORMED_QUERY))


def decode_body(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Decode a request body (form or JSON) into nested parameters."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        # Read as a form, its boundaries would come back as a parameter "unknown" and the
        # fields sent as "missing": say what to send instead (curl -F is the usual slip).
        raise InvalidRequestError(messages.MULTIPART_BODY)
    if not body:
        return {}
    if media_type == "application/json":
        # orjson, not json: it refuses what json would let through to fail later - a lone
        # surrogate ("\ud800", which no response can echo), NaN, nesting deeper than 1,024
        # (json's RecursionError) - as malformed JSON.
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidRequestError(messages.MALFORMED_BODY) from None
        if not isinstance(data, dict):
            raise InvalidRequestError(messages.MALFORMED_BODY)
        _check_json(data)
        return data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(messages.MALFORMED_BODY) from None
    return nest(_pairs(text, messages.MALFORMED_BODY))


def _pairs(text: str, malformed: str) -> list[tuple[str, str]]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS,
                          encoding="utf-8", errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError(malformed) from None
    for name, value in pairs:
        refuse_nul(name, value)
    return pairs


def refuse_nul(name: str, value: object) -> None:
    """Refuse a parameter whose name or value holds a NUL character (PostgreSQL cannot
    store one in text; nothing Payground stores needs one)."""
    if "\0" in name:
        raise InvalidRequestError(messages.NUL_IN_NAME)
    if isinstance(value, str) and "\0" in value:
        raise ParameterInvalid(messages.NUL_IN_VALUE.format(param=name),
                               code="parameter_invalid_string", param=name)


def _too_deep(param: str) -> ParameterInvalid:
    return ParameterInvalid(messages.TOO_DEEP.format(param=param, depth=MAX_DEPTH), param=param)


def _check_json(data: dict[str, Any]) -> None:
    """``refuse_nul`` for every name and string of a JSON body, and ``MAX_DEPTH`` as for
    forms (a loop, not recursion: orjson accepts nesting deeper than Python's limit)."""
    pending: list[tuple[str, str, Any, int]] = [(n, n, v, 0) for n, v in data.items()]
    while pending:
        top, name, value, depth = pending.pop()
        refuse_nul(name, value)
        if isinstance(value, (dict, list)) and depth == MAX_DEPTH:
            raise _too_deep(top)
        if isinstance(value, dict):
            pending.extend((top, f"{name}[{k}]", v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            pending.extend((top, f"{name}[{i}]", v, depth + 1) for i, v in enumerate(value))


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = _NAME.match(name)
        if not match:
            # Not bracket notation we can read: keep it whole, so the schema names it
            # as an unknown parameter.
            _set(root, [name], value, name)
            continue
        path = [match.group(1)] + _SEGMENT.findall(match.group(2))
        if len(path) - 1 > MAX_DEPTH:
            raise _too_deep(path[0])
        _set(root, path, value, name)
    # The parameters themselves stay a hash, whatever their names: a body of digit-named (or
    # unnamed) fields, ``0=x`` or ``&==``, is parameters named "0", not a list (which the
    # views that read parameters as a hash, /oauth's, failed on with a 500).
    return {key: _listify(value, key) for key, value in root.items()}


def _set(root: dict, path: list[str], value: str, name: str) -> None:
    node = root
    for depth, segment in enumerate(path):
        if segment == "":  # `a[]`: the next free index
            segment = str(len(node))
        if depth == len(path) - 1:
            if isinstance(node.get(segment), dict):
                raise _conflict(path[:depth + 1])
            node[segment] = value  # a repeated scalar: the last one wins
            return
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            raise _conflict(path[:depth + 1])
        node = child


def _conflict(path: list[str]) -> ParameterInvalid:
    param = _bracketed(path)
    return ParameterInvalid(f"Invalid value for {param}: it was sent both as a value and as a "
                            "hash or array.", param=param)


def _bracketed(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


class SparseList(list):
    """A list sent with gaps in its indexes (``a[5]=x`` alone): ``indexes`` keeps the ones
    sent, so that an error names ``a[5]``, not the ``a[0]`` it became."""

    indexes: list[int]


def _listify(node: Any, parent: str = "") -> Any:
    """Hashes whose keys are all array indexes become lists, in index order.

    ``metadata`` is exempt: ``metadata[0]=x`` is a metadata key named "0", not an array.
    """
    if isinstance(node, dict):
        node = {k: _listify(v, k) for k, v in node.items()}
        if node and parent != "metadata" and all(k.isascii() and k.isdigit() for k in node):
            order = sorted(node, key=int)
            if [int(k) for k in order] == list(range(len(order))):
                return [node[k] for k in order]
            sparse = SparseList(node[k] for k in order)
            sparse.indexes = [int(k) for k in order]
            return sparse
        return node
    if isinstance(node, list):
        return [_listify(v) for v in node]
    return node
