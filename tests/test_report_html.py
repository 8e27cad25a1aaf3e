"""The HTML report, opened in a real headless browser: Debian's chromium driven by Playwright.

No browser is downloaded: Playwright's Python package drives /usr/bin/chromium (`apt-get
install chromium`; .ci/run installs it when it is missing). Without it these tests skip with
the reason, except under CI=true, where they fail. Every request the page makes is logged
and refused before it is sent (route interception): nothing leaves the machine, and the
tests see what would have.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import preflight
from preflight.model.report import WorkflowView

from .conftest import FIXTURES, REPO, bench_module

chromium = bench_module("chromium")
"""The browser's path and launch arguments, shared with bench_report and the screenshot."""
SAMPLE = FIXTURES / "campaigns" / "spring-launch" / "emails"
DATA = REPO / "tests" / "data" / "report"
AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d6b6e30000000049454e44ae426082"
)


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[test]')"
    if not chromium.CHROMIUM.exists():
        return f"no chromium at {chromium.CHROMIUM} (apt-get install chromium; .ci/run does it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, run_module_cli: Any) -> dict[str, Any]:
    """The report of the sample campaign's emails and the hostile fixtures, HTML and JSON."""
    folder = tmp_path_factory.mktemp("report")
    page = folder / "report.html"
    inputs = [str(SAMPLE), str(DATA)]
    html = run_module_cli("check", *inputs, "--format", "html", "--output", str(page))
    assert html.returncode == 1, html.stderr
    assert "Traceback" not in html.stderr
    document = json.loads(run_module_cli("check", *inputs, "--format", "json").stdout)
    report = preflight.check([SAMPLE, DATA], views=True)
    return {"page": page, "json": document, "report": report}


@pytest.fixture(scope="module")
def run_module_cli() -> Any:
    import subprocess

    from .conftest import preflight_command

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
        return subprocess.run(
            [*preflight_command(), *args],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


class Opened:
    def __init__(self, page: Any, requests: list[str]) -> None:
        self.page = page
        self.requests = requests

    def away(self) -> list[str]:
        """Every request but the report file itself."""
        return [url for url in self.requests if not url.startswith("file:")]


def _open(browser: Any, path: Path, suffix: str = "", **context: Any) -> Opened:
    page = browser.new_context(**context).new_page()
    requests: list[str] = []

    def refuse(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        elif route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=PIXEL)  # never sent
        else:
            route.abort()

    page.route("**/*", refuse)
    page.goto(path.as_uri() + suffix)
    page.wait_for_selector("html[data-ready]")
    return Opened(page, requests)


def _render_all(page: Any) -> None:
    """Open every preview (the reader scrolling through) and wait until each is drawn."""
    page.evaluate("() => document.querySelectorAll('.preview button.show').forEach(b => b.click())")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.preview[data-pv]')]"
        ".every(p => p.getAttribute('data-state') === 'ready')"
    )


def _frame_document(page: Any, section_text: str, script: str) -> Any:
    return page.evaluate(
        "([name, body]) => { const s = [...document.querySelectorAll('section.file')]"
        ".find(x => x.querySelector('h2').textContent.endsWith(name));"
        " const d = s.querySelector('iframe').contentDocument;"
        " return new Function('d', body)(d); }",
        [section_text, script],
    )


