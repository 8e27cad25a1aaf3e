"""preflight: a pre-flight linter for email campaigns.

The library API is ``preflight.check(paths, config=None) -> Report``; it does
not need click. Heavy modules load only when a call needs them, so importing
this package (and starting the CLI) stays cheap.
"""

from __future__ import annotations

from preflight.constants import VERSION as __version__

__all__ = ["Report", "__version__", "check"]

TYPE_CHECKING = False  # not typing's: importing typing costs a replayed run 4 ms
if TYPE_CHECKING:
    from typing import Any

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
