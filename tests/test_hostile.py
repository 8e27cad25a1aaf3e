"""Regression tests for the defects hostile input found (issue 16, reliability and security).

Each test names the root cause it holds down; each failed before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# -- terminal injection ------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07\r\x9b31m\u202e"


def _hostile_folder(root: Path) -> Path:
    folder = root / "emails"
    folder.mkdir()
    body = (
        "<html><body>\n"
        f'<p>Hi \x1b[2J *|FNAME|* <a href="http://staging.example.com/{ESCAPES}">Shop</a></p>\n'
        "</body></html>\n"
    )
    (folder / f"offer{ESCAPES}.html").write_text(body, encoding="utf-8")
    (folder / "forged\nok.html:1:1: CONTENT001 error: forged.html").write_text(
        body, encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_never_reach_the_terminal(tmp_path: Path, run_cli, fmt: str) -> None:
    folder = _hostile_folder(tmp_path)
    result = run_cli("check", "emails", "--format", fmt, "--no-color", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    for char in "\x1b\x07\r\x9b\u202e":
        assert char not in out, repr(char)
    assert "\\e[2J" in out  # shown, escaped
    for line in out.splitlines():  # a newline in a file name forges no line
        assert not line.startswith("ok.html"), line
    assert folder.is_dir()


def _outside_the_preview(page: str) -> str:
    """The HTML report without the emails it previews: each email's HTML goes, as JSON, to
    a sandboxed frame that renders it as the email would show (its bidi included)."""
    import re

    return re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)


@pytest.mark.parametrize("fmt", ["html", "junit"])
def test_control_characters_never_reach_the_page_or_the_xml(
    tmp_path: Path, run_cli, fmt: str
) -> None:
    """File names, file content, a plain-text part and metadata values (a NUL written as
    YAML's \\0) carry escape sequences, a bidi override and NUL: the HTML and JUnit reports
    show them as escapes (reporters.safe.printable), as the text report does."""
    folder = _hostile_folder(tmp_path)
    (folder / f"offer{ESCAPES}.txt").write_text(f"Hi {ESCAPES} there\n", encoding="utf-8")
    (folder / f"offer{ESCAPES}.meta.yaml").write_text(
        'subject: "Your spring seeds are here"\n'
        'preheader: "Your spring seeds are here \\u202e\\x1b[2J\\0"\n',
        encoding="utf-8",
    )
    result = run_cli("check", "emails", "--format", fmt, "--no-color", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = _outside_the_preview(result.stdout) if fmt == "html" else result.stdout
    for char in "\x1b\x07\x9b\u202e\x00":
        assert char not in out, repr(char)
    assert "\\e[2J" in out and "\\u202e" in out and "\\x00" in out  # shown, escaped
    assert "repeats the subject" in out


def test_control_characters_stay_exact_in_json(tmp_path: Path, run_cli) -> None:
    _hostile_folder(tmp_path)
    result = run_cli("check", "emails", "--format", "json", cwd=tmp_path)
    assert "\x1b" not in result.stdout  # JSON escapes them (\u001b) ...
    document = json.loads(result.stdout)
    paths = {f["path"] for f in document["findings"]}
    assert f"emails/offer{ESCAPES}.html" in paths  # ... and keeps the real value


def test_render_escapes_control_characters(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Hello\x1b]0;owned\x07\nsecond line\n", encoding="utf-8")
    result = run_cli("render", "a.html", "--platform", "mailchimp", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "second line" in result.stdout


# -- --output never destroys what it should not ---------------------------------------------

IMPORTS = Path(__file__).parent / "data" / "imports"
TEMPLATE = (
    '<html><body><p>Hi *|FNAME|*</p><a href="http://staging.example.com/">x</a></body></html>\n'
)


def _template(root: Path) -> Path:
    path = root / "t.html"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["check", "t.html", "--format", "json", "--output", "t.html"],
        ["check", ".", "--format", "json", "--output", "t.html"],
        ["check", "t.html", "--write-baseline", "t.html"],
        ["check", ".", "--output", "t.txt"],  # the template's text part
        ["check", ".", "--output", "t.meta.yaml"],  # its sidecar
        ["check", "t.html", "--output", "link.json"],  # a link to the template
    ],
)
def test_check_refuses_to_write_over_an_input(tmp_path: Path, run_cli, args: list[str]) -> None:
    template = _template(tmp_path)
    (tmp_path / "t.txt").write_text("Hi\n", encoding="utf-8")
    (tmp_path / "t.meta.yaml").write_text("subject: Hi\n", encoding="utf-8")
    (tmp_path / "link.json").symlink_to("t.html")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "refusing to write over" in result.stderr and "input of this run" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert template.read_text(encoding="utf-8") == TEMPLATE


def test_check_writes_a_report_beside_its_inputs(tmp_path: Path, run_cli) -> None:
    _template(tmp_path)
    for _ in range(2):  # the second run replaces the first run's report
        result = run_cli("check", ".", "--format", "json", "--output", "report.json", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]


def test_import_refuses_to_write_over_its_export(tmp_path: Path, run_cli) -> None:
    export = tmp_path / "flow.json"
    export.write_bytes((IMPORTS / "klaviyo" / "delay-then-check.json").read_bytes())
    before = export.read_bytes()
    result = run_cli("import", "flow.json", "--output", "flow.json", cwd=tmp_path)
    assert result.returncode == 2 and "refusing to write over" in result.stderr
    assert export.read_bytes() == before


def test_correct_refuses_to_write_over_its_original(tmp_path: Path, run_cli) -> None:
    original = tmp_path / "correction.html"
    original.write_text(TEMPLATE, encoding="utf-8")
    result = run_cli(
        "correct", "correction.html", "--kind", "duplicate-send", "--platform", "mailchimp",
        "--output", ".", "--overwrite", "--force", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "refusing to write over" in result.stderr
    assert original.read_text(encoding="utf-8") == TEMPLATE


def test_output_keeps_an_existing_files_mode(tmp_path: Path, run_cli) -> None:
    import os
    import stat

    _template(tmp_path)
    report = tmp_path / "report.json"
    report.write_text("{}", encoding="utf-8")
    report.chmod(0o644)
    run_cli("check", "t.html", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    fresh = tmp_path / "fresh.json"
    run_cli("check", "t.html", "--format", "json", "--output", "fresh.json", cwd=tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_output_to_a_fifo_streams_into_it(tmp_path: Path, run_cli) -> None:
    import os
    import threading

    _template(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run_cli("check", "t.html", "--format", "json", "--output", "pipe", cwd=tmp_path)
    reader.join(30)
    assert result.returncode == 1, result.stderr
    assert fifo.is_fifo()
    assert json.loads(received[0])["findings"]


def test_output_through_a_link_to_a_descriptor_streams(tmp_path: Path, run_cli) -> None:
    _template(tmp_path)
    link = tmp_path / "out"
    link.symlink_to("/proc/self/fd/1")
    result = run_cli("check", "t.html", "--format", "json", "--output", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert link.is_symlink()
    assert json.loads(result.stdout)["findings"]


_WRITER = """
import os, signal, sys
from pathlib import Path
from preflight.fsutil import atomic_write

def chunks():
    yield "x" * 100000
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))
    yield "y" * 100000

