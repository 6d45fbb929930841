"""Lesson 8 (leak drill): its programs, run as a learner would, against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from payground import messages
from tests.tutorial_support import (PASSWORD, PROGRAM_TIMEOUT, LessonProject, lesson_server,
                                    masked)

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "08-leak-drill"


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson8_home")


def run(project: LessonProject, name: str, status: int = 0) -> list[str]:
    result = project.run_args([sys.executable, str(LESSON / name)], status=status)
    return result.stdout.splitlines()


def test_leak_notice_contain(server, tmp_path):
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    requests.post(server.url_for("/v1/customers"), data={"email": "jo@example.com"},
                  headers={"Authorization": f"Bearer {leaked}"}, timeout=10).raise_for_status()

    started = run(project, "leak.py")
    assert started[0].startswith(f"{masked(leaked)} is public now (drill drill_")
    assert started[1] == ("Bots scan public pushes: expect them in about 2 minutes. "
                          "The clock is running.")
    assert run(project, "watch.py") == [
        f"{masked(leaked)}: every request came from your own addresses."]

    project.dashboard("POST", "/sandbox/clock/advance", json={"seconds": 190})
    # Four bot requests by now (at +120, +140, +160, +180 s): a look around, then stolen
    # test cards, declined (4000000000009995, 4000000000009979).
    assert run(project, "watch.py", status=1) == [
        f"ALERT: {masked(leaked)} is being used from addresses that are not yours:",
        "  192.0.2.140     POST /v1/charges    -> 402  x1",
        "  198.51.100.77   GET  /v1/customers  -> 200  x1",
        "  203.0.113.51    GET  /v1/balance    -> 200  x1",
        "  203.0.113.51    POST /v1/charges    -> 402  x1"]

    contained = run(project, "contain.py")
    new = project.dotenv()["STRIPE_SECRET_KEY"]
    assert new != leaked
    assert contained[:3] == [f"rolled {masked(leaked)} -> {masked(new)}; .env updated",
                             "leaked key: HTTP 401", "new key: HTTP 200"]
    assert re.fullmatch(r"exposure: 3 min \d+ s \(the story's 12 min: beaten\)", contained[3])
    assert contained[4] == ("the bots got: 1 customers' details, 0 card-testing charges, "
                            "0 requests refused")
    assert run(project, "watch.py") == [
        f"{masked(new)}: every request came from your own addresses."]
    assert leaked not in "\n".join(started + contained) and new not in "\n".join(contained)


def test_leaking_the_same_key_twice_says_a_drill_is_running(server, tmp_path):
    project = LessonProject(server, tmp_path)
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]

    again = project.run_args([sys.executable, str(LESSON / "leak.py")], status=1)

    assert again.stdout == ""
    assert again.stderr == messages.DRILL_RUNNING.format(key=masked(key), id=drill_id) + "\n"
    assert [d["id"] for d in project.dashboard("GET", "/sandbox/leak_drills")["data"]] == [
        drill_id]


def test_contain_before_leak_rolls_nothing(server, tmp_path):
    project = LessonProject(server, tmp_path)
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    before = project.dashboard("GET", "/sandbox/keys")["data"]

    result = project.run_args([sys.executable, str(LESSON / "contain.py")], status=1)

    assert result.stdout == ""
    assert result.stderr == (f"no leak drill for {masked(key)}, the key in .env: start one "
                             "(python leak.py)\n")
    assert project.dotenv()["STRIPE_SECRET_KEY"] == key
    assert project.dashboard("GET", "/sandbox/keys")["data"] == before
    requests.get(server.url_for("/v1/balance"), timeout=10,
                 headers={"Authorization": f"Bearer {key}"}).raise_for_status()


def test_contain_run_a_second_time_says_the_leak_is_contained_already(server, tmp_path):
    """It said "no leak drill for <the new key>: start one", as if nothing had happened."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    run(project, "leak.py")
    first = run(project, "contain.py")
    new = project.dotenv()["STRIPE_SECRET_KEY"]
    before = project.dashboard("GET", "/sandbox/keys")["data"]

    again = run(project, "contain.py")

    assert again == [f"contained already: {masked(leaked)} was rolled to {masked(new)}, the key "
                     "in .env; nothing to roll", *first[3:]]  # the same score
    assert project.dotenv()["STRIPE_SECRET_KEY"] == new
    assert project.dashboard("GET", "/sandbox/keys")["data"] == before
    requests.get(server.url_for("/v1/balance"), timeout=10,
                 headers={"Authorization": f"Bearer {new}"}).raise_for_status()


