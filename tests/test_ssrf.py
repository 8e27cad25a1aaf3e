"""The address guard against every host spelling that reaches a forbidden address.

A raw TCP listener on 127.0.0.2 (loopback, so nothing leaves the machine) counts every
connection made to it; only 127.0.0.1 is allowed. Each spelling of 127.0.0.2 — Unicode
digits and full stops that IDNA (UTS-46) maps to ASCII, the short, decimal, hex and octal
forms the C library reads, an IPv4-mapped IPv6 address — is requested directly and after a
redirect from the allowed host, by the checker and by a whole `check --online` run: the
listener must see no connection at all.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from preflight.api import check
from preflight.links.checker import Settings, Target, check_urls
from preflight.links.results import Status

from .linkserver import LinkServer

ONLY_FIRST = Settings(timeout=2.0, retries=0, allow_hosts=("127.0.0.1",))


class Listener:
    """Accepts and counts connections on 127.0.0.2 (the address no link may reach)."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.2", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            connection.close()

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def spellings(port: int) -> list[str]:
    """URLs whose host is 127.0.0.2 once the HTTP client or the C library has read it."""
    hosts = [
        "127.0.0.2",
        "１２７.０.０.２",  # fullwidth digits
        "①②⑦.0.0.②",  # circled digits
        "127。0。0。2",  # ideographic full stops
        "127．0．0．2",  # fullwidth full stops
        "127｡0｡0｡2",  # halfwidth ideographic full stops
        "１２７。０。０。２",
        "127.2",  # inet_aton's short forms
        "127.0.2",
        "2130706434",  # one decimal number
        "0x7f.0.0.2",  # hexadecimal
        "0x7f000002",
        "0177.0.0.2",  # octal
        "127.000.000.002",
        "[::ffff:127.0.0.2]",  # IPv4-mapped IPv6
        "[::ffff:7f00:2]",
        "127.0.0.2.",  # a trailing dot
    ]
    return [f"http://{host}:{port}/meta-data/" for host in hosts]


METADATA = ["http://１６９.２５４.１６９.２５４/latest/meta-data/", "http://169。254。169。254/"]


def _check(url: str) -> tuple[Status, str | None, str | None]:
    results, _ = check_urls([Target(url, True)], ONLY_FIRST)
    result = results[url]
    return result.status, result.reason, result.detail


@pytest.mark.parametrize("index", range(len(spellings(1))))
def test_no_spelling_reaches_a_refused_address(listener: Listener, index: int) -> None:
    url = spellings(listener.port)[index]
    before = listener.accepted
    status, reason, detail = _check(url)
    assert listener.accepted == before, f"{url} reached 127.0.0.2"
    assert (status, reason) == (Status.SKIPPED, "refused-address"), detail
    assert "loopback" in (detail or "") or "not a valid" in (detail or "")


@pytest.mark.parametrize("index", range(len(spellings(1))))
def test_no_redirect_reaches_a_refused_address(
    link_servers: list[LinkServer], listener: Listener, index: int
) -> None:
    url = spellings(listener.port)[index]
    before = listener.accepted
    status, reason, detail = _check(link_servers[0].base + "/to/" + quote(url, safe=""))
    assert listener.accepted == before, f"a redirect to {url} reached 127.0.0.2"
    assert (status, reason) == (Status.SKIPPED, "refused-address"), detail
    assert (detail or "").startswith("it redirects to")


@pytest.mark.parametrize("url", METADATA)
def test_metadata_address_in_unicode_is_refused(link_servers: list[LinkServer], url: str) -> None:
    for asked in (url, link_servers[0].base + "/to/" + quote(url, safe="")):
        status, reason, detail = _check(asked)
        assert (status, reason) == (Status.SKIPPED, "refused-address"), detail
        assert "a cloud metadata address" in (detail or "")


def test_allowed_address_in_unicode_is_still_allowed(link_servers: list[LinkServer]) -> None:
    port = link_servers[0].server_address[1]
    status, _, detail = _check(f"http://①②⑦。０.0.1:{port}/page/1")
    assert status == Status.OK, detail


def test_check_online_reports_every_spelling_and_connects_to_none(
    tmp_path: Path, link_servers: list[LinkServer], listener: Listener
) -> None:
    urls = spellings(listener.port)
    # non-ASCII left as written: "%EF%BD%A1"-like runs would read as merge tags
    redirected = [
        link_servers[0].base
        + "/to/"
        + "".join(c if ord(c) > 127 else quote(c, safe="") for c in url)
        for url in urls
    ]
    body = "".join(f'<p><a href="{url}">Offer {n}</a></p>\n' for n, url in enumerate(urls))
    body += "".join(f'<p><a href="{url}">Hop {n}</a></p>\n' for n, url in enumerate(redirected))
    (tmp_path / "offer.html").write_text(f"<html><body>\n{body}</body></html>\n", "utf-8")
    before = listener.accepted
    report = check(
        [tmp_path / "offer.html"],
        config={
            "select": ["LINK003"],
            "links": {
                "online": True,
                "allow_hosts": ["127.0.0.1"],
                "timeout": "2s",
                "cache": {"path": str(tmp_path / "cache")},
            },
            "cache": {"path": str(tmp_path / "cache")},
        },
    )
    assert listener.accepted == before
    reported = {f.location.span.line for f in report.findings if f.location.span}
    assert reported == set(range(2, 2 + 2 * len(urls)))


@pytest.mark.parametrize("url", [*spellings(8080), *METADATA])
def test_static_link003_reads_the_host_as_the_client_does(url: str) -> None:
    from preflight.urls import local_reason, parse_url

    parsed = parse_url(url)
    assert parsed is not None and parsed.host is not None
    assert local_reason(parsed.host) is not None, url
