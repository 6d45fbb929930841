"""Logging that can never print a key: every record is scrubbed to the masked form."""

from __future__ import annotations

import logging

from .core.keys import scrub


class KeyScrubbingFilter(logging.Filter):
    """Mask anything key-shaped in a log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class ScrubbingFormatter(logging.Formatter):
    """A formatter whose whole output (tracebacks included) is scrubbed of keys."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
