"""--format junit and --format html without a browser: the JUnit XML against Jenkins'
published schema and a JUnit-reading library, the views the page is drawn from, and the
page's policy, structure and README command."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

import preflight
from preflight.model import Finding, Location, Part, Severity, Span
from preflight.model.report import EmailView, FileInfo, Report, StepView, WorkflowView
from preflight.reporters import FORMATS, render
from preflight.reporters.drawing import back_edges, layout, svg
from preflight.reporters.html import element_index, named_steps
from preflight.views import email_view

from .conftest import FIXTURES, REPO

SAMPLE = FIXTURES / "campaigns" / "spring-launch"
DATA = REPO / "tests" / "data"
XSD = DATA / "junit" / "junit-10.xsd"
"""Jenkins' junit-10.xsd (jenkinsci/xunit-plugin, MIT licence, in the file's header)."""


@pytest.fixture(scope="module")
def report() -> Report:
    return preflight.check([SAMPLE], views=True)


# -- JUnit ---------------------------------------------------------------------------------


def test_junit_validates_against_jenkins_schema(report: Report) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(render(report, "junit").encode("utf-8"))
    schema.assertValid(document)


def test_junit_suites_cases_and_failures(report: Report, tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    target = tmp_path / "preflight.xml"
    target.write_text(render(report, "junit"), encoding="utf-8")
    xml = JUnitXml.fromfile(str(target))
    suites = list(xml)
    files = {f.path.as_posix() for f in report.files}
    extra = {f.location.path.as_posix() for f in report.findings} - files
    assert len(suites) == len(files) + len(extra)  # sidecars and audiences.yaml have their own
    failing = passing = 0
    for suite in suites:
        cases = list(suite)
        assert cases, suite.name
        for case in cases:
            if any(isinstance(r, Failure) for r in case.result):
                failing += 1
                (failure,) = case.result
                assert failure.message and failure.type in ("error", "warning", "info")
            else:
                passing += 1
                assert case.name == "no problems" and len(cases) == 1
    assert failing == len(report.findings)
    clean = {f.path.as_posix() for f in report.files} - {
        f.location.path.as_posix() for f in report.findings
    }
    assert passing == len(clean) > 0
    assert xml.failures == len(report.findings)
    launch = next(s for s in suites if s.name.endswith("emails/launch.html"))
    case = next(c for c in launch if "CONTENT006" in c.name and "15:15" in c.name)
    assert case.classname.endswith("emails/launch")  # no extension for Jenkins to split on
    assert "help: replace it with the real copy" in case.result[0].text


def test_junit_survives_what_xml_cannot_hold() -> None:
    path = Path("odd\x01name.html")
    finding = Finding(
        "CONTENT006",
        "leftover-placeholder",
        Severity.ERROR,
        'placeholder "\x00\x1b]]>&<\ud800" left',
        Location(path, Span(1, 1, 1, 2), Part.HTML),
        help='a "quote"\tand\nnew line',
        source_line="<p>\x0c</p>",
    )
    broken = Report(findings=[finding], files=[FileInfo(path, "template")])
    text = render(broken, "junit")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    schema.assertValid(etree.fromstring(text.encode("utf-8")))


def test_every_fixture_renders_in_both_formats() -> None:
    """Every input the rules are tested on (binary, undecodable, imports of four platforms,
    broken workflows) gives a page with one item per finding and JUnit the schema takes."""
    everything = preflight.check([FIXTURES, DATA / "imports"], views=True)
    page = render(everything, "html")
    assert page.count('<li class="f ') == len(everything.findings) > 1000
    drawn = sum(isinstance(info.view, WorkflowView) for info in everything.files)
    assert page.count('<svg class="wf"') == drawn > 50
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    schema.assertValid(etree.fromstring(render(everything, "junit").encode("utf-8")))


def test_composed_emails_show_their_layouts_partials_and_sources() -> None:
    """Composition (Postmark layouts, Panini partials, MJML): a finding reported once in a
    shared layout is one item in the layout's section; a compiled email names its source."""
    compose = DATA / "compose"
    composed = preflight.check([compose / "postmark", compose / "mjml"], views=True)
    page = render(composed, "html")
    assert page.count('<li class="f ') == len(composed.findings) > 5
    headings = re.findall(r'<span class="kind">([^<]+)</span>', page)
    assert {"Email", "Layout", "Partial", "Build source"} <= set(headings)
    assert re.search(r"built from [^<]*mjml/source/offer\.mjml<", page)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    schema.assertValid(etree.fromstring(render(composed, "junit").encode("utf-8")))


