"""What the live link checker found for one URL: one status from DESIGN.md's Contracts.

Kept apart from the checker so that rules and reports can read results without
importing the HTTP client (start-up cost matters in pre-commit).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
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
        }

    @classmethod
    def from_json(cls, url: str, data: Mapping[str, Any]) -> Result:
        anchors = data.get("anchors")
        return cls(
            url,
            Status(data["status"]),
            data.get("code"),
            data.get("reason"),
            data.get("detail"),
            tuple(Hop(int(code), str(where)) for code, where in data.get("chain") or ()),
            frozenset(anchors) if anchors is not None else None,
            bool(data.get("complete", True)),
            True,
            float(data["checked_at"]),
        )


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
