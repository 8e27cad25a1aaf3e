"""The native workflow format: schema problems with positions, JSON and YAML, the graph rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preflight.api import check
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


def _messages(tmp_path: Path, steps: str) -> list[str]:
    _, problems = load_workflow(_write(tmp_path, HEADER + steps), 1_000_000)
    return [v.message for _, v in problems]


def test_an_unquoted_time_says_write_it_in_quotes(tmp_path: Path) -> None:
    steps = "  - id: a\n    send:\n      template: a.html\n      window: {start: 9:00}\n"
    assert _messages(tmp_path, steps) == [
        'steps/0/send/window/start: 540 is not a time of day; write it in quotes: "09:00"'
    ]
    assert _messages(tmp_path, "  - id: a\n    wait: {until_time: 17:30}\n") == [
        'steps/0/wait/until_time: 1050 is not a time of day; write it in quotes: "17:30"'
    ]


def test_a_misspelt_key_in_a_send_block_says_did_you_mean(tmp_path: Path) -> None:
    steps = "  - id: a\n    send: {template: a.html, subjct: hi}\n"
    assert _messages(tmp_path, steps) == [
        'steps/0/send: unknown key "subjct" (did you mean "subject"?)'
    ]


@pytest.mark.parametrize("clock", ["25:00", "29:59", "24:00", "9:60", "900"])
def test_a_clock_is_00_00_to_23_59(tmp_path: Path, clock: str) -> None:
    steps = f'  - id: a\n    wait: {{until_time: "{clock}"}}\n'
    assert _messages(tmp_path, steps) == [
        f'steps/0/wait/until_time: "{clock}" is not a time of day such as "09:00"'
    ]


@pytest.mark.parametrize("clock", ["00:00", "9:30", "09:30", "19:59", "23:59"])
def test_a_clock_of_the_day_is_accepted(tmp_path: Path, clock: str) -> None:
    assert _messages(tmp_path, f'  - id: a\n    wait: {{until_time: "{clock}"}}\n') == []


def test_weekdays_in_any_case_are_read_in_lower_case(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + "  - id: a\n    wait: {until_weekday: Monday}\n    next: b\n"
        "  - id: b\n    send: {template: b.html, window: {days: [TUESDAY, friday]}}\n",
    )
    workflow, problems = load_workflow(path, 1_000_000)
    assert problems == [] and workflow is not None
    assert workflow.steps[0].until is not None and workflow.steps[0].until.weekdays == ("monday",)
    window = workflow.steps[1].send_window
    assert window is not None and window.days == ("tuesday", "friday")
    assert _messages(tmp_path, "  - id: a\n    wait: {until_weekday: Mon}\n") == [
        'steps/0/wait/until_weekday: "Mon" is not a day of the week such as "monday"'
    ]


def test_schema_messages_quote_values_as_json(tmp_path: Path) -> None:
    steps = "  - id: a\n    wait: {amount: '1e308', unit: days}\n"
    assert _messages(tmp_path, steps) == ['steps/0/wait/amount: "1e308" is not a number']


def test_a_duplicate_step_id_is_pf003_at_the_second(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + "  - id: s\n    send: a.html\n    next: s\n  - id: s\n    exit: true\n",
    )
    report = check([path], config={"select": ["PF003", "FLOW"]})
    assert [f.rule for f in report.findings] == ["PF003"]  # no confusing FLOW001/FLOW003
    finding = report.findings[0]
    assert finding.message == 'steps/1/id: two steps have the id "s" (the first is steps/0)'
    assert finding.location.span is not None and finding.location.span.line == 6
    (related,) = finding.related
    assert related.location.span is not None and related.location.span.line == 3
