"""A load balancer without session affinity, for tests: each request goes to the next backend.

Loopback only, one thread per connection, one request per connection (HTTP/1.0 towards the
client, so a streamed response simply ends when the backend's does). It counts which backend got
which request, so a test can check that a page's requests really were spread over the replicas.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length"}


class RoundRobin:
    def __init__(self, backends: list[str]) -> None:
        self.backends = [urlsplit(b) for b in backends]
        self._next = itertools.cycle(range(len(backends)))
        self._lock = threading.Lock()
        self.served: Counter[tuple[int, str]] = Counter()  # (backend number, path without query)

    def pick(self, path: str) -> int:
        with self._lock:
            number = next(self._next)
            self.served[(number, path.split("?")[0])] += 1
            return number

    def backends_serving(self, path_start: str) -> set[int]:
        """The backends that got at least one request whose path starts with `path_start`."""
        return {number for (number, path), count in self.served.items() if path.startswith(path_start) and count}


def _handler(balancer: RoundRobin) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args) -> None:  # quiet: pytest output stays readable
            pass

        def _forward(self) -> None:
            backend = balancer.backends[balancer.pick(self.path)]
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            headers["Host"] = backend.netloc
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
