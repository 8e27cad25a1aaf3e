"""The address guard: never connect to a place inside the network.

A link in an email is requested from the machine that runs preflight — often
a CI runner inside a company network or a cloud account. A URL whose host
resolves to loopback, a private range, link-local (cloud metadata lives at
169.254.169.254), multicast or a reserved range would make preflight a probe
of that network, so it is refused before any connection, and the refusal is a
finding (LINK003), not a request. The check runs where the connection is made
(aiohttp's resolver, for names; before each request, for addresses written
as such), on the addresses the connection will really use, so a redirect or a
DNS answer cannot slip past it.

Hosts in ``links.allow_hosts`` are exempt (the tests allow their own loopback
servers that way).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from preflight.urls import address_reason, host_allowed


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


def check_literal(host: str, allow_hosts: Iterable[str]) -> None:
    """Refuse a host written as an address (aiohttp asks no resolver for those)."""
    bare = host.lower().strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    if host_allowed(bare, tuple(allow_hosts)):
        return
    reason = address_reason(bare.split("%", 1)[0])
    if reason is not None:
        raise AddressRefused(host, bare, reason)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver with the guard on every answer: one bad address refuses the host."""

    def __init__(self, allow_hosts: Iterable[str]) -> None:
        self._allow = tuple(allow_hosts)
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:  # the request's own time limit covers a slow lookup
            answers = await self._inner.resolve(host, port, family)
        except (asyncio.TimeoutError, TimeoutError):
            raise
        except OSError as error:
            raise NameNotResolved(host, getattr(error, "strerror", None) or str(error)) from None
        if not answers:
            raise NameNotResolved(host, "no address")
        if not host_allowed(host.lower().strip("[]"), self._allow):
            for answer in answers:
                reason = address_reason(answer["host"])
                if reason is not None:
                    raise AddressRefused(host, answer["host"], reason)
        return answers

    async def close(self) -> None:
        await self._inner.close()