def test_contain_after_the_key_was_revoked_another_way_says_so(server, tmp_path):
    """The README's other way (payground keys revoke) with .env left as it was: the roll was
    refused with the server's "Only an active key can be rolled", and no next step."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    run(project, "leak.py")
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]
    project.dashboard("POST", f"/sandbox/keys/{key['id']}/revoke")

    result = project.run_args([sys.executable, str(LESSON / "contain.py")], status=1)

    assert result.stdout == ""
    assert result.stderr == (f"{masked(leaked)}, the key in .env, is revoked already: the leak "
                             "is contained, nothing to roll. `payground init` here puts a "
                             "working key in .env\n")
    assert project.dotenv()["STRIPE_SECRET_KEY"] == leaked


def payground(project: LessonProject, *args: str) -> list[str]:
    return project.run_args([sys.executable, "-m", "payground", *args]).stdout.splitlines()


def test_contain_after_the_story_s_two_steps_shows_the_score(server, tmp_path):
    """The README's order: leak, notice, then revoke and a new key as the story's team did,
    then contain.py. It said "no leak drill for <the new key>: start one (python leak.py)",
    and no score."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    requests.post(server.url_for("/v1/customers"), data={"email": "jo@example.com"},
                  headers={"Authorization": f"Bearer {leaked}"}, timeout=10).raise_for_status()
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]
    assert run(project, "watch.py") == [
        f"{masked(leaked)}: every request came from your own addresses."]
    payground(project, "clock", "advance", "190s")
    assert run(project, "watch.py", status=1)[0] == (
        f"ALERT: {masked(leaked)} is being used from addresses that are not yours:")
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]

    assert payground(project, "keys", "revoke", key["id"], "--yes") == [
        f"Revoked {key['id']} ({masked(leaked)}): requests made with it now fail with 401 "
        "api_key_expired."]
    created = payground(project, "keys", "create", "--name", "backend", "--env-file", ".env")
    new = project.dotenv()["STRIPE_SECRET_KEY"]
    assert created[1:] == [
        f"It replaces {masked(leaked)} in .env, revoked: that key no longer works.",
        f"Written to .env (mode 0600): STRIPE_SECRET_KEY={masked(new)}   (masked here; the full "
        "key is only in .env)"]
    before = project.dashboard("GET", "/sandbox/keys")["data"]

    contained = run(project, "contain.py")

    drill = project.dashboard("GET", f"/sandbox/leak_drills/{drill_id}")
    minutes, seconds = divmod(drill["exposure_seconds"], 60)
    assert drill["status"] == "contained" and minutes == 3
    assert contained == [
        f"contained already: {masked(leaked)} was replaced by {masked(new)}, the key in .env; "
        "nothing to roll",
        f"exposure: 3 min {seconds} s (the story's 12 min: beaten)",
        "the bots got: 1 customers' details, 0 card-testing charges, "
        f"{drill['bot_requests']['refused']} requests refused"]
    assert project.dotenv()["STRIPE_SECRET_KEY"] == new
    assert project.dashboard("GET", "/sandbox/keys")["data"] == before
    assert run(project, "watch.py") == [
        f"{masked(new)}: every request came from your own addresses."]
    assert leaked not in "\n".join(contained) and new not in "\n".join(contained)


def test_contain_after_a_revoke_and_payground_init_shows_the_score(server, tmp_path):
    """The README's other way with .env left as it was: contain.py says `payground init` puts a
    working key in .env; after that it shows the score, not "start one (python leak.py)"."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]
    payground(project, "keys", "revoke", key["id"], "--yes")
    run(project, "contain.py", status=1)  # "... is revoked already ... `payground init` here"
    email = project.dashboard("GET", "/sandbox/account")["email"]
    payground(project, "init", "--email", email, "--password", PASSWORD)
    new = project.dotenv()["STRIPE_SECRET_KEY"]
    assert new != leaked

    contained = run(project, "contain.py")

    drill = project.dashboard("GET", f"/sandbox/leak_drills/{drill_id}")
    assert contained[0] == (f"contained already: {masked(leaked)} was replaced by "
                            f"{masked(new)}, the key in .env; nothing to roll")
    assert contained[1] == (f"exposure: 0 min {drill['exposure_seconds']} s (the story's 12 "
                            "min: beaten)")


def test_contain_with_a_new_key_in_env_but_the_leaked_one_working_says_stop_it(server,
                                                                               tmp_path):
    """A new key pasted into .env, the leaked one never stopped: nothing is contained, and the
    leaked key is no longer in .env, so contain.py says which key to stop and how."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    run(project, "leak.py")
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]
    new = project.dashboard("POST", "/sandbox/keys", json={"type": "secret"})["secret"]
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(leaked, new))
    before = project.dashboard("GET", "/sandbox/keys")["data"]

    result = project.run_args([sys.executable, str(LESSON / "contain.py")], status=1)

    assert result.stdout == ""
    assert result.stderr == (f"{masked(leaked)} was replaced by {masked(new)}, the key in .env, "
                             f"but still works: stop it now (payground keys revoke {key['id']} "
                             "--yes)\n")
    assert project.dashboard("GET", "/sandbox/keys")["data"] == before


