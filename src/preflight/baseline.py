"""Baselines: record today's findings so only new ones fail the run.

A fingerprint is built from what a finding is, not where it is: the rule, the
file, the part, the message and the text of its source line (stripped). Moving
a line up or down keeps its fingerprint; editing the line or the message
makes it new. Equal fingerprints are counted, so a second copy of a baselined
mistake is still reported.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.formats.decode import UnreadableJSON, read_own_json
from preflight.fsutil import atomic_write
from preflight.model import Finding, display_path

if TYPE_CHECKING:
    from preflight.model.report import Report

VERSION = 1


class BaselineError(Exception):
    pass


def fingerprint(finding: Finding) -> str:
    """A finding's identity across runs: rule, path, part, pointer, message and its source
    line with spaces squashed. ``source_line`` is the whole line up to EXCERPT_CHARS (240)
    characters; a longer line contributes only the window around the finding, so on such
    a line an edit far from the finding no longer changes its fingerprint."""
    location = finding.location
    parts = [
        finding.rule,
        display_path(location.path),
        location.part.value if location.part else "",
        location.pointer or "",
        finding.message,
        " ".join((finding.source_line or "").split()),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def write_baseline(path: Path, findings: list[Finding]) -> None:
    entries = [
        {
            "fingerprint": fingerprint(f),
            "rule": f.rule,
            "path": display_path(f.location.path),
            "message": f.message,
        }
        for f in findings
    ]
    document = {"version": VERSION, "tool": "preflight", "findings": entries}
    atomic_write(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def load_baseline(path: Path) -> Counter[str]:
    if not path.exists():
        raise BaselineError(
            f"{path}: baseline file does not exist (create it with --write-baseline)"
        )
    try:  # a regular file within a limit: --baseline /dev/zero or a FIFO is refused
        document = read_own_json(path)
    except UnreadableJSON as error:
        raise BaselineError(f"{path}: cannot read baseline: {error.reason}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise BaselineError(f'{path}: not a preflight baseline (no "findings" list)')
    counts: Counter[str] = Counter()
    for entry in document["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            counts[entry["fingerprint"]] += 1
    return counts


def apply_baseline(report: Report, path: Path) -> None:
    remaining = load_baseline(path)
    kept = []
    for finding in report.findings:
        key = fingerprint(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            report.baselined += 1
        else:
            kept.append(finding)
    report.findings = kept