atomic_write(Path(sys.argv[1]), chunks())
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_write_ended_by_a_signal_leaves_no_temp_file(tmp_path: Path, signame: str) -> None:
    import subprocess
    import sys

    target = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-c", _WRITER, str(target), signame], timeout=60)
    assert result.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_temp_file_of_a_killed_run_is_removed_by_the_next_run(tmp_path: Path, run_cli) -> None:
    import subprocess
    import sys

    target = tmp_path / "report.json"
    killed = subprocess.run([sys.executable, "-c", _WRITER, str(target), "SIGKILL"], timeout=60)
    assert killed.returncode == -9
    stale = [p.name for p in tmp_path.iterdir() if p.name.startswith(".preflight-tmp-")]
    assert len(stale) == 1  # what kill -9 leaves behind
    _template(tmp_path)
    result = run_cli("check", "t.html", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".preflight-tmp-")]


# -- a control character in any YAML file --------------------------------------------------

LIST001_GOOD = Path(__file__).parents[1] / "fixtures" / "LIST001" / "good-known-audiences"
CONTROLS = ["\x1b", "\x00", "\x7f", "\x0b", "\x85\x9b", "\ufffe"]


def _yaml_project(root: Path) -> Path:
    import shutil

    project = root / "project"
    shutil.copytree(LIST001_GOOD, project)
    (project / "offer.meta.yaml").write_text("subject: Hello\n", encoding="utf-8")
    return project


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("name", ["audiences.yaml", "offer.meta.yaml", "launch.workflow.yaml"])
def test_a_control_character_in_yaml_is_pf001(
    tmp_path: Path, run_cli, name: str, char: str
) -> None:
    project = _yaml_project(tmp_path)
    path = project / name
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, f"# a comment with {char} in it")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("check", ".", "--format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr
    findings = json.loads(result.stdout)["findings"]
    pf001 = [f for f in findings if f["rule"] == "PF001"]
    if char == "\x00":  # a NUL byte: the file reads as binary
        assert [(f["path"], f["line"]) for f in pf001] == [(name, None)]
    else:
        assert [(f["path"], f["line"]) for f in pf001] == [(name, 2)]
        assert "control character" in pf001[0]["message"]


@pytest.mark.parametrize("char", CONTROLS)
def test_a_control_character_in_the_config_is_a_config_error(
    tmp_path: Path, run_cli, char: str
) -> None:
    project = _yaml_project(tmp_path)
    (project / "preflight.yaml").write_text(f"platform: hubspot\nexclude: [x{char}]\n", "utf-8")
    result = run_cli("check", ".", cwd=project)
    assert result.returncode == 2
    assert "internal error" not in result.stderr
    assert "preflight.yaml:2:" in result.stderr and "control character" in result.stderr


# -- inputs that crashed a command ------------------------------------------------------------


def _nested_eml(depth: int) -> str:
    text = "From: news@brightleaf.example\nSubject: Hi\nMIME-Version: 1.0\n"
    for level in range(depth):
        text += f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n'
    text += "Content-Type: text/html\n\n<html><body><p>Hi</p></body></html>\n"
    return text + "".join(f"--b{level}--\n" for level in reversed(range(depth)))


def _no_internal_error(result) -> None:
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_deeply_nested_multipart_eml_is_pf001_everywhere(tmp_path: Path, run_cli) -> None:
    (tmp_path / "deep.eml").write_text(_nested_eml(1000), encoding="utf-8")
    checked = run_cli("check", "deep.eml", "--format", "json", cwd=tmp_path)
    _no_internal_error(checked)
    assert checked.returncode == 1
    (finding,) = json.loads(checked.stdout)["findings"]
    assert finding["rule"] == "PF001" and "nested too deeply" in finding["message"]
    rendered = run_cli("render", "deep.eml", "--platform", "mailchimp", cwd=tmp_path)
    corrected = run_cli(
        "correct", "deep.eml", "--kind", "duplicate-send", "--platform", "mailchimp",
        "--output", "out", cwd=tmp_path,
    )  # fmt: skip
    for result in (rendered, corrected):
        _no_internal_error(result)
        assert result.returncode == 2 and "nested too deeply" in result.stderr


def test_lone_surrogate_in_an_export_is_replaced(tmp_path: Path, run_cli) -> None:
    (tmp_path / "welcome.json").write_text(
        '{"Name": "Welcome", "Subject": "Hi \\udc80", "TextBody": "Hi",'
        ' "HtmlBody": "<html><body><p>\\ud800 Hi *|FNAME|*</p></body></html>"}',
        encoding="utf-8",
    )
    result = run_cli("check", "welcome.json", "--format", "json", cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"]
    baseline = run_cli("check", "welcome.json", "--write-baseline", "b.json", cwd=tmp_path)
    _no_internal_error(baseline)
    assert baseline.returncode == 0


def test_eml_date_with_a_huge_year_is_read(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.eml").write_text(
        "From: news@brightleaf.example\nSubject: Hi\n"
        "Date: Mon, 1 Jan 99999999999999999999 10:00:00 +0000\n"
        "Content-Type: text/html\n\n<html><body><p>Hi</p></body></html>\n",
        encoding="utf-8",
    )
    result = run_cli("check", "a.eml", "--format", "json", cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode in (0, 1)


def test_correct_of_a_braze_export_with_an_odd_sender_name(tmp_path: Path, run_cli) -> None:
    (tmp_path / "braze.json").write_text(
        json.dumps(
            {
                "html_body": "<html><body><p>Hi {{${first_name}}}</p></body></html>",
                "dispatch_id": "1",
                "subject": "Hi",
                "from_name": "../x",
                "from_address": "news@brightleaf.example",
            }
        ),
        encoding="utf-8",
    )
    result = run_cli(
        "correct", "braze.json", "--kind", "duplicate-send", "--output", "out", cwd=tmp_path
    )
    _no_internal_error(result)
    assert result.returncode in (0, 1), result.stderr
    # the display name is quoted so the email package takes it (main's corrections/files.py)
    eml = (tmp_path / "out" / "correction.eml").read_text(encoding="utf-8")
    assert 'From: "../x" <news@brightleaf.example>' in eml


def test_render_refuses_a_deeply_nested_row(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>Hi *|FNAME|*</p></body></html>", "utf-8")
    row = '{"FNAME": ' + "[" * 5000 + "]" * 5000 + "}"
    result = run_cli("render", "a.html", "--platform", "mailchimp", "--row", row, cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode == 2 and "nests deeper" in result.stderr


def test_render_reads_a_csv_with_a_long_field(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>Hi</p></body></html>", "utf-8")
    (tmp_path / "a.txt").write_text("Hi *|FNAME|*\n", "utf-8")
    (tmp_path / "data.csv").write_text("FNAME,LNAME\n" + "x" * 200_000 + ",y\n", "utf-8")
    result = run_cli(
        "render", "a.html", "--platform", "mailchimp", "--data", "data.csv", cwd=tmp_path
    )
    _no_internal_error(result)
    assert result.returncode == 0
    assert "Hi " + "x" * 200_000 in result.stdout


# -- memory: spans and windows, not copies -----------------------------------------------------


def _one_line_page(links: int) -> str:
    body = "".join(f'<a href="http://staging.example.com/p{n}">link {n}</a>' for n in range(links))
    return f"<!doctype html>\n<html><body>{body}</body></html>\n"


def test_findings_keep_a_window_of_a_long_line(tmp_path: Path) -> None:
    from preflight.api import check
    from preflight.model.source import EXCERPT_CHARS

    (tmp_path / "minified.html").write_text(_one_line_page(3000), encoding="utf-8")
    report = check([tmp_path / "minified.html"], config={"select": ["LINK003"], "jobs": 1})
    located = [f for f in report.findings if f.location.span]
    assert len(located) > 100
    for finding in located:
        assert finding.source_line is not None and len(finding.source_line) <= EXCERPT_CHARS
        column = finding.location.span.column - finding.source_offset  # the caret's place
        assert finding.source_line[column - 1 :].startswith("http://staging.example.com/p")


def test_findings_on_short_lines_keep_the_whole_line(tmp_path: Path) -> None:
    from preflight.api import check

    line = '<p><a href="http://staging.example.com/">Shop</a></p>'
    (tmp_path / "a.html").write_text(f"<html><body>\n{line}\n</body></html>\n", "utf-8")
    report = check([tmp_path / "a.html"], config={"select": ["LINK003"], "jobs": 1})
    (finding,) = report.findings
    assert (finding.source_line, finding.source_offset) == (line, 0)


def test_the_caret_stays_under_the_finding_in_a_window(tmp_path: Path, run_cli) -> None:
    (tmp_path / "minified.html").write_text(_one_line_page(500), encoding="utf-8")
    result = run_cli("check", "minified.html", "--select", "LINK003", "--no-color", cwd=tmp_path)
    lines = result.stdout.splitlines()
    shown = 0
    for index, line in enumerate(lines):
        if line.startswith(" 2 | "):
            caret = lines[index + 1]
            start = caret.index("^") - len("   | ")
            quoted = line[len(" 2 | ") :]
            assert quoted[start:].startswith("http://staging.example.com/p"), (line, caret)
            shown += 1
    assert shown > 100


def test_live_link_occurrences_keep_a_window_of_a_long_line() -> None:
    from preflight.links.live import occurrences
    from preflight.model import Template
    from preflight.model.source import EXCERPT_CHARS, HtmlDocument, SourceText

    page = _one_line_page(2000)
    html = HtmlDocument(SourceText(page))
    path = Path("minified.html")
    template = Template(path=path, format="html", html=html, sources={path: html.source})
    found = list(occurrences(template, ["staging.example.com"]))
    assert len(found) == 2000
    assert all(o.source_line is not None and len(o.source_line) <= EXCERPT_CHARS for o in found)


def test_tags_in_one_attribute_share_its_value() -> None:
    from preflight.dialects import dialects
    from preflight.model import Sourced, Template
    from preflight.model.source import HtmlDocument, SourceText
    from preflight.tagscan import tag_sites

    value = " ".join("*|FNAME|*" for _ in range(2000))
    page = f'<html><body><p title="{value}">Hi</p><p title="{value}">Hi</p></body></html>'
    template = Template(
        path=Path("a.html"),
        format="html",
        html=HtmlDocument(SourceText(page)),
        platform=Sourced("mailchimp", "config"),
    )
    sites = [s for s in tag_sites(template, dialects()["mailchimp"]) if s.context == "attribute"]
    assert len(sites) == 4000
    assert len({id(site.value) for site in sites}) == 2  # one string per attribute


# -- a damaged link cache ---------------------------------------------------------------------

BAD_ENTRIES = [
    {"status": "ok", "code": 200, "checked_at": "yesterday"},
    {"status": "ok", "code": "200", "checked_at": 1e18},
    {"status": "broken", "code": 404, "chain": [["x", 5]], "checked_at": 1.0},
    {"status": "ok", "code": 200, "anchors": 5, "checked_at": 1.0},
    {"status": "ok", "code": 200, "detail": ["a"], "checked_at": float("nan")},
    {"status": "nonsense", "checked_at": 1.0},
    "not an entry",
]


@pytest.mark.parametrize("entry", BAD_ENTRIES, ids=range(len(BAD_ENTRIES)))
def test_an_unreadable_cache_entry_is_as_good_as_absent(
    tmp_path: Path, run_cli, link_servers, entry: object
) -> None:
    import time

    base = link_servers[0].base
    (tmp_path / "a.html").write_text(
        f'<html><body><p><a href="{base}/404">Old</a> <a href="{base}/page/1">New</a></p>'
        "</body></html>\n",
        encoding="utf-8",
    )
    (tmp_path / "preflight.yaml").write_text(
        "select: [LINK001]\nlinks:\n  allow_hosts: [127.0.0.1]\n  timeout: 2s\n", "utf-8"
    )
    cache = tmp_path / ".preflight_cache" / "links.json"
    cache.parent.mkdir()
    good = {"status": "ok", "code": 200, "checked_at": time.time()}
    # the bad entry for a link of this run, and for one that is not (never checked again:
    # on main it broke every later run, "checked_at": "yesterday" exited 2 on saving)
    entries = {f"{base}/404": entry, f"{base}/page/1": good, f"{base}/elsewhere": entry}
    cache.write_text(json.dumps({"version": 1, "entries": entries}), encoding="utf-8")
    for cached in (1, 2):  # the bad entry is checked again, then cached properly
        result = run_cli("check", ".", "--online", "--format", "json", cwd=tmp_path)
        _no_internal_error(result)
        assert result.returncode == 1, result.stderr
        document = json.loads(result.stdout)
        assert [f["data"]["code"] for f in document["findings"]] == [404]
        assert document["links"]["cached"] == cached
    saved = json.loads(cache.read_text(encoding="utf-8"))["entries"]
    assert saved[f"{base}/404"]["checked_at"] > 0 and saved[f"{base}/404"]["code"] == 404
    assert f"{base}/elsewhere" not in saved


# -- explicit arguments that never end, configs and folders -----------------------------------


def _limited_memory() -> None:  # a run that reads /dev/zero dies fast instead of swapping
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


@pytest.mark.parametrize(
    "args",
    [
        ["check", "t.html", "--config", "/dev/zero"],
        ["check", "t.html", "--baseline", "/dev/zero"],
        ["check", "t.html", "--config", "fifo"],
        ["check", "t.html", "--baseline", "fifo"],
        ["render", "t.html", "--platform", "mailchimp", "--data", "/dev/zero"],
        ["render", "t.html", "--platform", "mailchimp", "--data", "fifo.json"],
        [
            "correct",
            "t.html",
            "--platform",
            "mailchimp",
            "--from-report",
            "/dev/zero",
            "--output",
            "o",
        ],
    ],
)
def test_explicit_files_that_never_end_are_refused(
    tmp_path: Path, run_cli, args: list[str]
) -> None:
    import os

    _template(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    os.mkfifo(tmp_path / "fifo.json")
    result = run_cli(*args, cwd=tmp_path, preexec_fn=_limited_memory)
    _no_internal_error(result)
    assert result.returncode == 2
    assert "not a regular file" in result.stderr or "not a file" in result.stderr


def test_a_large_yaml_without_aliases_is_read() -> None:
    from preflight.yamlio import MAX_EXPANSION, load_yaml

    items = ", ".join(f"f{n}" for n in range(MAX_EXPANSION + 20_000))
    document = load_yaml(f"audiences:\n  big:\n    kind: production\n    fields: [{items}]\n")
    assert len(document.data["audiences"]["big"]["fields"]) == MAX_EXPANSION + 20_000


def test_an_alias_bomb_is_refused_for_what_the_aliases_add() -> None:
    from preflight.yamlio import YamlError, load_yaml

    levels = [f"a0: &a0 [{', '.join(['x'] * 10)}]"] + [
        f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 7)
    ]
    with pytest.raises(YamlError, match="aliases expand to more than"):
        load_yaml("\n".join(levels) + "\n")


def test_a_large_audiences_file_is_no_alias_error(tmp_path: Path, run_cli) -> None:
    project = _yaml_project(tmp_path)
    extra = "".join(
        f"  extra{n}:\n    kind: production\n    fields: [email, first_name, last_name]\n"
        for n in range(15_000)  # 150,000 values, no alias
    )
    with open(project / "audiences.yaml", "a", encoding="utf-8") as handle:
        handle.write(extra)
    result = run_cli("check", ".", "--format", "json", cwd=project)
    _no_internal_error(result)
    assert [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "PF001"] == []


@pytest.mark.parametrize("value", ["-1", "0", "0.5", "0k"])
def test_max_file_size_must_be_positive(tmp_path: Path, run_cli, value: str) -> None:
    _template(tmp_path)
    (tmp_path / "preflight.yaml").write_text(f"max_file_size: {value}\n", encoding="utf-8")
    result = run_cli("check", "t.html", cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode == 2 and "max_file_size" in result.stderr


def test_walking_never_leaves_the_folder_through_a_link(tmp_path: Path, run_cli) -> None:
    secret = "API_KEY=sk_live_do_not_print"
    (tmp_path / ".env").write_text(f'<p><a href="http://staging.example.com/?{secret}">x</a>\n')
    folder = tmp_path / "emails"
    (folder / "real").mkdir(parents=True)
    (folder / "real" / "offer.html").write_text(
        '<html><body><p><a href="http://staging.example.com/inside">x</a></p></body></html>\n'
    )
    (folder / "leak.html").symlink_to(tmp_path / ".env")  # out of the folder: not walked
    (folder / "alias.html").symlink_to(folder / "real" / "offer.html")  # inside: fine
    (folder / "welcome.html").write_text("<html><body><p>Hi</p></body></html>\n")
    (folder / "welcome.txt").symlink_to(tmp_path / ".env")  # a companion out of the folder
    (folder / "welcome.meta.yaml").symlink_to(tmp_path / ".env")
    result = run_cli("check", "emails", "--format", "json", cwd=tmp_path)
    _no_internal_error(result)
    assert "sk_live" not in result.stdout
    document = json.loads(result.stdout)
    paths = {f["path"] for f in document["files"]}
    assert "emails/leak.html" not in paths
    assert {"emails/alias.html", "emails/real/offer.html"} <= paths
    outside = {f["path"] for f in document["findings"] if "outside its folder" in f["message"]}
    assert outside == {"emails/welcome.txt", "emails/welcome.meta.yaml"}
    named = run_cli("check", "emails/leak.html", "--format", "json", cwd=tmp_path)
    assert "sk_live" in named.stdout  # named on the command line: told to


# -- found by the fuzz test (tests/test_fuzz.py) ------------------------------------------


def test_css_with_a_number_of_thousands_of_digits(tmp_path: Path, run_cli) -> None:
    """tinycss2 reads integers with int(), which refuses more than 4,300 digits."""
    digits = "9" * 5000
    (tmp_path / "t.html").write_text(
        f"<html><head><style>p {{ width: {digits}px }}</style></head><body>\n"
        f'<p style="font-size:{digits}px;color:#{digits}">Hi</p>\n'
        f'<table bgcolor="rgb({digits},0,0)"><tr><td><font color="rgb({digits},0,0)">Hi</font>'
        "</td></tr></table></body></html>\n",
        encoding="utf-8",
    )
    result = run_cli("check", "t.html", "--format", "json", cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode in (0, 1)
    json.loads(result.stdout)


@pytest.mark.parametrize(
    "line",
    [
        "audiences: " + "x" * 300 + ".yaml",
        'audiences: "a\\0b.yaml"',
        "cache: {path: " + "x" * 300 + "}",
        "corrections: {templates: " + "x" * 300 + "}",
        "extends: " + "x" * 300 + "/base.yaml",
    ],
    ids=["audiences", "audiences-nul", "cache", "templates", "extends"],
)
def test_a_path_in_the_config_the_system_refuses_is_a_config_error(
    tmp_path: Path, run_cli, line: str
) -> None:
    """A name over 255 bytes raised OSError (ENAMETOOLONG) from the first stat."""
    _template(tmp_path)
    (tmp_path / "preflight.yaml").write_text(line + "\n", encoding="utf-8")
    result = run_cli("check", "t.html", "--format", "json", cwd=tmp_path)
    _no_internal_error(result)
    assert result.returncode == 2
    assert "preflight.yaml:1:" in result.stderr and "path" in result.stderr


def test_a_workflow_that_sends_a_name_too_long_for_the_system(tmp_path: Path, run_cli) -> None:
    for send in ("x" * 300 + ".html", "x" * 300 + "/a.html"):
        (tmp_path / "w.workflow.yaml").write_text(
            f"name: w\nsteps:\n  - id: a\n    send: {send}\n    next: end\n  - id: end\n"
            "    exit: true\n",
            encoding="utf-8",
        )
        result = run_cli("check", "w.workflow.yaml", "--format", "json", cwd=tmp_path)
        _no_internal_error(result)
        assert "FLOW002" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_reading_a_footer_of_a_long_dashed_run_is_linear() -> None:
    """Found by the fuzz test: the street-suffix pattern (Hauptstraße 5) started at every
    digit of "Lane-1-1-1…" and tried every split of the run: 28 kB took minutes. It now
    starts where a run of name characters starts (this input: milliseconds)."""
    from preflight.footer import looks_like_address

    assert not looks_like_address("14 Orchard Lan" + "-1" * 20_000)
    assert not looks_like_address("1 " + "A-" * 20_000)
    assert looks_like_address("Brightleaf, Gartenweg 7, 10115 Berlin")
    assert looks_like_address("Bürgermeister-Smidt-Straße 12")


@pytest.mark.parametrize(
    ("folder", "file", "old", "new"),
    [
        ("mjml", "source/offer.mjml", "./shared/footer.mjml", "./sh" + "9d" * 200 + "/f.mjml"),
        ("panini", "src/layouts/default.html", "{{> footer}}", "{{> " + "f" * 300 + "}}"),
    ],
    ids=["mj-include", "handlebars-partial"],
)
def test_an_include_named_too_long_for_the_system(
    tmp_path: Path, run_cli, folder: str, file: str, old: str, new: str
) -> None:
    """Found by the fuzz test: an mj-include path or a partial name over 255 bytes was an
    internal error (OSError from is_file); it is a file that is not there."""
    import shutil

    project = tmp_path / folder
    shutil.copytree(Path(__file__).parent / "data" / "compose" / folder, project)
    path = project / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    result = run_cli("check", ".", "--format", "json", cwd=project)
    _no_internal_error(result)
    assert result.returncode in (0, 1), result.stderr
    json.loads(result.stdout)


def test_link_text_of_a_long_run_of_punctuation_is_read_in_linear_time() -> None:
    """Found by the fuzz test (a Braze export timed out): A11Y003's link-text reading
    stripped trailing punctuation with a regex ending in $, which retried every start of
    a long run of punctuation followed by a word (quadratic). It is str.rstrip now."""
    from preflight.checks.a11y import _normal

    assert _normal("." * 30_000 + " Read more ...") == "." * 30_000 + " read more"
    assert _normal("  « Click here! » ") == "click here"


def test_mjml_that_mrml_refuses_is_retried_in_linear_time(tmp_path: Path, run_cli) -> None:
    """The forgiving second try over MJML (compose/mjml.py _Lenient) pairs openings with
    closings in one pass: thousands of unclosed <mj-text>, comments or <mj-attributes> end
    in a clear PF001, not in minutes of backtracking (the first version took 66 s on the
    comments alone; the CLI's timeout bounds the test)."""
    bodies = {
        "texts.mjml": "<mjml><mj-body>" + "<mj-text>" * 40_000,
        "comments.mjml": "<mjml>" + "<!--" * 100_000,
        "attributes.mjml": "<mjml><mj-head>" + "<mj-attributes>" * 40_000,
    }
    for name, body in bodies.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    result = run_cli("check", ".", "--format", "json", "--no-cache", cwd=tmp_path)
    _no_internal_error(result)
    document = json.loads(result.stdout)
    unreadable = {Path(f["path"]).name for f in document["findings"] if f["rule"] == "PF001"}
    assert unreadable == set(bodies)


def _mjml_cases(root: Path, cases: dict[str, dict[str, str]]) -> None:
    for name, files in cases.items():
        for file, body in files.items():
            (root / name / file).parent.mkdir(parents=True, exist_ok=True)
            (root / name / file).write_text(body, encoding="utf-8")


def test_mjml_nesting_hidden_from_the_depth_count_is_pf001_not_a_crash(
    tmp_path: Path, run_cli
) -> None:
    """MRML overflows its stack on MJML nested a few thousand deep and kills the process
    (SIGSEGV). Closing tags it reads as text (in a comment, in an ending tag's content) must
    not lower the depth preflight counts before handing it the document."""
    n = 20_000
    cases = {
        name: {
            "a.mjml": "<mjml><mj-body>" + opening * n + "</mj-wrapper>" * n + "</mj-body></mjml>"
        }
        for name, opening in {
            "comment": "<mj-wrapper><!-- </x> -->",
            "text": "<mj-wrapper><mj-text></mj-wrapper></mj-text>",
            "raw": "<mj-wrapper><mj-raw></x></mj-raw>",
        }.items()
    }
    _mjml_cases(tmp_path, cases)
    for name in cases:
        result = run_cli("check", f"{name}/a.mjml", "--format", "json", "--no-cache", cwd=tmp_path)
        assert result.returncode in (0, 1), (name, result.returncode)
        _no_internal_error(result)
        rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
        assert "PF001" in rules, name


def test_mjml_includes_in_a_cycle_or_a_long_chain_are_pf001_not_a_crash(
    tmp_path: Path, run_cli
) -> None:
    """MRML follows <mj-include> on the stack, each path from the root folder: includes that
    include each other, or a chain of thousands, overflowed it (SIGSEGV)."""
    section = '<mj-section><mj-column><mj-include path="{}" /></mj-column></mj-section>'
    chain = {
        f"p{i}.mjml": f'<mj-wrapper><mj-include path="./p{i + 1}.mjml" /></mj-wrapper>'
        for i in range(2500)
    }
    cases = {
        "cycle": {
            "a.mjml": '<mjml><mj-body><mj-include path="./b.mjml" /></mj-body></mjml>',
            "b.mjml": section.format("./c.mjml"),
            "c.mjml": '<mj-wrapper><mj-include path="./b.mjml" /></mj-wrapper>',
        },
        # MRML reads sub/b.mjml's path from the root folder: sub/b.mjml includes itself
        "root-relative": {
            "a.mjml": '<mjml><mj-body><mj-include path="./sub/b.mjml" /></mj-body></mjml>',
            "sub/b.mjml": section.format("./sub/b.mjml"),
        },
        "chain": {
            "a.mjml": '<mjml><mj-body><mj-include path="./p0.mjml" /></mj-body></mjml>',
            **chain,
            "p2500.mjml": "<mj-text>end</mj-text>",
        },
    }
    _mjml_cases(tmp_path, cases)
    for name in cases:
        result = run_cli("check", f"{name}/a.mjml", "--format", "json", "--no-cache", cwd=tmp_path)
        assert result.returncode in (0, 1), (name, result.returncode)
        _no_internal_error(result)
        rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
        assert "PF001" in rules, name


_VISIBLE_PIECES = (
    "<html>",
    "</html>",
    "<body>",
    "</body>",
    "<body class=x>",
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "text",
    " ",
    "\n",
    "tail",
    "<br>",
    "<table>",
    "<td>",
    "</table>",
    "<!-- c -->",
    "<?pi x?>",
    '<script>var a="<p>x</p>"</script>',
    "<style>p{}</style>",
    "<title>T</title>",
    "<noscript>ns</noscript>",
    "<template>tp</template>",
    "<head>",
    "</head>",
    "&amp;",
    "<![CDATA[x]]>",
    "<svg><text>s</text></svg>",
)


def test_visible_text_is_the_xpath_body_text_outside_hidden_elements() -> None:
    """visible_text walks the tree by hand for speed; it must give what the XPath
    //body//text() gives, minus runs in scripts, styles, titles and templates: comment and
    PI tails included, a <body> after </html> included, every run once, in order."""
    import random

    from lxml import etree

    from preflight.model.source import HtmlDocument, SourceText

    xpath = etree.XPath("//body//text()")
    hidden = {"script", "style", "title", "noscript", "template"}

    def expected(root: etree._Element) -> list[tuple[etree._Element, str, bool]]:
        runs = []
        for text in xpath(root):
            parent = text.getparent()
            owner = parent.getparent() if text.is_tail else parent
            if text.strip() and not (owner is not None and owner.tag in hidden):
                runs.append((parent, str(text), bool(text.is_tail)))
        return runs

    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        page = "".join(rng.choice(_VISIBLE_PIECES) for _ in range(rng.randint(1, 30)))
        html = HtmlDocument(SourceText(page))
        if html.root is None:
            continue
        assert html.visible_text() == expected(html.root), page
        checked += 1
    assert checked > 2000
