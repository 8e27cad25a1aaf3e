"""The live link checker: each unique URL requested once, concurrently, politely.

``check_urls`` takes every URL of the run (already deduplicated, fragments
removed) and returns one :class:`Result` per URL, with a status from DESIGN.md's
Contracts. How it asks:

- a global and a per-host limit on requests in flight;
- pages (``a href``) are fetched with GET and read only as far as needed (the
  title and first heading for soft-404s, the ids and names for a ``#fragment``),
  then the connection is closed: one request instead of HEAD plus GET;
  images and downloads are asked with HEAD, and with GET when HEAD is refused or
  unreliable (405, 501, 400, 403, 404);
- redirects are followed here, hop by hop, so each hop is recorded, passes the
  address guard, and a loop or an over-long chain is caught;
- only 429, 503 and connection resets are retried, with capped exponential
  backoff that honours Retry-After (seconds or an HTTP date); a 404 is final;
- every attempt has a time limit, the whole run a deadline.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import yarl
from multidict import CIMultiDictProxy

from preflight.constants import VERSION as __version__
from preflight.links.guard import (
    AddressRefused,
    GuardedResolver,
    NameNotResolved,
    allowed_hosts,
    check_host,
)
from preflight.links.results import Hop, Result, Status

USER_AGENT = f"preflight/{__version__} (link check; +https://github.com/preflight-email)"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRIED = frozenset({429, 503})
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 501})
BOT_WALL_CODES = frozenset({999})
AUTH_CODES = frozenset({401, 407})
PAGE_BYTES = 256 * 1024
"""How much of a page is read for its title and first heading."""
FRAGMENT_BYTES = 2 * 1024 * 1024
"""How much of a page is read when a link wants one of its anchors."""
_DOWNLOADS = re.compile(
    r"\.(?:png|jpe?g|gif|webp|svg|ico|bmp|tiff?|pdf|zip|gz|tgz|7z|rar|dmg|exe|msi|apk|ics"
    r"|mp[34]|m4a|mov|avi|wav|ogg|webm|docx?|xlsx?|pptx?|csv|epub)$",
    re.IGNORECASE,
)
_TITLE = re.compile(rb"<title[^>]{0,200}>(.{0,500}?)</title", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1[^>]{0,500}>(.{0,1000}?)</h1", re.IGNORECASE | re.DOTALL)
_ANCHOR = re.compile(
    rb"""\s(?:id|name)\s*=\s*(?:"([^"]{1,500})"|'([^']{1,500})'|([^\s>"']{1,500}))"""
)
_TAGS = re.compile(r"<[^>]{0,500}>")


@dataclass(frozen=True)
class Target:
    """One unique URL to check and what its links want to know of it."""

    url: str
    page: bool
    """True for a link a reader opens (read as a page); False for images and downloads."""
    anchors: bool = False
    """True when some link wants a #fragment of it."""


@dataclass(frozen=True)
class Settings:
    timeout: float = 10.0
    deadline: float = 300.0
    retries: int = 2
    total: int = 32
    per_host: int = 4
    max_redirects: int = 10
    allow_hosts: tuple[str, ...] = ()
    not_found: tuple[str, ...] = ()
    """Phrases of a page title or heading that say "not found" (LINK006's options)."""
    backoff: float = 0.5
    max_backoff: float = 30.0

    @classmethod
    def from_config(cls, links: Mapping[str, Any], not_found: Iterable[str] = ()) -> Settings:
        concurrency = links.get("concurrency") or {}
        return cls(
            timeout=float(links.get("timeout", 10.0)),
            deadline=float(links.get("deadline", 300.0)),
            retries=int(links.get("retries", 2)),
            total=int(concurrency.get("total", 32)),
            per_host=int(concurrency.get("per_host", 4)),
            max_redirects=int(links.get("max_redirects", 10)),
            allow_hosts=tuple(links.get("allow_hosts", ())),
            not_found=tuple(not_found),
        )


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0


class _Answer:
    """What one request brought back (the body only as far as it was read)."""

    def __init__(
        self, code: int, headers: CIMultiDictProxy[str], body: bytes, complete: bool
    ) -> None:
        self.code = code
        self.headers = headers
        self.body = body
        self.complete = complete