def test_a_run_that_reads_nothing_is_not_a_clean_pass(run_cli, tmp_path: Path) -> None:
    """An empty folder exits 2 and both documents say nothing was read: the JUnit has an
    errored case (a dashboard shows red, not an empty green run), the page says so."""
    (tmp_path / "notes.md").write_text("# not an email\n", encoding="utf-8")
    made = run_cli("check", str(tmp_path), "--format", "junit")
    assert made.returncode == 2
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(made.stdout.encode("utf-8"))
    schema.assertValid(document)
    assert document.get("errors") == "1"
    assert document.find("testsuite/testcase/error").get("message").startswith("no input read")
    page = run_cli("check", str(tmp_path), "--format", "html")
    assert page.returncode == 2
    assert "No input read: nothing here is an email" in page.stdout
    assert "No problems found" not in page.stdout


def test_formats_offer_junit_and_html() -> None:
    assert {"junit", "html"} <= set(FORMATS)


# -- views ---------------------------------------------------------------------------------


def test_views_stay_out_of_the_json(report: Report) -> None:
    plain = preflight.check([SAMPLE])
    assert all(info.view is None for info in plain.files)
    assert any(info.view is not None for info in report.files)
    assert plain.to_json() == report.to_json()


def test_views_travel_through_workers_and_the_results_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "emails"
    folder.mkdir()
    for index in range(20):  # enough for two workers
        shutil.copy(SAMPLE / "emails" / "launch.html", folder / f"e{index:02d}.html")
    first = preflight.check([folder], views=True, jobs=2, cache=True)
    assert len(first.stats["workers"]) >= 2  # and the parent, which checks the first when forking
    assert all(isinstance(info.view, EmailView) for info in first.files)
    again = preflight.check([folder], views=True, jobs=1, cache=True)
    assert again.stats["cache_hits"] == 20
    assert render(again, "html") == render(first, "html")
    plain = preflight.check([folder], jobs=1, cache=True)  # cached apart from the views
    assert all(info.view is None for info in plain.files)


def _view(tmp_path: Path, html: str) -> EmailView:
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    template, _ = preflight.api.load_template(page, preflight.api.configure([page]))
    return email_view(template)


@pytest.mark.parametrize(
    ("written", "held"),
    [
        ('<img src="https://a.example/x.png">', "data-pf-hold-src"),
        ("<img/src=https://a.example/x.png>", "data-pf-hold-src"),
        ("<IMG SRC='//a.example/x.png'>", "data-pf-hold-src"),
        ('<img srcset="https://a.example/1x.png 1x">', "data-pf-hold-srcset"),
        ('<td background="https://a.example/bg.png">', "data-pf-hold-background"),
        ('<link rel="stylesheet" href="https://a.example/c.css">', "data-pf-hold-href"),
        (
            '<meta http-equiv="refresh" content="0;url=https://a.example/">',
            "data-pf-hold-http-equiv",
        ),
        ('<video poster="https://a.example/p.png"></video>', "data-pf-hold-poster"),
        ('<svg><image href="https://a.example/s.png"/></svg>', "data-pf-hold-href"),
        ('<img src="images/relative.png">', "data-pf-hold-src"),
    ],
)
def test_the_preview_holds_aside_what_a_browser_would_fetch(
    tmp_path: Path, written: str, held: str
) -> None:
    view = _view(tmp_path, f"<html><body><p>Hello</p>{written}</body></html>")
    assert view.html is not None and held in view.html


def test_the_preview_keeps_what_fetches_nothing(tmp_path: Path) -> None:
    written = (
        '<a href="https://a.example/">link</a><img src="data:image/gif;base64,R0lGOD" alt="">'
        "<script>var s = '<img src=https://a.example/in-script.png>';</script>"
        "<style>.x{}</style><p>[FIRST NAME]</p>"
    )
    view = _view(tmp_path, f"<html><body>{written}</body></html>")
    assert view.html is not None
    assert '<a data-pf="' in view.html and 'href="https://a.example/"' in view.html
    assert 'src="data:image/gif' in view.html
    assert "<img src=https://a.example/in-script.png>" in view.html  # script text is not markup
    assert view.remote_images == 0


def test_positions_map_to_the_innermost_element(tmp_path: Path) -> None:
    html = "<html>\n<body>\n<table><tr><td>\n<p>Hi <b>there</b> [FIRST NAME]</p>\n</td></tr></table>\n</body>\n</html>\n"
    view = _view(tmp_path, html)
    assert view.html is not None
    tags = re.findall(r'<(\w+) data-pf="(\d+)"', view.html)
    by_index = {int(n): tag for tag, n in tags}
    placeholder = html.splitlines()[3].index("[FIRST") + 1
    assert by_index[element_index(view, 4, placeholder)] == "p"  # not the <b> before it
    assert by_index[element_index(view, 4, html.splitlines()[3].index("there") + 1)] == "b"
    assert by_index[element_index(view, 3, 1)] == "table"


