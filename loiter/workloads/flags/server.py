"""A local, slow and flaky flag server: the chapter's download without the internet.

Latency and injected errors are drawn per country from the seed: a run
reproduces whatever order concurrent requests arrive in, and every strategy
meets the same slow and broken countries, so their charts compare.
"""

from __future__ import annotations

import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

from loiter.model.safetext import safe
from loiter.workloads.flags.countries import COUNTRY_CODES
from loiter.workloads.flags.images import flag_gif

HOST = "127.0.0.1"  # loopback only: this server is a lecture prop, never a public service
FLAG_PATH = re.compile(r"/flags/([a-z]{2})/\1\.gif")
INJECTED_STATUS = 503


@dataclass(frozen=True)
class Behaviour:
    """How slow and how flaky the server is."""

    delay: tuple[float, float] = (0.1, 0.5)
    error_rate: float = 0.0
    seed: int = 0

    def plan(self, key: str) -> tuple[float, bool]:
        """(latency, fail?) of every request for ``key`` (a country or a path)."""
        rng = random.Random(f"{self.seed}/{key}")
        return rng.uniform(*self.delay), rng.random() < self.error_rate


class Served(NamedTuple):
    """One answered request, timed on the server (perf_counter seconds)."""

    path: str
    status: int
    size: int
    received: float
    sent: float
    client: str
    thread: str


class FlagServer(ThreadingHTTPServer):
    """One thread per connection; every request answered is appended to ``served``."""

    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 drops the SYNs of a 20-thread burst, and
    # the kernel retries them a whole second later: that would be the lesson, wrongly.
    request_queue_size = 1024

    def __init__(
        self,
        behaviour: Behaviour = Behaviour(),
        port: int = 0,
        on_served: Callable[[Served], None] | None = None,
    ) -> None:
        super().__init__((HOST, port), FlagHandler)
        self.behaviour = behaviour
        self.on_served = on_served
        self.served: list[Served] = []
        self.stopping = threading.Event()
        # Drawn up front (~70 ms), so a response takes exactly the planned latency.
        self.images = {cc: flag_gif(cc) for cc in COUNTRY_CODES}

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A client that hung up early (its timeout, a Ctrl-C) is its own business: silence.

        socketserver's default prints a traceback per connection; anything other
        than a closed connection is still told, in one line.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(
            f"flag server: {client_address[0]}: {type(exc).__name__}: {safe(exc)}", file=sys.stderr
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/flags"


class FlagHandler(BaseHTTPRequestHandler):
    """GET /flags/<cc>/<cc>.gif: wait the planned latency, then a GIF, a 404 or a 503."""

    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    server_version = "loiter-flags/1"
    timeout = 30  # an idle keep-alive connection frees its thread eventually
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server: FlagServer

    def do_GET(self) -> None:
        received = time.perf_counter()
        server = self.server
        match = FLAG_PATH.fullmatch(self.path)
        cc = match.group(1).upper() if match else None
        delay, fail = server.behaviour.plan(cc or self.path)
        if server.stopping.wait(delay):
            self.close_connection = True
            return
        if cc not in server.images:
            status, body, kind = 404, b"Not Found\n", "text/plain"
        elif fail:
            status, body, kind = INJECTED_STATUS, b"Injected error\n", "text/plain"
        else:
            status, body, kind = 200, server.images[cc], "image/gif"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        entry = Served(
            self.path,
            status,
            len(body),
            received,
            time.perf_counter(),
            self.client_address[0],
            threading.current_thread().name,
        )
        server.served.append(entry)
        if server.on_served is not None:
            server.on_served(entry)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: ``on_served`` is the log."""


@contextmanager
def serving(behaviour: Behaviour = Behaviour(), port: int = 0) -> Iterator[FlagServer]:
    """The server on a background thread (a free port by default), stopped on exit."""
    server = FlagServer(behaviour, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="flag-server"
    )
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
