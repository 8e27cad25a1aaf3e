"""GitHub Actions workflow commands: one ::error/::warning/::notice line per finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from preflight.model import Severity, display_path
from preflight.reporters.safe import printable

if TYPE_CHECKING:
    from preflight.model.report import Report

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(value: str) -> str:
    """A command's message: ESC and other controls from inputs as visible escapes (the log
    viewer would act on them), then the escapes workflow commands define."""
    value = printable(value, keep="\n")
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def chunks(report: Report) -> Iterator[str]:
    from preflight.reporters import detected

    for path, said in detected(report):  # in the step's debug log, not as annotations
        yield f"::debug::{_data(f'{path}: platform {said}')}\n"
    for finding in report.findings:
        properties = [f"file={_property(printable(display_path(finding.location.path)))}"]
        span = finding.location.span
        if span is not None:
            properties += [
                f"line={span.line}",
                f"col={span.column}",
                f"endLine={span.end_line}",
                f"endColumn={span.end_column}",
            ]
        properties.append(f"title={_property(f'{finding.rule} {finding.name}')}")
        message = printable(finding.message) + (
            f"\nhelp: {printable(finding.help)}" if finding.help else ""
        )
        yield f"::{_COMMAND[finding.severity]} {','.join(properties)}::{_data(message)}\n"
