"""Make the README's screenshot of the sample campaign's HTML report.

    python scripts/screenshot_report.py [--output docs/images/report.png]

Runs the README's `preflight check fixtures/campaigns/spring-launch --format html`, opens the page in
Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`) through Playwright's Python
package (`pip install -e '.[test]'`; no browser is downloaded), chooses the launch email's
"[FIRST NAME]" problem so its element is marked in the preview, and saves the screen.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "images" / "report.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "bench"))
    from chromium import launch  # the one launch the report's tests and bench use

    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "report.html"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "preflight",
                "check",
                "fixtures/campaigns/spring-launch",
                "--format",
                "html",
                "--output",
                str(page_path),
            ],
            cwd=REPO,
            check=False,  # exit 1: the sample campaign has problems, on purpose
        )
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.route("**/*", _local_only)
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-ready]")
            section = page.locator("section.file", has_text="emails/launch.html").first
            finding = section.locator("li.f", has_text="[FIRST NAME]").first
            finding.locator(".f-head").click()
            page.wait_for_function(
                "() => [...document.querySelectorAll('iframe')].some("
                "f => f.contentDocument && f.contentDocument.querySelector('[data-pf-mark]'))"
            )
            section.evaluate(  # the email's heading just under the sticky filters
                "s => window.scrollTo(0, s.getBoundingClientRect().top + window.scrollY"
                " - document.querySelector('nav.controls').offsetHeight - 8)"
            )
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output))
            browser.close()
    print(f"wrote {args.output}")
    return 0


def _local_only(route) -> None:  # type: ignore[no-untyped-def]
    """The report fetches nothing; anything but the file itself is refused, not sent."""
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


if __name__ == "__main__":
    raise SystemExit(main())
