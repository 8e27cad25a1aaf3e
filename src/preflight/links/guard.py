"""The address guard: never connect to a place inside the network.

A link in an email is requested from the machine that runs preflight — often
a CI runner inside a company network or a cloud account. A URL whose host
resolves to loopback, a private range, link-local (cloud metadata lives at
169.254.169.254), multicast or a reserved range would make preflight a probe
of that network, so it is refused before any connection, and the refusal is a
finding (LINK003), not a request. The check runs where the connection is made
(aiohttp's resolver, for names; before each request, for addresses written
as such), on the addresses the connection will really use, so a redirect or a
DNS answer cannot slip past it. The host judged is the one the client connects
to: the URL is parsed once, by the client's own parser (yarl: IDNA/UTS-46 turns
fullwidth digits and ideographic full stops into ASCII), and that parsed URL is
what is requested; a host the client takes for an address is read the way the C
library will read it ("127.1", "2130706433" and "0177.0.0.1" are 127.0.0.x).

Hosts in ``links.allow_hosts`` are exempt (the tests allow their own loopback
servers that way).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import is_ip_address
from aiohttp.resolver import ThreadedResolver

from preflight.urls import address_reason, client_host, host_allowed, numeric_address


class AddressRefused(Exception):
    """The host resolves to an address preflight will not connect to."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        shown = (
            f"{host} is {reason}"
            if host.strip("[]").lower() == address
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


def allowed_hosts(allow_hosts: Iterable[str]) -> tuple[str, ...]:
    """``links.allow_hosts`` as the client spells hosts (an IDN in its ASCII form)."""
    return tuple(client_host(host) or host.lower() for host in allow_hosts)


def check_host(host: str, allow: tuple[str, ...], shown: str | None = None) -> None:
    """Refuse a host that is an address preflight will not connect to.

    ``host`` is the host as the client connects to it (the parsed URL's raw host), ``allow``
    comes from :func:`allowed_hosts`; ``shown`` is the host as written, for the message.
    A host the client takes for an address never reaches the resolver, so it is judged
    here; a name is judged by :class:`GuardedResolver` on what it resolves to."""
    bare = host.lower().strip("[]")
    shown = shown or host
    if host_allowed(bare, allow):
        return
    address = numeric_address(bare)
    if address is None:
        if is_ip_address(bare):  # the client would hand it to the system as it stands
            raise AddressRefused(shown, bare, "not a valid IP address")
        return  # a name: the resolver checks what it resolves to
    if host_allowed(address, allow):
        return
    reason = address_reason(address)
    if reason is not None:
        raise AddressRefused(shown, address, reason)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver with the guard on every answer: one bad address refuses the host."""

    def __init__(self, allow_hosts: Iterable[str]) -> None:
        self._allow = allowed_hosts(allow_hosts)
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
