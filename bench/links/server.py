"""Loopback HTTP/1.1 server for the link benchmark (``bench/bench_links.py``).

A small hand-written asyncio responder, so that every fault is served exactly the
same way to every tool and every request is counted at the server. It listens on
several loopback addresses (``127.0.0.1``, ``127.0.0.2``, ...), one port each, and
on a separate control port that the tools never see.

The path says what a URL does (``ID`` keeps every URL unique)::

    /                       home page, 200
    /p/ID                   page, 200 (some links carry ?utm_... query strings)
    /a/ID                   page with id="sec-1".."sec-5" anchors, 200
    /f/ID                   the same page; the links point at a missing #fragment
    /t/ID                   redirect target page, 200
    /s/CODE/ID              that status (404, 410, 500, ...)
    /r/C1-C2-.../ID         redirect chain: C1 to /r/C2-.../ID ... to /t/ID
    /loop/ID/a, /loop/ID/b  302 to each other forever
    /deep/ID/...            301 to the home page (a soft 404)
    /nohead/ID              405 on HEAD, 200 on GET
    /rl/ID, /rl0/ID         429 (with / without Retry-After: 1) on the first
                            request since the last reset, then 200
    /slow/ID                answers after SLOW seconds (longer than the timeout)
    /rst/ID                 reads the request, then resets the connection
    /huge/ID.pdf            200 with a HUGE-byte body, streamed lazily
    /bot/ID                 999 (LinkedIn-style bot wall)
    /cf/ID                  403 with ``cf-mitigated: challenge``
    /i/ID.png               a 1x1 PNG, 200

Control port: ``GET /stats`` (JSON counters), ``GET /reset`` (zero the counters and
the 429 state), ``GET /quit``.

Every response carries a ``LinkChecker: bench`` header: LinkChecker spaces its
requests to one host 0.1-0.6 s apart unless the server sends that header (see the
benchmark's README section). Other tools ignore it.

Run as a script, it prints one JSON line (the base URLs and the control URL) on
stdout once it is listening and serves until ``/quit`` or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import struct
import sys
import time
from collections import Counter

CHUNK = b"\0" * 65536
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    999: "Request denied",
}
FILLER = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12 + "</p>\n"


def page(title: str, anchors: bool) -> bytes:
    """A plain HTML page of about 3 KB, with or without id= anchors."""
    parts = [f"<!doctype html><html><head><title>{title}</title></head><body>\n<h1>{title}</h1>\n"]
    for n in range(1, 6):
        ident = f' id="sec-{n}"' if anchors else ""
        parts.append(f"<h2{ident}>Section {n}</h2>\n{FILLER}")
    parts.append("</body></html>\n")
    return "".join(parts).encode()


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.methods: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.bytes_sent = 0
        self.huge_bytes_sent = 0
        self.connections = 0
        self.rate_limited: set[str] = set()
        self.started = time.monotonic()

    def as_dict(self, active: int) -> dict[str, object]:
        return {
            "requests": sum(self.methods.values()),
            "methods": dict(self.methods),
            "hosts": dict(self.hosts),
            "kinds": dict(self.kinds),
            "bytes_sent": self.bytes_sent,
            "huge_bytes_sent": self.huge_bytes_sent,
            "connections": self.connections,
            "active_handlers": active,
            "server_cpu_s": time.process_time(),
        }


class LinkServer:
    def __init__(self, hosts: list[str], slow_s: float, huge_bytes: int) -> None:
        self.hosts = hosts
        self.slow_s = slow_s
        self.huge_bytes = huge_bytes
        self.stats = Stats()
        self.active = 0
        self.servers: list[asyncio.AbstractServer] = []
        self.bases: list[str] = []
        self.control = ""
        self.done = asyncio.Event()
        self.pages = {True: page("Anchored page", True), False: page("Page", False)}

    async def start(self, port: int = 0) -> None:
        for host in self.hosts:
            server = await asyncio.start_server(self.handle, host, port, backlog=1024)
            self.servers.append(server)
            bound = server.sockets[0].getsockname()[1]
            self.bases.append(f"http://{host}:{bound}")
        control = await asyncio.start_server(self.handle_control, "127.0.0.1", 0)
        self.servers.append(control)
        self.control = f"http://127.0.0.1:{control.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()

    # -- HTTP plumbing ---------------------------------------------------------

    @staticmethod
    async def read_request(
        reader: asyncio.StreamReader,
    ) -> tuple[str, str, str, dict[str, str]] | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            return None
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length:
            await reader.readexactly(length)
        return method, target, version, headers

    def head_bytes(self, code: int, headers: list[tuple[str, str]], keep: bool) -> bytes:
        lines = [f"HTTP/1.1 {code} {REASONS.get(code, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append("LinkChecker: bench")
        lines.append("Connection: keep-alive" if keep else "Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        code: int,
        body: bytes = b"",
        ctype: str = "text/html; charset=utf-8",
        extra: list[tuple[str, str]] | None = None,
        keep: bool = True,
    ) -> None:
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
        headers += extra or []
        data = self.head_bytes(code, headers, keep)
        if method != "HEAD":
            data += body
        self.stats.bytes_sent += len(data)
        writer.write(data)
        await writer.drain()

    async def handle_control(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        request = await self.read_request(reader)
        body = b"{}"
        if request is not None:
            path = request[1]
            if path == "/reset":
                self.stats.reset()
            elif path == "/quit":
                self.done.set()
            body = json.dumps(self.stats.as_dict(self.active)).encode()
        writer.write(self.head_bytes(200, [("Content-Length", str(len(body)))], False) + body)
        with contextlib.suppress(Exception):
            await writer.drain()
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.active += 1
        self.stats.connections += 1
        sock = writer.get_extra_info("socket")
        host, port = writer.get_extra_info("sockname")[:2]
        local = f"{host}:{port}"
        try:
            while True:
                request = await self.read_request(reader)
                if request is None:
                    break
                method, target, version, headers = request
                self.stats.methods[method] += 1
                self.stats.hosts[local] += 1
                keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
                if not await self.respond(reader, writer, sock, method, target, headers, keep):
                    break
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.active -= 1
            with contextlib.suppress(Exception):
                writer.close()

    # -- the routes ------------------------------------------------------------

    async def respond(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sock: socket.socket,
        method: str,
        target: str,
        headers: dict[str, str],
        keep: bool,
    ) -> bool:
        """Answer one request; False when the connection must not be reused."""
        path = target.split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in path.split("/") if p]
        kind = parts[0] if parts else "home"
        self.stats.kinds[kind] += 1
        host = headers.get("host", "127.0.0.1")
        origin = f"http://{host}"

        async def send(code: int, body: bytes = b"", **kw: object) -> None:
            await self.send(writer, method, code, body, keep=keep, **kw)  # type: ignore[arg-type]

        if kind == "home":
            await send(200, page("Home", False))
        elif kind in ("p", "t", "a", "f"):
            if len(parts) != 2:
                await send(404, b"<h1>Not found</h1>")
            else:
                await send(200, self.pages[kind in ("a", "f")])
        elif kind == "s" and len(parts) == 3 and parts[1].isdigit():
            code = int(parts[1])
            await send(code, f"<h1>{code} {REASONS.get(code, '')}</h1>".encode())
        elif kind == "r" and len(parts) == 3:
            codes = parts[1].split("-")
            rest = "-".join(codes[1:])
            location = f"{origin}/r/{rest}/{parts[2]}" if rest else f"{origin}/t/{parts[2]}"
            await send(int(codes[0]), b"", extra=[("Location", location)])
        elif kind == "loop" and len(parts) == 3:
            other = "b" if parts[2] == "a" else "a"
            await send(302, b"", extra=[("Location", f"{origin}/loop/{parts[1]}/{other}")])
        elif kind == "deep":
            await send(301, b"", extra=[("Location", f"{origin}/")])
        elif kind == "nohead":
            if method == "HEAD":
                await send(405, b"", extra=[("Allow", "GET")])
            else:
                await send(200, self.pages[False])
        elif kind in ("rl", "rl0"):
            if path in self.stats.rate_limited:
                await send(200, self.pages[False])
            else:
                self.stats.rate_limited.add(path)
                extra = [("Retry-After", "1")] if kind == "rl" else []
                await send(429, b"<h1>Too many requests</h1>", extra=extra)
        elif kind == "slow":
            # Wait, but stop at once if the client gives up and closes.
            eof = asyncio.ensure_future(reader.read(1))
            done, _ = await asyncio.wait({eof}, timeout=self.slow_s)
            if done:
                return False
            eof.cancel()
            await send(200, self.pages[False])
            return False
        elif kind == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif kind == "huge":
            data = self.head_bytes(
                200,
                [("Content-Type", "application/pdf"), ("Content-Length", str(self.huge_bytes))],
                keep,
            )
            writer.write(data)
            self.stats.bytes_sent += len(data)
            if method != "HEAD":
                left = self.huge_bytes
                while left > 0:
                    chunk = CHUNK[: min(left, len(CHUNK))]
                    writer.write(chunk)
                    await writer.drain()  # raises ConnectionError once the client closes
                    left -= len(chunk)
                    self.stats.bytes_sent += len(chunk)
                    self.stats.huge_bytes_sent += len(chunk)
            await writer.drain()
        elif kind == "bot":
            await send(999, b"<h1>Request denied</h1>")
        elif kind == "cf":
            body = b"<html><head><title>Just a moment...</title></head><body>Checking</body></html>"
            await send(403, body, extra=[("cf-mitigated", "challenge"), ("Server", "cloudflare")])
        elif kind == "i":
            await send(200, PNG, ctype="image/png")
        else:
            await send(404, b"<h1>Not found</h1>")
        return True


async def serve(args: argparse.Namespace) -> None:
    server = LinkServer(args.hosts.split(","), args.slow, args.huge)
    await server.start(args.port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.done.set)
    print(json.dumps({"bases": server.bases, "control": server.control}), flush=True)
    await server.done.wait()
    await server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="127.0.0.1,127.0.0.2")
    parser.add_argument("--port", type=int, default=0, help="0: any free port per host")
    parser.add_argument("--slow", type=float, default=5.0, help="delay of /slow/ (seconds)")
    parser.add_argument("--huge", type=int, default=50 * 1024 * 1024, help="bytes of /huge/")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
