"""A request body made whole before anything reads it: read to its end, or refused.

Werkzeug limits a body sent without ``Content-Length`` (``Transfer-Encoding: chunked``) to
``MAX_CONTENT_LENGTH`` by cutting it there, silently: its ``LimitedStream`` stops reading at
the limit and raises only if asked for more. Parameters parsed from the first 256 KiB of a
longer body would be wrong (a value cut short, the ones after it gone) and the request would
still run. So the body is read here, once, one byte past the limit: longer is Stripe's 413
like any declared oversize body, shorter becomes an ordinary body with a ``Content-Length``,
which every reader downstream then trusts.

A body can also end early: the client stops sending (or its connection drops) before the
``Content-Length`` it declared, or a chunk's framing is broken. granian and gunicorn hand such
a body over as if it had ended there (Werkzeug's ``LimitedStream``, which would notice, is not
used for a server that ends the stream itself), and the request would run on the part that
arrived: ``amount=1000&currency=usd&source=tok_visa`` of a body that went on
``&capture=false`` is a captured charge. Such a body is refused as malformed, as waitress and
Werkzeug's own server refuse it; so is a ``Content-Length`` that is not a number, which
Werkzeug reads as 0 (no body: the request would run without its parameters).
"""

from __future__ import annotations

import io

from flask import Request

from .. import messages
from ..errors import InvalidRequestError, RequestTooLarge


def settle_streamed_body(request: Request, limit: int) -> None:
    """Buffer a body the server streams to its end (``wsgi.input_terminated``), or refuse it.

    Call before anything reads the body, and after an oversize ``Content-Length`` was refused.
    A declared body shorter than declared, one the server could not de-chunk, or a
    ``Content-Length`` that is not a number, is a 400.
    Without ``wsgi.input_terminated`` Werkzeug reads a declared body through its
    ``LimitedStream`` (which refuses a short one), and no body of unknown length at all.
    """
    environ = request.environ
    sent = (environ.get("CONTENT_LENGTH") or "").strip()  # PEP 3333: may be empty
    if sent and request.content_length == 0 and not (sent.isascii() and sent.isdigit()):
        # Werkzeug reads "-5" or "abc" as 0: the body would be ignored and the request run
        # without its parameters (Werkzeug's server passes such a header on).
        raise InvalidRequestError(messages.MALFORMED_BODY)
    if not environ.get("wsgi.input_terminated"):
        return
    declared = request.content_length
    wanted = limit + 1 if declared is None else declared
    stream, parts, size = environ["wsgi.input"], [], 0
    try:
        while size < wanted:  # a read may return less than asked before the end (a chunk)
            part = stream.read(wanted - size)
            if not part:
                break
            parts.append(part)
            size += len(part)
    except Exception:  # noqa: BLE001 - each server its own: OSError, gunicorn's ParseException
        raise InvalidRequestError(messages.MALFORMED_BODY) from None
    if declared is None and size > limit:
        raise RequestTooLarge()
    if declared is not None and size < declared:
        raise InvalidRequestError(messages.MALFORMED_BODY)
    data = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores the length while chunked
