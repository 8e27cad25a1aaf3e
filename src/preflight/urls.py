"""URLs: parsing (merge tags stand in as one mark), host classification, comparison.

A shared library: the static LINK rules, the live link checker's address guard,
FLOW005 and the corrections all read URLs through it.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from preflight.model import TAG_MARK, Parsed


def parse_url(opaque: str) -> Parsed | None:
    """The parts of a URL string (merge tags as TAG_MARK); None when it does not parse."""
    return _parse(opaque)


def _parse(opaque: str) -> Parsed | None:
    try:
        parts = urlsplit(opaque)
        port = parts.port  # raises on a bad port
    except ValueError:
        return None
    host = parts.hostname
    if host is not None and TAG_MARK in host:
        host = None
    try:
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        query = []
    authority = parts.netloc.rpartition("@")[2].lower()
    return Parsed(parts.scheme.lower(), host, query, parts.path, port, authority)


def host_allowed(host: str, allow: Iterable[str]) -> bool:
    """True when the host is one of ``allow`` or a subdomain of one."""
    host = host.lower()
    return any(host == a.lower() or host.endswith("." + a.lower()) for a in allow)


def shown_url(url: str) -> str:
    """A URL as messages show it: at most 80 characters."""
    return url if len(url) <= 80 else url[:79] + "…"


_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)


def address_reason(address: str) -> str | None:
    """Why an IP address is no place for a link (and no place the link checker connects to);
    None for a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


@functools.lru_cache(maxsize=4096)
def client_host(host: str) -> str | None:
    """The host as the HTTP client (aiohttp, through yarl) connects to it: lower case, an
    address in its compressed form, a name with non-ASCII characters through IDNA (UTS-46),
    so that fullwidth digits, circled digits and ideographic full stops become the ASCII
    they stand for ("１２７。０.0.1" is 127.0.0.1). None when the client cannot use it."""
    bare = host.strip("[]")
    if bare.isascii():
        try:
            return ipaddress.ip_address(bare).compressed
        except ValueError:
            return bare.lower()
    import yarl  # only for non-ASCII hosts: yarl is the client's own parser

    try:
        encoded = yarl.URL.build(scheme="http", host=bare).raw_host
    except (ValueError, TypeError):  # UnicodeError is a ValueError
        return None
    return encoded.strip("[]") if encoded else None


_NUMERIC = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


def numeric_address(host: str) -> str | None:
    """The IP address a host written as a number stands for, as the C library reads it
    (inet_aton also takes "127.1", "2130706433", "0x7f.0.0.1" and "0177.0.0.1"), compressed;
    None for a name. One trailing dot is ignored."""
    bare = host.strip("[]")
    if bare.endswith(".") and not bare.endswith(".."):
        bare = bare[:-1]
    if ":" not in bare and not bare[:1].isdigit():
        return None  # a name: an IPv4 address starts with a digit, an IPv6 one has a colon
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0]).compressed
    except ValueError:
        pass
    if not _NUMERIC.fullmatch(bare) or not bare[:1].isdigit():
        return None
    import socket  # 3 ms of start-up: only a legacy numeric host ("0x7f.1") needs it

    try:
        return socket.inet_ntoa(socket.inet_aton(bare))
    except (OSError, ValueError):
        return None


def local_reason(host: str) -> str | None:
    """Why a host is no place for a link in an email (a local, private or internal place);
    judged on the host as the HTTP client reads it (see :func:`client_host`)."""
    host = client_host(host) or host.lower()
    address = numeric_address(host)
    if address is not None:
        return address_reason(address)
    if host == "localhost" or host.endswith(".localhost"):
        return "this computer (localhost)"
    for suffix in (".local", ".test", ".internal", ".lan", ".intranet", ".corp", ".home.arpa"):
        if host.endswith(suffix):
            return f"a {suffix} name, which only resolves inside a network"
    if "." not in host:
        return "a single-label name, which only resolves inside a network"
    return None


