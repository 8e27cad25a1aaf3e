"""Reporters: pure functions from a Report to text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.engine import Report

FORMATS = ("text", "json", "sarif", "github")


def render(report: Report, fmt: str, *, color: bool = False, quiet: bool = False) -> str:
    renderer: Callable[..., str]
    if fmt == "json":
        from preflight.reporters.json import render as renderer
    elif fmt == "sarif":
        from preflight.reporters.sarif import render as renderer
    elif fmt == "github":
        from preflight.reporters.github import render as renderer
    else:
        from preflight.reporters.text import render as text_render

        return text_render(report, color=color, quiet=quiet)
    return renderer(report)
