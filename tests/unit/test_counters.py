"""http.counters: the in-memory rate-limit counters, with ``limits``' MemoryStorage's rules."""

import subprocess
import sys

import pytest

from payground.http import counters
from payground.http.counters import MemoryCounters


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(counters.time, "monotonic", lambda: now[0])
    return now


def test_counts_up_and_down(clock):
    c = MemoryCounters()
    assert c.get("k") == 0
    assert [c.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert c.incr("k", 60, amount=-1) == 2
    assert (c.get("k"), c.get("other")) == (2, 0)
    assert c.check() is True


def test_a_counter_expires_from_its_first_count_and_later_counts_do_not_extend_it(clock):
    c = MemoryCounters()
    c.incr("k", 60)
    clock[0] += 59
    assert c.incr("k", 60) == 2
    clock[0] += 1  # 60 s after the first count
    assert c.get("k") == 0
    assert c.incr("k", 60) == 1  # a new counter, with a new expiry
    clock[0] += 59.5
    assert c.get("k") == 1


def test_a_counter_back_at_zero_restarts_its_expiry_as_limits_did(clock):
    # MemoryStorage set the expiry whenever an increment left the count equal to it.
    c = MemoryCounters()
    c.incr("k", 10)
    clock[0] += 8
    c.incr("k", 10, amount=-1)
    assert c.incr("k", 10) == 1
    clock[0] += 9
    assert c.get("k") == 1


def test_expired_counters_are_swept_when_one_is_counted(clock):
    c = MemoryCounters()
    for n in range(100):
        c.incr(f"old:{n}", 5)
    clock[0] += counters._SWEEP_EVERY
    c.incr("new", 5)
    assert list(c._counts) == ["new"]


def test_counting_in_memory_imports_nothing_from_limits():
    # Importing limits loads its asyncio, memcached, MongoDB and Redis storages: ~16 ms of
    # each worker's first sign-up or log-in.
    code = ("import sys; from payground.http.ratelimit import RateLimiter; "
            "from payground.core.clock import Clock; "
            "r = RateLimiter(None, None, clock=Clock()); r.storage().incr('k', 1); "
            "print(r.storage_problem(), 'limits' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "None False\n"
