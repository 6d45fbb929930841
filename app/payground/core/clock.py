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

    def stopped(self) -> Clock:
        """This clock stopped at the present second, for one operation that reads the time
        more than once: it must not see a deadline pass between two of its own steps."""
        now = int(self._wall())
        return Clock(wall=lambda: now)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """``90`` / ``90s`` / ``15m`` / ``1h`` / ``2d`` / ``1w`` -> seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"cannot read duration {text!r} (try 90s, 15m, 1h, 2d)")
    return int(match.group(1)) * _UNIT[match.group(2)]


def duration(seconds: int | None, round_up: bool = False) -> str:
    """``5400`` -> ``1 h 30 min``; ``90`` -> ``1 min``; ``30`` -> ``30 s``; at most two units.

    ``round_up`` counts a started minute as whole, as time left is read: 3599 s -> ``1 h``.
    """
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if round_up and seconds > 60:
        seconds = -(-seconds // 60) * 60
    if seconds < 60:
        return f"{seconds} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append(f"{count} {unit}")
    parts = [p for p in parts if not p.startswith("0 ")] or parts
    return " ".join(parts[:2])
