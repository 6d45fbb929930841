"""A webhook endpoint for tests: a loopback HTTP server that records every POST it gets."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from dataclasses import dataclass


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Answers each POST with the next status in ``answers`` (200 once they run out), after
    ``hold`` is set if one is given.

    ``with Receiver() as hook: ... hook.url ... hook.received``
    """

    def __init__(self, answers: list[int] | None = None,
                 hold: threading.Event | None = None, ipv6: bool = False) -> None:
        self.answers = list(answers or [])
        self.arrived = threading.Event()  # set by the first POST, as soon as it is read
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.arrived.set()
                if hold is not None:  # a slow endpoint: answers once the test lets it
                    hold.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server_class = http.server.ThreadingHTTPServer
        if ipv6:
            server_class = type("IPv6Server", (server_class,),
                                {"address_family": socket.AF_INET6})
        self.host = "[::1]" if ipv6 else "127.0.0.1"
        self._server = server_class(("::1" if ipv6 else "127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}/hooks/stripe"

    @property
    def events(self) -> list[dict]:
        with self._lock:
            return [r.event for r in self.received]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
