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


MAILCHIMP_EXPORT = """<!doctype html>
<html>
<head><meta charset="UTF-8"><title>*|MC:SUBJECT|*</title></head>
<body>
<!--*|IF:MC_PREVIEW_TEXT|*-->
<!--[if !gte mso 9]><!----><span class="mcnPreviewText" style="display:none; font-size:0px;
 line-height:0px; max-height:0px; max-width:0px; opacity:0; overflow:hidden; visibility:hidden;
 mso-hide:all;">*|MC_PREVIEW_TEXT|*</span><!--<![endif]-->
<!--*|END:IF|*-->
<table id="bodyTable"><tr><td id="bodyCell">
<p>Hi *|FNAME|*,</p>
<p>Twelve heritage tomatoes are back in stock.</p>
<p><a href="*|UNSUB|*">Unsubscribe</a></p>
</td></tr></table>
</body>
</html>
"""


def test_render_of_an_html_only_mailchimp_export_shows_its_preheader(
    run_cli, tmp_path: Path
) -> None:
    """Most Mailchimp exports are HTML only: the preheader is the hidden preview text."""
    (tmp_path / "newsletter.html").write_text(MAILCHIMP_EXPORT, encoding="utf-8")
    result = run_cli("render", "newsletter.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Platform: mailchimp (detected)"
    assert lines[1] == "Subject: (none in the file: add `subject:` to newsletter.meta.yaml)"
    assert lines[2] == (
        "Preheader: *|MC_PREVIEW_TEXT|* (as written: its merge tags have no value here)"
        " [from the HTML's hidden preview text]"
    )
    filled = run_cli(
        "render", "newsletter.html", "--row", '{"MC_PREVIEW_TEXT": "Twelve tomatoes"}',
        cwd=tmp_path,
    )  # fmt: skip
    assert "Preheader: Twelve tomatoes [from the HTML's hidden preview text]" in filled.stdout


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<div class="preheader" style="display:none">Seeds are here&zwnj;&nbsp;&zwnj;</div>', "Seeds are here"),
        ('<td class="preheaderContent">Seeds are here <a href="*|ARCHIVE|*">View in browser</a></td>', "Seeds are here"),
        ('<table id="templatePreheader"><tr><td class="preheaderContainer">Seeds</td></tr></table>', "Seeds"),
        ('<span style="display: none !important; mso-hide: all">Seeds</span>', "Seeds"),
        ("<p>No preview here.</p>", None),
    ],
)  # fmt: skip
def test_the_preheader_of_the_html_is_a_fact_of_the_template(
    body: str, expected: str | None
) -> None:
    from preflight.model.source import HtmlDocument, SourceText
    from preflight.preheader import hidden_preheader

    html = HtmlDocument(SourceText(f"<body>{body}</body>"))
    found = hidden_preheader(html, Path("e.html"))
    assert (found.value if found else None) == expected
    if found is not None:
        assert found.origin == "html" and found.location is not None


def test_sidecar_preheader_beats_the_html_and_findings_in_it_come_once(tmp_path: Path) -> None:
    import preflight

    (tmp_path / "newsletter.html").write_text(
        MAILCHIMP_EXPORT.replace("*|MC_PREVIEW_TEXT|*</span>", "Lorem ipsum *|FNAME|*</span>"),
        encoding="utf-8",
    )
    config = {"platform": "mailchimp"}
    report = preflight.check([tmp_path], config=config)
    placeholders = [f for f in report.findings if f.rule == "CONTENT006"]
    assert len(placeholders) == 1 and placeholders[0].location.part.value == "html"
    from preflight import api

    rendered = api.render(tmp_path / "newsletter.html", api.configure([tmp_path], config), {})
    assert rendered.preheader_origin == "html"
    (tmp_path / "newsletter.meta.yaml").write_text("preheader: From the sidecar\n")
    rendered = api.render(tmp_path / "newsletter.html", api.configure([tmp_path], config), {})
    assert (rendered.preheader, rendered.preheader_origin) == ("From the sidecar", "sidecar")


def test_the_preview_text_of_a_layout_is_the_composed_emails_preheader(tmp_path: Path) -> None:
    """A Customer.io message sent in a layout whose top holds the hidden preview text."""
    import shutil

    from preflight import api

    project = tmp_path / "customerio"
    shutil.copytree(FIXTURES.parent / "tests" / "data" / "compose" / "customerio", project)
    layout = project / "layouts" / "basic.html"
    layout.write_text(
        layout.read_text(encoding="utf-8").replace(
            "<body>",
            '<body>\n  <div class="preheader" style="display:none">Seeds ship Monday</div>',
        ),
        encoding="utf-8",
    )
    sidecar = project / "messages" / "welcome.meta.yaml"
    sidecar.write_text(
        "".join(
            line
            for line in sidecar.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("preheader:")
        ),
        encoding="utf-8",
    )
    message = project / "messages" / "welcome.html"
    report = api.check([project], {"select": ["CONTENT009"]})
    assert [f.rule for f in report.findings] == []
    rendered = api.render(message, api.configure([message]), {})
    assert (rendered.preheader, rendered.preheader_origin) == ("Seeds ship Monday", "html")
