"""The sandbox correction templates run in (users may bring their own with --templates)."""

from __future__ import annotations

from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT = 100_000
"""The longest string or list a template may build with ``*`` (the sandbox's limit)."""


class Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, which also refuses to build huge strings with ``*``."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            repeats = isinstance(sized, (str, list, tuple)) and isinstance(count, int)
            if repeats and len(sized) * count > MAX_REPEAT:
                raise SecurityError(f"the result would be longer than {MAX_REPEAT:,} items")
        return super().call_binop(context, operator, left, right)
