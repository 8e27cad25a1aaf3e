"""The native workflow format: schema problems with positions, JSON and YAML, the graph rules."""

from __future__ import annotations

import json
from pathlib import Path

from preflight.engine import check
from preflight.formats.workflow import load_workflow

HEADER = "name: Guide\nsteps:\n"


def _write(tmp_path: Path, text: str, name: str = "guide.workflow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_schema_problems_are_pf003_at_the_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + "  - id: offer\n    send: offer.html\n  - id: wait\n    wiat: 2 days\n",
    )
    report = check([path], config={"select": ["PF003"]})
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert finding.rule == "PF003"
    assert finding.location.span is not None and finding.location.span.line == 5
    assert 'unknown key "wiat"' in finding.message


def test_unknown_top_level_key_says_did_you_mean(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: Guide\nstep:\n  - id: a\n    exit: true\n")
    workflow, problems = load_workflow(path, 1_000_000)
    assert workflow is None
    messages = [v.message for _, v in problems]
    assert any('"step"' in m and 'did you mean "steps"' in m for m in messages), messages


def test_invalid_yaml_is_pf001(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: [unclosed\n")
    report = check([path], config={"select": ["PF001"]})
    assert [f.rule for f in report.findings] == ["PF001"]


def test_a_step_has_exactly_one_kind(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "  - id: a\n    send: a.html\n    wait: 2 days\n")
    _, problems = load_workflow(path, 1_000_000)
    assert any("one kind, not send and wait" in v.message for _, v in problems)


def test_bad_duration_is_pf003(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "  - id: a\n    wait: two fortnights\n")
    _, problems = load_workflow(path, 1_000_000)
    assert [rule for rule, _ in problems] == ["PF003"]
    assert "is not a duration" in problems[0][1].message


def test_json_workflows_carry_pointers(tmp_path: Path) -> None:
    document = {
        "name": "Guide",
        "steps": [
            {"id": "offer", "send": "offer.html"},
            {"id": "check", "branch": {"if": {"opened": "offer"}, "then": "done"}},
            {"id": "done", "exit": True},
        ],
    }
    path = _write(tmp_path, json.dumps(document), "guide.workflow.json")
    (tmp_path / "offer.html").write_text("<p>Hello</p>", encoding="utf-8")
    report = check([path], config={"select": ["FLOW007", "TIME001"]})
    assert sorted(f.rule for f in report.findings) == ["FLOW007", "TIME001"]
    assert {f.location.pointer for f in report.findings} == {"/steps/1"}
    assert report.files[0].kind == "workflow"


def test_yaml_suppression_covers_a_workflow_finding(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + "  - id: ab  # preflight: ignore[FLOW006]\n    split: {a: 50, b: 40}\n"
        "  - id: a\n    exit: true\n  - id: b\n    exit: true\n",
    )
    report = check([path], config={"select": ["FLOW006", "PF002"]})
    assert report.findings == []


def test_reminder_phrases_in_other_languages(tmp_path: Path) -> None:
    (tmp_path / "offer.html").write_text("<p>Hier ist der Leitfaden</p>", encoding="utf-8")
    (tmp_path / "reminder.html").write_text(
        "<p>Sie haben den Leitfaden noch nicht heruntergeladen.</p>", encoding="utf-8"
    )
    path = _write(
        tmp_path,
        HEADER + "  - id: offer\n    send: offer.html\n  - id: reminder\n    send: reminder.html\n",
    )
    report = check([path], config={"select": ["TIME002"]})
    assert [f.data["phrase"] for f in report.findings] == ["noch nicht heruntergeladen"]


def test_a_reminder_on_the_yes_side_is_unguarded(tmp_path: Path) -> None:
    (tmp_path / "offer.html").write_text("<p>Your guide</p>", encoding="utf-8")
    (tmp_path / "reminder.html").write_text("<p>Last chance to get it</p>", encoding="utf-8")
    path = _write(
        tmp_path,
        HEADER + "  - id: offer\n    send: offer.html\n  - id: w\n    wait: 3 days\n"
        "  - id: check\n    branch: {if: {downloaded: offer}, then: reminder, else: done}\n"
        "  - id: reminder\n    send: reminder.html\n  - id: done\n    exit: true\n",
    )
    report = check([path], config={"select": ["TIME002"]})
    assert [f.data["path"] for f in report.findings] == ["offer → wait 3 days → check → reminder"]


def test_the_shortest_wait_path_is_reported(tmp_path: Path) -> None:
    """Two ways to the check: one waits 3 days, the other none; the rule names the short one."""
    (tmp_path / "offer.html").write_text("<p>Your guide</p>", encoding="utf-8")
    path = _write(
        tmp_path,
        HEADER + "  - id: offer\n    send: offer.html\n"
        "  - id: ab\n    split: {slow: 50, check: 50}\n"
        "  - id: slow\n    wait: 3 days\n    next: check\n"
        "  - id: check\n    branch: {if: {clicked: offer}, then: done, else: done}\n"
        "  - id: done\n    exit: true\n",
    )
    report = check([path], config={"select": ["TIME001"]})
    assert [f.data["path"] for f in report.findings] == ["offer → ab → check"]
