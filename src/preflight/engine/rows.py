"""Findings as plain rows, for what crosses a process boundary or goes into the results cache.

Unpickling a frozen slotted dataclass calls ``dataclasses.fields()`` once per object: for
the 17,000 findings of 1,000 templates (each a Finding, a Location and a Span) that was
0.45 s of a warm run and of the main process of a first run. A row is tuples, strings and
the finding's own ``data``; ``unpack`` builds the objects with their constructors, and each
path once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from preflight.model import Edit, Finding, Fix, Location, Part, Related, Severity, Span

Row = tuple[Any, ...]

_SEVERITIES = {int(s): s for s in Severity}
_PARTS = {p.value: p for p in Part}


def _location(location: Location) -> Row:
    span = location.span
    return (
        str(location.path),
        None if span is None else (span.line, span.column, span.end_line, span.end_column),
        None if location.part is None else location.part.value,
        location.pointer,
    )


def pack(findings: Iterable[Finding]) -> list[Row]:
    rows = []
    for f in findings:
        related = tuple((_location(r.location), r.message) for r in f.related)
        fix = f.fix
        packed_fix = (
            None
            if fix is None
            else (fix.description, tuple((_location(e.location), e.text) for e in fix.edits))
        )
        rows.append(
            (
                f.rule,
                f.name,
                int(f.severity),
                f.message,
                _location(f.location),
                f.data,
                f.help,
                related,
                f.source_line,
                packed_fix,
                f.source_offset,
            )
        )
    return rows


def unpack(rows: Sequence[Row]) -> list[Finding]:
    findings = []
    for rule, name, severity, message, where, data, help, related, line, fix, offset in rows:
        findings.append(
            Finding(
                rule,
                name,
                _SEVERITIES[severity],
                message,
                _unpack_location(where),
                data,
                help,
                tuple(Related(_unpack_location(r), m) for r, m in related) if related else (),
                line,
                None
                if fix is None
                else Fix(fix[0], tuple(Edit(_unpack_location(e), text) for e, text in fix[1])),
                offset,
            )
        )
    return findings


def _unpack_location(row: Row) -> Location:
    name, span, part, pointer = row
    path = _PATHS.get(name)
    if path is None:
        if len(_PATHS) > 100_000:
            _PATHS.clear()
        path = _PATHS[name] = Path(name)
    return Location(
        path,
        None if span is None else Span(*span),
        None if part is None else _PARTS[part],
        pointer,
    )


_PATHS: dict[str, Path] = {}
"""Each path once per process, however many findings and items name it."""