class _Failure(Exception):
    def __init__(self, status: Status, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


class Checker:
    def __init__(self, settings: Settings, progress: Callable[[int], None] | None = None) -> None:
        self.settings = settings
        self.counters = Counters()
        self._progress = progress
        self._total = asyncio.Semaphore(settings.total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client: aiohttp.ClientSession | None = None
        self._allow = allowed_hosts(settings.allow_hosts)

    async def run(self, targets: Iterable[Target]) -> dict[str, Result]:
        settings = self.settings
        results: dict[str, Result] = {}
        connector = aiohttp.TCPConnector(
            limit=settings.total,
            limit_per_host=settings.per_host,
            resolver=GuardedResolver(settings.allow_hosts),
            ttl_dns_cache=300,
        )
        async with aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=settings.timeout),
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as client:
            self._client = client
            # aiohttp resends an idempotent request once when the connection drops; resets
            # are retried here, with backoff and within `retries`, so a real reset costs
            # exactly 1 + retries requests (no public switch: a private attribute, checked)
            if hasattr(client, "_retry_connection"):
                client._retry_connection = False
            tasks = {asyncio.ensure_future(self._check(t)): t for t in targets}
            if tasks:
                done, pending = await asyncio.wait(tasks, timeout=settings.deadline)
                for task in pending:
                    task.cancel()
                for task, target in tasks.items():
                    if task in done and task.exception() is None:
                        results[target.url] = task.result()
                    elif task in done:
                        error = task.exception()
                        results[target.url] = Result(
                            target.url,
                            Status.UNREACHABLE,
                            reason="error",
                            detail=f"{type(error).__name__}: {error}",
                            checked_at=time.time(),
                        )
                    else:
                        results[target.url] = Result(
                            target.url,
                            Status.TIMEOUT,
                            reason="deadline",
                            detail=f"not checked within the run's deadline of"
                            f" {settings.deadline:g} s",
                            checked_at=time.time(),
                        )
                if pending:
                    await asyncio.gather(*pending, return_exceptions=True)
        self._client = None
        return results

    async def _check(self, target: Target) -> Result:
        try:
            return await self._follow(target)
        finally:
            if self._progress is not None:
                self._progress(1)

    async def _follow(self, target: Target) -> Result:
        settings = self.settings
        chain: list[Hop] = []
        seen = {target.url}
        current = target.url
        head_first = not target.page or _is_download(current)
        while True:
            try:
                answer = await self._ask(current, target, head_first)
            except _Failure as failure:
                detail = failure.detail
                if chain and failure.reason == "refused-address":
                    detail = f"it redirects to {current}, and {detail}"
                return Result(
                    target.url,
                    failure.status,
                    reason=failure.reason,
                    detail=detail,
                    chain=tuple(chain),
                    checked_at=time.time(),
                )
            location = answer.headers.get("location")
            if answer.code in REDIRECTS and location:
                following = urljoin(current, location.strip())
                chain.append(Hop(answer.code, following))
                if urlsplit(following).scheme.lower() not in ("http", "https"):
                    return Result(target.url, Status.REDIRECTED, answer.code, chain=tuple(chain))
                if following in seen:
                    return self._broken(target, answer.code, "redirect-loop", chain)
                if len(chain) > settings.max_redirects:
                    return self._broken(target, answer.code, "too-many-redirects", chain)
                seen.add(following)
                current = following
                continue
            return self._classify(target, answer, chain)

    def _broken(self, target: Target, code: int, reason: str, chain: list[Hop]) -> Result:
        detail = (
            f"the redirects go round in a loop after {len(chain)} hops"
            if reason == "redirect-loop"
            else f"more than {self.settings.max_redirects} redirects"
        )
        return Result(
            target.url, Status.BROKEN, code, reason, detail, tuple(chain), checked_at=time.time()
        )

    def _classify(self, target: Target, answer: _Answer, chain: list[Hop]) -> Result:
        code = answer.code
        now = time.time()

        def made(status: Status, reason: str | None = None, detail: str | None = None) -> Result:
            return Result(target.url, status, code, reason, detail, tuple(chain), checked_at=now)

        wall = _wall(answer)
        if wall is not None:
            return made(Status.UNVERIFIABLE, *wall)
        if code == 429:
            return made(
                Status.UNVERIFIABLE,
                "rate-limited",
                "the site still limited requests after the retries",
            )
        if code >= 400:
            return made(Status.BROKEN, f"http-{code}")
        if chain and _home_page(target.url, chain[-1].url):
            detail = f"the deep link is redirected to the home page {chain[-1].url}"
            return made(Status.SOFT_404, "home-page", detail)
        if target.page and _is_html(answer):
            heading = _not_found_heading(answer.body, self.settings.not_found)
            if heading is not None:
                detail = f'the page answers {code} but reads "{heading}"'
                return made(Status.SOFT_404, "not-found-page", detail)
        anchors = _anchors(answer.body) if target.anchors and _is_html(answer) else None
        status = Status.REDIRECTED if chain else Status.OK
        return Result(
            target.url,
            status,
            code,
            chain=tuple(chain),
            anchors=anchors,
            complete=answer.complete,
            checked_at=now,
            size=_size(answer),
        )

    # -- one request, with retries --------------------------------------------------
    async def _ask(self, url: str, target: Target, head_first: bool) -> _Answer:
        settings = self.settings
        attempt = 0
        method = "HEAD" if head_first else "GET"
        while True:
            try:
                answer = await self._request(url, method, target)
            except _Failure as failure:
                if failure.reason != "reset" or attempt >= settings.retries:
                    raise
                attempt += 1
                self.counters.retries += 1
                await asyncio.sleep(self._backoff(attempt, None) or 0.0)
                continue
            if method == "HEAD" and answer.code in HEAD_UNRELIABLE:
                method = "GET"  # not a retry: the server answers HEAD badly, ask properly
                continue
            if answer.code in RETRIED and attempt < settings.retries:
                wait = self._backoff(attempt + 1, answer.headers.get("retry-after"))
                if wait is None:
                    return answer  # asked to wait longer than the cap: report what it said
                attempt += 1
                self.counters.retries += 1
                await asyncio.sleep(wait)
                continue
            return answer

    def _backoff(self, attempt: int, retry_after: str | None) -> float | None:
        settings = self.settings
        if retry_after is not None:
            wait = _retry_after(retry_after)
            if wait is not None:
                return wait if wait <= settings.max_backoff else None
        wait = min(settings.max_backoff, settings.backoff * 2.0 ** (attempt - 1))
        return wait * (0.75 + random.random() / 2)  # jitter, so hosts are not hit in step

    async def _request(self, url: str, method: str, target: Target) -> _Answer:
        # parsed once, by the client's parser: the host judged is the host connected to
        try:
            parsed = yarl.URL(url)
            host = parsed.raw_host or ""
        except (ValueError, TypeError) as error:
            raise _Failure(Status.UNREACHABLE, "error", f"not a valid URL ({error})") from None
        limit = self._hosts.get(host)
        if limit is None:
            limit = self._hosts[host] = asyncio.Semaphore(self.settings.per_host)
        async with limit, self._total:
            try:
                check_host(host, self._allow, _written_host(url))
                self.counters.requests += 1
                return await asyncio.wait_for(
                    self._send(parsed, method, target), self.settings.timeout
                )
            except (asyncio.TimeoutError, TimeoutError):
                raise _Failure(
                    Status.TIMEOUT,
                    "timeout",
                    f"no complete answer within {self.settings.timeout:g} s",
                ) from None
            except AddressRefused as refused:
                raise _Failure(Status.SKIPPED, "refused-address", str(refused)) from None
            except NameNotResolved as error:
                raise _Failure(
                    Status.UNREACHABLE, "dns", f"the name does not resolve ({error})"
                ) from None
            except aiohttp.ClientConnectorDNSError as error:
                raise _Failure(
                    Status.UNREACHABLE, "dns", f"the name does not resolve ({error.os_error})"
                ) from None
            except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as error:
                raise _Failure(
                    Status.UNREACHABLE, "tls", f"the TLS handshake failed ({error})"
                ) from None
            except aiohttp.ClientConnectorError as error:
                raise _Failure(Status.UNREACHABLE, *_connect_reason(error)) from None
            except (
                aiohttp.ServerDisconnectedError,
                aiohttp.ClientPayloadError,
                aiohttp.ClientOSError,
            ) as error:
                raise _Failure(
                    Status.UNREACHABLE, "reset", f"the connection was reset ({error})"
                ) from None
            except (aiohttp.ClientError, ValueError) as error:
                raise _Failure(
                    Status.UNREACHABLE, "error", f"{type(error).__name__}: {error}"
                ) from None

    async def _send(self, url: yarl.URL, method: str, target: Target) -> _Answer:
        assert self._client is not None
        async with self._client.request(method, url, allow_redirects=False) as response:
            if method == "HEAD" or response.status in REDIRECTS:
                return _Answer(response.status, response.headers, b"", True)
            if not _reads_body(response.headers, target):
                return _Answer(response.status, response.headers, b"", False)
            limit = FRAGMENT_BYTES if target.anchors else PAGE_BYTES
            chunks: list[bytes] = []
            size = 0
            complete = True
            async for chunk in response.content.iter_any():
                chunks.append(chunk)
                size += len(chunk)
                if size >= limit:
                    complete = False  # enough read: close early instead of downloading it all
                    response.close()
                    break
            return _Answer(response.status, response.headers, b"".join(chunks), complete)


def _written_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _size(answer: _Answer) -> int | None:
    """The body's size in bytes as the server gave it (Content-Length), or as read whole."""
    declared = answer.headers.get("content-length", "").strip()
    if declared.isdigit() and len(declared) < 16:
        return int(declared)
    if answer.body and answer.complete:
        return len(answer.body)
    return None


def _reads_body(headers: CIMultiDictProxy[str], target: Target) -> bool:
    if not target.page:
        return False
    kind = headers.get("content-type", "").lower()
    encoding = headers.get("content-encoding", "identity").lower()
    return ("html" in kind or not kind) and encoding in ("identity", "")


def _is_download(url: str) -> bool:
    return bool(_DOWNLOADS.search(urlsplit(url).path))


def _is_html(answer: _Answer) -> bool:
    kind = answer.headers.get("content-type", "").lower()
    return "html" in kind or (not kind and answer.body.lstrip()[:1] == b"<")


def _wall(answer: _Answer) -> tuple[str, str] | None:
    """A bot or auth wall: the page may be fine, the site just will not show it to robots."""
    headers = answer.headers
    code = answer.code
    if code in BOT_WALL_CODES:
        return "bot-wall", f"the site answers {code} to robots (LinkedIn does this)"
    if headers.get("cf-mitigated", "").lower() == "challenge" or "cf-chl-bypass" in headers:
        return "bot-wall", "the site answers with a Cloudflare challenge"
    server = headers.get("server", "").lower()
    if code in (403, 503) and (
        server == "akamaighost" or (server == "cloudflare" and "cf-ray" in headers)
    ):
        return "bot-wall", f"the site's firewall answers {code} to robots"
    if code in AUTH_CODES:
        return "auth-wall", f"the page needs a login ({code})"
    return None


def _retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - time.time())


