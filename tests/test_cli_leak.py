"""`payground leak start|status` against a live server on a frozen wall clock."""

from __future__ import annotations

import time

from tests.test_cli_keys import (PASSWORD, account, call, cli_home, email, key_id,  # noqa: F401
                                 now, project, run, server)


def utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def test_start_revoke_and_score(server, account, run, now):
    secret_id = key_id(server, account, account.secret_key)
    shown = f"sk_test_...{account.secret_key[-4:]}"

    started = run("leak", "start", secret_id)

    assert started.exit_code == 0, started.output
    drill_id = started.output.split()[2].rstrip(":")
    assert drill_id.startswith("drill_")
    assert started.output.splitlines() == [
        f"Leak drill {drill_id}: {shown} ({secret_id}) counts as pushed to a public repository "
        f"at {utc(now)}.",
        "Bots scan public pushes: the first one uses the key 2 min later.",
        "Spot them (`payground keys list` shows LAST USED; the dashboard's Requests page shows "
        "who), then stop them:",
        f"  payground keys roll {secret_id} --expires-in now   (then deploy the new key)",
        "`payground leak status` times you: the story's team took 12 min."]

    just_leaked = run("leak", "status")
    assert just_leaked.output.splitlines()[2] == (
        "Status:        EXPOSED: the key still works, 0 s after the leak")

    assert run("clock", "advance", "5m").exit_code == 0
    exposed = run("leak", "status")
    assert exposed.exit_code == 0, exposed.output
    assert exposed.output.splitlines() == [
        f"{drill_id}  {shown} ({secret_id}, test mode)",
        f"Leaked at:     {utc(now)}",
        "Status:        EXPOSED: the key still works, 5 min (300 s) after the leak",
        "Score:         the story's team took 12 min.",
        "Bot requests:  9 (9 let in, 0 refused)",
        "The bots got:  2 balance reads, the details of 0 customers, 1 card-testing charge "
        "($1.00 in all; 4 more declined)"]

    assert run("keys", "roll", secret_id, "--expires-in", "now").exit_code == 0
    assert run("clock", "advance", "1h").exit_code == 0
    contained = run("leak", "status", drill_id)
    assert contained.exit_code == 0, contained.output
    lines = contained.output.splitlines()
    assert lines[2:5] == [
        "Status:        contained: the key worked for 5 min (300 s) after the leak, until "
        f"{utc(now + 300)}",
        "Score:         beat the story's 12 min.",
        "Bot requests:  12 (9 let in, 3 refused)"]
    assert account.secret_key not in started.output + exposed.output + contained.output


def test_refusals(server, account, run):
    publishable_id = key_id(server, account, account.publishable_key)

    none_yet = run("leak", "status")
    public = run("leak", "start", publishable_id)
    pasted = run("leak", "start", account.secret_key)
    bad_id = run("leak", "status", "../keys")

    assert (none_yet.exit_code, none_yet.stderr) == (
        1, "Error: No leak drill yet: start one with `payground leak start key_...`.\n")
    assert (public.exit_code, public.stderr) == (
        1, "Error: Publishable keys are public by design: a leak drill needs a secret or "
           "restricted key.\n")
    assert pasted.exit_code == 2 and account.secret_key not in pasted.output
    assert "expected a key's id (key_...)" in pasted.stderr
    assert bad_id.exit_code == 2 and "expected a drill's id (drill_...)." in bad_id.stderr
