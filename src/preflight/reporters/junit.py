"""JUnit XML, as GitLab, Jenkins and Azure DevOps read test reports.

One ``<testsuite>`` per file, one failing ``<testcase>`` per finding, one passing test case
per file without findings. Files that hold findings without being inputs themselves (a
sidecar, a text part, audiences.yaml) get a suite of their own. The output validates against
Jenkins' junit-10.xsd (tests/data/junit); no timestamps or times, so a run is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from preflight.model import Finding, display_path
from preflight.reporters.safe import printable

if TYPE_CHECKING:
    from preflight.model.report import FileInfo, Report

# what XML 1.0 cannot carry at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(lines: list[str]) -> str:
    """Lines for an element's text: each from inputs made :func:`printable` (a newline in
    one forges no line of the report), then joined and escaped for XML."""
    value = _NOT_XML.sub("\ufffd", "\n".join(printable(line) for line in lines))
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: object) -> str:
    text = _text([str(value)]).replace('"', "&quot;")
    return '"' + text.replace("\t", "&#9;") + '"'


def _classname(path: str) -> str:
    """The file without its last extension (as ESLint's JUnit output does): Jenkins reads
    the part after the last dot of a class name as the class, "launch.html" as "html"."""
    pure = PurePosixPath(path)
    return str(pure.with_suffix("")) if pure.suffix and pure.stem else path


def _where(finding: Finding) -> str:
    span = finding.location.span
    return f"{span.line}:{span.column}" if span else "file"


def _case(finding: Finding, shown: str) -> str:
    span = finding.location.span
    body = [f"{shown}:{_where(finding)}: {finding.rule} {finding.severity.label}: "]
    body[0] += finding.message
    if finding.source_line is not None and span is not None:
        body.append(f"  {span.line} | {finding.source_line}")
    if finding.help:
        body.append(f"  help: {finding.help}")
    for related in finding.related:
        rspan = related.location.span
        where = display_path(related.location.path) + (
            f":{rspan.line}:{rspan.column}" if rspan else ""
        )
        body.append(f"  note: {related.message} ({where})")
    line = f" line={_attr(span.line)}" if span else ""
    return (
        f"    <testcase name={_attr(f'{finding.rule} {finding.name} ({_where(finding)})')}"
        f" classname={_attr(_classname(shown))} file={_attr(shown)}{line}>\n"
        f"      <failure message={_attr(finding.message)} type={_attr(finding.severity.label)}>"
        f"{_text(body)}</failure>\n"
        "    </testcase>\n"
    )


def _suite(shown: str, info: FileInfo | None, findings: list[Finding]) -> str:
    tests = max(1, len(findings))
    head = (
        f"  <testsuite name={_attr(shown)} tests={_attr(tests)}"
        f' failures={_attr(len(findings))} errors="0" skipped="0" time="0" file={_attr(shown)}>\n'
    )
    properties = []
    if info is not None:
        properties.append(("kind", info.kind))
        if info.platform is not None:
            properties.append(("platform", info.platform))
        if info.platform_source is not None:
            properties.append(("platform_source", info.platform_source))
    parts = [head]
    if properties:
        parts.append("    <properties>\n")
        parts.extend(
            f"      <property name={_attr(name)} value={_attr(value)}/>\n"
            for name, value in properties
        )
        parts.append("    </properties>\n")
    if findings:
        parts.extend(_case(finding, shown) for finding in findings)
    else:
        parts.append(
            f'    <testcase name="no problems" classname={_attr(_classname(shown))}'
            f" file={_attr(shown)}/>\n"
        )
    parts.append("  </testsuite>\n")
    return "".join(parts)


def chunks(report: Report) -> Iterator[str]:
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(display_path(finding.location.path), []).append(finding)
    suites: list[tuple[str, FileInfo | None]] = []
    seen: set[str] = set()
    for info in report.files:
        shown = display_path(info.path)
        if shown not in seen:
            seen.add(shown)
            suites.append((shown, info))
    suites.extend((shown, None) for shown in sorted(by_path) if shown not in seen)
    total = len(report.findings)
    errors = _run_errors(report)
    tests = sum(max(1, len(by_path.get(shown, []))) for shown, _ in suites) + len(errors)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        f'<testsuites name="preflight" tests={_attr(tests)} failures={_attr(total)}'
        f' errors={_attr(len(errors))} time="0">\n'
    )
    if errors:
        yield _errors_suite(errors)
    for shown, entry in suites:
        yield _suite(shown, entry, by_path.get(shown, []))
    yield "</testsuites>\n"


def _run_errors(report: Report) -> list[tuple[str, str]]:
    """What went wrong with the run itself: (test name, message). A run that read nothing is
    an error, not an empty pass, so that a dashboard does not show it as green."""
    errors = []
    if report.read_nothing:
        skipped = sum(len(paths) for paths in report.skipped.values())
        message = (
            "no input read: nothing checked is an email, workflow or audiences file preflight"
            f" knows ({skipped} {'file' if skipped == 1 else 'files'} skipped)"
        )
        errors.append(("no input read", message))
    errors.extend(
        ("internal error", f"internal error: {problem}") for problem in report.internal_errors
    )
    return errors


def _errors_suite(errors: list[tuple[str, str]]) -> str:
    parts = [
        f'  <testsuite name="preflight" tests={_attr(len(errors))} failures="0"'
        f' errors={_attr(len(errors))} skipped="0" time="0">\n'
    ]
    for name, message in errors:
        parts.append(
            f'    <testcase name={_attr(name)} classname="preflight">\n'
            f'      <error message={_attr(message)} type="error">{_text([message])}</error>\n'
            "    </testcase>\n"
        )
    parts.append("  </testsuite>\n")
    return "".join(parts)
