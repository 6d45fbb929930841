"""``payground serve --server gunicorn --workers N`` spreads keep-alive connections over its
workers.

Without balancing, gunicorn's first worker to wake often accepted every connection a client
opened at once, and kept them: half the machine idle (see ``cli/balancing.py``). granian's
workers each listen on the port themselves (SO_REUSEPORT): the kernel spreads connections.
"""

from __future__ import annotations

import http.client
import os
import sys
import time
from urllib.parse import urlsplit

import pytest

from payground.cli.balancing import ConnectionTable, should_accept
from tests.test_cli import DOMAIN, ServeProcess

CONNECTIONS = 8


@pytest.mark.parametrize("mine, others, expected", [
    (0, [], True), (5, [], True),            # alone: always
    (0, [0], True), (1, [1, 3], True),       # not above the least loaded sibling
    (1, [0], False), (4, [3, 9], False),     # above it: leave the next one to it
])
def test_a_worker_accepts_while_it_holds_no_more_than_the_least_loaded(mine, others, expected):
    assert should_accept(mine, others) is expected


def test_the_table_counts_live_siblings_only(monkeypatch):
    table = ConnectionTable(4)
    me, sibling, hung = (table.claim(pid) for pid in (os.getpid(), os.getppid(), 1))
    assert (me, sibling, hung) == (0, 1, 2)
    table.update(sibling, os.getppid(), 3)
    table.update(hung, 1, 7)
    assert sorted(table.others(me)) == [3, 7]
    # Two seconds later, only slots whose owner beat since count.
    later = time.monotonic() + 2.5
    monkeypatch.setattr(time, "monotonic", lambda: later)
    table.update(me, os.getpid(), 0)
    table.update(sibling, os.getppid(), 3)
    assert table.others(me) == [3]
    # A stale slot is free for a new worker.
    assert table.claim(12345) == 2
    table.release(sibling)
    assert table.others(me) == [0]  # the new worker, just claimed


def _server_sockets(client_ports: set[int]) -> set[str]:
    """Inodes of the server's ends of the connections from ``client_ports`` (/proc/net/tcp*)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            for line in list(f)[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port in client_ports:
                    inodes.add(fields[9])
    return inodes


def _held(pid: int, inodes: set[str]) -> int:
    """How many of ``inodes`` the process ``pid`` has open."""
    fds = f"/proc/{pid}/fd"
    return sum(os.readlink(os.path.join(fds, fd))[len("socket:["):-1] in inodes
               for fd in os.listdir(fds))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts sockets in /proc")
def test_connections_opened_at_once_are_spread_over_the_workers(tmp_path):
    # Threaded workers keep connections alive (with one thread, serve uses gunicorn's sync
    # worker, which closes each connection after its response).
    process = ServeProcess(tmp_path / "home", "--server", "gunicorn", "--workers", "2",
                           "--threads", "2", env={"PAYGROUND_RATE_LIMITS": "off"})
    connections = []
    try:
        secret = process.signup(f"balance-{os.getpid()}@{DOMAIN}")["keys"]["secret"]
        workers = _worker_pids(process)
        _wait_until_both_accept(process, secret, workers)
        url = urlsplit(process.url)
        connections = [http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                       for _ in range(CONNECTIONS)]
        for conn in connections:
            conn.connect()
        for conn in connections:  # one request each; the connections stay open (keep-alive)
            conn.request("GET", "/v1/balance", headers={"Authorization": f"Bearer {secret}"})
        statuses = []
        for conn in connections:
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        inodes = _server_sockets({conn.sock.getsockname()[1] for conn in connections})
        held = {pid: _held(pid, inodes) for pid in workers}
    finally:
        for conn in connections:
            conn.close()
        process.stop()
    assert statuses == [200] * CONNECTIONS
    assert sum(held.values()) == CONNECTIONS, held
    assert max(held.values()) - min(held.values()) <= 2, held


def _open(process: ServeProcess, secret: str, count: int) -> list[http.client.HTTPConnection]:
    """``count`` keep-alive connections, each with one request answered."""
    url = urlsplit(process.url)
    connections = [http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                   for _ in range(count)]
    for conn in connections:
        conn.request("GET", "/v1/balance", headers={"Authorization": f"Bearer {secret}"})
    for conn in connections:
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    return connections


def _wait_until_both_accept(process: ServeProcess, secret: str, workers: list[int]) -> None:
    """Until both workers take part in the balancing: a worker still starting takes no
    connection, and the other rightly takes them all (this test failed under load when it
    opened its connections as soon as two worker processes existed)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pair = _open(process, secret, 2)
        inodes = _server_sockets({conn.sock.getsockname()[1] for conn in pair})
        held = [_held(pid, inodes) for pid in workers]
        for conn in pair:
            conn.close()
        if held == [1, 1]:
            return
        time.sleep(0.05)  # polling for a worker to finish starting, not papering over a race
    pytest.fail(f"the two workers never took one connection each: {held}")


def _worker_pids(process: ServeProcess) -> list[int]:
    """The master's children (the workers), once both are up."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = _children(process.proc.pid)
        if len(children) == 2:
            return children
        time.sleep(0.05)  # polling for processes to appear, not papering over a race
    pytest.fail(f"expected 2 workers, found {_children(process.proc.pid)}")


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as f:
        return [int(p) for p in f.read().split()]


def test_one_thread_means_gunicorns_sync_workers(tmp_path):
    """``--threads 1`` serves as ``gunicorn -w N`` does: each response closes its connection,
    so the kernel hands every new connection to whichever worker is free."""
    process = ServeProcess(tmp_path / "home", "--server", "gunicorn", "--workers", "2",
                           "--threads", "1", env={"PAYGROUND_RATE_LIMITS": "off"})
    try:
        secret = process.signup(f"sync-{os.getpid()}@{DOMAIN}")["keys"]["secret"]
        url = urlsplit(process.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("GET", "/v1/balance", headers={"Authorization": f"Bearer {secret}"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
    finally:
        out, err = process.stop()
    assert response.status == 200 and b'"object":"balance"' in body
    assert response.getheader("Connection") == "close"
    assert "Using worker: sync" in err
