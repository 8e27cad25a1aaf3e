"""TIME003–TIME006 and FLOW003–FLOW005: exact messages, the paths they show, silent twins,
and the graph rules on bench/bench_workflow.py's generated 1,000-step workflow."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest

from preflight import graphs, urls
from preflight.api import check
from preflight.catalogue import load_catalogue
from preflight.checks import timing
from preflight.formats.workflow import load_workflow
from preflight.model import AudienceZone, Workflow

from .conftest import REPO

HEADER = "name: Guide\ntimezone: Europe/London\nsteps:\n"


def _write(tmp_path: Path, steps: str, header: str = HEADER) -> Path:
    path = tmp_path / "guide.workflow.yaml"
    path.write_text(header + steps, encoding="utf-8")
    return path


def _email(tmp_path: Path, name: str, body: str, subject: str = "Brightleaf") -> None:
    (tmp_path / name).write_text(
        f"<!doctype html><html lang='en'><head><title>{subject}</title></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )


def _messages(path: Path, rule: str, **config: Any) -> list[str]:
    report = check([path], config={"select": [rule], **config})
    assert all(f.rule == rule for f in report.findings), report.findings
    return [f.message for f in report.findings]


def _loaded(path: Path) -> Workflow:
    workflow, problems = load_workflow(path, 1_000_000)
    assert workflow is not None and not problems, problems
    return workflow


def _defaults(rule: str) -> dict[str, Any]:
    return load_catalogue().rules[rule].option_defaults()


# -- TIME003 suspicious-wait -----------------------------------------------------------------

CHECK_AFTER = (
    "  - id: offer\n    send: offer.html\n  - id: w\n    wait: {wait}\n"
    "  - id: opened\n    branch: {{if: {{opened: offer}}, then: done, else: done}}\n"
    "  - id: done\n    exit: true\n"
)


@pytest.mark.parametrize(
    ("wait", "message"),
    [
        (
            "7 minutes",
            'the wait "w" is only 7 minutes, right before the check "opened": is the unit wrong?',
        ),
        (
            "5m",
            'the wait "w" is written "5m", read as 5 minutes; in Mautic "m" means months',
        ),
        ("0", 'the wait "w" is zero ("0"): contacts pass straight through'),
        ("{amount: 6, unit: months}", 'the wait "w" is 180 days, longer than 90 days'),
        (
            "{until_event: downloaded}",
            'the wait "w" waits for "downloaded" with no timeout: contacts who never do it'
            " stay in the workflow for good",
        ),
        (
            "{until_event: downloaded, timeout: 100 days}",
            'the wait "w" is 100 days, longer than 90 days',
        ),
    ],
)
def test_suspicious_waits(tmp_path: Path, wait: str, message: str) -> None:
    path = _write(tmp_path, CHECK_AFTER.format(wait=wait))
    assert _messages(path, "TIME003") == [message]


@pytest.mark.parametrize(
    "wait", ["3 days", "1h30m", "{until_event: downloaded, timeout: 7d}", '{until_time: "09:00"}']
)
def test_sensible_waits_are_silent(tmp_path: Path, wait: str) -> None:
    path = _write(tmp_path, CHECK_AFTER.format(wait=wait))
    assert _messages(path, "TIME003") == []


def test_a_short_wait_with_no_check_after_it_is_silent(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: offer\n    send: offer.html\n  - id: w\n    wait: 10 minutes\n"
        "  - id: tips\n    send: tips.html\n",
    )
    assert _messages(path, "TIME003") == []


def test_the_seven_minute_help_suggests_days(tmp_path: Path) -> None:
    path = _write(tmp_path, CHECK_AFTER.format(wait="7 minutes"))
    report = check([path], config={"select": ["TIME003"]})
    assert report.findings[0].help is not None
    assert 'did you mean "7 days"?' in report.findings[0].help


def test_max_wait_is_an_option(tmp_path: Path) -> None:
    path = _write(tmp_path, CHECK_AFTER.format(wait="{amount: 6, unit: months}"))
    assert _messages(path, "TIME003", rules={"TIME003": {"max_wait": "200d"}}) == []


def test_the_short_wait_help_has_single_spaces(tmp_path: Path) -> None:
    """With no unit to suggest (1h30m has no "did you mean"), the help reads cleanly."""
    path = _write(tmp_path, CHECK_AFTER.format(wait="20m30s"))
    report = check([path], config={"select": ["TIME003"]})
    assert [f.help for f in report.findings] == [
        "nobody responds in 20 minutes 30 seconds (a wait before a check is usually days)"
    ]
    path = _write(tmp_path, CHECK_AFTER.format(wait="7 minutes"))
    report = check([path], config={"select": ["TIME003"]})
    assert [f.help for f in report.findings] == [
        'nobody responds in 7 minutes; did you mean "7 days"? (a wait before a check is'
        " usually days)"
    ]


NINES = "9" * 400


@pytest.mark.parametrize(
    ("wait", "problem"),
    [
        (".inf", "inf is not a duration (YAML's .inf and .nan are not)"),
        (".nan", "nan is not a duration (YAML's .inf and .nan are not)"),
        (f"{NINES}", f'"{NINES[:39]}…" is longer than 100 years'),
        (f'"{NINES} days"', f'"{NINES[:39]}…" is longer than 100 years'),
        ("{amount: 1300, unit: months}", '"1300 months" is longer than 100 years'),
        (
            "{until_event: x, timeout: .inf}",
            "inf is not a duration (YAML's .inf and .nan are not)",
        ),
        (
            f"{{until_field: webinar_date, offset: '{NINES} days'}}",
            f'the offset "{NINES[:39]}…" is longer than 100 years',
        ),
        (
            "{until_field: webinar_date, offset: '--1d'}",
            '"--1d" is not an offset such as -1d, +2 hours or 30m',
        ),
        (
            "{until_field: webinar_date, offset: '+-1d'}",
            '"+-1d" is not an offset such as -1d, +2 hours or 30m',
        ),
    ],
)
def test_unbounded_durations_are_pf003_not_internal_errors(
    tmp_path: Path, wait: str, problem: str
) -> None:
    _email(tmp_path, "mail.html", "<p>The webinar starts soon</p>")
    path = _write(tmp_path, f"  - id: w\n    wait: {wait}\n  - id: mail\n    send: mail.html\n")
    report = check([path])
    assert report.exit_code() == 1
    assert [(f.rule, f.message) for f in report.findings if f.rule in ("PF001", "PF003")] == [
        ("PF003", f"steps/0/wait: {problem}")
    ]
    assert all(f.rule != "TIME003" for f in report.findings)  # not also "zero"


def test_a_huge_json_wait_is_pf003(tmp_path: Path) -> None:
    path = tmp_path / "guide.workflow.json"
    path.write_text(
        '{"name": "Guide", "steps": [{"id": "w", "wait": 1e308}, {"id": "x", "exit": true}]}',
        encoding="utf-8",
    )
    report = check([path])
    assert [(f.rule, f.message) for f in report.findings] == [
        ("PF003", 'steps/0/wait: "1e+308" is longer than 100 years')
    ]


def test_durations_are_bounded_and_describe_is_total() -> None:
    from preflight.durations import MAX_SECONDS, describe, parse_duration, parse_offset

    assert parse_duration("36500 days") == MAX_SECONDS
    assert parse_offset("- 1d") == -86400.0
    assert parse_offset("+2 hours") == 7200.0
    for value in (float("inf"), float("nan"), 10**400, "36501 days", "9" * 400):
        with pytest.raises(ValueError):
            parse_duration(value)
    for text in ("--1d", "+-1d", "-+1d", "-", "", "-inf"):
        with pytest.raises(ValueError):
            parse_offset(text)
    assert describe(float("inf")) == "more than 100 years"
    assert describe(1e308) == "more than 100 years"
    assert describe(float("nan")) == "an unknown time"
    assert describe(-float("inf")) == "no wait"
    assert describe(90061) == "1 day 1 hour"


# -- TIME004 quiet-hours -----------------------------------------------------------------------

UNTIL_2AM = (
    '  - id: overnight\n    wait: {until_time: "02:00"}\n  - id: note\n    update: {a: 1}\n'
    "  - id: nudge\n    send: nudge.html\n"
)


def test_a_send_right_after_a_night_time_of_day(tmp_path: Path) -> None:
    path = _write(tmp_path, UNTIL_2AM)
    assert _messages(path, "TIME004") == [
        'step "nudge" goes out at 02:00 in Europe/London (wait until 02:00 → note → nudge),'
        " during quiet hours (21:00–08:00)"
    ]


def test_a_fixed_wait_after_the_time_of_day_counts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '  - id: morning\n    wait: {until_time: "06:00"}\n  - id: w\n    wait: 4 hours\n'
        "  - id: nudge\n    send: nudge.html\n",
    )
    assert _messages(path, "TIME004") == []
    path = _write(
        tmp_path,
        '  - id: evening\n    wait: {until_time: "18:00"}\n  - id: w\n    wait: 4 hours\n'
        "  - id: nudge\n    send: nudge.html\n",
    )
    assert _messages(path, "TIME004") == [
        'step "nudge" goes out at 22:00 in Europe/London (wait until 18:00 → wait 4 hours →'
        " nudge), during quiet hours (21:00–08:00)"
    ]


def test_a_weekday_wait_on_saturday(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: sat\n    wait: {until_weekday: saturday}\n  - id: nudge\n    send: nudge.html\n",
    )
    assert _messages(path, "TIME004") == [
        'step "nudge" goes out on Saturday in Europe/London (wait until Saturday → nudge),'
        " on a weekend"
    ]
    assert _messages(path, "TIME004", rules={"TIME004": {"weekend": False}}) == []


def test_absolute_sends_are_read_in_the_workflow_zone(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: launch\n    send: {template: launch.html, at: '2025-03-04T23:30:00'}\n"
        "  - id: utc\n    send: {template: launch.html, at: '2025-07-01T06:30:00Z'}\n"
        "  - id: day\n    send: {template: launch.html, at: '2025-03-08'}\n",
    )
    assert _messages(path, "TIME004") == [
        'step "launch" is scheduled for Tuesday 2025-03-04 23:30 in Europe/London,'
        " during quiet hours (21:00–08:00)",
        'step "utc" is scheduled for Tuesday 2025-07-01 07:30 in Europe/London,'
        " during quiet hours (21:00–08:00)",
        'step "day" is scheduled for Saturday 2025-03-08 in Europe/London, on a weekend',
    ]


def test_windows_that_reach_into_the_night_or_the_weekend(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: a\n    send: {template: a.html, window: {start: '22:00', end: '23:00'}}\n"
        "  - id: b\n    send: {template: b.html, window: {start: '09:00', end: '17:00'}}\n"
        "  - id: c\n    send: {template: c.html, window: {days: [monday], start: '09:00',"
        " end: '17:00'}}\n",
    )
    assert _messages(path, "TIME004") == [
        'the send window of step "a" (every day 22:00–23:00) lets it go out at 22:00 on Monday'
        " in Europe/London, during quiet hours (21:00–08:00)",
        'the send window of step "b" (every day 09:00–17:00) lets it go out at 09:00 on Saturday'
        " in Europe/London, on a weekend",
    ]


def test_quiet_hours_are_options(tmp_path: Path) -> None:
    path = _write(tmp_path, UNTIL_2AM)
    options = {"quiet_start": "23:00", "quiet_end": "01:00"}
    assert _messages(path, "TIME004", rules={"TIME004": options}) == []


def test_quiet_hours_must_be_times_of_day() -> None:
    spec = load_catalogue().rules["TIME004"].options["quiet_start"]
    assert spec.validate("22:30") == "22:30"
    with pytest.raises(ValueError, match="not a time of day"):
        spec.validate("9pm")


def test_the_audience_time_zone_hook(tmp_path: Path) -> None:
    """Engine-filled `Workflow.audience_zones`: a London 09:00–17:00 window is 04:00 in New
    York."""
    path = _write(
        tmp_path,
        "  - id: nudge\n    send: {template: nudge.html, window: {days: [tuesday],"
        " start: '09:00', end: '17:00'}}\n",
    )
    workflow = _loaded(path)
    assert list(timing.quiet_hours(workflow, _defaults("TIME004"))) == []
    workflow.audience_zones["nudge"] = (AudienceZone("us", "America/New_York"),)
    found = [v.message for v in timing.quiet_hours(workflow, _defaults("TIME004"))]
    assert found == [
        'the send window of step "nudge" (Tuesday 09:00–17:00) lets it go out at 04:00 on'
        ' Tuesday in America/New_York (audience "us"), during quiet hours (21:00–08:00)'
    ]


def test_unknown_time_zones_are_findings_not_tracebacks(tmp_path: Path) -> None:
    header = "name: Guide\ntimezone: Europe/Londn\nsteps:\n"
    path = _write(tmp_path, UNTIL_2AM, header)
    report = check([path], config={"select": ["TIME004"]})
    assert [f.message for f in report.findings] == [
        'the time zone "Europe/Londn" of the workflow is not known, so quiet hours cannot be'
        " checked"
    ]
    assert report.findings[0].help == 'did you mean "Europe/London"?'
    assert report.findings[0].location.span is not None
    assert report.findings[0].location.span.line == 2
    workflow = _loaded(_write(tmp_path, UNTIL_2AM))
    workflow.audience_zones["nudge"] = (AudienceZone("mars", "Mars/Olympus"),)
    assert [v.message for v in timing.quiet_hours(workflow, _defaults("TIME004"))] == [
        'the time zone "Mars/Olympus" of audience "mars" (sent by "nudge") is not known, so'
        " quiet hours cannot be checked",
    ]


def test_a_bad_at_is_pf003(tmp_path: Path) -> None:
    path = _write(tmp_path, "  - id: a\n    send: {template: a.html, at: 'next tuesday'}\n")
    report = check([path], config={"select": ["PF003", "TIME004"]})
    assert [(f.rule, f.message) for f in report.findings] == [
        (
            "PF003",
            'steps/0/send/at: "next tuesday" is not a date and time such as 2025-03-04T09:30',
        )
    ]


def test_at_the_edges_of_the_calendar(tmp_path: Path) -> None:
    header = "name: Guide\ntimezone: UTC\nsteps:\n"
    path = _write(
        tmp_path,
        "  - id: late\n    send: {template: a.html, at: '9999-12-31T23:59-12:00'}\n"
        "  - id: early\n    send: {template: a.html, at: '0001-01-01T03:00'}\n",
        header,
    )
    report = check([path], config={"select": ["TIME004"]})
    assert [(f.severity.label, f.message) for f in report.findings] == [
        (
            "info",
            'step "late" is scheduled for "9999-12-31T23:59-12:00", which is outside the years'
            " 1–9999 in UTC, so quiet hours cannot be checked",
        ),
        (
            "warning",
            'step "early" is scheduled for Monday 0001-01-01 03:00 in UTC, during quiet hours'
            " (21:00–08:00)",
        ),
    ]
    assert not report.internal_errors


AUDIENCES = (
    "audiences:\n"
    "  prod: {kind: production, timezone: Europe/London}\n"
    "  weird: {kind: production, timezone: %s}\n"
    "  plain: {kind: production}\n"
)


def _zoned(tmp_path: Path, zone: str, include: str, at: str = "2025-03-04T07:30") -> Path:
    (tmp_path / "audiences.yaml").write_text(AUDIENCES % zone, encoding="utf-8")
    return _write(
        tmp_path,
        f"  - id: launch\n    send: {{template: a.html, at: '{at}', audience: {include}}}\n",
        "name: Guide\ntimezone: Europe/London\nsteps:\n",
    )


def test_each_audience_time_zone_is_judged(tmp_path: Path) -> None:
    """07:30 in London is quiet there but 08:30 in Paris is not; 14:00 in London is 23:00 in
    Tokyo. Each finding names the zone and the audience it comes from."""
    path = _zoned(tmp_path, "Europe/Paris", "{include: [prod, weird]}", "2025-03-04T07:30")
    config = {"select": ["TIME004"], "audiences": str(tmp_path / "audiences.yaml")}
    assert [f.message for f in check([path], config=config).findings] == [
        'step "launch" is scheduled for Tuesday 2025-03-04 07:30 in Europe/London (audience'
        ' "prod"), during quiet hours (21:00–08:00)'
    ]
    path = _zoned(tmp_path, "Asia/Tokyo", "{include: [prod, weird]}", "2025-03-04T14:00")
    found = check([path], config=config).findings
    assert [f.message for f in found] == [
        'step "launch" is scheduled for Tuesday 2025-03-04 23:00 in Asia/Tokyo (audience'
        ' "weird"), during quiet hours (21:00–08:00)'
    ]
    assert found[0].data["audience"] == "weird" and found[0].data["zone"] == "Asia/Tokyo"
    # an audience with no zone is read in the workflow's, and named as such
    path = _zoned(tmp_path, "Asia/Tokyo", "{include: [plain, weird]}", "2025-03-04T07:00")
    assert [f.message for f in check([path], config=config).findings] == [
        'step "launch" is scheduled for Tuesday 2025-03-04 07:00 in Europe/London, during quiet'
        " hours (21:00–08:00)"
    ]


def test_each_audience_zone_after_a_clock_wait(tmp_path: Path) -> None:
    (tmp_path / "audiences.yaml").write_text(AUDIENCES % "America/New_York", encoding="utf-8")
    path = _write(
        tmp_path,
        "  - id: w\n    wait: {until_time: '09:00'}\n"
        "  - id: nudge\n    send: {template: a.html, audience: {include: [prod, weird]}}\n",
    )
    config = {"select": ["TIME004"], "audiences": str(tmp_path / "audiences.yaml")}
    assert [f.message for f in check([path], config=config).findings] == [
        'step "nudge" goes out at 04:00 in America/New_York (audience "weird") (wait until 09:00'
        " → nudge), during quiet hours (21:00–08:00)"
    ]


def test_an_unknown_audience_zone_names_the_audience_and_its_file(tmp_path: Path) -> None:
    path = _zoned(tmp_path, "Europe/Pariss", "{include: [prod, weird]}", "2025-03-04T10:00")
    config = {"select": ["TIME004"], "audiences": str(tmp_path / "audiences.yaml")}
    found = check([path], config=config).findings
    assert [f.message for f in found] == [
        'the time zone "Europe/Pariss" of audience "weird" (sent by "launch") is not known, so'
        " quiet hours cannot be checked"
    ]
    assert found[0].help == 'did you mean "Europe/Paris"? (in audiences.yaml)'
    assert found[0].location.path == path
    (related,) = found[0].related
    assert related.location.path == tmp_path / "audiences.yaml"
    assert related.location.span is not None and related.location.span.line == 3


# -- TIME005 frequency-cap ---------------------------------------------------------------------


def _chain(gaps: list[str]) -> str:
    steps = "  - id: s0\n    send: s0.html\n"
    for index, gap in enumerate(gaps, 1):
        steps += f"  - id: w{index}\n    wait: {gap}\n  - id: s{index}\n    send: s{index}.html\n"
    return steps


def test_three_sends_in_a_day(tmp_path: Path) -> None:
    path = _write(tmp_path, _chain(["2 hours", "2 hours"]))
    assert _messages(path, "TIME005") == [
        'step "s2" can be the 3rd email within 4 hours (s0 → wait 2 hours → s1 → wait 2 hours'
        " → s2): more than 2 per day"
    ]


def test_a_run_of_sends_is_reported_once_per_cap(tmp_path: Path) -> None:
    path = _write(tmp_path, _chain(["1 hour"] * 5))
    assert _messages(path, "TIME005") == [
        'step "s2" can be the 3rd email within 2 hours (s0 → wait 1 hour → s1 → wait 1 hour'
        " → s2): more than 2 per day"
    ]


def test_the_weekly_cap(tmp_path: Path) -> None:
    path = _write(tmp_path, _chain(["1 day"] * 4))
    assert _messages(path, "TIME005") == [
        'step "s4" can be the 5th email within 4 days (s0 → wait 1 day → s1 → wait 1 day → s2'
        " → wait 1 day → s3 → wait 1 day → s4): more than 4 per 7 days"
    ]
    assert (
        _messages(path, "TIME005", rules={"TIME005": {"caps": [{"sends": 5, "within": "7d"}]}})
        == []
    )


def test_the_shortest_side_of_a_branch_counts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: s0\n    send: s0.html\n  - id: w\n    wait: 25 hours\n"
        "  - id: c\n    branch: {if: {opened: s0}, then: slow, else: s1}\n"
        "  - id: slow\n    wait: 2 days\n  - id: s1\n    send: s1.html\n"
        "  - id: w2\n    wait: 1 hour\n  - id: s2\n    send: s2.html\n"
        "  - id: w3\n    wait: 1 hour\n  - id: s3\n    send: s3.html\n",
    )
    assert _messages(path, "TIME005") == [
        'step "s3" can be the 3rd email within 2 hours (s1 → wait 1 hour → s2 → wait 1 hour'
        " → s3): more than 2 per day"
    ]


def test_a_daily_digest_at_a_time_of_day_is_not_a_burst(tmp_path: Path) -> None:
    """Waits until a time of day count as no wait, but two of them are a day apart."""
    morning = '{until_time: "09:00"}'
    path = _write(tmp_path, _chain([morning, morning]))
    assert _messages(path, "TIME005") == []


def test_a_loop_with_a_short_wait_breaks_the_cap(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: nudge\n    send: nudge.html\n  - id: w\n    wait: 6 hours\n"
        "  - id: c\n    branch: {if: {clicked: nudge}, then: done, else: nudge}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "TIME005") == [
        'step "nudge" can be the 3rd email within 12 hours (nudge → wait 6 hours → c → nudge'
        " → wait 6 hours → c → nudge): more than 2 per day"
    ]


def test_a_loop_without_a_wait_is_left_to_flow003(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: nudge\n    send: nudge.html\n"
        "  - id: c\n    branch: {if: {clicked: nudge}, then: done, else: nudge}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "TIME005") == []
    assert len(_messages(path, "FLOW003")) == 1


def test_caps_option_is_typed() -> None:
    spec = load_catalogue().rules["TIME005"].options["caps"]
    assert spec.validate([{"sends": 3, "within": "1d"}]) == ((3, 86400.0),)
    for bad in ([{"sends": 0, "within": "1d"}], [{"sends": 2}], [{"sends": 2, "within": "x"}]):
        with pytest.raises(ValueError):
            spec.validate(bad)


# -- TIME006 event-order -----------------------------------------------------------------------

WEBINAR = (
    "  - id: confirm\n    send: confirm.html\n"
    "  - id: w\n    wait: {{until_field: webinar_date, offset: '{offset}'}}\n"
    "  - id: mail\n    send: mail.html\n"
)


def test_a_reminder_after_the_event(tmp_path: Path) -> None:
    _email(tmp_path, "confirm.html", "<p>You are registered</p>")
    _email(tmp_path, "mail.html", "<p>The webinar starts soon</p>")
    path = _write(tmp_path, WEBINAR.format(offset="+30m"))
    assert _messages(path, "TIME006") == [
        'step "mail" reads like a reminder before webinar_date ("starts soon") but goes out'
        " 30 minutes after webinar_date (wait until webinar_date +30m → mail)"
    ]
    path = _write(tmp_path, WEBINAR.format(offset="-2h"))
    assert _messages(path, "TIME006") == []


def test_thanks_before_the_event_in_german(tmp_path: Path) -> None:
    _email(tmp_path, "confirm.html", "<p>Sie sind angemeldet</p>")
    _email(tmp_path, "mail.html", "<p>Hier ist die Aufzeichnung des Webinars</p>")
    path = _write(tmp_path, WEBINAR.format(offset="-1d"))
    assert _messages(path, "TIME006") == [
        'step "mail" reads like a follow-up after webinar_date ("Aufzeichnung") but goes out'
        " 1 day before webinar_date (wait until webinar_date -1d → mail)"
    ]
    path = _write(tmp_path, WEBINAR.format(offset="0"))
    assert _messages(path, "TIME006") == []


def test_copy_that_reads_both_ways_is_left_alone(tmp_path: Path) -> None:
    _email(tmp_path, "confirm.html", "<p>You are registered</p>")
    _email(tmp_path, "mail.html", "<p>Don't miss it tomorrow; we will send the recording</p>")
    path = _write(tmp_path, WEBINAR.format(offset="+1d"))
    assert _messages(path, "TIME006") == []


def test_a_bad_offset_is_pf003(tmp_path: Path) -> None:
    path = _write(tmp_path, WEBINAR.format(offset="the day before"))
    report = check([path], config={"select": ["PF003"]})
    assert [f.message for f in report.findings] == [
        'steps/1/wait: "the day before" is not an offset such as -1d, +2 hours or 30m'
    ]


# -- FLOW003 loop-without-wait -----------------------------------------------------------------


def test_a_send_that_loops_to_itself(tmp_path: Path) -> None:
    path = _write(tmp_path, "  - id: spam\n    send: spam.html\n    next: spam\n")
    assert _messages(path, "FLOW003") == [
        'the loop spam → spam has no wait: contacts go round it at once and are sent "spam"'
        " every time"
    ]


def test_one_finding_per_loop_at_the_edge_that_closes_it(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: a\n    send: a.html\n  - id: b\n    send: b.html\n"
        "  - id: c\n    branch: {if: {field: vip, equals: true}, then: a, else: done}\n"
        "  - id: done\n    exit: true\n",
    )
    report = check([path], config={"select": ["FLOW003"]})
    assert [f.message for f in report.findings] == [
        'the loop a → b → c → a has no wait: contacts go round it at once and are sent "a"'
        " every time"
    ]
    span = report.findings[0].location.span
    assert span is not None and (span.line, span.column) == (9, 46)  # the `then: a`


@pytest.mark.parametrize(
    "wait", ["1 day", '{until_time: "09:00"}', "{until_event: clicked, timeout: 3d}"]
)
def test_a_wait_that_holds_breaks_the_loop(tmp_path: Path, wait: str) -> None:
    path = _write(
        tmp_path,
        f"  - id: a\n    send: a.html\n  - id: w\n    wait: {wait}\n"
        "  - id: c\n    branch: {if: {clicked: a}, then: done, else: a}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "FLOW003") == []


def test_a_zero_wait_does_not_break_the_loop(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: a\n    send: a.html\n  - id: w\n    wait: 0 days\n"
        "  - id: c\n    branch: {if: {clicked: a}, then: done, else: a}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "FLOW003") == [
        "the loop a → wait 0 days → c → a has no wait: contacts go round it at once and are"
        ' sent "a" every time'
    ]


def test_strongly_connected_components() -> None:
    graph = {"a": ["b"], "b": ["c", "d"], "c": ["a"], "d": ["d", "e"], "e": []}
    found = graphs.strongly_connected(graph, lambda node: graph[node])
    assert sorted(sorted(c) for c in found) == [["a", "b", "c"], ["d"], ["e"]]


# -- FLOW004 condition-on-unsent-email -----------------------------------------------------------


def test_a_split_that_skips_the_send(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: ab\n    split: {offer: 50, w: 50}\n  - id: offer\n    send: offer.html\n"
        "  - id: w\n    wait: 3 days\n"
        "  - id: check\n    branch: {if: {opened: offer}, then: done, else: done}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "FLOW004") == [
        'step "check" checks whether contacts opened "offer", but some reach it without being'
        ' sent "offer" (ab → wait 3 days → check)'
    ]


def test_a_check_on_a_later_send(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  - id: w\n    wait: 3 days\n"
        "  - id: check\n    branch: {if: {opened: offer}, then: done, else: offer}\n"
        "  - id: offer\n    send: offer.html\n  - id: done\n    exit: true\n",
    )
    assert _messages(path, "FLOW004") == [
        'step "check" checks whether contacts opened "offer", which is never sent before it'
        " (wait 3 days → check)"
    ]


def test_a_send_on_both_sides_before_the_check_is_fine(tmp_path: Path) -> None:
    """The send dominates the check although there are two ways from it to the check."""
    path = _write(
        tmp_path,
        "  - id: offer\n    send: offer.html\n  - id: ab\n    split: {a: 50, b: 50}\n"
        "  - id: a\n    wait: 3 days\n    next: check\n  - id: b\n    wait: 4 days\n"
        "  - id: check\n    branch: {if: {opened: offer}, then: done, else: done}\n"
        "  - id: done\n    exit: true\n",
    )
    assert _messages(path, "FLOW004") == []


# -- FLOW005 link-not-in-email -------------------------------------------------------------------

CLICKED = (
    "  - id: offer\n    send: offer.html\n  - id: w\n    wait: 3 days\n"
    "  - id: check\n    branch: {{if: {{clicked: offer, url: '{url}'}}, then: done, else: done}}\n"
    "  - id: done\n    exit: true\n"
)


def test_a_click_on_a_link_the_email_does_not_have(tmp_path: Path) -> None:
    _email(tmp_path, "offer.html", '<a href="https://brightleaf.example/planting-guide">Get</a>')
    path = _write(tmp_path, CLICKED.format(url="https://brightleaf.example/guide"))
    report = check([path], config={"select": ["FLOW005"]})
    assert [f.message for f in report.findings] == [
        'step "check" checks for clicks on "https://brightleaf.example/guide", which is not a'
        ' link in "offer.html" (sent by "offer"): nobody can click it, so everyone takes the'
        " no side"
    ]
    assert report.findings[0].help == 'did you mean "https://brightleaf.example/planting-guide"?'


@pytest.mark.parametrize(
    ("link", "url"),
    [
        (
            "https://brightleaf.example/guide?utm_source=email#top",
            "http://brightleaf.example/guide/",
        ),
        ("https://Brightleaf.example/guide/?b=2&a=1", "https://brightleaf.example/guide?a=1&b=2"),
        ("https://brightleaf.example/guide?id=*|UNIQID|*", "https://brightleaf.example/guide"),
        ("https://brightleaf.example/*|SLUG|*/guide", "https://brightleaf.example/x/guide"),
        ("*|GUIDE_URL|*", "https://brightleaf.example/anything"),
    ],
)
def test_links_compare_loosely(tmp_path: Path, link: str, url: str) -> None:
    _email(tmp_path, "offer.html", f'<a href="{link}">Get</a>')
    (tmp_path / "offer.meta.yaml").write_text("platform: mailchimp\n", encoding="utf-8")
    path = _write(tmp_path, CLICKED.format(url=url))
    assert _messages(path, "FLOW005") == []


def test_links_in_the_text_part_count(tmp_path: Path) -> None:
    _email(tmp_path, "offer.html", "<p>Hello</p>")
    (tmp_path / "offer.txt").write_text("Get it: https://brightleaf.example/guide\n", "utf-8")
    path = _write(tmp_path, CLICKED.format(url="https://brightleaf.example/guide"))
    assert _messages(path, "FLOW005") == []


def test_normal_url() -> None:
    assert urls.normal_url("HTTPS://Example.COM/a/?utm_medium=x&b=1#frag") == "example.com/a?b=1"
    assert urls.normal_url("example.com/a/") == "example.com/a"


def test_normal_url_keeps_the_port() -> None:
    """x.com:8080/a is another server than x.com/a; a default port is no port."""
    assert urls.normal_url("x.com:8080/a") == "x.com:8080/a"
    assert urls.normal_url("x.com:8080/a") != urls.normal_url("x.com/a")
    assert urls.normal_url("https://X.com:443/a/") == urls.normal_url("http://x.com/a")
    assert urls.normal_url("http://user:pw@x.com:80/a") == "x.com/a"
    assert urls.normal_url("x.com:port/a") == "x.com:port/a"  # does not parse: as written


def test_a_click_on_another_port_is_not_the_link(tmp_path: Path) -> None:
    _email(tmp_path, "offer.html", '<a href="https://brightleaf.example:8443/guide">Get</a>')
    path = _write(tmp_path, CLICKED.format(url="https://brightleaf.example/guide"))
    report = check([path], config={"select": ["FLOW005"]})
    assert [f.help for f in report.findings] == [
        'did you mean "https://brightleaf.example:8443/guide"?'
    ]
    path = _write(tmp_path, CLICKED.format(url="https://brightleaf.example:8443/guide/"))
    assert _messages(path, "FLOW005") == []


# -- the generated 1,000-step workflow -----------------------------------------------------------


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_workflow", REPO / "bench/bench_workflow.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_graph_rules_on_the_generated_workflow(tmp_path: Path) -> None:
    """1,002 steps, 100 branches, loops: the rules finish and find what the shape implies.
    Times are printed, never asserted (bench/bench_workflow.py measures them)."""
    path = tmp_path / "big.workflow.yaml"
    path.write_text(_bench().generate(1000, 10), encoding="utf-8")
    workflow = _loaded(path)
    assert sum(1 for s in workflow.steps if s.kind == "branch") == 100
    found: dict[str, list[str]] = {}
    for rule in ("TIME005", "FLOW003", "FLOW004"):
        started = time.perf_counter()
        found[rule] = [v.message for v in _implementation(rule)(workflow, _defaults(rule))]
        print(f"{rule}: {time.perf_counter() - started:.4f} s, {len(found[rule])} findings")
    assert found["FLOW003"] == []  # every loop goes back through waits of hours
    assert found["FLOW004"] == []  # each branch checks the send just before it
    assert found["TIME005"][0] == (
        'step "s6" can be the 3rd email within 4 hours (s0 → wait until 02:00 → wait until'
        " renewal_date -7d → s3 → wait 4 hours → wait 0 hours → s6): more than 2 per day"
    )


def _implementation(rule_id: str) -> Any:
    from preflight.engine.registry import implementation

    return implementation(load_catalogue().rules[rule_id])


# -- TIME001: a wait for the very event checked ----------------------------------------------


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        ("{until_event: downloaded, timeout: 5 days}", []),
        ("{until_event: asset.download, timeout: 3d}", []),  # Mautic's name for it
        ("{until_event: downloaded}", []),  # no timeout: TIME003's, not a check too early
        ("{until_event: downloaded, timeout: 2 hours}", ["only 2 hours after it"]),
        ("{until_event: a webhook call, timeout: 5 days}", ["right after it"]),  # another event
        ("{until_event: opened, timeout: 5 days}", ["right after it"]),
    ],
)
def test_time001_a_wait_until_the_checked_event_counts_its_timeout(
    tmp_path: Path, wait: str, expected: list[str]
) -> None:
    steps = (
        "  - id: offer\n    send: offer.html\n"
        f"  - id: w\n    wait: {wait}\n"
        "  - id: downloaded\n    branch: {if: {downloaded: offer}, then: done, else: done}\n"
        "  - id: done\n    exit: true\n"
    )
    messages = _messages(_write(tmp_path, steps), "TIME001")
    assert [next((e for e in expected if e in m), m) for m in messages] == expected


# -- TIME002 leaves event reminders to TIME006 -----------------------------------------------

EVENT = (
    "  - id: confirmation\n    send: confirmation.html\n"
    "  - id: w\n    wait: {{until_field: webinar_date, offset: {offset}}}\n"
    "  - id: reminder\n    send: reminder.html\n"
    "  - id: done\n    exit: true\n"
)


@pytest.mark.parametrize(("offset", "reported"), [("-1d", False), ("-2h", False), ("+1d", True)])
def test_time002_leaves_reminders_timed_before_a_date_to_time006(
    tmp_path: Path, offset: str, reported: bool
) -> None:
    _email(tmp_path, "confirmation.html", "<p>You're registered.</p>", "You're registered")
    _email(tmp_path, "reminder.html", "<p>Reminder: the webinar is at 7pm.</p>")
    path = _write(tmp_path, EVENT.format(offset=offset))
    assert bool(_messages(path, "TIME002")) is reported


def test_time002_still_reports_a_reminder_reached_around_the_date_wait(tmp_path: Path) -> None:
    _email(tmp_path, "confirmation.html", "<p>You're registered.</p>", "You're registered")
    _email(tmp_path, "reminder.html", "<p>Reminder: the webinar is at 7pm.</p>")
    steps = EVENT.format(offset="-1d").replace(
        "  - id: confirmation\n    send: confirmation.html\n",
        "  - id: confirmation\n    send: confirmation.html\n    next: [w, reminder]\n",
    )
    assert len(_messages(_write(tmp_path, steps), "TIME002")) == 1


# -- until_weekday: a day or the days a wait may end on ------------------------------------


def test_until_weekday_takes_a_list_and_time004_judges_each_day(tmp_path: Path) -> None:
    steps = (
        "  - id: w\n    wait: {{until_time: '09:00', until_weekday: {days}}}\n"
        "  - id: nudge\n    send: nudge.html\n"
    )
    _email(tmp_path, "nudge.html", "<p>Hello</p>")
    weekdays = _write(tmp_path, steps.format(days="[monday, friday]"))
    assert _loaded(weekdays).steps[0].until is not None
    assert _loaded(weekdays).steps[0].until.weekdays == ("monday", "friday")  # type: ignore[union-attr]
    assert _messages(weekdays, "TIME004") == []
    weekend = _write(tmp_path, steps.format(days="[Friday, SATURDAY]"))
    assert _messages(weekend, "TIME004") == [
        'step "nudge" goes out at 09:00 on Saturday in Europe/London (wait until 09:00 → nudge),'
        " on a weekend"
    ]


# -- a step that does not fit the format is a pass-through --------------------------------


def _findings(path: Path, *rules: str) -> list[tuple[str, str]]:
    report = check([path], config={"select": list(rules)})
    return [(f.rule, f.message) for f in report.findings]


def test_a_broken_step_does_not_hide_the_rest(tmp_path: Path) -> None:
    """A typo in one step (a wait's unit) keeps the workflow: PF003 at the step, the other
    steps' findings, and nothing judged across the broken wait."""
    _email(tmp_path, "offer.html", "<p>Your guide</p>")
    _email(tmp_path, "nudge.html", "<p>Hello</p>", "Last chance for the guide")
    steps = (
        "  - id: offer\n    send: offer.html\n"
        "  - id: w\n    wait: {amount: 3, unit: dayz}\n"
        "  - id: nudge\n    send: nudge.html\n"  # TIME002 only across the broken wait: skipped
        "  - id: loop\n    branch: {if: {opened: offer}, then: offer, else: done}\n"
        "  - id: done\n    exit: true\n"
        "  - id: orphan\n    send: {template: offer.html, at: '2026-03-07T02:00'}\n"
    )
    path = _write(tmp_path, steps)
    found = _findings(path, "PF003", "TIME", "FLOW")
    rules = [rule for rule, _ in found]
    assert rules.count("PF003") == 1 and "FLOW001" in rules and "TIME004" in rules
    assert not {"TIME001", "TIME002", "FLOW003"} & set(rules), found
    workflow, problems = load_workflow(path, 1_000_000)
    assert workflow is not None and [rule for rule, _ in problems] == ["PF003"]
    broken = workflow.by_id["w"]
    assert broken.broken and broken.kind == "opaque"


def test_a_broken_step_without_an_id_gets_one_and_keeps_its_targets(tmp_path: Path) -> None:
    steps = (
        "  - id: a\n    send: a.html\n"
        "  - next: c\n    wait: 1 day\n"
        "  - id: b\n    exit: true\n"
        "  - id: c\n    exit: true\n"
        "  - {id: d, branch: {if: {clicked: a}, then: b, else: c, oops: 1}}\n"
    )
    workflow, problems = load_workflow(_write(tmp_path, steps), 1_000_000)
    assert workflow is not None and len(problems) == 2
    unnamed, branch = workflow.steps[1], workflow.steps[4]
    assert (unnamed.id, unnamed.broken, unnamed.next) == ("step-2", True, "c")
    assert (branch.kind, branch.next, branch.also) == ("opaque", "b", ("c",))


def test_a_bad_top_level_key_is_left_out_and_the_steps_checked(tmp_path: Path) -> None:
    header = "name: Guide\ntimezone: 5\naudiance: x\nsteps:\n"
    steps = (
        "  - id: offer\n    send: offer.html\n"
        "  - id: opened\n    branch: {if: {opened: offer}, then: done, else: done}\n"
        "  - id: done\n    exit: true\n"
    )
    _email(tmp_path, "offer.html", "<p>Your guide</p>")
    found = _findings(_write(tmp_path, steps, header), "PF003", "TIME001")
    assert [rule for rule, _ in found] == ["PF003", "PF003", "TIME001"]


def test_no_steps_is_still_no_workflow(tmp_path: Path) -> None:
    for header in ("name: Guide\nsteps: []\n", "name: Guide\nsteps: 3\n", "- a\n"):
        path = tmp_path / "guide.workflow.yaml"
        path.write_text(header, encoding="utf-8")
        workflow, problems = load_workflow(path, 1_000_000)
        assert workflow is None and problems, header
