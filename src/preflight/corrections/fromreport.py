"""A correction from preflight's own JSON report on the original (`--from-report`).

Only the findings' ``data`` is read, never their message text (DESIGN.md, JSON output).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from preflight.corrections.request import CorrectionError, Request
from preflight.model import display_path


def request_from_report(
    report: Path,
    original: Path,
    parts: Sequence[Path],
    links: Mapping[str, str],
    base: Request,
) -> tuple[Request, list[str]]:
    """A wrong-link (LINK findings) or wrong-name (MERGE findings) request from a JSON report.

    ``parts`` are the files the original was read from beside itself (its text part, its
    sidecar): a finding in launch.txt is a finding about launch.html. The request's kind,
    when given, is kept; otherwise the findings choose it.
    """
    notes: list[str] = []
    kind = base.kind
    findings = list(_report_findings(report, [original, *parts]))
    linked = [
        f
        for f in findings
        if f["rule"].startswith("LINK") and isinstance(f["data"].get("url"), str)
    ]
    linked = [
        f for f in linked if f["data"].get("kind", "link") == "link" and f["data"]["url"].strip()
    ]
    merged = [f for f in findings if f["rule"].startswith("MERGE")]
    if kind is None:
        kind = "wrong-link" if linked else "wrong-name" if merged else None
        if kind is None:
            raise CorrectionError(
                f"{report} has no LINK or MERGE finding about {display_path(original)}:"
                " choose --kind"
            )
    if kind == "wrong-link":
        if not linked:
            raise CorrectionError(
                f"{report} has no LINK finding with a link in {display_path(original)}"
            )
        pairs = dict(base.links)
        missing = []
        for finding in linked:
            url = finding["data"]["url"].strip()
            old, new = _replacement(url, {**links, **pairs})
            if new is None:
                missing.append(f'"{url}" ({finding["rule"]})')
            elif old not in pairs:
                pairs[old] = new
        if missing:
            raise CorrectionError(
                "no right address for " + ", ".join(missing) + ": give --link OLD NEW"
                " or add it to `corrections.links` in the config"
            )
        return replace(base, kind=kind, links=tuple(pairs.items())), notes
    if kind == "wrong-name":
        if not merged:
            raise CorrectionError(f"{report} has no MERGE finding about {display_path(original)}")
        rules = dict.fromkeys((f["rule"], f["data"].get("field")) for f in merged)
        return replace(base, kind=kind, rules=tuple(rules)), notes
    raise CorrectionError("--from-report builds wrong-link and wrong-name corrections only")


def _replacement(url: str, links: Mapping[str, str]) -> tuple[str, str | None]:
    """(the full wrong URL, its right one): reports shorten long URLs to 79 characters and …"""
    if url in links:
        return url, links[url]
    if url.endswith("…"):
        prefix = url[:-1]
        for old, new in links.items():
            if old.startswith(prefix):
                return old, new
    return url, None


def _report_findings(report: Path, files: Sequence[Path]) -> Iterator[dict[str, Any]]:
    from preflight.formats.decode import UnreadableJSON, read_own_json

    if not report.is_file():
        raise CorrectionError(f"not a file: {report}")
    try:
        document = read_own_json(report)
    except UnreadableJSON as error:
        if error.not_json:
            raise CorrectionError(f"{report} is not JSON: {error.reason}") from None
        raise CorrectionError(f"cannot read {report}: {error.reason}") from None
    if (
        not isinstance(document, dict)
        or document.get("version") != 1
        or not isinstance(document.get("findings"), list)
    ):
        raise CorrectionError(
            f"{report} is not a preflight JSON report (`preflight check --format json`)"
        )
    targets = {path.resolve() for path in files}
    for finding in document["findings"]:
        if not isinstance(finding, dict) or not isinstance(finding.get("path"), str):
            continue
        if finding.get("severity") == "info" or not isinstance(finding.get("rule"), str):
            continue
        if not isinstance(finding.get("data"), dict):
            finding["data"] = {}
        if _names(finding["path"], (Path.cwd(), report.parent), targets):
            yield finding


def _names(path: str, bases: Sequence[Path], targets: set[Path]) -> bool:
    """Whether a report's path, relative to one of ``bases``, is one of ``targets``."""
    for base in bases:
        try:
            if (base / path).resolve() in targets:
                return True
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            return False
    return False
