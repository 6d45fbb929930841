"""``OPTIONS`` on ``/sandbox``: its ``Allow`` lists the address's methods sorted, the same in
every process (Flask's own answer listed them in the order of a set, which changed with the
process's hash seed). A method an address does not take stays Stripe's JSON ``404``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from payground import messages
from tests.helpers import assert_error

EXPECTED = {"/sandbox/keys": "GET, HEAD, OPTIONS, POST",
            "/sandbox/account/activate": "OPTIONS, POST",
            "/sandbox/keys/key_nope": "GET, HEAD, OPTIONS"}


def test_every_sandbox_address_lists_its_methods_sorted(app, client):
    paths = {re.sub(r"<(?:\w+:)?\w+>", "x_nope", rule.rule): rule.methods
             for rule in app.url_map.iter_rules() if rule.rule.startswith("/sandbox/")}
    assert len(paths) > 20
    for path, methods in paths.items():
        r = client.options(path)  # no session: the methods of an address are no secret
        assert r.status_code == 200, path
        allowed = r.headers["Allow"].split(", ")
        assert allowed == sorted(set(allowed)) and set(methods) <= set(allowed), (path, allowed)
    assert {path: client.options(path).headers["Allow"] for path in EXPECTED} == EXPECTED


@pytest.mark.parametrize("seed", ["1", "2"])  # seeds whose sets listed them unsorted before
def test_allow_is_the_same_in_every_process(tmp_path, seed):
    code = ("import json; from payground.app import create_app; "
            f"c = create_app({{'HOME': {str(tmp_path)!r}}}).test_client(); "
            f"print(json.dumps({{p: c.options(p).headers['Allow'] for p in {list(EXPECTED)!r}}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**env, "PYTHONHASHSEED": seed}).stdout
    assert json.loads(out.splitlines()[-1]) == EXPECTED


def test_a_method_the_address_does_not_take_is_stripes_404(client):
    assert_error(client.put("/sandbox/keys"), 404, message=messages.UNRECOGNIZED_URL.format(
        method="PUT", path="/sandbox/keys"))
