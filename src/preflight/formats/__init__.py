"""Loaders: one per input format, each yielding the same Template model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from preflight.model import Template, Violation


@dataclass
class Loaded:
    """What a loader produced: a template (or nothing) and PF problems met on the way."""

    template: Template | None = None
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    extra_paths: tuple[Path, ...] = ()
    """Files read besides the input itself (sidecar, text part)."""
