"""`preflight correct`: the correction email, read back with Python's email package."""

from __future__ import annotations

import json
import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import preflight
from preflight.cli import main
from preflight.corrections import KINDS, OUTPUT_NAMES
from preflight.corrections.words import phrases

from .conftest import FIXTURES, REPO

# name tag (as the original greets), unsubscribe tag, postal address tag: each platform's own
PLATFORMS = {
    "mailchimp": ("*|FNAME|*", "*|UNSUB|*", "*|LIST:ADDRESS|*"),
    "hubspot": (
        "{{ contact.firstname }}",
        "{{ unsubscribe_link }}",
        "{{ site_settings.company_street_address_1 }}",
    ),
    "sendgrid": ("{{first_name}}", "{{{unsubscribe}}}", "{{Sender_Address}}"),
    "klaviyo": (
        "{{ first_name|default:'there' }}",
        "{% unsubscribe %}",
        "{{ organization.full_address }}",
    ),
}
OLD = "https://shop.brightleaf.example/workshop"
NEW = "https://shop.brightleaf.example/events/spring-workshop"
SUBJECT = "Spring workshop: book now"


def _original(
    folder: Path, platform: str, locale: str = "en-GB", audience: str | None = None
) -> Path:
    """A small marketing email in ``platform``'s merge language, as a user exports it."""
    name, unsubscribe, address = PLATFORMS[platform]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "offer.html").write_text(
        f"""<!DOCTYPE html>
<html lang="{locale}">
<head><meta charset="utf-8"><title>Spring workshop</title></head>
<body>
<div class="preheader" style="display:none">Heritage tomatoes, grown together&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;</div>
<p>Hi {name},</p>
<p>Our spring workshop is on 12 May at 10:00.</p>
<p><a href="{OLD}">Book your place</a></p>
<p>{address}</p>
<p><a href="{unsubscribe}">Unsubscribe</a></p>
</body>
</html>
""",
        encoding="utf-8",
    )
    (folder / "offer.txt").write_text(
        f"""Hi {name},

Our spring workshop is on 12 May at 10:00.

Book your place: {OLD}

{address}
Unsubscribe: {unsubscribe}
""",
        encoding="utf-8",
    )
    meta = {
        "subject": SUBJECT,
        "preheader": "Heritage tomatoes, grown together",
        "from": "Brightleaf Gardens <news@brightleaf.example>",
        "reply_to": "help@brightleaf.example",
        "platform": platform,
        "locale": locale,
    }
    if audience:
        meta["audience"] = audience
    (folder / "offer.meta.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return folder / "offer.html"


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def _details(kind: str) -> list[str]:
    if kind == "wrong-link":
        return ["--link", OLD, NEW]
    if kind == "wrong-detail":
        return ["--fix", "12 May", "19 May"]
    return []


def _read_eml(folder: Path) -> EmailMessage:
    message = message_from_bytes((folder / "correction.eml").read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _body_words(text: str) -> int:
    """Words above the "-- " line: the footer (address, unsubscribe) is not the body."""
    return len(text.split("\n-- \n")[0].split())


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("platform", ["mailchimp", "hubspot", "sendgrid", "klaviyo"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_platform_and_language(
    tmp_path: Path, kind: str, platform: str, language: str
) -> None:
    locale = {"en": "en-GB", "de": "de-DE"}[language]
    original = _original(tmp_path / "sent", platform, locale)
    out = tmp_path / "out"
    result = _invoke(
        "correct", str(original), "--kind", kind, *_details(kind), "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    words = phrases()[language]
    name_tag, unsubscribe, address = PLATFORMS[platform]

    message = _read_eml(out)
    assert message["From"] == "Brightleaf Gardens <news@brightleaf.example>"
    assert message["Reply-To"] == "help@brightleaf.example"
    assert message["Content-Language"] == locale
    # an HTML original has no headers: one-click unsubscribe comes from the footer's tag
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    if kind == "wrong-list":
        assert message["Subject"] == words["subject_disregard"]
    else:
        assert message["Subject"] == words["subject"].format(subject=SUBJECT)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text == (out / "correction.txt").read_text(encoding="utf-8")
    assert html == (out / "correction.html").read_text(encoding="utf-8")

    # the footer, in the platform's own tags, in both parts; the sender's name signs it
    for part in (text, html):
        assert unsubscribe in part
        assert address in part
        assert "Brightleaf Gardens" in part
    assert f'href="{unsubscribe}"' in html
    assert f'lang="{locale}"' in html
    assert _body_words(text) <= 80, text
    assert text.count(words["apology"]) == 1 and html.count(words["apology"]) == 1

    if kind == "wrong-link":
        assert NEW in text and f'href="{NEW}"' in html
        assert OLD not in text and OLD not in html
        assert "Book your place" in html  # the original's link text, kept
    if kind == "wrong-detail":
        assert "19 May" in text and "19 May" in html
    # personal only with a fallback, and never for the wrong name or the wrong list
    personal = kind not in ("wrong-name", "wrong-list") and platform != "mailchimp"
    greeting = text.splitlines()[0]
    if personal:
        assert words["greeting_fallback"] in greeting, greeting
    else:
        assert greeting == words["greeting_plain"]
        assert name_tag not in text

    meta = yaml.safe_load((out / "correction.meta.yaml").read_text(encoding="utf-8"))
    assert meta["platform"] == platform and meta["locale"] == locale
    assert meta["subject"] == message["Subject"]
    assert meta["from"] == "Brightleaf Gardens <news@brightleaf.example>"
    assert meta["correction"]["kind"] == kind
    assert "audience" in meta["correction"]
    # the sidecar fits the metadata schema, and the correction adds no finding of its own
    report = preflight.check([out])
    assert [f for f in report.findings if f.rule.startswith("PF")] == []
    errors = [f for f in report.findings if f.severity.label == "error"]
    assert errors == [], [f.message for f in errors]


def test_hubspot_fallback_keeps_its_quotes_in_html(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    out = tmp_path / "out"
    result = _invoke("correct", str(original), "--kind", "early-send", "--output", str(out))
    assert result.exit_code == 0, result.output
    html = (out / "correction.html").read_text(encoding="utf-8")
    assert '<p>Hi {{ personalization_token("contact.firstname", "there") }},</p>' in html
    assert "&#34;" not in html and "&quot;" not in html


def test_words_are_escaped_in_html_but_tags_are_not(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "sendgrid")
    out = tmp_path / "out"
    result = _invoke(
        "correct",
        str(original),
        "--kind",
        "wrong-detail",
        "--fix",
        "12 May",
        "19 May <b>&</b> {{first_name}}",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    html = (out / "correction.html").read_text(encoding="utf-8")
    assert "19 May &lt;b&gt;&amp;&lt;/b&gt; {{first_name}}" in html
    assert "19 May <b>&</b> {{first_name}}" in (out / "correction.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["fr", "es", "nl"])
def test_other_languages(tmp_path: Path, language: str) -> None:
    original = _original(tmp_path / "sent", "klaviyo", f"{language}-{language.upper()}")
    out = tmp_path / "out"
    result = _invoke("correct", str(original), "--kind", "wrong-list", "--output", str(out))
    assert result.exit_code == 0, result.output
    message = _read_eml(out)
    assert message["Subject"] == phrases()[language]["subject_disregard"]
    text = message.get_body(("plain",)).get_content()
    assert phrases()[language]["kinds"]["wrong-list"]["action"] in text


def test_every_language_has_every_phrase() -> None:
    english = phrases()["en"]
    for language, words in phrases().items():
        assert set(words) == set(english), language
        assert set(words["kinds"]) == set(KINDS), language
        for kind in KINDS:
            assert set(words["kinds"][kind]) == set(english["kinds"][kind]), (language, kind)


def test_unknown_locale_is_english_with_a_note(tmp_path: Path, run_cli) -> None:
    original = _original(tmp_path / "sent", "mailchimp", "pt-BR")
    out = tmp_path / "out"
    result = run_cli("correct", str(original), "--kind", "duplicate-send", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert 'note: no correction wording for the locale "pt-BR"' in result.stderr
    assert "written in English" in result.stderr
    message = _read_eml(out)
    assert message["Subject"] == f"Correction: {SUBJECT}"
    assert message["Content-Language"] == "en"
    assert "You may have received" in message.get_body(("plain",)).get_content()


def test_summary_names_the_next_step_and_the_audience(tmp_path: Path, run_cli) -> None:
    original = _original(tmp_path / "sent", "hubspot", audience="customers")
    out = tmp_path / "out"
    result = run_cli(
        "correct", str(original), "--kind", "wrong-list", "--audience", "prospects",
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "wrote a wrong-list correction" in result.stdout
    assert f"next: preflight check {out}" in result.stdout
    assert '"prospects", the audience that received the original by mistake' in result.stdout
    meta = yaml.safe_load((out / "correction.meta.yaml").read_text(encoding="utf-8"))
    assert meta["correction"] == {"kind": "wrong-list", "audience": "prospects", "fixes": []}

    out2 = tmp_path / "out2"
    result = run_cli("correct", str(original), "--kind", "early-send", "--output", str(out2))
    assert '"customers", the audience of the original' in result.stdout


def test_existing_files_are_never_overwritten_without_overwrite(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    out = tmp_path / "out"
    out.mkdir()
    (out / "correction.txt").write_text("keep me", encoding="utf-8")
    result = _invoke("correct", str(original), "--kind", "early-send", "--output", str(out))
    assert result.exit_code == 2
    assert "correction.txt already exists: use --overwrite" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["correction.txt"]  # none of the four
    assert (out / "correction.txt").read_text(encoding="utf-8") == "keep me"

    result = _invoke(
        "correct", str(original), "--kind", "early-send", "--output", str(out), "--overwrite"
    )
    assert result.exit_code == 0, result.output
    assert "keep me" not in (out / "correction.txt").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_new_error_refuses_unless_forced(tmp_path: Path, run_cli) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    out = tmp_path / "out"
    staging = "https://staging.brightleaf.example/workshop"
    args = ["correct", str(original), "--kind", "wrong-link", "--link", OLD, staging]
    result = run_cli(*args, "--output", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LINK003" in result.stderr and staging in result.stderr
    assert "nothing written" in result.stderr and "--force" in result.stderr
    assert not out.exists() or not list(out.iterdir())

    result = run_cli(*args, "--output", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert "LINK003" in result.stderr
    assert staging in (out / "correction.txt").read_text(encoding="utf-8")


def test_an_error_the_original_already_had_does_not_refuse(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    page = original.read_text(encoding="utf-8").replace("*|LIST:ADDRESS|*", "")
    original.write_text(page, encoding="utf-8")
    text = original.with_suffix(".txt")
    text.write_text(text.read_text(encoding="utf-8").replace("*|LIST:ADDRESS|*", ""))
    before = preflight.check([original])
    assert "CONTENT002" in {f.rule for f in before.findings}
    out = tmp_path / "out"
    result = _invoke("correct", str(original), "--kind", "duplicate-send", "--output", str(out))
    # Mailchimp has an address tag, so the correction even has what the original lacked
    assert result.exit_code == 0, result.output
    assert "*|HTML:LIST_ADDRESS_HTML|*" in (out / "correction.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ items.append(1) }}",
        "{{ 'x' * 100000000 }}",
    ],
)
def test_template_reaching_for_internals_fails_cleanly(
    tmp_path: Path, run_cli, source: str
) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "correction.html.j2").write_text(source, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "correct", str(original), "--kind", "early-send", "--templates", str(templates),
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("preflight: error: template correction.html.j2")
    assert not out.exists()


def test_templates_override_from_flag_and_config(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "sendgrid")
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "correction.txt.j2").write_text(
        "{{ greeting }}\n\n{{ intro }}\n\nSORRY: {{ apology }}\n\n"
        "{{ footer.unsubscribe_label }}: {{ footer.unsubscribe_text }}\n"
        "{{ footer.postal_address }}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _invoke(
        "correct", str(original), "--kind", "early-send", "--templates", str(templates),
        "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SORRY: We are sorry" in (out / "correction.txt").read_text(encoding="utf-8")
    # the HTML part, not overridden, is the built-in one
    assert "<!DOCTYPE html>" in (out / "correction.html").read_text(encoding="utf-8")

    (tmp_path / "sent" / "preflight.yaml").write_text(
        f"corrections:\n  templates: {templates}\n", encoding="utf-8"
    )
    out2 = tmp_path / "out2"
    result = _invoke("correct", str(original), "--kind", "early-send", "--output", str(out2))
    assert result.exit_code == 0, result.output
    assert "SORRY:" in (out2 / "correction.txt").read_text(encoding="utf-8")


def test_bad_templates_folder_and_syntax_errors_exit_2(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "sendgrid")
    out = tmp_path / "out"
    result = _invoke(
        "correct", str(original), "--kind", "early-send", "--templates", str(tmp_path / "none"),
        "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 2 and "templates folder does not exist" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "correction.txt.j2").write_text("{% if %}\n", encoding="utf-8")
    result = _invoke(
        "correct", str(original), "--kind", "early-send", "--templates", str(broken),
        "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "broken/correction.txt.j2:1: expected an expression" in result.output.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "wrong-link"], "wrong-link needs at least one --link"),
        (["--kind", "wrong-detail"], "wrong-detail needs at least one --fix"),
        (["--kind", "early-send", "--fix", "a", "b"], "--fix is for --kind wrong-detail"),
        (["--kind", "wrong-name", "--link", OLD, NEW], "--link is for --kind wrong-link"),
        ([], "give --kind"),
        (
            ["--kind", "wrong-link", "--link", OLD + "x", NEW],
            f'(did you mean "{OLD}"?)',
        ),
    ],
)
def test_usage_problems_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    out = tmp_path / "out"
    result = _invoke("correct", str(original), *args, "--output", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_output_is_required(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    result = _invoke("correct", str(original), "--kind", "early-send")
    assert result.exit_code == 2 and "--output" in result.output


def test_from_report_builds_wrong_link_from_findings_data(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    staging = "https://staging.brightleaf.example/seeds"
    for path in (original, original.with_suffix(".txt")):
        path.write_text(path.read_text(encoding="utf-8").replace(OLD, staging), encoding="utf-8")
    report = tmp_path / "report.json"
    checked = run_cli("check", str(original), "--format", "json", "--output", str(report))
    assert checked.returncode == 1
    rules = {f["rule"] for f in json.loads(report.read_text())["findings"]}
    # MERGE004: "Hi *|FNAME|*," with no audience default (issue 16); the LINK finding decides
    assert rules == {"LINK003", "MERGE004"}
    out = tmp_path / "out"

    missing = run_cli("correct", str(original), "--from-report", str(report), "--output", str(out))
    assert missing.returncode == 2
    assert f'no right address for "{staging}" (LINK003)' in missing.stderr

    result = run_cli(
        "correct", str(original), "--from-report", str(report), "--link", staging, NEW,
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrong-link correction" in result.stdout
    text = (out / "correction.txt").read_text(encoding="utf-8")
    assert NEW in text and staging not in text

    # the replacement may come from the config instead
    (tmp_path / "sent" / "preflight.yaml").write_text(
        f"corrections:\n  links:\n    {staging}: {NEW}\n", encoding="utf-8"
    )
    out2 = tmp_path / "out2"
    result = run_cli("correct", str(original), "--from-report", str(report), "--output", str(out2))
    assert result.returncode == 0, result.stderr
    meta = yaml.safe_load((out2 / "correction.meta.yaml").read_text(encoding="utf-8"))
    assert meta["correction"]["fixes"] == [{"was": staging, "is": NEW}]


def test_from_report_merge_findings_make_wrong_name(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    report = tmp_path / "report.json"
    report.write_text(preflight.check([original]).to_json(), encoding="utf-8")
    assert "MERGE004" in report.read_text()
    out = tmp_path / "out"
    result = _invoke("correct", str(original), "--from-report", str(report), "--output", str(out))
    assert result.exit_code == 0, result.output
    meta = yaml.safe_load((out / "correction.meta.yaml").read_text(encoding="utf-8"))
    assert meta["correction"]["kind"] == "wrong-name"
    assert {"rule": "MERGE004", "field": "firstname"} in meta["correction"]["fixes"]
    assert "contact.firstname" not in (out / "correction.txt").read_text(encoding="utf-8")


def test_from_report_rejects_what_is_not_a_report(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": 3}', encoding="utf-8")
    result = _invoke(
        "correct", str(original), "--from-report", str(bad), "--output", str(tmp_path / "o")
    )
    assert result.exit_code == 2 and "is not a preflight JSON report" in result.output
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"version": 1, "findings": []}), encoding="utf-8")
    result = _invoke(
        "correct", str(original), "--from-report", str(clean), "--output", str(tmp_path / "o")
    )
    assert result.exit_code == 2 and "has no LINK or MERGE finding" in result.output


def test_eml_original_keeps_sender_and_one_click_unsubscribe(tmp_path: Path) -> None:
    original = FIXTURES / "campaigns" / "spring-launch" / "clean" / "reminder.eml"
    out = tmp_path / "out"
    result = _invoke("correct", str(original), "--kind", "duplicate-send", "--output", str(out))
    assert result.exit_code == 0, result.output
    message = _read_eml(out)
    assert message["From"] == "Brightleaf Gardens <news@brightleaf.example>"
    assert message["Reply-To"] == "help@brightleaf.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == "Correction: Only a few Green Zebra packets left"
    assert "Content-Language" in message and message["Content-Language"] == "en-GB"
    before = {(f.rule, f.message) for f in preflight.check([original]).findings}
    after = {(f.rule, f.message) for f in preflight.check([out]).findings}
    assert after <= before, after - before


def test_correction_block_schema_is_validated(tmp_path: Path) -> None:
    folder = tmp_path / "email"
    shutil.copytree(FIXTURES / "CONTENT001" / "good-mailchimp-tag", folder)
    meta = folder / "email.meta.yaml"
    base = meta.read_text(encoding="utf-8")
    meta.write_text(
        base + "correction:\n  kind: wrong-link\n  audience: customers\n"
        "  fixes:\n  - {was: 'https://a.example/x', is: 'https://a.example/y'}\n",
        encoding="utf-8",
    )
    assert preflight.check([folder]).findings == []
    meta.write_text(base + "correction:\n  knid: wrong-link\n  fixes: {was: a}\n", encoding="utf-8")
    messages = [f.message for f in preflight.check([folder]).findings if f.rule == "PF003"]
    assert 'unknown key "knid" in "correction"' in messages
    assert '"correction.fixes" must be a list' in messages
    assert '"correction" needs a "kind"' in messages
    meta.write_text(base + "correction:\n  kind: wrong-colour\n", encoding="utf-8")
    messages = [f.message for f in preflight.check([folder]).findings if f.rule == "PF003"]
    assert len(messages) == 1 and 'not "wrong-colour"' in messages[0]


def test_cli_import_does_not_load_jinja2() -> None:
    import subprocess
    import sys

    code = "import sys, preflight.cli; print('jinja2' in sys.modules, 'markupsafe' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False False", result.stderr


def test_readme_example_is_current(tmp_path: Path, run_cli) -> None:
    """The README's worked example: its command and the text part it shows."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Corrections", 1)[1]
    command = re.search(r"```sh\n(preflight correct .+?)\n```", section, re.S)
    assert command is not None
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    args = command.group(1).replace("\\\n", " ").split()[1:]
    out = tmp_path / "correction"
    args[args.index("--output") + 1] = str(out)
    result = run_cli(*[a.strip("'") for a in args], cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert (out / "correction.txt").read_text(encoding="utf-8") == shown
    printed = section.split("```console\n", 1)[1].split("```", 1)[0]
    printed = printed.replace(" to correction:", f" to {out}:")
    assert result.stdout == printed.replace("check correction,", f"check {out},")


# -- the real corpus -------------------------------------------------------------------------


def _keys(report: preflight.Report) -> set[tuple[str, str]]:
    return {(f.rule, json.dumps(dict(f.data), sort_keys=True)) for f in report.findings}


@pytest.mark.parametrize(
    ("relative", "platform", "kind"),
    [
        (
            "postmark-templates/templates-inlined/basic/welcome/content.html",
            "postmark",
            "early-send",
        ),
        ("sendgrid-email-templates/paste-templates/welcome.html", "sendgrid", "duplicate-send"),
    ],
)
def test_corpus_template_correction_adds_no_finding(
    corpus: Path, tmp_path: Path, relative: str, platform: str, kind: str
) -> None:
    original = corpus / relative
    if not original.is_file():
        pytest.skip(f"{relative} is not in the corpus")
    out = tmp_path / "out"
    result = _invoke(
        "correct", str(original), "--kind", kind, "--platform", platform, "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    config = {"platform": platform}
    before = _keys(preflight.check([original], config=config))
    # the HTML with its text part and sidecar: nothing the original did not have
    html_only = tmp_path / "html-only"
    html_only.mkdir()
    for name in ("correction.html", "correction.txt", "correction.meta.yaml"):
        shutil.copy(out / name, html_only / name)
    assert _keys(preflight.check([html_only], config=config)) <= before
    # the .eml too: its List-Unsubscribe holds the platform's unsubscribe tag
    assert _keys(preflight.check([out], config=config)) <= before
    message = message_from_bytes((out / "correction.eml").read_bytes(), policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<{{")
