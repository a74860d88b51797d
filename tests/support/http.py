"""HTTP servers a test runs in its own process, on free loopback ports (receivers, listeners).

``with loopback_servers() as serve:`` gives ``serve(handler)``, which starts a threaded server
for ``handler`` (over TLS with ``tls=`` a server context) and returns it; every server started
is shut down when the block ends.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar

Serve = Callable[..., ThreadingHTTPServer]
State = TypeVar("State", bound="Served")


class Served(Protocol):
    """What a server records and answers, told the port it listens on."""

    port: int


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def loopback_servers() -> Iterator[Serve]:
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def serve(
        handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
    ) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
            server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # failed handshakes
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    try:
        yield serve
    finally:
        for server, thread in started:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


@contextlib.contextmanager
def server_per_state(
    make: Callable[[], State], handler: Callable[[State], type[BaseHTTPRequestHandler]]
) -> Iterator[Callable[[], State]]:
    """A fixture's ``start()``: each call makes a new state, serves ``handler(state)`` on a port of
    its own (set as ``state.port``) and returns the state; every server stops at the end."""
    with loopback_servers() as serve:

        def start() -> State:
            state = make()
            state.port = serve(handler(state)).server_address[1]
            return state

        yield start
