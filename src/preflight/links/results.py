"""What the live link checker found for one URL: one status from DESIGN.md's Contracts.

Kept apart from the checker so that rules and reports can read results without
importing the HTTP client (start-up cost matters in pre-commit).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.model import Location

PERMANENT = frozenset({301, 308})


class Status(str, enum.Enum):
    """One status per URL (DESIGN.md, Contracts: link statuses)."""

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    UNVERIFIABLE = "unverifiable"
    SOFT_404 = "soft-404"
    SKIPPED = "skipped"


FAILED = frozenset({Status.BROKEN, Status.UNREACHABLE, Status.TIMEOUT, Status.SOFT_404})


@dataclass(frozen=True)
class Hop:
    code: int
    url: str
    """Where this response sent the client."""


@dataclass(frozen=True)
class Result:
    url: str
    status: Status
    code: int | None = None
    reason: str | None = None
    """Why, in a word: dns, refused, reset, tls, timeout, deadline, redirect-loop,
    too-many-redirects, bot-wall, auth-wall, rate-limited, home-page, not-found-page,
    refused-address, merge-tag, not-http, non-production…"""
    detail: str | None = None
    chain: tuple[Hop, ...] = ()
    anchors: frozenset[str] | None = None
    """Ids and names of the final page, when it was read for them."""
    complete: bool = True
    """False when the page was longer than what was read (an anchor may lie beyond)."""
    cached: bool = False
    checked_at: float = 0.0
    size: int | None = None
    """Bytes of the final answer's body: its Content-Length, or what was read when the body
    was read whole; None when the server did not say (CONTENT011 reads it)."""

    @property
    def final_url(self) -> str:
        return self.chain[-1].url if self.chain else self.url

    @property
    def permanent(self) -> bool:
        return any(hop.code in PERMANENT for hop in self.chain)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "code": self.code,
            "reason": self.reason,
            "detail": self.detail,
            "chain": [[hop.code, hop.url] for hop in self.chain],
            "anchors": sorted(self.anchors) if self.anchors is not None else None,
            "complete": self.complete,
            "checked_at": self.checked_at,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, url: str, data: Mapping[str, Any]) -> Result:
        """A result read back from the link cache; ValueError when any field is not of its
        type (a hand-edited or damaged cache must never reach the rules)."""
        code = data.get("code")
        if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
            raise ValueError(f"code {code!r} is not a status code")
        reason, detail = data.get("reason"), data.get("detail")
        if not all(value is None or isinstance(value, str) for value in (reason, detail)):
            raise ValueError("reason and detail must be text")
        chain = []
        for hop in data.get("chain") or ():
            if (
                not isinstance(hop, (list, tuple))
                or len(hop) != 2
                or isinstance(hop[0], bool)
                or not isinstance(hop[0], int)
                or not isinstance(hop[1], str)
            ):
                raise ValueError(f"redirect {hop!r} is not [code, url]")
            chain.append(Hop(hop[0], hop[1]))
        anchors = data.get("anchors")
        if anchors is not None and (
            not isinstance(anchors, list) or not all(isinstance(a, str) for a in anchors)
        ):
            raise ValueError("anchors must be a list of names")
        checked_at = data.get("checked_at")
        if isinstance(checked_at, bool) or not isinstance(checked_at, (int, float)):
            raise ValueError(f"checked_at {checked_at!r} is not a time")
        if not math.isfinite(checked_at):
            raise ValueError("checked_at is not finite")
        complete = data.get("complete", True)
        if not isinstance(complete, bool):
            raise ValueError("complete must be true or false")
        return cls(
            url,
            Status(data["status"]),
            code,
            reason,
            detail,
            tuple(chain),
            frozenset(anchors) if anchors is not None else None,
            complete,
            True,
            float(checked_at),
            _size(data.get("size")),
        )


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass(frozen=True)
class Occurrence:
    """One link of one file, and the URL that is requested for it."""

    url: str
    """As written."""
    target: str
    """What is requested: no fragment, query parameters written by merge tags dropped."""
    fragment: str | None
    """The anchor the link wants, when it can be checked."""
    kind: str  # link | image
    location: Location
    source_line: str | None = None
    """The link's line, or a window of it (SourceText.line_excerpt): never a copy of a long
    line per link."""
    source_offset: int = 0


@dataclass(frozen=True)
class Checked:
    """One link of one file with the live checker's result for its URL: what the live rules
    read (``runs_on: live`` in the catalogue)."""

    occurrence: Occurrence
    result: Result


@dataclass(frozen=True)
class CheckedEmail:
    """Every checked link and image of one email, in document order: what the rules that
    judge an email as a whole read (``runs_on: live-email``; CONTENT011's total weight)."""

    path: Path
    links: tuple[Checked, ...]
