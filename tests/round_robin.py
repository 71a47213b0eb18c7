"""A load balancer without session affinity, for tests: each request goes to the next backend.

Loopback only, one thread per connection, one request per connection (HTTP/1.0 towards the
client, so a streamed response simply ends when the backend's does). The Host header is passed
on, so the app builds its links (file downloads) through the balancer. Event calls
(/gradio_api/run/...) alternate among themselves, so two calls in a row always reach different
backends whatever else the page requests in between. Every request is recorded in order.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length"}


EVENT_CALLS = "/gradio_api/run/"


class RoundRobin:
    def __init__(self, backends: list[str]) -> None:
        self.backends = [urlsplit(b) for b in backends]
        self._cycles = {kind: itertools.cycle(range(len(backends))) for kind in ("events", "other")}
        self._lock = threading.Lock()
        self.log: list[tuple[int, str, str]] = []  # (backend number, method, path without query), in order

    def pick(self, method: str, path: str) -> int:
        with self._lock:
            number = next(self._cycles["events" if path.startswith(EVENT_CALLS) else "other"])
            self.log.append((number, method, path.split("?")[0]))
            return number

    def backends_serving(self, path_start: str) -> list[int]:
        """The backends that got the requests whose path starts with `path_start`, in order."""
        with self._lock:
            return [number for number, _, path in self.log if path.startswith(path_start)]


def _handler(balancer: RoundRobin) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args) -> None:  # quiet: pytest output stays readable
            pass

        def _forward(self) -> None:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                self.send_error(411, "Length Required")  # this small balancer forwards sized bodies only
                return
            backend = balancer.backends[balancer.pick(self.command, self.path)]
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream = http.client.HTTPConnection(backend.hostname, backend.port, timeout=600)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.end_headers()
                while chunk := response.read1(65536):  # as it arrives: event streams stay live
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (ConnectionError, TimeoutError):
                pass  # the browser went away, or the backend did: the client sees a cut response
            finally:
                upstream.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _forward

    return Forward


@contextlib.contextmanager
def round_robin(backends: list[str]) -> Iterator[tuple[str, RoundRobin]]:
    """Yields (the balancer's URL, the RoundRobin with its counts) while it serves."""
    balancer = RoundRobin(backends)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(balancer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", balancer
    finally:
        server.shutdown()
        server.server_close()
