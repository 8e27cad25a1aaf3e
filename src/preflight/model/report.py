"""What a run produced: the files it read, its findings, and the JSON contract of both.

The JSON document (DESIGN.md, Contracts: version 1) is a property of the report,
not of one reporter: ``Report.to_json()`` is the library API's, and the JSON and
SARIF reporters and the baseline read the same dictionaries.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.model import Finding, Fix, Severity, display_path

FAIL_LEVELS: dict[str, Severity | None] = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "never": None,
}


@dataclass(frozen=True)
class EmailView:
    """An email as the HTML report shows it (preflight.views builds it; not in the JSON)."""

    subject: str | None
    preheader: str | None
    """As an inbox shows it: the declared preheader, else the start of the body's text."""
    html: str | None
    """The HTML part as written, ready for a sandboxed preview: each start tag that lxml
    placed carries ``data-pf="N"`` (N indexes ``elements``), and every address the browser
    would fetch (src, srcset, background…) is held aside as ``data-pf-hold-NAME``."""
    text: str | None
    """The plain-text part, if there is one."""
    platform: str | None
    preheader_declared: bool = False
    """False when ``preheader`` is the start of the body (no preheader was set)."""
    elements: tuple[tuple[int, int, int, int], ...] = ()
    """(line, column, end_line, end_column) of element N, start tag to end tag, in file
    coordinates: what a finding's position maps to in the preview."""
    remote_images: int = 0
    """Images whose addresses are held aside until the reader asks for them."""
    sources: tuple[Path, ...] = ()
    """Every file the email was read from (sidecar, text part), for grouping findings."""


@dataclass(frozen=True)
class StepView:
    id: str
    kind: str
    label: str
    """What the step does, in a few words: the template sent, the wait, the condition."""
    line: int | None
    edges: tuple[tuple[str, str], ...] = ()
    """(target step id, label: "next", "yes", "no", "40%")."""


@dataclass(frozen=True)
class WorkflowView:
    name: str
    steps: tuple[StepView, ...]


@dataclass(frozen=True)
class FileInfo:
    path: Path
    kind: str
    platform: str | None = None
    platform_source: str | None = None
    confidence: float | None = None
    candidates: tuple[str, ...] = ()
    """When detection was ambiguous: the platforms whose merge languages fit."""
    built_from: Path | None = None
    """For a compiled email: the source it was built from."""
    view: EmailView | WorkflowView | None = field(default=None, compare=False, repr=False)
    """What the HTML report draws; built only when asked (``check(..., views=True)``) and
    never part of the JSON document."""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)
    baselined: int = 0
    internal_errors: list[str] = field(default_factory=list)
    """Bugs met while checking a file: the run went on, but the exit code is 2."""
    warnings: list[str] = field(default_factory=list)
    """Problems of the run itself that cost no file its check (an unreadable link cache)."""
    links: dict[str, Any] | None = None
    """With --online: what the link check did (URLs, requests, statuses, seconds)."""
    tool_version: str = "0.1.0"
    """preflight's version, as the JSON document's ``tool.version`` (the engine sets it)."""
    skipped: dict[str, list[Path]] = field(default_factory=dict)
    """What discovery left out, by reason ("not an input", "excluded"…), for the summary."""
    stats: dict[str, Any] = field(default_factory=dict)
    """How the run went, for tests and benchmarks (not in the JSON document): worker
    processes that checked items, results-cache hits and misses."""
    json_lines: dict[int, tuple[Finding, str]] = field(default_factory=dict, repr=False)
    """Findings whose JSON line (``finding_line``) is already known, by ``id()``: encoded by
    the worker that found them or kept in the results cache. ``json_chunks`` writes these as
    they are (the finding itself is kept too, so an id is never another finding's)."""
    json_cwd: str | None = None
    """The working directory ``json_lines`` were encoded in (their paths are relative to it)."""

    @property
    def summary(self) -> dict[str, int]:
        counts = {"files": len(self.files), "errors": 0, "warnings": 0, "infos": 0}
        for finding in self.findings:
            counts[finding.severity.label + "s"] += 1
        return counts

    @property
    def read_nothing(self) -> bool:
        """True when the run read no input at all (an empty folder, only unknown files)."""
        return not self.files

    def exit_code(self, fail_on: str = "error", allow_empty: bool = True) -> int:
        if self.internal_errors or (self.read_nothing and not allow_empty):
            return 2
        threshold = FAIL_LEVELS[fail_on]
        if threshold is None:
            return 0
        return 1 if any(f.severity >= threshold for f in self.findings) else 0

    def to_dict(self) -> dict[str, Any]:
        return report_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def finding_dict(finding: Finding) -> dict[str, Any]:
    location = finding.location
    span = location.span
    part = location.part
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "help": finding.help,
        "path": display_path(location.path),
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "part": part.value if part else None,
        "pointer": location.pointer,
        "data": {k: _plain(v) for k, v in finding.data.items()},
        "related": [
            {
                "path": display_path(r.location.path),
                "line": r.location.span.line if r.location.span else None,
                "column": r.location.span.column if r.location.span else None,
                "message": r.message,
            }
            for r in finding.related
        ]
        if finding.related
        else [],
        "fix": fix_dict(finding.fix) if finding.fix is not None else None,
    }


def fix_dict(fix: Fix) -> dict[str, Any]:
    edits = []
    for edit in fix.edits:
        span = edit.location.span
        edits.append(
            {
                "path": display_path(edit.location.path),
                "line": span.line if span else None,
                "column": span.column if span else None,
                "end_line": span.end_line if span else None,
                "end_column": span.end_column if span else None,
                "text": edit.text,
            }
        )
    return {"description": fix.description, "edits": edits}


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def file_dict(info: FileInfo) -> dict[str, Any]:
    return {
        "path": display_path(info.path),
        "kind": info.kind,
        "built_from": display_path(info.built_from) if info.built_from else None,
        "platform": info.platform,
        "platform_source": info.platform_source,
        "confidence": info.confidence,
        **({"candidates": list(info.candidates)} if info.candidates else {}),
    }


def report_dict(report: Report, with_findings: bool = True) -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "preflight", "version": report.tool_version},
        "files": [file_dict(info) for info in report.files],
        "findings": [finding_dict(f) for f in report.findings] if with_findings else [],
        "summary": report.summary,
        **({"links": report.links} if report.links is not None else {}),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""One encoder for every line: ``json.dumps`` with an option builds a new one each call."""


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def finding_line(finding: Finding) -> str:
    """A finding as the JSON report writes it, on one line."""
    return _dumps(finding_dict(finding))


def json_chunks(report: Report) -> Iterator[str]:
    """The report_dict document, written with one file and one finding per line."""
    yield '{\n  "version": 1,\n  "tool": ' + _dumps(
        {"name": "preflight", "version": report.tool_version}
    )
    yield ',\n  "files": ['
    for index, info in enumerate(report.files):
        yield ("," if index else "") + "\n    " + _dumps(file_dict(info))
    yield '\n  ],\n  "findings": ['
    known = report.json_lines if report.json_cwd == os.getcwd() else {}
    batch: list[str] = []
    for index, finding in enumerate(report.findings):
        line = known.get(id(finding))
        if line is not None and line[0] is finding:
            batch.append(("," if index else "") + "\n    " + line[1])
        else:
            batch.append(("," if index else "") + "\n    " + finding_line(finding))
        if len(batch) >= 256:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
    yield '\n  ],\n  "summary": ' + _dumps(report.summary)
    if report.links is not None:
        yield ',\n  "links": ' + _dumps(report.links)
    yield "\n}\n"