def _home_page(original: str, final: str) -> bool:
    """A deep link that ends on the site's home page (the usual soft 404)."""
    before, after = urlsplit(original), urlsplit(final)
    homes = ("", "index.html", "index.htm", "index.php", "home")
    deep = before.path.strip("/") not in homes
    home = after.path.strip("/") in homes
    return deep and home and not after.query


def _text(raw: bytes) -> str:
    text = _TAGS.sub(" ", raw.decode("utf-8", "replace"))
    return " ".join(text.split())


def _not_found_heading(body: bytes, phrases: Iterable[str]) -> str | None:
    patterns = [p.lower() for p in phrases]
    if not patterns:
        return None
    for pattern in (_TITLE, _H1):
        match = pattern.search(body)
        if match is None:
            continue
        text = _text(match.group(1))
        lowered = text.lower()
        if any(p in lowered for p in patterns):
            return text[:120]
    return None


def _anchors(body: bytes) -> frozenset[str]:
    found = set()
    for match in _ANCHOR.finditer(body):
        raw = match.group(1) or match.group(2) or match.group(3) or b""
        found.add(raw.decode("utf-8", "replace"))
    return frozenset(found)


def _connect_reason(error: BaseException) -> tuple[str, str]:
    """dns, refused, reset or tls, read from the error and the errors that caused it."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(error) or type(error).__name__
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return "tls", f"the TLS handshake failed ({cause.reason or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "refused", "the connection was refused"
        if isinstance(cause, ConnectionResetError):
            return "reset", "the connection was reset"
        if isinstance(cause, socket.gaierror):
            return "dns", f"the name does not resolve ({cause.strerror or cause})"
    lowered = " ".join(str(c).lower() for c in chain)
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return "tls", f"the TLS handshake failed ({text})"
    if "refused" in lowered or "errno 111" in lowered:
        return "refused", "the connection was refused"
    if "reset" in lowered:
        return "reset", f"the connection was reset ({text})"
    return "connect", f"could not connect ({text})"


def check_urls(
    targets: Iterable[Target],
    settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, Result], Counters]:
    """Check every target; blocking (runs its own event loop)."""
    checker = Checker(settings, progress)
    results = asyncio.run(checker.run(list(targets)))
    return results, checker.counters
