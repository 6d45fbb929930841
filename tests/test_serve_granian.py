"""`payground serve --server granian`: HTTP in Rust, keep-alive, workers forked from the app.

The behaviour shared with gunicorn (a key revoked through one worker, request-log rows of
every worker) is checked for both servers in tests/test_revoke_workers.py and
tests/test_log_buffer.py; this module checks what granian needs of its own: start-up and
stop, port 0, its log on stderr, and request-log rows written when its workers stop (they
leave through ``os._exit``, so no ``atexit`` handler runs there).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

from payground import messages
from tests.test_cli import DOMAIN, PASSWORD, ServeProcess, booted_workers, ready_line
from tests.test_log_buffer import create_customers_on_new_connections

pytest.importorskip("granian")


@pytest.fixture
def granian(serve):
    """Like conftest's ``serve`` (stopped at the end), with ``--server granian``."""

    def start(*args: str, env: dict[str, str] | None = None) -> ServeProcess:
        return serve("--server", "granian", *args, env=env)

    return start


def test_granian_answers_and_stops_cleanly(granian):
    process = granian()
    body = process.signup(f"gran@{DOMAIN}")
    secret = body["keys"]["secret"]
    with requests.Session() as client:  # one keep-alive connection for both requests
        listed = client.get(f"{process.url}/v1/customers", timeout=30,
                            headers={"Authorization": f"Bearer {secret}"})
        in_url = client.get(f"{process.url}/v1/customers", params={"key": secret}, timeout=30)

    out, err = process.stop()

    assert listed.status_code == 200 and listed.json()["data"] == []
    assert listed.headers["Request-Id"].startswith("req_")
    assert in_url.status_code == 400
    assert in_url.json()["error"]["type"] == "invalid_request_error"
    assert process.proc.returncode == 0
    assert out.splitlines() == [ready_line(process)]  # granian's own log goes to stderr
    assert len(booted_workers(err)) == 1
    assert "[INFO] Starting granian (main PID: " in err  # granian's own lines, but not its
    assert "Listening at:" not in err  # address: Payground's line on stdout gives it
    assert "GET /v1/customers" not in err  # no access log: a URL may hold a key
    assert secret not in out + err


def test_chunked_bodies_are_read_whole_or_refused_never_cut(granian):
    # granian de-chunks a body and ends the stream; Werkzeug alone would cut one over the
    # limit at 256 KiB and run what is left (tests/api/test_streamed_bodies.py).
    from payground.config import DEFAULTS  # not load_config: it would make ~/.payground/secret

    process = granian()
    secret = process.signup(f"chunks@{DOMAIN}")["keys"]["secret"]
    limit = DEFAULTS["MAX_CONTENT_LENGTH"]

    def chunked(body: bytes):  # a generator body: requests sends it chunked
        return requests.post(
            f"{process.url}/v1/customers", timeout=30,
            data=(body[i:i + 8192] for i in range(0, len(body), 8192)),
            headers={"Authorization": f"Bearer {secret}",
                     "Content-Type": "application/x-www-form-urlencoded"})

    over = chunked(b"description=" + b"x" * limit + b"&email=cut@example.com")
    within = chunked(b"email=whole@example.com&description=" + b"y" * 300)
    listed = requests.get(f"{process.url}/v1/customers", timeout=30,
                          headers={"Authorization": f"Bearer {secret}"}).json()["data"]
    process.stop()

    assert over.request.headers.get("Transfer-Encoding") == "chunked"
    assert (over.status_code, over.json()["error"]["message"]) == (
        413, messages.REQUEST_TOO_LARGE)
    assert (within.status_code, within.json()["email"]) == (200, "whole@example.com")
    assert [c["email"] for c in listed] == ["whole@example.com"]