@functools.cache
def _public_suffixes() -> frozenset[str] | None:
    """The ICANN section of Mozilla's Public Suffix List, as the `publicsuffixlist` package
    ships it (its data file only: no network, no import of the package, whose constructor
    costs 80 ms). Read on first use; None when the package is missing."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("publicsuffixlist")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    from preflight.resources import load_data

    try:  # kept parsed beside the list, as rules/ data is (5 ms a run otherwise)
        found = load_data(
            Path(spec.origin).with_name("public_suffix_list.dat"), _icann_section, "icann"
        )
    except (OSError, UnicodeDecodeError):
        return None
    return frozenset(found) if found is not None else None


def _icann_section(text: str) -> list[str] | None:
    start, end = text.find("===BEGIN ICANN DOMAINS==="), text.find("===END ICANN DOMAINS===")
    if start == -1 or end == -1:
        return None
    # The private section (github.io, herokuapp.com, netlify.app…) is left out on purpose:
    # a staging deployment on a hosting platform is a subdomain of it, and stays one here.
    return [
        line.split()[0]
        for line in text[start:end].splitlines()
        if line.strip() and not line.startswith("//")
    ]


def _suffix_length(labels: list[str], rules: frozenset[str]) -> tuple[int, bool]:
    """How many trailing labels are the public suffix, and whether a rule listed it (an
    unlisted top-level name is a suffix of one label, the list's default rule)."""
    for index in range(len(labels)):
        suffix = ".".join(labels[index:])
        if "!" + suffix in rules:  # an exception: its parent is the suffix
            return len(labels) - index - 1, True
        parent = ".".join(labels[index + 1 :])
        if suffix in rules or (parent and "*." + parent in rules):
            return len(labels) - index, True
    return 1, False


def _labels(host: str) -> list[str]:
    labels = host.lower().strip("[]").rstrip(".").split(".")
    if any(label.startswith("xn--") for label in labels):
        with contextlib.suppress(UnicodeError):
            labels = [
                label.encode("ascii").decode("idna") if label.startswith("xn--") else label
                for label in labels
            ]
    return labels


def registrable_domain(host: str) -> str | None:
    """The host's registrable domain by the Public Suffix List: ``dev.to`` for dev.to,
    ``shop.co.uk`` for test-kitchen.shop.co.uk, the last two labels under a top-level name
    the list does not have; None for a public suffix itself or an IP address."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    else:
        return None
    labels = _labels(host)
    rules = _public_suffixes()
    length = _suffix_length(labels, rules)[0] if rules is not None else 1
    if len(labels) <= length:
        return None
    return ".".join(host.lower().strip("[]").rstrip(".").split(".")[-(length + 1) :])


def subdomain_labels(host: str) -> list[str]:
    """The labels in front of the registrable domain (``["www", "staging"]`` for
    www.staging.brightleaf.co.uk): the part of a name a site's owner chose per host."""
    domain = registrable_domain(host)
    if domain is None:
        return []
    labels = host.lower().strip("[]").rstrip(".").split(".")
    return labels[: len(labels) - len(domain.split("."))]


def listed_suffix(host: str) -> bool | None:
    """Whether the Public Suffix List knows the host's top-level name (``com`` yes, ``html``
    no); None when the list is not installed."""
    rules = _public_suffixes()
    if rules is None:
        return None
    return _suffix_length(_labels(host), rules)[1]


def normal_url(url: str) -> str:
    """A URL for comparing clicks: no scheme, lower-case host with its port (a default one
    left out), no trailing slash, no fragment, no utm_* parameters, the others sorted. Read
    with checks/links.py's parser, as the LINK rules read it."""
    text = url.strip()
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    parsed = parse_url(text)
    if parsed is None:
        return url.strip()
    authority = parsed.authority
    if (parsed.scheme, parsed.port) in (("http", 80), ("https", 443)):
        authority = authority.rpartition(":")[0]
    query = sorted(
        (key, value) for key, value in parsed.query if not key.lower().startswith("utm_")
    )
    shown = authority + unquote(parsed.path).rstrip("/")
    if query:
        shown += "?" + "&".join(f"{key}={value}" for key, value in query)
    return shown


def same_url(wanted: str, link: str, mark: str) -> bool:
    """True when the link is the wanted URL; a merge tag in the link matches anything, and a
    parameter a tag fills in is left out of both (it says nothing about which page it is)."""
    if mark not in link:
        return wanted == link
    base, _, query = link.partition("?")
    pairs = [pair for pair in query.split("&") if pair]
    filled = {pair.partition("=")[0] for pair in pairs if mark in pair.partition("=")[2]}
    link = joined_query(base, [pair for pair in pairs if pair.partition("=")[0] not in filled])
    wanted_base, _, wanted_query = wanted.partition("?")
    wanted_pairs = [pair for pair in wanted_query.split("&") if pair]
    wanted = joined_query(
        wanted_base, [p for p in wanted_pairs if p.partition("=")[0] not in filled]
    )
    pattern = ".*".join(re.escape(piece) for piece in link.split(mark))
    return re.fullmatch(pattern, wanted) is not None


def joined_query(base: str, pairs: list[str]) -> str:
    return base + ("?" + "&".join(pairs) if pairs else "")