def test_contain_after_a_roll_with_grace_says_the_leaked_key_still_works(server, tmp_path):
    """Rolled the way lesson 4 rolls (an hour's grace), new key deployed: it said "contained
    already" and scored a drill whose key the bots were still using."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    run(project, "leak.py")
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]
    new = project.dashboard("POST", f"/sandbox/keys/{key['id']}/roll",
                            json={"expires_in": 3600})["secret"]
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(leaked, new))

    result = project.run_args([sys.executable, str(LESSON / "contain.py")], status=1)

    assert result.stdout == ""
    assert result.stderr == (f"{masked(leaked)} was rolled to {masked(new)}, the key in .env, "
                             f"but still works: stop it now (payground keys revoke {key['id']} "
                             "--yes)\n")
    requests.get(server.url_for("/v1/balance"), timeout=10,
                 headers={"Authorization": f"Bearer {leaked}"}).raise_for_status()


def test_a_mistyped_key_in_env_says_how_to_fix_it(server, tmp_path):
    project = LessonProject(server, tmp_path)
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(key, typo))
    for name in ("leak.py", "watch.py", "contain.py"):
        result = project.run_args([sys.executable, str(LESSON / name)], status=1)
        assert (result.stdout, result.stderr) == (
            "", f"{masked(typo)} is not a key of the signed-in account: a typo in .env, or "
                "another account's key? `payground init` here puts one of yours in .env\n"), name
    assert project.dashboard("GET", "/sandbox/leak_drills")["data"] == []


def test_on_a_shared_server_watch_takes_your_addresses_from_our_addresses(server, tmp_path):
    # There the learner's own requests come from their machine's address, not loopback.
    project = LessonProject(server, tmp_path)
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    requests.post(server.url_for("/v1/customers"), data={"email": "jo@example.com"},
                  headers={"Authorization": f"Bearer {key}"}, timeout=10).raise_for_status()

    elsewhere = project.run_args([sys.executable, str(LESSON / "watch.py")], status=1,
                                 env={"OUR_ADDRESSES": "192.168.1.23"})
    assert elsewhere.stdout.splitlines() == [
        f"ALERT: {masked(key)} is being used from addresses that are not yours:",
        "  127.0.0.1       POST /v1/customers  -> 200  x1"]

    ours = project.run_args([sys.executable, str(LESSON / "watch.py")],
                            env={"OUR_ADDRESSES": "192.168.1.23,127.0.0.1"})
    assert ours.stdout == f"{masked(key)}: every request came from your own addresses.\n"


def test_contain_finds_the_drill_past_the_first_page(server, tmp_path):
    """The list of drills comes a page at a time (10 unless asked): contain.py read the first
    page only, and said "no leak drill ... start one" once other keys' drills came after."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]
    for _ in range(100):  # more than a page of 100: contain.py pages through them all
        other = project.dashboard("POST", "/sandbox/keys", json={"type": "secret"})
        project.dashboard("POST", "/sandbox/leak_drills", json={"key": other["id"]})
    newest = project.dashboard("GET", "/sandbox/leak_drills", params={"limit": 100})
    assert newest["has_more"] and drill_id not in {d["id"] for d in newest["data"]}

    contained = run(project, "contain.py")

    new = project.dotenv()["STRIPE_SECRET_KEY"]
    drill = project.dashboard("GET", f"/sandbox/leak_drills/{drill_id}")
    assert drill["status"] == "contained"
    assert contained == [f"rolled {masked(leaked)} -> {masked(new)}; .env updated",
                         "leaked key: HTTP 401", "new key: HTTP 200",
                         f"exposure: 0 min {drill['exposure_seconds']} s (the story's 12 min: "
                         "beaten)",
                         "the bots got: 0 customers' details, 0 card-testing charges, "
                         "0 requests refused"]


