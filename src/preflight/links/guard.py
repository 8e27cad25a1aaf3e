"""The address guard: never connect to a place inside the network.

A link in an email is requested from the machine that runs preflight — often
a CI runner inside a company network or a cloud account. A URL whose host
resolves to loopback, a private range, link-local (cloud metadata lives at
169.254.169.254), multicast or a reserved range would make preflight a probe
of that network, so it is refused before any connection, and the refusal is a
finding (LINK003), not a request. The check runs where the connection is made
(the connection pool's network backend), on the addresses the connection will
really use, so a redirect or a DNS answer cannot slip past it.

Hosts in ``links.allow_hosts`` are exempt (the tests allow their own loopback
servers that way).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpcore

from preflight.checks.links import address_reason, host_allowed


class AddressRefused(Exception):
    """The host resolves to an address preflight will not connect to."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        shown = (
            f"{host} is {reason}"
            if host.strip("[]") == address
            else (f"{host} resolves to {address}, {reason}")
        )
        super().__init__(shown)
        self.host = host
        self.address = address
        self.reason = reason


class NameNotResolved(Exception):
    """DNS has no address for the host."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host = host


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the guard in front of every TCP connection."""

    def __init__(self, allow_hosts: Iterable[str], inner: httpcore.AsyncNetworkBackend) -> None:
        self._allow = tuple(allow_hosts)
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host_allowed(host.lower().strip("[]"), self._allow):
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await _resolve(host, port, timeout)
        for address in addresses:  # every answer: one bad one is enough to refuse
            reason = address_reason(address)
            if reason is not None:
                raise AddressRefused(host, address, reason)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failed:
                error = failed
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, path, "a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
        return [bare]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(bare, port, type=socket.SOCK_STREAM), timeout
        )
    except socket.gaierror as error:
        raise NameNotResolved(host, error.strerror or str(error)) from None
    except (asyncio.TimeoutError, TimeoutError):
        raise httpcore.ConnectTimeout(f"looking up {host} timed out") from None
    seen: dict[str, None] = {}
    for *_, sockaddr in infos:
        seen[str(sockaddr[0])] = None
    if not seen:
        raise NameNotResolved(host, "no address")
    return list(seen)
