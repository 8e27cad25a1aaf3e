"""The MERGE rules' building blocks: where tags are, what fields mean, the dialect data,
audiences, and the rules on inputs the fixtures do not cover (positions, robustness)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import preflight
from preflight.dialects import dialects
from preflight.engine import MAX_PER_RULE
from preflight.fields import meaning, role, vocabulary
from preflight.formats.audiences import load_audiences
from preflight.formats.html import load_html
from preflight.model import Part, Sourced
from preflight.tagscan import tag_sites


def _template(tmp_path: Path, html: str, platform: str, text: str | None = None):
    path = tmp_path / "email.html"
    path.write_text(html, encoding="utf-8")
    if text is not None:
        path.with_suffix(".txt").write_text(text, encoding="utf-8")
    template = load_html(path, 10_000_000).template
    assert template is not None
    return dataclasses.replace(template, platform=Sourced(platform, "sidecar"))


def _write(tmp_path: Path, html: str, meta: str, text: str | None = None) -> Path:
    (tmp_path / "email.html").write_text(html, encoding="utf-8")
    (tmp_path / "email.meta.yaml").write_text(meta, encoding="utf-8")
    if text is not None:
        (tmp_path / "email.txt").write_text(text, encoding="utf-8")
    return tmp_path


# -- where tags are -------------------------------------------------------------


def test_tag_sites_know_context_attribute_and_position(tmp_path: Path) -> None:
    html = (
        "<html><head><style>.a{color:red}</style></head><body>\n"
        "<!-- {{ customer.note }} -->\n"
        '<p>Hi {{ customer.first_name }},</p>\n<a href="https://x.example/?c={{ customer.company }}"'
        ' title="{{ customer.city }}">go</a>\n'
        "<script>var a = '{{ customer.id }}';</script>\n"
        "<!--[if mso]><p>{{ customer.last_name }}</p><![endif]-->\n</body></html>"
    )
    sites = tag_sites(_template(tmp_path, html, "customerio"))
    found = {s.tag.field: s for s in sites}
    assert found["customer.note"].context == "comment"
    assert not found["customer.note"].readable
    greeting = found["customer.first_name"]
    assert (greeting.context, greeting.part) == ("text", Part.HTML)
    assert greeting.before.endswith("Hi ")
    span = greeting.location.span
    assert span is not None and (span.line, span.column) == (3, 7)
    company = found["customer.company"]
    assert (company.context, company.element, company.attribute) == ("attribute", "a", "href")
    assert company.value is not None and company.value[company.value_offset :].startswith("{{")
    assert found["customer.city"].attribute == "title"
    assert found["customer.id"].context == "script"
    assert found["customer.last_name"].context == "text"  # Outlook reads conditional comments


def test_subject_tags_point_into_the_sidecar_line(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        "<p>Hi {{ customer.first_name | default: 'there' }}</p>",
        'platform: customerio\nsubject: "Hi {{ customer.first_name }}, your seeds"\n',
    )
    report = preflight.check([folder], config={"select": ["MERGE004"]})
    (finding,) = report.findings
    span = finding.location.span
    assert finding.location.path.name == "email.meta.yaml"
    assert span is not None and (span.line, span.column, span.end_column) == (2, 14, 39)


def test_text_part_tags_are_found(tmp_path: Path) -> None:
    template = _template(tmp_path, "<p>x</p>", "mailchimp", text="Hi *|FNAME|*,\n")
    (site,) = tag_sites(template)
    assert site.part is Part.TEXT and site.location.path.name == "email.txt"


# -- field meanings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("FNAME", "first_name"),
        ("firstName", "first_name"),
        ("First Name", "first_name"),
        ("email_address", "email"),
        ("emailaddr", "email"),
        ("LNAME", "last_name"),
        ("companyname", "company"),
        ("plan", None),
    ],
)
def test_field_meanings(name: str, expected: str | None) -> None:
    assert meaning(name) == expected


def test_roles_are_the_ones_the_rules_use() -> None:
    words = vocabulary()
    assert role("FNAME") == "first" and role("company") == "company"
    used = words.greeting_roles | words.formal_greeting_roles | words.text_roles
    assert used | words.personal_roles <= set(words.roles.values())
    assert "hola" in words.informal_greetings and "geachte" in words.formal_greetings


# -- the dialect data's own invariants ------------------------------------------


def test_every_dialect_can_write_its_tags_and_its_fields_mean_something() -> None:
    known_meanings = set(vocabulary().roles)
    for dialect in dialects().values():
        assert dialect.write_variable and "<field>" in dialect.write_variable, dialect.name
        if dialect.write_fallback:
            assert "<fallback>" in dialect.write_fallback, dialect.name
        assert dialect.fallback in ("inline", "conditional", "audience", "none"), dialect.name
        assert (dialect.fallback == "inline") <= bool(dialect.write_fallback), dialect.name
        assert set(dialect.fields) <= known_meanings | {"mobile", "website"}, dialect.name
        if dialect.url_encode:
            re.compile(dialect.url_encode)
            assert dialect.url_encode_write, dialect.name
        assert set(dialect.write_special) <= {
            "unsubscribe",
            "postal_address",
            "view_online",
            "preferences",
        }
        assert "unsubscribe" in dialect.write_special, dialect.name
        assert dialect.mixes_with <= set(dialects()), dialect.name
        # a language with {{ or {% tags pairs them in MERGE001 (and MERGE002 reads braces
        # as foreign only in languages without them)
        braces = any(pattern.startswith(("\\{\\{", "\\{%")) for _, pattern in dialect.tags)
        openers = {opener for opener, _ in dialect.delimiters}
        assert not braces or openers & {"{{", "{%"}, dialect.name


def test_written_tags_are_read_back_by_the_tokenizer() -> None:
    """What preflight writes (MERGE002 help, corrections) is a tag of that platform."""
    from preflight.dialects import tokenize

    for dialect in dialects().values():
        name = dialect.fields.get("first_name", "first_name")
        for written in (dialect.write(name), dialect.write(name, "there")):
            tags = tokenize(written, dialect.name)
            assert tags, (dialect.name, written)
            assert any(
                (t.field and name in t.field) or (t.kind == "function" and name in t.raw)
                for t in tags
            ), (dialect.name, written)


def test_no_unbounded_negated_classes_in_dialect_patterns() -> None:
    """`[^}]*` or `[^}]+` after an opener is quadratic on a file of unclosed openers."""
    from preflight.resources import rules_dir

    for path in sorted((rules_dir() / "dialects").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\[\^[^\]]*\][*+]", text), path.name


# -- audiences ----------------------------------------------------------------------


def test_audiences_file_problems_are_findings_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "audiences.yaml"
    path.write_text(
        "audiences:\n"
        "  customers:\n    kind: production\n    fields: [email, first_name]\n"
        "  testers:\n    kind: tset\n    feilds: [email]\n"
        "  broken: [1, 2]\n",
        encoding="utf-8",
    )
    audiences = load_audiences(path, 1_000_000)
    assert audiences.items["customers"].fields == ("email", "first_name")
    messages = [v.message for _, v in audiences.problems]
    assert (
        '"kind" of audience "testers" must be one of production, test, seed, suppression,'
        ' not "tset"'
    ) in messages
    assert 'unknown key "feilds" in audience "testers"' in messages
    assert 'audience "broken" must be a mapping' in messages
    assert all(rule == "PF003" for rule, _ in audiences.problems)
    helps = [v.help for _, v in audiences.problems]
    assert 'did you mean "fields"?' in helps


def test_unreadable_audiences_file_is_one_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "preflight.yaml").write_text("audiences: audiences.yaml\n", encoding="utf-8")
    (tmp_path / "audiences.yaml").write_text("audiences: [\n", encoding="utf-8")
    _write(tmp_path, "<p>Hi {{ contact.frist_name }}</p>", "platform: hubspot\n")
    report = preflight.check([tmp_path / "email.html"], config=tmp_path / "preflight.yaml")
    rules = [f.rule for f in report.findings]
    assert rules.count("PF001") == 1
    assert "MERGE003" in rules  # no audience fields: still judged against HubSpot's own


# -- rules on inputs the fixtures do not cover ----------------------------------------


def test_foreign_tag_is_reported_once_with_the_equivalent(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        "<p>Hi *|FNAME|*</p><p>*|FNAME|*</p>",
        "platform: braze\n",
        text="Hi *|FNAME|*\n",
    )
    report = preflight.check([folder], config={"select": ["MERGE002"]})
    assert len(report.findings) == 3
    assert {f.help for f in report.findings} == {"in Braze write {{${first_name}}}"}
    assert {f.data["foreign"] for f in report.findings} == {"Mailchimp"}


def test_mixed_dialects_allowed_by_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    folder = _write(tmp_path, "<p>Hi *|FNAME|* {{ contact.firstname }}</p>", "subject: Hi\n")
    assert [f.rule for f in preflight.check([folder], config={"select": ["MERGE011"]}).findings]
    table = dict(dialects())
    table["mailchimp"] = replace(table["mailchimp"], mixes_with=frozenset({"hubspot"}))
    monkeypatch.setattr("preflight.checks.merge.foreign.dialects", lambda: table)
    assert preflight.check([folder], config={"select": ["MERGE011"]}, cache=False).findings == []


def test_findings_per_rule_and_file_are_capped(tmp_path: Path) -> None:
    folder = _write(tmp_path, "<p>" + "{{ x " * 5000 + "</p>", "platform: hubspot\n")
    report = preflight.check([folder], config={"select": ["MERGE001"]})
    assert len(report.findings) == MAX_PER_RULE + 1
    assert report.findings[0].location.span is None  # the note is about the whole file
    assert "the rest are not shown" in report.findings[0].message


@pytest.mark.parametrize("platform", ["mailchimp", "hubspot", "sfmc", "postmark", "mautic", None])
def test_pathological_templates_finish(tmp_path: Path, platform: str | None) -> None:
    bodies = {
        "braces": "{{" * 30000,
        "pipes": "*|" * 30000 + "|*" * 50,
        "percent": "%%" * 30000,
        "blocks": "{% if a %}" * 10000,
        "script": "%%[" * 20000,
    }
    for name, body in bodies.items():
        (tmp_path / f"{name}.html").write_text(f"<p>{body}</p>", encoding="utf-8")
        meta = f"platform: {platform}\n" if platform else "subject: x\n"
        (tmp_path / f"{name}.meta.yaml").write_text(meta, encoding="utf-8")
    report = preflight.check([tmp_path], config={"select": ["MERGE"]})
    assert not report.internal_errors  # and it returned: bench/ measures how fast


def test_detection_shows_in_text_sarif_and_github(tmp_path: Path) -> None:
    from preflight.reporters import render

    (tmp_path / "a.html").write_text("<p>Hi *|FNAME|*</p>", encoding="utf-8")
    (tmp_path / "b.html").write_text("<p>Hi {{ name }} {{#each x}}{{/each}}</p>", encoding="utf-8")
    report = preflight.check([tmp_path], config={"select": ["MERGE"]})
    text = render(report, "text")
    assert "a.html: mailchimp" not in text  # confident: listed with --verbose only
    assert "b.html: ambiguous: " in text
    assert "a.html: mailchimp (detected, confidence 1.00)" in render(report, "text", verbose=True)
    sarif = render(report, "sarif")
    assert '"platformSource": "detected"' in sarif and '"platform": "mailchimp"' in sarif
    assert "::debug::" in render(report, "github")


def test_a_match_inside_one_tag_never_swallows_the_next() -> None:
    """SFMC: the variable pattern matches "%%Dear %%" from the script's "]%%"; one
    left-to-right pass takes the script first and then finds %%Company%%."""
    from preflight.dialects import tokenize

    tags = tokenize("<p>%%[ SET @a = 1 ]%%Dear %%Company%%,</p>", "sfmc")
    assert [(t.kind, t.field) for t in tags] == [("script", None), ("variable", "Company")]


def test_a_default_filter_after_other_filters_is_the_fallback() -> None:
    from preflight.dialects import tokenize

    (tag,) = tokenize("{{ first_name|title|default:'there' }}", "klaviyo")
    assert tag.fallback == "there"
    (tag,) = tokenize("{{- customer.first_name | capitalize | default: 'you' -}}", "customerio")
    assert (tag.field, tag.fallback) == ("customer.first_name", "you")


def test_common_data_namespaces_are_not_another_platform() -> None:
    """{{ company.name }} is HubSpot's and Marketo's, and every template's: weak evidence."""
    from preflight.dialects import detect

    hubspot = '{{ personalization_token("contact.firstname","there") }} {{ company.name }}'
    assert detect(hubspot + " {{ unsubscribe_link }}").platform == "hubspot"
    assert detect("<p>{{ company.name }} {{ campaign.name }}</p>").platform is None


def test_audience_defaults_are_read_and_checked(tmp_path: Path) -> None:
    from preflight.formats.audiences import load_audiences

    path = tmp_path / "audiences.yaml"
    path.write_text(
        "audiences:\n"
        "  customers: {defaults: {FNAME: there, AGE: 30}}\n"
        "  prospects: {defaults: [FNAME]}\n",
        encoding="utf-8",
    )
    audiences = load_audiences(path, 1_000_000)
    assert dict(audiences.items["customers"].defaults) == {"FNAME": "there", "AGE": "30"}
    assert audiences.items["customers"].defaults_location is not None
    assert audiences.items["prospects"].defaults == {}
    [(rule, problem)] = audiences.problems
    assert rule == "PF003"
    assert (
        problem.message
        == '"defaults" of audience "prospects" must map field names to their default values'
    )
