"""`payground serve` builds the app with the cyclic collector off, then freezes what it built.

Why (bench/RESULTS.md): collecting during start-up is wasted work, and a full collection in a
worker walked every object of the app again, ~35 ms with a request waiting.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest

from payground.cli.server import _objects_for_the_whole_run

# What serve runs before it forks, in a fresh interpreter (freezing is process-wide).
BUILD_LIKE_SERVE = """
import gc, json, sys
from payground.cli import server
seen = {}
build_app = server._build_app
def build_and_look(home):
    seen["collector_on_while_building"] = gc.isenabled()
    return build_app(home)
server._build_app = build_and_look
app = server._build_for_serving(sys.argv[1])
seen["collector_on_after"] = gc.isenabled()
seen["app_left_out_of_collections"] = not any(o is app for o in gc.get_objects())
seen["frozen_objects"] = gc.get_freeze_count()
print(json.dumps(seen))
"""


def test_serve_freezes_the_app_it_built_and_turns_the_collector_back_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    done = subprocess.run([sys.executable, "-c", BUILD_LIKE_SERVE, str(tmp_path / "home")],
                          env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["collector_on_while_building"] is False
    assert seen["collector_on_after"] is True
    assert seen["app_left_out_of_collections"] is True
    # Flask, SQLAlchemy, the models and schemas: tens of thousands of objects, not a few.
    assert seen["frozen_objects"] > 20_000


def test_a_failed_build_freezes_nothing_and_leaves_the_collector_on():
    frozen_before = gc.get_freeze_count()
    with pytest.raises(RuntimeError, match="^no database$"):
        with _objects_for_the_whole_run():
            raise RuntimeError("no database")

    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with _objects_for_the_whole_run():
            pass
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
