"""preflight: a pre-flight linter for email campaigns.

The library API is ``preflight.check(paths, config=None) -> Report``; it does
not need click. Heavy modules load only when a call needs them, so importing
this package (and starting the CLI) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from preflight.constants import VERSION as __version__

__all__ = ["Report", "__version__", "check"]

if TYPE_CHECKING:
    from preflight.api import check
    from preflight.model.report import Report


def __getattr__(name: str) -> Any:
    if name == "check":
        from preflight.api import check

        return check
    if name == "Report":
        from preflight.model.report import Report

        return Report
    raise AttributeError(f"module 'preflight' has no attribute {name!r}")
