"""Per-account time: the wall clock plus the account's offset (moved by `clock advance`).

Services never call the wall clock themselves; they receive a ``Clock`` and ask it, so a
learner can fast-forward their own account's expiries and settlements without touching anyone
else's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable


class Clock:
    """Tells each account's time: ``now(offset)`` is wall time plus the account's offset.

    :param wall: the source of real time (seconds); tests inject a fixed one.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall

    def now(self, offset: int = 0) -> int:
        return int(self._wall()) + int(offset)

    def for_account(self, account) -> int:
        return self.now(getattr(account, "clock_offset", 0) or 0)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """``90`` / ``90s`` / ``15m`` / ``1h`` / ``2d`` / ``1w`` -> seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"cannot read duration {text!r} (try 90s, 15m, 1h, 2d)")
    return int(match.group(1)) * _UNIT[match.group(2)]
