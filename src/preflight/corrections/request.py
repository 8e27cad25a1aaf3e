"""What a correction is asked for and what it comes back as: plain values, no jinja2.

``preflight.api`` and the CLI import these without loading the generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.constants import CORRECTION_KINDS as KINDS

if TYPE_CHECKING:  # annotations only: the CLI imports this module at start-up
    from preflight.model import Finding

HTML, TEXT, EML, META = (
    "correction.html",
    "correction.txt",
    "correction.eml",
    "correction.meta.yaml",
)
OUTPUT_NAMES = (HTML, TEXT, EML, META)


class CorrectionError(Exception):
    """A correction that cannot be made as asked; the message says why, for the user."""


@dataclass(frozen=True)
class Request:
    """What went wrong, as the command line (or a report) says it."""

    kind: str | None
    """One of KINDS; None only with ``report`` (the findings decide)."""
    links: tuple[tuple[str, str], ...] = ()
    """(wrong URL, right URL), for wrong-link."""
    fixes: tuple[tuple[str, str], ...] = ()
    """(what it said, what is right), for wrong-detail."""
    audience: str | None = None
    """Who receives the correction; for wrong-list, the audience that got the original wrongly."""
    templates: Path | None = None
    """A folder of correction.html.j2 / correction.txt.j2 (default: config, else built-in)."""
    report: Path | None = None
    """preflight's JSON report on the original: the findings say what went wrong."""
    rules: tuple[tuple[str, str | None], ...] = ()
    """(rule, field) of the report findings a wrong-name correction answers."""


def check_request(request: Request) -> None:
    """Usage problems the request shows by itself (before any file is read)."""
    kind = request.kind
    if kind is not None and kind not in KINDS:
        raise CorrectionError(f'unknown kind "{kind}" (one of ' + ", ".join(KINDS) + ")")
    if kind is None and request.report is None:
        raise CorrectionError("give --kind (one of " + ", ".join(KINDS) + ") or --from-report")
    if request.fixes and kind != "wrong-detail":
        raise CorrectionError("--fix is for --kind wrong-detail")
    if request.links and kind not in ("wrong-link", None):
        raise CorrectionError("--link is for --kind wrong-link")
    if request.report is None and kind == "wrong-link" and not request.links:
        raise CorrectionError("wrong-link needs at least one --link OLD NEW")
    if kind == "wrong-detail" and not request.fixes:
        raise CorrectionError("wrong-detail needs at least one --fix WAS IS")


@dataclass
class Correction:
    """The four files in memory, and what they are."""

    kind: str
    subject: str
    language: str
    locale: str
    platform: str | None
    audience: str | None
    """Who to send it to (None: everyone who received the original)."""
    category: str = "marketing"
    sidecar_audience: str | None = None
    """The sidecar's `audience:`: ``audience``, unless the audiences file does not know it
    (it is then named only in the `correction:` block, which LIST001 does not judge)."""
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CorrectionResult:
    """What `correct` did: the correction, what preflight found new in it, what was written."""

    kind: str
    subject: str
    locale: str
    platform: str | None
    """The merge dialect it is written in (None: no platform known, no merge tags)."""
    platform_label: str
    """How people name it ("Mailchimp"), or "no platform"."""
    audience: str | None
    """Who to send it to (None: everyone who received the original)."""
    output: Path
    files: Mapping[str, bytes]
    """File name -> content, written or not."""
    written: tuple[Path, ...]
    """The files written; empty when refused."""
    added: tuple[Finding, ...]
    """Findings of the correction that the original did not have (placed in ``output``)."""
    blocking: tuple[Finding, ...]
    """The errors among ``added``: a reason to refuse unless forced."""
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return not self.written