def test_a_session_of_another_account_says_so_not_a_typo(server, tmp_path):
    """`payground init` run since in another folder, with another email, saved that account's
    session in PAYGROUND_HOME: every step blamed .env ("a typo in .env, or another account's
    key?"), whose keys are fine. It says so, and `payground login` puts it right."""
    project = LessonProject(server, tmp_path)
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    email = project.dashboard("GET", "/sandbox/account")["email"]
    elsewhere = tmp_path / "elsewhere"  # another project, the same PAYGROUND_HOME
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "payground", "init", "--url", server.url, "--email",
                    f"someone-else-{os.urandom(4).hex()}@example.com", "--password", PASSWORD],
                   cwd=elsewhere, env=project.env, check=True, capture_output=True,
                   timeout=PROGRAM_TIMEOUT)
    before = project.dotenv()

    for name in ("leak.py", "watch.py", "contain.py"):
        result = project.run_args([sys.executable, str(LESSON / name)], status=1)
        assert (result.stdout, result.stderr) == (
            "", "the saved session is another account's, not the one whose keys are in .env: "
                "`payground login` with this folder's account's email signs it in again (and "
                "changes nothing else)\n"), name
    assert project.dotenv() == before
    assert project.dashboard("GET", "/sandbox/leak_drills")["data"] == []

    payground(project, "login", "--email", email, "--password", PASSWORD)
    assert run(project, "watch.py") == [
        f"{masked(key)}: every request came from your own addresses."]


def revoke_then_create(project, leaked: str) -> str:
    """The story's two steps from the CLI: the leaked key revoked, a new one written to .env
    (``payground keys create --env-file .env``); the new key."""
    [key] = [k for k in project.dashboard("GET", "/sandbox/keys")["data"]
             if k["redacted"] == masked(leaked)]
    payground(project, "keys", "revoke", key["id"], "--yes")
    payground(project, "keys", "create", "--name", "backend", "--env-file", ".env")
    return project.dotenv()["STRIPE_SECRET_KEY"]


def test_contain_takes_a_drill_of_the_same_kind_and_mode_only(server, tmp_path):
    """A new key in .env with no drill of its own: a newer drill on a live key or a restricted
    one is no leak of the key it replaced (their display forms start otherwise); the newest
    test secret key's drill from before the new key was made is."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]
    live = project.dashboard("POST", "/sandbox/account/activate", json={})["api_keys"]
    restricted = project.dashboard("POST", "/sandbox/keys", json={
        "type": "restricted", "permissions": ["customer_read"]})
    for key in (restricted, next(k for k in live if k["type"] == "secret")):
        project.dashboard("POST", "/sandbox/leak_drills", json={"key": key["id"]})
    new = revoke_then_create(project, leaked)
    assert [d["key_redacted"][:8] for d in project.dashboard(
        "GET", "/sandbox/leak_drills")["data"]] == ["sk_live_", "rk_test_", "sk_test_"]

    contained = run(project, "contain.py")

    assert contained[0] == (f"contained already: {masked(leaked)} was replaced by "
                            f"{masked(new)}, the key in .env; nothing to roll")
    drill = project.dashboard("GET", f"/sandbox/leak_drills/{drill_id}")
    assert contained[1] == (f"exposure: 0 min {drill['exposure_seconds']} s (the story's 12 "
                            "min: beaten)")


def test_contain_after_the_two_steps_takes_the_replaced_keys_drill_not_a_newer_one(server,
                                                                                   tmp_path):
    """Another test secret key leaked too (the README's "try it again, harder" from the CLI)
    before the story's two steps: its drill is newer, and it said that key "was replaced by"
    the new one "but still works", scoring the wrong drill once that key was stopped."""
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    drill_id = re.search(r"\(drill (drill_\w+)\)", run(project, "leak.py")[0])[1]
    other = project.dashboard("POST", "/sandbox/keys", json={"type": "secret",
                                                             "ip_allowlist": ["127.0.0.1"]})
    project.dashboard("POST", "/sandbox/leak_drills", json={"key": other["id"]})
    new = revoke_then_create(project, leaked)

    contained = run(project, "contain.py")

    drill = project.dashboard("GET", f"/sandbox/leak_drills/{drill_id}")
    assert contained[:2] == [
        f"contained already: {masked(leaked)} was replaced by {masked(new)}, the key in .env; "
        "nothing to roll",
        f"exposure: 0 min {drill['exposure_seconds']} s (the story's 12 min: beaten)"]
    # The other key's drill is its own: still exposed, for `payground leak status` to show.
    assert [d["status"] for d in project.dashboard("GET", "/sandbox/leak_drills")["data"]] == [
        "exposed", "contained"]
