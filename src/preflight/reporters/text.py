"""Readable output: file:line:col, rule, severity, message, the line with a caret, help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from preflight.model import Finding, Severity, display_path
from preflight.reporters.safe import pictured, printable

if TYPE_CHECKING:
    from preflight.model.report import Report

_MAX_SOURCE = 160
_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _finding(finding: Finding, color: bool) -> list[str]:
    location = finding.location
    span = location.span
    where = printable(display_path(location.path))
    if span is not None:
        where += f":{span.line}:{span.column}"
    severity = _paint(finding.severity.label, "1;" + _COLORS[finding.severity], color)
    rule = _paint(f"{finding.rule}", "1", color)
    part = f" [{location.part.value}]" if location.part and span is None else ""
    lines = [  # file:line:col, id, severity, message (DESIGN.md, Outputs)
        f"{_paint(where, '1', color)}: {rule} {severity}: {printable(finding.message)}"
        f" ({finding.name}){part}"
    ]
    if span is not None and finding.source_line is not None:
        number = str(span.line)
        gutter = " " * len(number)
        source, column = _window(pictured(finding.source_line), span.column - finding.source_offset)
        if finding.source_offset and not source.startswith("…"):
            source, column = "…" + source, column + 1
        if span.end_line == span.line:
            width = span.end_column - span.column
        else:
            width = len(source) - column + 1
        width = max(1, min(width, len(source) - column + 1))
        caret = " " * (column - 1) + "^" * width
        lines.append(f" {number} | {source}")
        lines.append(f" {gutter} | {_paint(caret, _COLORS[finding.severity], color)}")
    if finding.help:
        lines.append(f"  {_paint('help', '1;32', color)}: {printable(finding.help)}")
    for related in finding.related:
        rspan = related.location.span
        rwhere = printable(display_path(related.location.path)) + (
            f":{rspan.line}:{rspan.column}" if rspan else ""
        )
        lines.append(f"  note: {printable(related.message)} ({rwhere})")
    return lines


def _window(source: str, column: int) -> tuple[str, int]:
    """A long line (minified HTML, a JSON export's one-line body) cut around the column."""
    if len(source) <= _MAX_SOURCE:
        return source, column
    start = max(0, column - 1 - _MAX_SOURCE // 3)
    piece = source[start : start + _MAX_SOURCE]
    prefix = "…" if start else ""
    suffix = "…" if start + _MAX_SOURCE < len(source) else ""
    return prefix + piece + suffix, column - start + len(prefix)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


_KINDS = (
    ("template", "email", "emails"),
    ("workflow", "workflow", "workflows"),
    ("audiences", "audiences file", "audiences files"),
    ("layout", "layout", "layouts"),
    ("partial", "partial", "partials"),
    ("source", "build source", "build sources"),
    ("unreadable", "unreadable file", "unreadable files"),
    ("unknown", "file of no known kind", "files of no known kind"),
)


def read_line(report: Report, verbose: bool = False) -> str:
    """What the run read, by kind, and what it skipped, by reason (names with --verbose)."""
    counts: dict[str, int] = {}
    for info in report.files:
        counts[info.kind] = counts.get(info.kind, 0) + 1
    read = [
        f"{counts[kind]} {one if counts[kind] == 1 else many}"
        for kind, one, many in _KINDS
        if counts.get(kind)
    ]
    compiled = sum(1 for info in report.files if info.built_from is not None)
    if compiled:
        read.append(f"{compiled} of them built from a source")
    skipped = sum(len(paths) for paths in report.skipped.values())
    line = "Read " + (", ".join(read) if read else "nothing")
    if skipped:
        reasons = ", ".join(f"{len(p)} {reason}" for reason, p in sorted(report.skipped.items()))
        line += f"; skipped {_plural(skipped, 'file')} ({reasons})"
    lines = [line + "."]
    if verbose:
        for reason, paths in sorted(report.skipped.items()):
            lines += [f"  skipped ({reason}): {display_path(path)}" for path in paths]
    return "\n".join(lines) + "\n"


_MAX_DETECTED = 20
"""Files listed under "Platforms detected" before the rest are counted (--verbose: all)."""


def chunks(
    report: Report, *, color: bool = False, quiet: bool = False, verbose: bool = False
) -> Iterator[str]:
    for finding in report.findings:
        if quiet and finding.severity < Severity.ERROR:
            continue
        yield "\n".join(_finding(finding, color)) + "\n\n"
    if not quiet:
        from preflight.reporters import detected

        # a confident detection is listed only with --verbose: 50 clean templates would
        # otherwise add 50 lines that ask nothing of anyone
        lines = [
            f"  {printable(path)}: {printable(said)}"
            for path, said in detected(report, everything=verbose)
        ]
        if len(lines) > _MAX_DETECTED and not verbose:
            rest = len(lines) - _MAX_DETECTED
            lines[_MAX_DETECTED:] = [f"  … and {rest} more (--verbose lists them all)"]
        if lines:
            heading = "Platforms detected from merge tags (declare `platform:` to be sure):"
            yield "\n".join([heading, *lines]) + "\n\n"
        if report.links is not None:
            yield _links_line(report.links)
        if not report.read_nothing or report.skipped:
            yield read_line(report, verbose)
    summary = report.summary
    total = summary["errors"] + summary["warnings"] + summary["infos"]
    files = _plural(summary["files"], "file")
    if report.read_nothing:
        line = (
            "No input read: nothing here is an email, workflow or audiences file preflight"
            " knows (templates are .html, .htm, .eml, .mjml, .hbs, .twig or platform JSON)."
        )
    elif total == 0:
        line = f"No problems found in {files}."
    else:
        line = (
            f"Found {_plural(total, 'problem')} ({_plural(summary['errors'], 'error')}, "
            f"{_plural(summary['warnings'], 'warning')}, "
            f"{_plural(summary['infos'], 'info')}) in {files}."
        )
    if report.baselined:
        line += f" {report.baselined} known in the baseline, not shown."
    yield line + "\n"


def _links_line(links: dict[str, Any]) -> str:
    """Checked 120 URLs in 3.4 s: 97 requests, 23 from the cache; 110 ok, 6 broken…"""
    statuses = ", ".join(f"{count} {status}" for status, count in links["statuses"].items())
    return (
        f"Checked {_plural(links['urls'], 'URL')} in {links['seconds']:.1f} s:"
        f" {_plural(links['requests'], 'request')}, {links['cached']} from the cache"
        + (f"; {statuses}" if statuses else "")
        + ".\n\n"
    )
