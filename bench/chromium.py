"""Debian's headless Chromium, as the HTML report's tools open it: tests/test_report_html.py,
bench/bench_report.py and scripts/screenshot_report.py launch it from here, with one path
and one set of arguments.

No browser is downloaded: Playwright's Python package (``pip install -e '.[test]'``) drives
/usr/bin/chromium (``apt-get install chromium``). Tooling only, so it lives beside the
benchmarks, not in the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch(playwright: Any) -> Any:
    """A Chromium browser from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(ARGS))
