"""A request body sent without ``Content-Length`` (``Transfer-Encoding: chunked``), made whole.

Werkzeug limits such a body to ``MAX_CONTENT_LENGTH`` by cutting it there, silently: its
``LimitedStream`` stops reading at the limit and raises only if asked for more. Parameters
parsed from the first 256 KiB of a longer body would be wrong (a value cut short, the ones
after it gone) and the request would still run. So the body is read here, once, one byte
past the limit: longer is Stripe's 413 like any declared oversize body, shorter becomes an
ordinary body with a ``Content-Length``, which every reader downstream then trusts.
"""

from __future__ import annotations

import io

from flask import Request

from ..errors import RequestTooLarge


def settle_streamed_body(request: Request, limit: int) -> None:
    """Buffer a body the server streams to its end (``wsgi.input_terminated``), or refuse it.

    Call before anything reads the body. Bodies with a ``Content-Length`` are left alone (an
    oversize one is refused by its header). Without ``wsgi.input_terminated`` Werkzeug reads
    no body at all from a stream of unknown length, so there is nothing to cut.
    """
    environ = request.environ
    if request.content_length is not None or not environ.get("wsgi.input_terminated"):
        return
    stream, parts, size = environ["wsgi.input"], [], 0
    while size <= limit:  # a read may return less than asked before the end (a chunk's worth)
        part = stream.read(limit + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise RequestTooLarge()
    data = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores the length while chunked
