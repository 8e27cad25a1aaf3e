"""Loaders: one per input format, each yielding the same Template model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.model import Location, Span, Template, Violation

if TYPE_CHECKING:
    from preflight.yamlio import YamlDocument


@dataclass
class Loaded:
    """What a loader produced: a template (or nothing) and PF problems met on the way."""

    template: Template | None = None
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    extra_paths: tuple[Path, ...] = ()
    """Files read besides the input itself (sidecar, text part)."""


@dataclass
class YamlFile:
    """A YAML file read for a loader: its text, its document, or the PF001 that stopped it."""

    text: str | None = None
    document: YamlDocument | None = None
    problem: tuple[str, Violation] | None = None


def invalid_json(path: Path, error: Exception) -> Violation:
    """The PF001 for a JSON file that does not parse, at the line and column json names."""
    line = getattr(error, "lineno", None)
    span = Span.point(line, getattr(error, "colno", 1)) if line else None
    return Violation(
        "invalid JSON: {error}",
        Location(path, span),
        {"error": getattr(error, "msg", str(error)), "reason": "undecodable"},
    )


def read_yaml_file(path: Path, max_bytes: int) -> YamlFile:
    """Read and parse a YAML file; an unreadable or unparsable one is a PF001, never a raise.

    A file that does not parse is unreadable (PF001), not a misfit of its schema (PF003).
    """
    from preflight.formats.decode import UnreadableInput, read_text
    from preflight.yamlio import YamlError, load_yaml

    try:
        text = read_text(path, max_bytes)
    except UnreadableInput as error:
        detail = Violation("{detail}", Location(path), {**error.data, "detail": error.reason})
        return YamlFile(problem=("PF001", detail))
    try:
        return YamlFile(text, load_yaml(text))
    except YamlError as error:
        span = Span.point(error.line, error.column or 1) if error.line else None
        violation = Violation(
            "invalid YAML: {error}", Location(path, span), {"error": error.message}
        )
        return YamlFile(text, problem=("PF001", violation))