def test_the_preheader_is_what_an_inbox_shows(tmp_path: Path) -> None:
    view = _view(tmp_path, "<html><body><p>First words of the body</p></body></html>")
    assert view.preheader == "First words of the body" and not view.preheader_declared


# -- drawings ------------------------------------------------------------------------------


def test_loops_are_drawn_without_a_cycle_in_the_rows() -> None:
    order = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "d")]
    assert back_edges(order, edges) == {("c", "a"), ("d", "d")}
    shape = layout(order, edges)
    rows = sorted({y for _, y in shape.position.values()})
    assert [shape.position[s][1] for s in order] == rows  # one row each, in order


def test_a_long_edge_bends_around_the_rows_between() -> None:
    shape = layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    (bend,) = shape.bends[("a", "c")]
    assert bend[1] == shape.position["b"][1] and bend[0] != shape.position["b"][0]


def test_a_drawing_names_missing_targets_and_marks_named_steps() -> None:
    view = WorkflowView(
        "w",
        (
            StepView("start", "send", "a.html", 3, (("gone", "next"),)),
            StepView("end", "exit", "exit", 5),
        ),
    )
    drawn = svg(view, "t", {"start": 2})
    assert 'data-step="gone"' in drawn and "missing" in drawn
    assert "⚠ 2" in drawn and "(2 problems)" in drawn
    etree.fromstring(drawn.encode("utf-8"))  # well-formed, as inline SVG must be


def test_findings_name_steps_by_data_pointer_and_line(report: Report) -> None:
    workflow = next(
        f
        for f in report.files
        if isinstance(f.view, WorkflowView) and "emails" in f.path.as_posix()
    )
    assert isinstance(workflow.view, WorkflowView)
    time001 = next(f for f in report.findings if f.rule == "TIME001")
    assert time001.data["path_steps"] == ["launch", "clicked"]
    steps, path = named_steps(time001, workflow.view, workflow.path.as_posix())
    assert set(steps) == {"launch", "clicked"} and path == [("launch", "clicked")]


# -- the page ------------------------------------------------------------------------------


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_policy_admits_exactly_the_pages_own_script_and_style(report: Report) -> None:
    page = render(report, "html")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    directives = dict(
        [*d.split(" ", 1), ""][:2] for d in policy.group(1).replace("&#x27;", "'").split("; ")
    )
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert len(scripts) == 2 and len(styles) == 2  # the page's, and its <noscript> one
    assert directives["script-src"].split() == [_hash(s) for s in scripts]
    assert directives["style-src"].split() == [_hash(s) for s in styles]
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in policy.group(1)
    assert 'setAttribute("sandbox", "allow-same-origin")' in page
    assert 'allow-scripts"' not in page
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
        assert "</" not in block and "<!" not in block
        assert json.loads(block)


def test_the_page_needs_no_views_to_list_findings() -> None:
    plain = preflight.check([SAMPLE / "emails"])
    page = render(plain, "html")
    assert page.count('<li class="f ') == len(plain.findings)
    assert "<iframe" not in page and 'class="preview"' not in page


def test_the_readme_command_makes_the_report(run_cli, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = next(
        line.strip()
        for line in readme.splitlines()
        if line.strip().startswith("preflight check") and "--format html" in line
    )
    assert command == (
        "preflight check fixtures/campaigns/spring-launch --format html --output report.html"
    )
    image = re.search(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert image is not None and (REPO / image.group(1)).is_file()
    (tmp_path / "fixtures" / "campaigns").mkdir(parents=True)
    shutil.copytree(SAMPLE, tmp_path / "fixtures" / "campaigns" / "spring-launch")
    result = run_cli(*command.split()[1:], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<li class="f ') == 27  # 23 + the four preheaders that leak (INBOX002)
    assert page.count("<svg") == 2 and page.count('class="preview"') == 8


def test_a_finding_on_a_long_line_marks_its_own_text(run_cli, tmp_path: Path) -> None:
    """A finding keeps a window of a long line (source_offset says where it starts): the
    page marks the span's characters in that window, as the text output does."""
    pad = "<span>x</span>" * 3000
    (tmp_path / "t.html").write_text(
        f"<html lang='en'><head><title>t</title></head><body><p>{pad}Hi [FIRST NAME],"
        " welcome</p></body></html>\n",
        encoding="utf-8",
    )
    result = run_cli(
        "check", "t.html", "--select", "CONTENT006", "--format", "html", "--no-cache",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    marked = {m for m in re.findall(r"<mark>(.*?)</mark>", result.stdout)}
    assert marked == {"[FIRST NAME]"}
