"""End to end: the installed `preflight` command, every format and every exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import FIXTURES, REPO

SAMPLE = FIXTURES / "campaigns" / "spring-launch"
CLEAN_HTML = FIXTURES / "CONTENT001" / "good-mailchimp-tag"


def _copy_clean(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in ("email.html", "email.txt", "email.meta.yaml"):
        shutil.copy(CLEAN_HTML / name, target / name)
    return target


def test_sample_campaign_exits_1_with_findings(run_cli) -> None:
    result = run_cli("check", str(SAMPLE), "--no-color", cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "CONTENT006" in result.stdout and "[FIRST NAME]" in result.stdout
    assert result.stdout.rstrip().endswith("in 11 files.")


def test_clean_twins_exit_0(run_cli) -> None:
    result = run_cli("check", str(SAMPLE / "clean"), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found in 6 files." in result.stdout


def test_readme_output_excerpt_is_current(run_cli) -> None:
    """The README shows real output of its main command; keep it true."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("```text\n", 1)[1].split("```", 1)[0]
    result = run_cli("check", "fixtures/campaigns/spring-launch", "--no-color", cwd=REPO)
    for chunk in excerpt.strip().split("\n\n"):
        assert chunk in result.stdout, f"README excerpt is out of date:\n{chunk}"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("launch.html", "text"),
        ("reminder.eml", "json"),
        ("bulbs.json", "sarif"),
        ("order-shipped.json", "github"),
    ],
)
def test_every_format_reads_every_input_kind(run_cli, name: str, fmt: str) -> None:
    # --fail-on warning: reminder.eml's mistakes are warnings (Mailchimp appends a footer)
    path = str(SAMPLE / "emails" / name)
    result = run_cli("check", path, "--format", fmt, "--fail-on", "warning", cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    if fmt == "json":
        document = json.loads(result.stdout)
        assert document["files"][0]["kind"] == "template"
        assert {f["rule"] for f in document["findings"]} >= {"CONTENT001", "CONTENT007"}
    elif fmt == "sarif":
        document = json.loads(result.stdout)
        assert document["version"] == "2.1.0"
        assert document["runs"][0]["results"]
    elif fmt == "github":
        assert result.stdout.startswith("::")
        assert "::error file=" in result.stdout
    else:
        assert "launch.html:15:15" in result.stdout


def test_json_output_file_is_written(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    result = run_cli(
        "check", str(SAMPLE / "emails"), "--format", "json", "--output", str(target), cwd=REPO
    )
    assert result.returncode == 1
    assert result.stdout == ""
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["summary"]["errors"] > 0


def test_fail_on(run_cli) -> None:
    path = str(SAMPLE / "emails" / "reminder.eml")
    assert run_cli("check", path, "--select", "CONTENT007", cwd=REPO).returncode == 0  # a warning
    assert (
        run_cli(
            "check", path, "--select", "CONTENT007", "--fail-on", "warning", cwd=REPO
        ).returncode
        == 1
    )
    assert run_cli("check", path, "--fail-on", "never", cwd=REPO).returncode == 0


def test_github_is_the_default_under_github_actions(run_cli) -> None:
    result = run_cli(
        "check", str(SAMPLE / "emails" / "reminder.eml"), cwd=REPO, env={"GITHUB_ACTIONS": "true"}
    )
    assert result.stdout.startswith("::")


@pytest.mark.parametrize(
    "args",
    [
        ("check", "no/such/path"),
        ("check", ".", "--select", "CONTNET"),
        ("check", ".", "--platform", "mailchimpp"),
        ("check", ".", "--format", "xml"),
        ("explain", "CONTENT999"),
        ("check", ".", "--baseline", "missing-baseline.json"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    run_cli, args: tuple[str, ...], tmp_path: Path
) -> None:
    _copy_clean(tmp_path)
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_rule_suggests(run_cli, tmp_path: Path) -> None:
    result = run_cli("check", ".", "--select", "CONTNET", cwd=_copy_clean(tmp_path))
    assert 'did you mean "CONTENT"' in result.stderr
    result = run_cli("explain", "leftover-placeholdr", cwd=tmp_path)
    assert 'did you mean "leftover-placeholder"' in result.stderr


def test_broken_config_exits_2_naming_file_and_key(run_cli, tmp_path: Path) -> None:
    _copy_clean(tmp_path)
    (tmp_path / "preflight.yaml").write_text("selct: [CONTENT]\n")
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "preflight.yaml:1:1" in result.stderr and 'did you mean "select"' in result.stderr


def test_bad_input_is_a_finding_not_a_traceback(run_cli, tmp_path: Path) -> None:
    _copy_clean(tmp_path)
    (tmp_path / "binary.html").write_bytes(b"\x00\x01\x02\xff" * 50)
    (tmp_path / "empty.eml").write_text("")
    (tmp_path / "broken.json").write_text('{"Subject": "x", "HtmlBody": ')
    (tmp_path / "big.html").write_text("<p>" + "x" * 2048 + "</p>")
    (tmp_path / "preflight.yaml").write_text("max_file_size: 1KB\n")
    result = run_cli("check", ".", "broken.json", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    by_path = {(f["path"], f["rule"]) for f in findings}
    assert ("binary.html", "PF001") in by_path
    assert ("empty.eml", "PF001") in by_path
    assert ("big.html", "PF001") in by_path
    assert ("broken.json", "PF001") in by_path


def test_rules_and_explain(run_cli) -> None:
    listing = json.loads(run_cli("rules", "--format", "json").stdout)
    ids = [rule["id"] for rule in listing["rules"]]
    assert "CONTENT001" in ids and "PF001" in ids
    text = run_cli("explain", "image-missing-alt")
    assert text.returncode == 0
    for section in ("What it does", "Why it matters", "Example", "Use instead", "Options"):
        assert f"## {section}" in text.stdout


def test_version_and_module_entry_point(run_cli) -> None:
    import subprocess
    import sys

    assert run_cli("--version").stdout.strip() == "preflight 0.1.0"
    module = subprocess.run(
        [sys.executable, "-m", "preflight", "--version"], capture_output=True, text=True, timeout=60
    )
    assert module.stdout.strip() == "preflight 0.1.0"


def test_baseline_round_trip_survives_line_moves(run_cli, tmp_path: Path) -> None:
    _copy_clean(tmp_path)
    page = tmp_path / "email.html"
    page.write_text(page.read_text().replace("<h1>", "<p>lorem ipsum</p>\n<h1>"))
    assert run_cli("check", ".", cwd=tmp_path).returncode == 1
    written = run_cli("check", ".", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert written.returncode == 0 and (tmp_path / "baseline.json").is_file()
    assert run_cli("check", ".", "--baseline", "baseline.json", cwd=tmp_path).returncode == 0
    # move the known mistake down two lines: still known
    page.write_text(
        page.read_text()
        .replace("<p>lorem ipsum</p>\n", "")
        .replace("</h1>", "</h1>\n\n<p>lorem ipsum</p>")
    )
    assert run_cli("check", ".", "--baseline", "baseline.json", cwd=tmp_path).returncode == 0
    # a new mistake still fails
    page.write_text(page.read_text().replace("</h1>", "</h1>\n<p>TODO: price</p>"))
    result = run_cli("check", ".", "--baseline", "baseline.json", cwd=tmp_path)
    assert result.returncode == 1 and "TODO" in result.stdout


def test_skip_unknown_lets_pre_commit_name_any_json(run_cli, tmp_path: Path) -> None:
    _copy_clean(tmp_path)
    (tmp_path / "package.json").write_text('{"name": "site", "version": "1.0.0"}\n')
    named = ("email.html", "package.json", "notes.md")
    (tmp_path / "notes.md").write_text("# notes\n")
    assert run_cli("check", *named, cwd=tmp_path).returncode == 1  # PF001 for each stranger
    result = run_cli("check", "--skip-unknown", *named, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "in 1 file" in result.stdout