def test_the_finding_count_is_the_json_reports(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    assert page.locator("li.f").count() == len(made["json"]["findings"]) > 0
    status = page.locator("#status").inner_text()
    assert f"Showing all {len(made['json']['findings'])} problems." == status
    for severity in ("error", "warning", "info"):
        expected = sum(1 for f in made["json"]["findings"] if f["severity"] == severity)
        assert page.locator(f"li.f[data-sev={severity}]").count() == expected


def test_every_preview_renders_and_no_script_runs_in_it(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    title = page.title()
    _render_all(page)
    frames = page.locator(".preview iframe")
    emails = [i for i in made["report"].files if i.kind == "template" and i.view.html is not None]
    assert frames.count() == len(emails) >= 5
    for index in range(frames.count()):
        frame = frames.nth(index)
        assert frame.get_attribute("sandbox") == "allow-same-origin"
        text = frame.evaluate("f => f.contentDocument.body.innerText.trim()")
        assert len(text) > 20, f"preview {index} is empty"
    page.wait_for_timeout(300)  # an onload or onerror handler would have run by now
    assert page.title() == title
    ran = page.evaluate(
        "() => [...document.querySelectorAll('.preview iframe')]"
        ".map(f => f.contentDocument.documentElement.getAttribute('data-ran'))"
    )
    assert ran == [None] * frames.count()
    # the email's own styles apply (through the CSSOM), its scripts never
    color = _frame_document(
        page, "hostile.html", "return getComputedStyle(d.querySelector('h1')).color"
    )
    assert color == "rgb(0, 100, 0)"


def test_no_request_leaves_the_page(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    _render_all(page)
    for head in page.locator("li.f .f-head").all():
        head.click()
    page.wait_for_timeout(300)
    assert opened.away() == []
    held = _frame_document(
        page, "hostile.html", "return d.querySelectorAll('[data-pf-hold-src]').length"
    )
    assert held >= 8


def test_no_request_leaves_a_page_of_every_fixture(
    browser: Any, run_module_cli: Any, tmp_path: Path
) -> None:
    """All the inputs the rules are tested on, every preview drawn: nothing is fetched."""
    page_path = tmp_path / "all.html"
    made = run_module_cli(
        "check", "fixtures", "tests/data/imports", "--format", "html", "--output", str(page_path)
    )
    assert made.returncode == 1 and "Traceback" not in made.stderr
    opened = _open(browser, page_path)
    title = opened.page.title()
    _render_all(opened.page)
    opened.page.wait_for_timeout(300)
    assert opened.away() == []
    assert opened.page.title() == title
    assert opened.page.locator(".preview iframe").count() > 300


def test_remote_images_load_only_when_asked(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    button = page.locator("nav button.remote-toggle")
    assert button.inner_text() == "Show remote images"
    button.click()
    page.wait_for_function("() => location.hash === '#remote-images'")
    page.wait_for_selector("html[data-ready]")
    _render_all(page)
    page.wait_for_timeout(500)
    hosts = {re.sub(r"^https?://([^/]+)/.*", r"\1", url) for url in opened.away()}
    assert {"tracker.example", "slash.example", "upper.example", "table.example"} <= hosts
    assert "brightleaf.example" in hosts
    # only images: nothing else an email could make a browser fetch
    for host in ("refresh", "fonts", "import", "script", "base", "frame", "video", "object"):
        assert f"{host}.example" not in hosts, host
    assert page.locator("nav button.remote-toggle").inner_text() == "Hide remote images"


def test_clicking_a_finding_marks_its_element(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    section = page.locator("section.file", has_text="emails/launch.html").first
    finding = section.locator("li.f", has_text="[FIRST NAME]").first
    assert finding.get_attribute("data-el") is not None
    finding.locator(".f-head").click()
    marked = page.wait_for_function(
        "() => { const s = [...document.querySelectorAll('section.file')]"
        ".find(x => x.querySelector('h2').textContent.endsWith('emails/launch.html'));"
        " const f = s.querySelector('iframe'); const m = f && f.contentDocument &&"
        " f.contentDocument.querySelector('[data-pf-mark]');"
        " return m && [m.localName, m.textContent, m.getAttribute('data-pf-mark')]; }"
    ).json_value()
    assert marked[0] == "p" and "[FIRST NAME]" in marked[1] and marked[2] == "CONTENT006"
    assert "Marked <p>" in section.locator(".say").inner_text()
    # an image's finding marks the image; a subject's marks the inbox line
    section.locator("li.f", has_text="has no alt text").first.locator(".f-head").click()
    page.wait_for_timeout(200)
    tag = _frame_document(
        page, "emails/launch.html", "return d.querySelector('[data-pf-mark]').localName"
    )
    assert tag == "img"
    section.locator("li.f[data-part=subject]").first.locator(".f-head").click()
    assert section.locator(".inbox .subj.marked").count() == 1


def test_a_workflows_drawing_names_every_step(browser: Any, made: dict[str, Any]) -> None:
    opened = _open(browser, made["page"])
    page = opened.page
    workflows = [i for i in made["report"].files if isinstance(i.view, WorkflowView)]
    assert len(workflows) == 2
    for info in workflows:
        name = info.path.name
        section = page.locator("section.file", has_text=name).first
        svg = section.locator("svg.wf")
        drawn = svg.locator("g.step").evaluate_all("gs => gs.map(g => g.dataset.step)")
        expected = [step.id for step in info.view.steps]
        assert drawn == expected
        text = svg.evaluate("s => s.textContent")
        for step in expected:
            assert step in text
        assert svg.get_attribute("role") == "img"
    # TIME001 outlines the path it measured, launch → clicked
    section = page.locator("section.file", has_text="spring-launch.workflow.yaml").first
    section.locator("li.f[data-rule=TIME001] .f-head").click()
    lit = section.locator("svg.wf .hl").evaluate_all(
        "els => els.map(e => e.dataset.step || e.dataset.from + '>' + e.dataset.to)"
    )
    assert sorted(lit) == ["clicked", "launch", "launch>clicked"]


def test_filters_search_and_keys(browser: Any, made: dict[str, Any]) -> None:
    page = _open(browser, made["page"]).page
    total = page.locator("li.f").count()
    warnings = page.locator("li.f[data-sev=warning]").count()
    page.locator("input[data-sev=warning]").uncheck()
    assert page.locator("li.f:visible").count() == total - warnings
    assert "Showing" in page.locator("#status").inner_text()
    page.locator("input[data-sev=warning]").check()
    page.keyboard.press("/")
    page.keyboard.type("[first name]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('li.f:not([hidden])')]"
        ".every(li => li.textContent.toLowerCase().includes('[first name]'))"
    )
    shown = page.locator("li.f:not([hidden])")
    assert shown.count() >= 2
    texts = shown.evaluate_all("els => els.map(e => e.textContent)")  # also off screen
    assert all("[first name]" in t.lower() for t in texts), texts
    assert page.locator("section.file:not([hidden])").count() < page.locator("section.file").count()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.evaluate("() => document.activeElement.closest('li.f') !== null")
    assert focused
    page.keyboard.press("Enter")
    assert page.locator("li.f.active").count() == 1


def test_readable_without_scripts(browser: Any, made: dict[str, Any]) -> None:
    """With scripts off every section and finding still shows (no previews, as promised)."""
    page = browser.new_context(java_script_enabled=False).new_page()
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    page.goto(made["page"].as_uri())
    sections = page.locator("section.file")
    assert sections.count() > 3
    for index in range(sections.count()):
        assert sections.nth(index).is_visible()
    assert page.locator("svg.wf").count() == 2


def test_it_prints(browser: Any, made: dict[str, Any]) -> None:
    page = _open(browser, made["page"]).page
    page.emulate_media(media="print")
    assert not page.locator("nav.controls").is_visible()
    assert page.locator("li.f").first.is_visible()
    assert page.pdf()[:4] == b"%PDF"


def test_axe_finds_no_serious_or_critical_violation(browser: Any, made: dict[str, Any]) -> None:
    """axe-core 4.14 (MPL-2.0), vendored from the npm registry with its licence."""
    page = _open(browser, made["page"], bypass_csp=True).page  # to inject axe itself
    _render_all(page)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {iframes: false})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []


def test_one_chromium_launch_for_the_report_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser's path and arguments are written once (bench/chromium.py) for these tests,
    bench_report and the README's screenshot; bench_report runs preflight in bench_check's
    child environment (a bytecode cache), so its timings compare with bench_check's."""
    argument = "--disable-" + "component-update"  # one of them, not written here
    written = [
        path.relative_to(REPO).as_posix()
        for folder in ("bench", "scripts", "tests")
        for path in (REPO / folder).rglob("*.py")
        if argument in path.read_text(encoding="utf-8")
    ]
    assert written == ["bench/chromium.py"]
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    bench_report = bench_module("bench_report")
    assert bench_report.launch is chromium.launch
    assert "from chromium import launch" in (REPO / "scripts" / "screenshot_report.py").read_text(
        encoding="utf-8"
    )
    seen: dict[str, Any] = {}
    monkeypatch.setattr(bench_report.subprocess, "run", lambda *args, **kwargs: seen.update(kwargs))
    bench_report.preflight("--version")
    assert seen["env"] == bench_report.child_env() == bench_module("bench_check").child_env()
