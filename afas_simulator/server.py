"""The HTTP/1.1 front of the simulator, on the standard library.

It owns the socket and nothing else: it reads a request, routes it to the AFAS API (api.py) or the
admin endpoint (admin.py), and writes the `Reply` back — or resets the connection when the reply
says so. Connections stay open between requests (keep-alive, like AFAS Online, where
`Connection: close` invites "connection reset by peer" [S]).

Routing, as AFAS Online answers it [C]; the path is case-insensitive:

    /{member}/ProfitRestServices/<endpoint>                 production, any Host (`Simulator.base_url`)
    /T{member}/ProfitRestServices/<endpoint>                test (A{member}: accept; O{member}: production)
    /ProfitRestServices/<endpoint>  with Host {member}.rest.afas.online (production),
                                    {member}.resttest.afas.online (test), .restaccept. (accept)
    /_simulator/…                                           the admin endpoint, outside the AFAS API

Requests are routed to an environment key (`config.environment_key`): the member number for
production, the type letter and member number for test and accept.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from afas_simulator.config import REST_HOST_LABELS, environment_key
from afas_simulator.messages import Reply, Request, not_found

log = logging.getLogger(__name__)

_HOST_RE = re.compile(r"^(\d+)\.(rest|resttest|restaccept)\.afas\.online(?::\d+)?$", re.I)
_KIND_OF_LABEL = {label: kind for kind, label in REST_HOST_LABELS.items()}
#: The first path segment that names an environment: a member number, optionally after O, T or A.
_PATH_KEY_RE = re.compile(r"^[OTA]?\d+$", re.I)
_SERVICE = "profitrestservices"
_ADMIN = "_simulator"

#: Routed to the AFAS API: (environment key, segments after ProfitRestServices/).
AfasHandler = Callable[[Request, str, list[str]], Reply]
#: Routed to the admin endpoint: segments after _simulator/.
AdminHandler = Callable[[Request, list[str]], Reply]


def route(path: str, host: str | None) -> tuple[str, str | None, list[str]] | None:
    """Where a request goes.

    Args:
        path: the request path, percent-encoded, without the query string.
        host: the Host header.

    Returns:
        `("afas", environment key, segments)`, `("admin", None, segments)`, or None for an unknown path.
        Segments are percent-decoded one by one (so an encoded `/` stays inside its segment);
        a trailing slash is ignored.
    """
    raw = path.split("/")[1:]
    while raw and raw[-1] == "":
        raw.pop()
    segments = [urllib.parse.unquote(s) for s in raw]
    lowered = [s.lower() for s in segments]
    if lowered[:1] == [_ADMIN]:
        return ("admin", None, segments[1:])
    if len(segments) >= 2 and _PATH_KEY_RE.match(segments[0]) and lowered[1] == _SERVICE:
        return ("afas", environment_key(segments[0]), segments[2:])
    if lowered[:1] == [_SERVICE]:
        match = _HOST_RE.match((host or "").strip())
        if match:
            kind = _KIND_OF_LABEL[match.group(2).lower()]
            return ("afas", environment_key(match.group(1), kind), segments[1:])
    return None


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server that can drop every open connection when stopped.

    Args:
        address: `(host, port)`; port 0 picks a free port.
        afas: answers AFAS API requests.
        admin: answers admin requests.
        quiet: don't log every request.
    """

    daemon_threads = True
    # Keep-alive connections park threads in a read; don't wait for them when closing.
    block_on_close = False
    # Clients open several connections at once (up to 8 parallel calls); don't drop SYNs.
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], afas: AfasHandler, admin: AdminHandler, *, quiet: bool = True):
        self.afas = afas
        self.admin = admin
        self.quiet = quiet
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):  # noqa: ANN001 - socketserver's signature
        with self._open_lock:
            self._open.add(request)
        # Small writes (headers, short pages) must not wait for the client's delayed ACK.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # noqa: ANN001
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close every open connection, so that `stop()` does not leave clients hanging."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # AFAS Online runs on IIS; mimicking its Server header costs nothing [G].
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 120
    server: SimulatorHTTPServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815

    def _serve(self) -> None:
        target = self.path
        if "://" in target:  # absolute-form request target (a proxy in between)
            parts = urllib.parse.urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        path, _, query = target.partition("?")
        try:
            body = self._read_body()
        except ValueError:  # a malformed Content-Length or chunk size
            self.close_connection = True
            self._write(Reply(400))
            return
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers={k: v for k, v in self.headers.items()},
            body=body,
            client_ip=self.client_address[0],
        )
        reply = self._dispatch(request)
        if reply.reset:
            self._reset()
        else:
            self._write(reply)

    def _read_body(self) -> bytes:
        # Every byte of the body must be consumed, or the next request on this keep-alive
        # connection would start in the middle of it.
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, request: Request) -> Reply:
        try:
            routed = route(request.path, self.headers.get("Host"))
            if routed is None:
                return not_found()
            kind, member, segments = routed
            if kind == "admin":
                return self.server.admin(request, segments)
            assert member is not None
            return self.server.afas(request, member, segments)
        except Exception:  # the handlers never raise; this guards the socket against bugs
            log.exception("unhandled error answering %s %s", request.method, request.path)
            return Reply(500)

    def _write(self, reply: Reply) -> None:
        headers = [
            f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            f"Content-Length: {len(reply.body)}",
            f"X-Trace-Identifier: {uuid.uuid4()}",
        ]
        if reply.content_type:
            headers.append(f"Content-Type: {reply.content_type}")
        headers.extend(f"{k}: {v}" for k, v in reply.headers.items())
        if self.close_connection:
            headers.append("Connection: close")
        head = ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1")
        # One write: headers and body leave together, no Nagle/delayed-ACK stall between them.
        self.wfile.write(head if self.command == "HEAD" else head + reply.body)
        if not self.server.quiet:
            self.log_request(reply.status, len(reply.body))

    def _reset(self) -> None:
        """Abort the connection with a TCP RST: the client sees "connection reset by peer"."""
        self.close_connection = True
        try:
            # Linger on with a zero time-out turns close() into an abortive close (RST, not FIN).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The read file holds a reference to the socket; the RST goes out when both are closed.
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
        if not self.server.quiet:
            self.log_message('"%s" reset', self.requestline)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        if not self.server.quiet:
            super().log_message(format, *args)
