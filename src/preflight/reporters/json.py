"""The JSON report: version 1, as documented in DESIGN.md (Contracts) and docs/json-output.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from preflight import __version__
from preflight.model import Finding, display_path

if TYPE_CHECKING:
    from preflight.engine import Report


def finding_dict(finding: Finding) -> dict[str, Any]:
    span = finding.location.span
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "help": finding.help,
        "path": display_path(finding.location.path),
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "part": finding.location.part.value if finding.location.part else None,
        "pointer": finding.location.pointer,
        "data": {k: _plain(v) for k, v in finding.data.items()},
        "related": [
            {
                "path": display_path(r.location.path),
                "line": r.location.span.line if r.location.span else None,
                "column": r.location.span.column if r.location.span else None,
                "message": r.message,
            }
            for r in finding.related
        ],
        "fix": None,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def report_dict(report: Report, with_findings: bool = True) -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "preflight", "version": __version__},
        "files": [
            {
                "path": display_path(info.path),
                "kind": info.kind,
                "platform": info.platform,
                "platform_source": info.platform_source,
                "confidence": info.confidence,
                **({"candidates": list(info.candidates)} if info.candidates else {}),
            }
            for info in report.files
        ],
        "findings": [finding_dict(f) for f in report.findings] if with_findings else [],
        "summary": report.summary,
        **({"links": report.links} if report.links is not None else {}),
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def chunks(report: Report) -> Iterator[str]:
    """The report_dict document, written with one file and one finding per line."""
    document = report_dict(report, with_findings=False)
    yield '{\n  "version": 1,\n  "tool": ' + _dumps(document["tool"]) + ',\n  "files": ['
    for index, info in enumerate(document["files"]):
        yield ("," if index else "") + "\n    " + _dumps(info)
    yield '\n  ],\n  "findings": ['
    for index, finding in enumerate(report.findings):
        yield ("," if index else "") + "\n    " + _dumps(finding_dict(finding))
    yield '\n  ],\n  "summary": ' + _dumps(document["summary"])
    if report.links is not None:
        yield ',\n  "links": ' + _dumps(report.links)
    yield "\n}\n"
