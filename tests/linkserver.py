"""A loopback web server with every fault the live link checker must classify.

Started by the tests on 127.0.0.1 and 127.0.0.2 (both loopback, so no test
leaves the machine). Every request is logged with its host, method and path;
``in_flight``/``max_in_flight`` show how many requests a server had at once.

Routes (GET and HEAD unless said):
  /                       the home page
  /page/N                 a page with ids "top", "section-2" and name="named"
  /404 /410 /500          those statuses
  /hop/CODE/K             K redirects with CODE (301, 302, 307, 308), then a page
  /loop/a, /loop/b        redirect to each other
  /offer/spring           302 to / (a deep link sent to the home page)
  /not-found-title        200, title "Page not found"
  /head405/NAME           HEAD 405, GET 200
  /head404/NAME           HEAD 404, GET 200
  /flaky/CODE/N/KEY       CODE (429 or 503) for the first N requests of KEY, then 200;
                          ?after=S adds Retry-After: S; ?date=S an HTTP-date S seconds ahead
  /always429              429 every time
  /slow/SECONDS           waits, then 200
  /reset                  resets the connection
  /reset-once/KEY         resets the first request of KEY, then 200
  /huge                   200 text/html, 200 MB streamed (counts bytes sent)
  /bot                    999 (LinkedIn's answer to robots)
  /challenge              403 with cf-mitigated: challenge
  /login                  401
  /img/NAME.png           a PNG; /img/missing-NAME.png 404
  /big/BYTES.png          an image of BYTES bytes, with its Content-Length
  /nolength/NAME.png      an image whose answer gives no Content-Length
  /to/URL                 302 to the (percent-encoded) URL
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

PAGE = (
    "<!doctype html><html><head><title>Page {n}</title></head><body>"
    '<h1 id="top">Page {n}</h1><p><a name="named"></a></p>'
    '<section id="section-2"><p>Second section</p></section></body></html>'
)
HOME = "<!doctype html><html><head><title>Home</title></head><body><h1>Welcome</h1></body></html>"
NOT_FOUND = (
    "<!doctype html><html><head><title>Page not found | Shop</title></head>"
    "<body><h1>Sorry</h1></body></html>"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HUGE = 200 * 1024 * 1024


class LinkServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.host = host
        self.log: list[tuple[str, str]] = []
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.huge_sent = 0
        self.times: dict[str, list[float]] = {}
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.server_address[1]}"

    def start(self) -> LinkServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset_counts(self) -> None:
        with self.lock:
            self.log.clear()
            self.hits.clear()
            self.times.clear()
            self.max_in_flight = self.in_flight
            self.huge_sent = 0

    def requests(self, path: str, method: str | None = None) -> int:
        with self.lock:
            return sum(1 for m, p in self.log if p == path and (method is None or m == method))


class _Handler(BaseHTTPRequestHandler):
    server: LinkServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        server = self.server
        with server.lock:
            server.log.append((method, self.path))
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            server.times.setdefault(self.path, []).append(time.monotonic())
        try:
            self._route(method)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with server.lock:
                server.in_flight -= 1

    # -- answers -------------------------------------------------------------
    def _send(
        self,
        code: int,
        body: bytes = b"",
        kind: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        method: str = "GET",
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def _redirect(self, code: int, where: str) -> None:
        # a Location with non-ASCII characters goes out as UTF-8 bytes, as real servers send it
        self._send(code, b"", headers={"Location": where.encode("utf-8").decode("latin-1")})

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _route(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query)
        parts = [p for p in path.split("/") if p]
        page = lambda n: PAGE.format(n=n).encode()  # noqa: E731
        if path == "/":
            return self._send(200, HOME.encode(), method=method)
        head = parts[0] if parts else ""
        if head == "page":
            return self._send(200, page(parts[1] if len(parts) > 1 else 0), method=method)
        if path in ("/404", "/410", "/500"):
            return self._send(int(path[1:]), b"<h1>error</h1>", method=method)
        if head == "hop":
            code, left = int(parts[1]), int(parts[2])
            if left > 0:
                return self._redirect(code, f"/hop/{code}/{left - 1}")
            return self._send(200, page("end"), method=method)
        if head == "loop":
            return self._redirect(302, "/loop/b" if parts[1] == "a" else "/loop/a")
        if path == "/offer/spring":
            return self._redirect(302, "/")
        if path == "/not-found-title":
            return self._send(200, NOT_FOUND.encode(), method=method)
        if head == "head405":
            if method == "HEAD":
                return self._send(405, b"", method=method)
            return self._send(200, PNG, kind="image/png")
        if head == "head404":
            if method == "HEAD":
                return self._send(404, b"", method=method)
            return self._send(200, PNG, kind="image/png")
        if head == "flaky":
            code, times, key = int(parts[1]), int(parts[2]), parts[3]
            with self.server.lock:
                self.server.hits[key] += 1
                count = self.server.hits[key]
            if count <= times:
                headers = {}
                if "after" in query:
                    headers["Retry-After"] = query["after"][0]
                if "date" in query:
                    headers["Retry-After"] = formatdate(
                        time.time() + float(query["date"][0]), usegmt=True
                    )
                return self._send(code, b"busy", headers=headers, method=method)
            return self._send(200, page(key), method=method)
        if path == "/always429":
            return self._send(429, b"slow down", method=method)
        if head == "slow":
            time.sleep(float(parts[1]))
            return self._send(200, page("slow"), method=method)
        if path == "/reset":
            return self._reset()
        if head == "reset-once":
            with self.server.lock:
                self.server.hits[path] += 1
                first = self.server.hits[path] == 1
            if first:
                return self._reset()
            return self._send(200, page("after-reset"), method=method)
        if path == "/huge":
            return self._huge(method)
        if path == "/bot":
            return self._send(999, b"", method=method)
        if path == "/challenge":
            return self._send(
                403, b"<title>Just a moment...</title>", headers={"cf-mitigated": "challenge"}
            )
        if path == "/login":
            return self._send(401, b"login", headers={"WWW-Authenticate": "Basic"})
        if head == "img":
            if parts[1].startswith("missing"):
                return self._send(404, b"", method=method)
            return self._send(200, PNG, kind="image/png", method=method)
        if head == "big":
            size = min(int(parts[1].split(".")[0]), 50_000_000)
            return self._send(200, b"\0" * size, kind="image/png", method=method)
        if head == "nolength":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(PNG)
            self.close_connection = True
            return None
        if head == "to":
            return self._redirect(302, unquote(path[len("/to/") :]))
        return self._send(404, b"<h1>no such route</h1>", method=method)

    def _huge(self, method: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        if method == "HEAD":
            return
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        sent = 0
        self.wfile.write(b"<html><head><title>Big</title></head><body>")
        while sent < HUGE:
            self.wfile.write(chunk)
            sent += len(chunk)
            with self.server.lock:
                self.server.huge_sent = sent
