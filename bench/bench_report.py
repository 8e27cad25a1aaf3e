"""The HTML report of a large run: its size, its cost, and how soon its first screen is usable.

Builds N templates from ``../shared/corpus`` as bench_check.py does (default N = 5000,
with N = 100 measured in the same run as the baseline), then, for each N:

* runs ``preflight check DIR --format json`` and ``--format html --output report.html`` in
  fresh processes (wall time of each: the page's cost against the JSON's);
* weighs the page against the templates it carries and the budget stated in
  bench/README.md (``BUDGET`` below);
* opens the page in Debian's headless Chromium through Playwright (no browser is
  downloaded; every request but the file itself is refused and counted) and reads the
  page's own marks, in milliseconds since navigation started: ``data-first-screen`` (its
  script has run: the summary, the first emails, filters, search and keys work),
  ``data-first-preview`` (the first email's preview is drawn) and ``data-ready`` (the
  whole page is read and every section is in); then jumps to the middle email and times
  until its preview is drawn.

Nothing is asserted; it prints a markdown report and writes it to bench/out/report.md.

    .venv/bin/python bench/bench_report.py    # N = 100 and 5000: 5 to 10 minutes on 2 cores
    .venv/bin/python bench/bench_report.py --sizes 100,1000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_check import CORPUS, OUT_DIR, REPO, build, child_env, corpus_templates
from chromium import CHROMIUM, launch

BUDGET = (1.3, 2048, 1024, 256 * 1024)
"""The page may weigh at most 1.3 x the templates' bytes, plus 2 KiB per finding, 1 KiB per
file and 256 KiB for the page itself (style, script, summary)."""


def budget(template_bytes: int, findings: int, files: int) -> int:
    ratio, per_finding, per_file, fixed = BUDGET
    return int(ratio * template_bytes + per_finding * findings + per_file * files + fixed)


def preflight(*args: str) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "check", *args],
        env=child_env(),  # as bench_check times its children: with a bytecode cache
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start, done


def open_page(page_path: Path, runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    marks: dict[str, list[float]] = {
        "first": [],
        "ready": [],
        "first_preview": [],
        "jump": [],
        "load": [],
    }
    refused = 0
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1360, "height": 900})

            def route(route):  # type: ignore[no-untyped-def]
                nonlocal refused
                if route.request.url.startswith("file:"):
                    route.continue_()
                else:
                    refused += 1
                    route.abort()

            page.route("**/*", route)
            page.goto(page_path.as_uri(), timeout=300_000)
            page.wait_for_selector("html[data-ready]", state="attached", timeout=600_000)
            # the first email's preview is on the first screen (drawn without scrolling);
            # if it is not drawn yet, the reader scrolls to it
            page.evaluate(
                "() => document.documentElement.hasAttribute('data-first-preview') ||"
                " document.querySelector('.preview[data-pv]').scrollIntoView()"
            )
            page.wait_for_selector("html[data-first-preview]", state="attached", timeout=300_000)
            got = page.evaluate(
                "() => ({screen: +document.documentElement.dataset.firstScreen,"
                " ready: +document.documentElement.dataset.ready,"
                " first: +document.documentElement.dataset.firstPreview,"
                " load: performance.getEntriesByType('navigation')[0].loadEventEnd})"
            )
            # a jump to the middle of the page: how soon is that email's preview drawn?
            asked = page.evaluate(
                "() => { const all = document.querySelectorAll('.preview[data-pv]');"
                " all[Math.floor(all.length / 2)].scrollIntoView(); return performance.now(); }"
            )
            page.wait_for_function(
                "() => { const all = document.querySelectorAll('.preview[data-pv]');"
                " return all[Math.floor(all.length / 2)].getAttribute('data-state') === 'ready'; }",
                timeout=300_000,
            )
            got["jump"] = page.evaluate("() => performance.now()") - asked
            marks["first"].append(got["screen"])
            marks["ready"].append(got["ready"])
            marks["first_preview"].append(got["first"])
            marks["load"].append(got["load"])
            marks["jump"].append(got["jump"])
            page.close()
        browser.close()
    result = {name: statistics.median(values) for name, values in marks.items()}
    result["refused"] = refused
    return result


def measure(sources: list[Path], count: int, folder: Path, runs: int) -> dict[str, float]:
    target = folder / f"bench-n{count}"
    template_bytes = build(sources, count, target)
    json_seconds, json_done = preflight(str(target), "--format", "json", "--no-cache")
    document = json.loads(json_done.stdout)
    page_path = folder / f"report-n{count}.html"
    html_seconds, html_done = preflight(
        str(target), "--format", "html", "--output", str(page_path), "--no-cache"
    )
    if html_done.returncode not in (0, 1):
        raise SystemExit(html_done.stderr.decode("utf-8", "replace"))
    size = page_path.stat().st_size
    findings = len(document["findings"])
    files = len(document["files"])
    browser = open_page(page_path, runs)
    return {
        "n": count,
        "template_bytes": template_bytes,
        "findings": findings,
        "files": files,
        "json_bytes": len(json_done.stdout),
        "html_bytes": size,
        "budget": budget(template_bytes, findings, files),
        "json_s": json_seconds,
        "html_s": html_seconds,
        **browser,
    }


def report(rows: list[dict[str, float]]) -> str:
    mib = 1024 * 1024
    lines = [
        "| N | templates | findings | page | budget | page / templates | JSON | check json |"
        " check html | first screen usable | first preview drawn | whole page read |"
        " a preview mid-page, once jumped to | refused |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['n']:,} | {row['template_bytes'] / mib:.1f} MiB | {row['findings']:,} |"
            f" {row['html_bytes'] / mib:.1f} MiB | {row['budget'] / mib:.1f} MiB"
            f" ({'within' if row['html_bytes'] <= row['budget'] else 'OVER'}) |"
            f" {row['html_bytes'] / row['template_bytes']:.2f} |"
            f" {row['json_bytes'] / mib:.1f} MiB | {row['json_s']:.1f} s | {row['html_s']:.1f} s |"
            f" {row['first'] / 1000:.2f} s | {row['first_preview'] / 1000:.2f} s |"
            f" {row['ready'] / 1000:.2f} s | {row['jump']:.0f} ms | {int(row['refused'])} |"
        )
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        lines.append("")
        lines.append(
            f"N = {large['n']:,} against N = {small['n']:,} in the same run: page"
            f" {large['html_bytes'] / small['html_bytes']:.0f}x the bytes, first screen usable"
            f" {large['first'] / small['first']:.1f}x the time (whole page read"
            f" {large['ready'] / small['ready']:.1f}x), first preview"
            f" {large['first_preview'] / small['first_preview']:.1f}x; `check --format html` costs"
            f" {large['html_s'] / large['json_s']:.2f}x `--format json`."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,5000")
    parser.add_argument("--runs", type=int, default=3, help="page opens per size (median)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    sources = corpus_templates(args.corpus)
    if not sources:
        raise SystemExit(f"no templates in {args.corpus} (the shared corpus beside the repo)")
    if not CHROMIUM.exists():
        raise SystemExit(f"no {CHROMIUM}: apt-get install chromium")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in (int(n) for n in args.sizes.split(",")):
            rows.append(measure(sources, count, Path(scratch), args.runs))
            print(f"N = {count}: done", file=sys.stderr)
    text = report(rows)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "report.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    raise SystemExit(main())
