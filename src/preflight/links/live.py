"""What a run with ``--online`` asks the network, and what it got back.

Templates are checked one by one as usual; each hands over its links here
(:func:`occurrences`). When every file has been read, :class:`LiveRun` checks
each unique URL once — from the cache where it can — and the engine turns the
results into findings with the rules in ``checks/live.py``.

What is never requested: URLs with a merge tag in the scheme, host or path (a
tag only in the query is dropped from the request: the page is the same), links
that are not http(s), and hosts the static LINK003 already reports as local
(unless they are in ``links.allow_hosts``).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from preflight.links.results import Occurrence
from preflight.linkscan import links
from preflight.model import TAG_MARK, Link, Template
from preflight.urls import host_allowed, local_reason

Progress = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]
"""Given the number of URLs, a context that yields a function to call with each step done
(or None): the CLI draws a bar on a terminal; the library shows nothing."""

DEFAULT_CACHE = ".preflight_cache"
DEFAULT_MAX_AGE = 86400.0


_SPACE = re.compile(r"\s")


def occurrences(template: Template, allow_hosts: Iterable[str]) -> Iterator[Occurrence]:
    allow = tuple(allow_hosts)
    for link in links(template):
        if link.kind not in ("link", "image"):
            continue
        target = request_url(link, allow)
        if target is None:
            continue
        url, fragment = target
        span = link.location.span
        source = template.sources.get(link.location.path)
        excerpt = (
            source.line_excerpt(span.line, span.column) if source is not None and span else None
        )
        line, offset = excerpt or (None, 0)
        yield Occurrence(link.url.strip(), url, fragment, link.kind, link.location, line, offset)


def request_url(link: Link, allow: tuple[str, ...] = ()) -> tuple[str, str | None] | None:
    """The URL to request for a link and the fragment to look for; None: not requested."""
    parsed = link.parsed
    if parsed is None or parsed.scheme not in ("http", "https"):
        return None
    opaque = link.opaque.strip()
    if _SPACE.search(opaque):
        return None  # malformed (LINK008's)
    try:
        parts = urlsplit(opaque)
    except ValueError:
        return None
    if TAG_MARK in parts.scheme + parts.netloc + parts.path or parsed.host is None:
        return None  # a tag writes where the link goes: nothing to request as it stands
    if not host_allowed(parsed.host, allow) and local_reason(parsed.host) is not None:
        return None  # LINK003 reports it; requesting it would probe the local network
    query = "&".join(p for p in parts.query.split("&") if p and TAG_MARK not in p)
    fragment = parts.fragment or None
    if fragment is not None and (TAG_MARK in fragment or not _checkable(fragment)):
        fragment = None
    url = urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", query, ""))
    return url, fragment


def _checkable(fragment: str) -> bool:
    """A plain anchor; not a single-page app's route (#/cart) or a text fragment (#:~:text=)."""
    return not fragment.startswith(("/", "!", ":~:")) and "=" not in fragment


class LiveRun:
    """The run's live link check: occurrences in, one Result per unique URL out."""

    def __init__(
        self,
        links: Mapping[str, Any],
        root: Path,
        cache_mode: str = "use",
        progress: Progress | None = None,
    ) -> None:
        self._progress = progress
        self.links = links
        self.cache_mode = cache_mode
        cache = links.get("cache") or {}
        self.cache_folder = Path(cache.get("path") or root / DEFAULT_CACHE)
        self.max_age = float(cache.get("max_age", DEFAULT_MAX_AGE))
        self.warnings: list[str] = []
        self.summary: dict[str, Any] = {}

    def check(self, found: Iterable[Occurrence], not_found: Iterable[str] = ()) -> dict[str, Any]:
        from preflight.links.cache import LinkCache
        from preflight.links.checker import Settings, Target, check_urls

        wanted: dict[str, list[bool]] = {}  # url -> [page, anchors]
        for occurrence in found:
            flags = wanted.setdefault(occurrence.target, [False, False])
            flags[0] |= occurrence.kind == "link"
            flags[1] |= occurrence.fragment is not None
        started = time.monotonic()
        cache = LinkCache(self.cache_folder, self.max_age)
        if self.cache_mode == "use":
            cache.load()
        results = {}
        targets = []
        for url, (page, anchors) in wanted.items():
            hit = cache.get(url) if self.cache_mode == "use" else None
            if hit is not None and (not anchors or hit.anchors is not None or not hit.complete):
                results[url] = hit
            else:
                targets.append(Target(url, page, anchors))
        settings = Settings.from_config(self.links, not_found)
        with (self._progress or _no_progress)(len(targets)) as advance:
            checked, counters = check_urls(targets, settings, advance)
        results.update(checked)
        if self.cache_mode != "off":
            for result in checked.values():
                if result.reason not in ("deadline", "refused-address", "error"):
                    cache.put(result)
            cache.save()
        self.warnings.extend(cache.warnings)
        by_status: dict[str, int] = {}
        for result in results.values():
            by_status[result.status.value] = by_status.get(result.status.value, 0) + 1
        self.summary = {
            "urls": len(wanted),
            "requests": counters.requests,
            "retries": counters.retries,
            "cached": len(wanted) - len(targets),
            "seconds": round(time.monotonic() - started, 3),
            "statuses": dict(sorted(by_status.items())),
        }
        return results


@contextlib.contextmanager
def _no_progress(total: int) -> Iterator[None]:
    yield None
