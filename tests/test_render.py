"""The renderer and `preflight render`: what one recipient reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preflight.dialects import render

from .conftest import FIXTURES

LAUNCH = FIXTURES / "campaigns" / "spring-launch" / "clean" / "launch.html"


@pytest.mark.parametrize(
    ("platform", "text", "values", "expected"),
    [
        ("mailchimp", "Hi *|FNAME|*,", {"FNAME": "Ada"}, "Hi Ada,"),
        ("mailchimp", "Hi *|FNAME|*,", {}, "Hi ,"),  # no inline fallback in Mailchimp
        ("mailchimp", "*|IF:FNAME|*Hi *|FNAME|**|ELSE:|*Hello*|END:IF|*", {"FNAME": ""}, "Hello"),
        ("mailchimp", "*|IFNOT:FNAME|*Hello*|END:IF|*", {"FNAME": "Ada"}, ""),
        ("mailchimp", "<a href='*|UNSUB|*'>x</a>", {}, "<a href='*|UNSUB|*'>x</a>"),
        ("braze", "Hi {{${first_name} | default: 'there'}}", {"first_name": ""}, "Hi there"),
        (
            "braze",
            "Hi {{${first_name} | default: 'there'}}",
            {"first_name": "  "},
            "Hi   ",
        ),  # whitespace is not empty
        (
            "hubspot",
            'Hi {{ personalization_token("contact.firstname", "there") }}',
            {"firstname": "Bo"},
            "Hi Bo",
        ),
        (
            "customerio",
            "{% if customer.first_name %}Hi {{ customer.first_name }}{% else %}Hello{% endif %}",
            {},
            "Hello",
        ),
        (
            "customerio",
            "{% for i in items %}{{ i }}{% endfor %}",
            {"i": "x"},
            "{% for i in items %}{{ i }}{% endfor %}",
        ),
        ("postmark", "{{#name}}Hi {{name}}{{/name}}{{^name}}Hi there{{/name}}", {}, "Hi there"),
        ("sendgrid", 'Hi {{insert first_name "default=Customer"}}', {}, "Hi Customer"),
        ("mautic", "Hi {contactfield=firstname|there}", {"firstname": "Lea"}, "Hi Lea"),
        ("sfmc", "Hi %%FirstName%% %%=v(@x)=%%", {"firstname": "Jo"}, "Hi Jo %%=v(@x)=%%"),
    ],
)
def test_render(platform: str, text: str, values: dict[str, str], expected: str) -> None:
    assert render(text, platform, values) == expected


def test_render_command(run_cli, tmp_path: Path) -> None:
    result = run_cli("render", str(LAUNCH), "--row", json.dumps({"FNAME": "Ada"}))
    assert result.returncode == 0, result.stderr
    assert "Platform: mailchimp (declared)" in result.stdout
    assert "Subject: Your spring seeds are here" in result.stdout
    assert "Hi Ada," in result.stdout and "*|FNAME|*" not in result.stdout
    data = tmp_path / "row.csv"
    data.write_text("EMAIL,FNAME\nada@example.org,\n")
    blank = run_cli("render", str(LAUNCH), "--data", str(data))
    assert blank.returncode == 0 and "Hi ," in blank.stdout  # what 1 in N recipients would read


@pytest.mark.parametrize(
    "args",
    [
        ("render", "missing.html"),
        ("render", str(LAUNCH), "--row", "[1]"),
        ("render", str(LAUNCH), "--row", "{not json"),
        ("render", str(LAUNCH), "--data", "missing.yaml"),
    ],
)
def test_render_errors_exit_2(run_cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr


def test_render_needs_a_platform(run_cli, tmp_path: Path) -> None:
    (tmp_path / "plain.html").write_text("<p>Hello</p>")
    result = run_cli("render", "plain.html", cwd=tmp_path)
    assert result.returncode == 2 and "--platform" in result.stderr
    assert run_cli("render", "plain.html", "--platform", "hubspot", cwd=tmp_path).returncode == 0