def test_granian_on_port_zero_prints_the_port_it_took(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "payground", "--home", str(tmp_path / "home"), "serve",
         "--server", "granian", "--workers", "2", "--port", "0"],
        env={**clean, "PAYGROUND_RATE_LIMITS": "off"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Payground listening on http://127.0.0.1:"), line
        url = line.split()[3]
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        # Every worker listens on that one port: new connections, spread by the kernel.
        statuses = {requests.post(f"{url}/sandbox/signup", timeout=30,
                                  headers={"Connection": "close"},
                                  json={"email": f"p{i}@{DOMAIN}", "password": PASSWORD}
                                  ).status_code for i in range(6)}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert statuses == {201}
    assert proc.returncode == 0, err
    assert len(booted_workers(err)) == 2


def test_granians_listening_at_line_is_left_out_of_its_log(monkeypatch):
    """With --host 0.0.0.0 granian logs ``Listening at: http://0.0.0.0:4242``, no address a
    browser opens (and before any worker accepts): only that record is dropped."""
    import io
    import logging

    from granian.log import LogLevels, configure_logging

    from payground.cli.server import _granian_log_config

    logger = logging.getLogger("_granian")
    for name in ("handlers", "level", "propagate", "disabled"):  # put back after the test
        monkeypatch.setattr(logger, name, getattr(logger, name))
    monkeypatch.setattr(logger, "handlers", [])
    stream = io.StringIO()
    config = _granian_log_config()
    config["handlers"]["stderr"]["stream"] = stream
    configure_logging(LogLevels.info, config)  # as granian's Server does with it

    logger.info("Starting granian (main PID: 12)")
    logger.info("Listening at: http://0.0.0.0:4242")
    logger.info("Spawning worker-1 with PID: 13")
    logger.warning("Spawning worker-2 failed")

    assert stream.getvalue() == ("[INFO] Starting granian (main PID: 12)\n"
                                 "[INFO] Spawning worker-1 with PID: 13\n"
                                 "[WARNING] Spawning worker-2 failed\n")


def test_stopped_granian_workers_write_the_rows_they_still_hold(granian):
    # A flush delay far beyond the test: rows reach the database only because the workers
    # write them on the way out (or when a batch fills, which 40 requests do not).
    process = granian("--workers", "2", env={"PAYGROUND_RATE_LIMITS": "off",
                                             "PAYGROUND_REQUEST_LOG_FLUSH_MS": "600000"})
    body = process.signup(f"rows@{DOMAIN}")
    secret = body["keys"]["secret"]

    made = create_customers_on_new_connections(process.url, secret, 40)

    out, err = process.stop()

    assert process.proc.returncode == 0, err
    assert len(booted_workers(err)) == 2
    with sqlite3.connect(process.home / "payground.db") as db:
        stored = [row[0] for row in db.execute("SELECT id FROM request_logs")]
    assert sorted(set(made) & set(stored)) == sorted(made)  # each one, once
    assert len(stored) == len(set(stored)) == len(made)
    assert secret not in out + err


@pytest.mark.parametrize("granian_installed, gunicorn_usable, chosen", [
    (True, True, "granian"), (False, True, "gunicorn"), (False, False, "waitress")])
def test_auto_picks_the_fastest_server_installed(monkeypatch, granian_installed,
                                                 gunicorn_usable, chosen):
    from payground.cli import server

    monkeypatch.setattr(server, "_granian_available", lambda: granian_installed)
    monkeypatch.setattr(server, "_gunicorn_available", lambda: gunicorn_usable)
    assert server._choose_server("auto") == chosen


def test_asking_for_a_server_that_is_missing_says_what_to_do(monkeypatch):
    import click

    from payground.cli import server

    monkeypatch.setattr(server, "_granian_available", lambda: False)
    with pytest.raises(click.ClickException) as refused:
        server._choose_server("granian")
    assert refused.value.message == (
        "granian is not available here (pip install granian; not on Windows); "
        "use --server gunicorn or --server waitress.")
    assert server._choose_server("waitress") == "waitress"


def test_a_granian_worker_stopped_right_after_start_up_stops_gracefully(granian):
    # ~1 stop in 10 right after start-up used to reach one of granian's Rust threads, and
    # the worker slept on until it was killed ("refused to gracefully stop").
    for _ in range(5):
        process = granian()
        assert process.proc.stdout.readline() == ready_line(process) + "\n"
        out, err = process.stop()
        assert process.proc.returncode == 0, err
        assert "refused to gracefully stop" not in err
        assert "Stopped worker-1" in err


def test_a_granian_worker_reaped_by_another_thread_is_not_taken_for_running():
    # granian joins a worker from its watcher thread and, at a stop, from its main thread:
    # when the watcher reaps the process first, multiprocessing's is_alive() in the main
    # thread finds no child and answers True, and granian killed a worker that had stopped.
    import multiprocessing

    from payground.cli.server import _reap_safe_granian_worker_class

    process = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    process.start()
    worker = object.__new__(_reap_safe_granian_worker_class())  # granian builds its own
    worker.inner = process

    assert worker.is_alive()
    process.terminate()
    os.waitpid(process.pid, 0)  # the watcher thread's join() reaps it first
    assert process.is_alive()  # multiprocessing's own answer, wrong
    assert not worker.is_alive()


def test_stop_signals_reach_their_handler_through_one_thread_only():
    # What each granian worker runs before granian starts its threads. In a child process:
    # the mask and the relay thread are process state.
    from payground.cli.server import _stop_signals_through_one_thread

    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            stopped = threading.Event()
            _stop_signals_through_one_thread()
            signal.signal(signal.SIGTERM, lambda *_: stopped.set())
            masks = []
            later = threading.Thread(target=lambda: masks.append(
                signal.pthread_sigmask(signal.SIG_BLOCK, [])))
            later.start()
            later.join()
            main_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
            os.kill(os.getpid(), signal.SIGTERM)  # to the process, as granian sends it
            handled = stopped.wait(30)  # the main thread, sleeping on a lock meanwhile
            blocked = {signal.SIGINT, signal.SIGTERM}
            code = 0 if handled and blocked <= main_mask and blocked <= masks[0] else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("number, handler", [
    (signal.SIGTERM, signal.SIG_DFL),  # granian has not installed its handler yet
    (signal.SIGINT, signal.default_int_handler),  # raises KeyboardInterrupt in the relay
])
def test_the_relay_ends_the_worker_when_no_handler_can_stop_it(number, handler):
    from payground.cli.server import _stop_signals_through_one_thread

    pid = os.fork()
    if pid == 0:
        _stop_signals_through_one_thread()
        signal.signal(number, handler)
        os.kill(os.getpid(), number)
        time.sleep(30)  # ended by the relay thread long before
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + number


def test_a_worker_stopped_before_granian_takes_its_signals_dies_at_once():
    # What `payground serve` runs after each fork: the parent's Python handler (granian's
    # own, in the parent) would otherwise swallow the stop, and the worker would run on.
    from payground.cli.server import _default_stop_signals

    pid = os.fork()
    if pid == 0:  # the child
        signal.signal(signal.SIGTERM, lambda *_: None)  # stands in for the inherited one
        _default_stop_signals()
        os.kill(os.getpid(), signal.SIGTERM)
        os._exit(0)  # reached only if the stop was swallowed
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_in_granians_main_process_no_thread_takes_stop_signals_but_the_relay(granian):
    # Granian's handlers set the Event its main thread waits on; run in the main thread while
    # it holds that Event's lock, one deadlocks and the server never stops. So every thread
    # but the relay blocks SIGINT/SIGTERM (Linux: /proc/PID/task/*/status), also after a
    # reload (SIGHUP, relayed too) respawned the workers, and a stop still works.
    process = granian()
    assert process.proc.stdout.readline() == ready_line(process) + "\n"
    pid = process.proc.pid
    before = threads_taking_stops(pid)
    # One thread takes them: the relay, in sigwait() (which unblocks what it waits for).
    assert before[pid] is False and sorted(before.values()) == [False] * (len(before) - 1) + [
        True] and len(before) >= 3  # the main thread, the relay, granian's worker watcher

    os.kill(pid, signal.SIGHUP)  # through the relay too: granian respawns the worker
    deadline = time.monotonic() + 60
    while set(after := threads_taking_stops(pid)) <= set(before):
        assert time.monotonic() < deadline, "the workers were not respawned after SIGHUP"
        time.sleep(0.01)  # polling for the respawn, bounded
    assert after[pid] is False and list(after.values()).count(True) == 1
    out, err = process.stop()
    assert process.proc.returncode == 0
    assert "Respawning worker-1" in err and "Shutting down granian" in err


def threads_taking_stops(pid: int) -> dict[int, bool]:
    """``{thread id: whether it takes SIGINT or SIGTERM}`` for the threads of ``pid``."""
    stops = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    taking = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                blocked = re.search(r"^SigBlk:\s*([0-9a-f]+)$", status.read(), re.M)
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        taking[int(task)] = int(blocked.group(1), 16) & stops != stops
    return taking
