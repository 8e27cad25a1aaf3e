"""preflight: a pre-flight linter for email campaigns.

The library API is ``preflight.check(paths, config=None) -> Report``; it does
not need click. Heavy modules load only when a call needs them, so importing
this package (and starting the CLI) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Report", "__version__", "check"]

if TYPE_CHECKING:
    from preflight.engine import Report, check


def __getattr__(name: str) -> Any:
    if name in ("check", "Report"):
        from preflight import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'preflight' has no attribute {name!r}")
