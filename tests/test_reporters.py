"""Reporters are pure functions of a Report: check their shapes on a real run."""

from __future__ import annotations

import json

import pytest

import preflight
from preflight.reporters import render

from .conftest import FIXTURES

SAMPLE = FIXTURES / "campaigns" / "spring-launch"


@pytest.fixture(scope="module")
def report() -> preflight.Report:
    return preflight.check([SAMPLE / "emails"])


def test_sarif_is_2_1_0_with_rules_regions_and_levels(report: preflight.Report) -> None:
    document = json.loads(render(report, "sarif"))
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"CONTENT001", "PF001"}
    for rule in rules:
        assert rule["help"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run["results"]
    assert len(results) == len(report.findings)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    placeholder = next(r for r in results if "[FIRST NAME]" in r["message"]["text"])
    region = placeholder["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (15, 15, 27)


def test_github_annotations_escape_and_carry_positions(report: preflight.Report) -> None:
    lines = [x for x in render(report, "github").splitlines() if not x.startswith("::debug::")]
    assert len(lines) == len(report.findings)
    line = next(item for item in lines if "[FIRST NAME]" in item)
    assert line.startswith("::error file=")
    assert ",line=15,col=15,endLine=15,endColumn=27," in line
    assert "title=CONTENT006 leftover-placeholder::" in line
    assert "%0Ahelp: " in line  # newlines in the message are escaped, not emitted
    assert all(item.startswith(("::error ", "::warning ", "::notice ")) for item in lines)


def test_text_summary_and_quiet(report: preflight.Report) -> None:
    text = render(report, "text")
    assert text.rstrip().endswith("Found 27 problems (10 errors, 17 warnings, 0 infos) in 6 files.")
    assert "\x1b[" not in text
    quiet = render(report, "text", quiet=True)
    assert "warning" not in quiet.split("Found")[0]
    assert "\x1b[31" in render(report, "text", color=True)


def test_json_is_sorted_by_path_line_column_rule(report: preflight.Report) -> None:
    findings = json.loads(render(report, "json"))["findings"]
    keys = [(f["path"], f["line"] or 0, f["column"] or 0, f["rule"]) for f in findings]
    assert keys == sorted(keys)


def test_streamed_json_equals_the_report_dict(report: preflight.Report) -> None:
    assert json.loads(render(report, "json")) == report.to_dict()
    empty = preflight.Report()
    assert json.loads(render(empty, "json"))["findings"] == []
    assert json.loads(render(empty, "sarif"))["runs"][0]["results"] == []


def _clean_mailchimp(folder, count: int) -> None:
    folder.mkdir()
    for index in range(count):
        (folder / f"email-{index:02}.html").write_text(
            "<html lang='en'><body><p>Our spring seeds are here.</p>"
            "<p>Brightleaf Gardens, 14 Orchard Lane, Leeds LS1 2AB</p>"
            "<p><a href='*|UNSUB|*'>Unsubscribe</a> <a href='*|ARCHIVE|*'>View online</a></p>"
            "</body></html>",
            encoding="utf-8",
        )


def test_confident_detections_are_listed_only_with_verbose(tmp_path, run_cli) -> None:
    """50 clean Mailchimp templates: no "Platforms detected" block (it was 51 lines)."""
    _clean_mailchimp(tmp_path / "emails", 50)
    args = ("check", "emails", "--select", "MERGE,LINK", "--no-cache")
    quiet = run_cli(*args, cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "Read 50 emails.\nNo problems found in 50 files.\n"
    verbose = run_cli(*args, "--verbose", cwd=tmp_path)
    assert "Platforms detected from merge tags" in verbose.stdout
    assert verbose.stdout.count("mailchimp (detected, confidence 1.00)") == 50


def test_ambiguous_detections_are_listed_up_to_twenty(tmp_path) -> None:
    from preflight.model.report import FileInfo, Report

    report = Report(
        files=[
            FileInfo(tmp_path / f"e{i:02}.html", "template", None, "detected", 0.4, ("a", "b"))
            for i in range(25)
        ]
        + [FileInfo(tmp_path / "sure.html", "template", "mailchimp", "detected", 0.9)]
        + [FileInfo(tmp_path / "unsure.html", "template", "hubspot", "detected", 0.6)]
    )
    text = render(report, "text")
    assert text.count("ambiguous: a or b (none assumed)") == 20  # the test folder says it too
    assert "… and 6 more (--verbose lists them all)" in text
    assert "sure.html: mailchimp" not in text
    verbose = render(report, "text", verbose=True)
    assert verbose.count("ambiguous: a or b") == 25
    assert "sure.html: mailchimp (detected, confidence 0.90)" in verbose
    assert "unsure.html: hubspot (detected, confidence 0.60)" in verbose
