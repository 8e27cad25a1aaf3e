"""The library API and the engine's filtering: config, overrides, suppressions, positions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import preflight
from preflight.config import ConfigError, config_from_mapping, load_config
from preflight.formats.decode import UnreadableInput, decode
from preflight.model.source import HtmlDocument, SourceText
from preflight.yamlio import MAX_ALIASES, YamlError, load_yaml

from .conftest import FIXTURES

CLEAN = FIXTURES / "CONTENT001" / "good-mailchimp-tag"


@pytest.fixture
def email(tmp_path: Path) -> Path:
    for name in ("email.html", "email.txt", "email.meta.yaml"):
        shutil.copy(CLEAN / name, tmp_path / name)
    return tmp_path


def _rules(report: preflight.Report) -> list[str]:
    return [f.rule for f in report.findings]


def test_library_api_without_click(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    report = preflight.check(".")
    assert report.findings == []
    assert report.summary == {"files": 1, "errors": 0, "warnings": 0, "infos": 0}
    document = json.loads(report.to_json())
    assert document["version"] == 1 and document["tool"]["name"] == "preflight"
    assert document["files"][0] == {
        "path": "email.html",
        "kind": "template",
        "built_from": None,
        "platform": "mailchimp",
        "platform_source": "declared",
        "confidence": 1.0,
    }


def test_json_finding_has_every_contract_field(
    email: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(email)
    page = email / "email.html"
    page.write_text(page.read_text().replace(' alt="Twelve packets of tomato seeds"', ""))
    document = preflight.check(".").to_dict()
    (finding,) = document["findings"]
    assert list(finding) == [
        "rule", "name", "severity", "message", "help", "path", "line", "column",
        "end_line", "end_column", "part", "pointer", "data", "related", "fix",
    ]  # fmt: skip
    assert finding["rule"] == "CONTENT004" and finding["name"] == "image-missing-alt"
    assert (finding["line"], finding["column"]) == (9, 1)
    assert finding["part"] == "html" and finding["data"]["src"].endswith("seeds.png")
    assert document["summary"] == {"files": 1, "errors": 0, "warnings": 1, "infos": 0}


def test_select_ignore_severity_and_options(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    (email / "email.meta.yaml").write_text('subject: "A subject of some thirty chars!"\n')
    assert "INBOX001" in _rules(
        preflight.check(".", config={"rules": {"INBOX001": {"max_length": 10}}})
    )
    report = preflight.check(
        ".", config={"rules": {"INBOX001": {"max_length": 10, "severity": "info"}}}
    )
    assert [f.severity.label for f in report.findings if f.rule == "INBOX001"] == ["info"]
    report = preflight.check(
        ".",
        config={"ignore": ["subject-display"], "rules": {"INBOX001": {"max_length": 10}}},
    )
    assert "INBOX001" not in _rules(report)


def test_content003_max_subject_length_still_reaches_inbox001(
    email: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The subject's length moved from CONTENT003 to INBOX001; the old option is an alias."""
    monkeypatch.chdir(email)
    (email / "email.meta.yaml").write_text('subject: "A subject of some thirty chars!"\n')
    assert "INBOX001" not in _rules(preflight.check("."))  # 32 characters: under 60
    old = {"rules": {"CONTENT003": {"max_subject_length": 10, "severity": "warning"}}}
    report = preflight.check(".", config=old)
    assert [(f.rule, f.data["limit"]) for f in report.findings] == [("INBOX001", 10)]
    # the rule's own spelling wins over the old one
    both = {"rules": {"CONTENT003": {"max_subject_length": 10}, "INBOX001": {"max_length": 40}}}
    assert _rules(preflight.check(".", config=both)) == []
    # and the alias works from a file, in overrides too
    (email / "preflight.yaml").write_text(
        "overrides:\n  - files: ['*.html']\n    rules: {CONTENT003: {max_subject_length: 12}}\n"
    )
    assert _rules(preflight.check(".")) == ["INBOX001"]
    (email / "preflight.yaml").write_text("rules: {CONTENT003: {max_subject_length: ten}}\n")
    with pytest.raises(ConfigError, match="max_subject_length: expected int"):
        preflight.check(".")


def test_overrides_and_per_file_ignores(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    page = email / "email.html"
    page.write_text(page.read_text().replace(' alt="Twelve packets of tomato seeds"', ""))
    assert _rules(preflight.check(".")) == ["CONTENT004"]
    assert (
        _rules(preflight.check(".", config={"per_file_ignores": {"*.html": ["CONTENT004"]}})) == []
    )
    config = {"overrides": [{"files": ["email.*"], "ignore": ["image-missing-alt"]}]}
    assert _rules(preflight.check(".", config=config)) == []
    config = {"overrides": [{"files": ["other/**"], "ignore": ["CONTENT004"]}]}
    assert _rules(preflight.check(".", config=config)) == ["CONTENT004"]
    assert _rules(preflight.check(".", config={"exclude": ["email.html"]})) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"selct": ["CONTENT"]}, 'unknown key "selct" (did you mean "select"?)'),
        ({"select": ["CONTNT"]}, 'did you mean "CONTENT"?'),
        (
            {"rules": {"CONTENT003": {"max_subject_lenght": 3}}},
            'did you mean "max_subject_length"?',
        ),
        ({"rules": {"CONTENT003": {"max_subject_length": "long"}}}, "expected int"),
        ({"rules": {"CONTENT003": {"severity": "fatal"}}}, "severity must be"),
        ({"platform": "hubspott"}, 'did you mean "hubspot"?'),
        ({"extends": "recommendd"}, 'did you mean "recommended"?'),
        ({"links": {"timeout": "soon"}}, "is not a duration"),
        ({"overrides": [{"ignore": ["CONTENT004"]}]}, 'an override needs "files"'),
    ],
)
def test_strict_config(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping(config)
    assert message in str(error.value)


def test_config_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "preflight.yaml"
    path.write_text("select: [CONTENT]\nrules:\n  CONTENT003:\n    max_subjct_length: 3\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}:4:5" in str(error.value)


def test_pyproject_and_extends(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("ignore: [CONTENT009]\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.preflight]\nextends = "base.yaml"\nplatform = "customer.io"\n'
    )
    from preflight.config import find_config

    found = find_config(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    config = load_config(found)
    assert config.platform == "customerio"
    assert config.ignore == ("CONTENT009",)
    assert (
        load_config(FIXTURES / "campaigns" / "spring-launch" / "preflight.yaml").select is not None
    )


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="extends itself"):
        load_config(tmp_path / "a.yaml")


def test_platform_precedence(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    meta = email / "email.meta.yaml"
    assert preflight.check(".", config={"platform": "hubspot"}).files[0].platform == "mailchimp"
    meta.write_text(meta.read_text().replace("platform: mailchimp\n", ""))
    assert preflight.check(".", config={"platform": "hubspot"}).files[0].platform == "hubspot"
    config = config_from_mapping({"platform": "hubspot"}).with_cli(platform="braze")
    assert preflight.check(".", config=config).files[0].platform == "braze"


def test_suppression_scopes(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    page = email / "email.html"
    original = page.read_text()
    bad = '<p>lorem ipsum</p>\n<img src="https://brightleaf.example/x.png" width="600">\n'
    page.write_text(
        original.replace("<h1>", "<!-- preflight: ignore[CONTENT006] -->\n" + bad + "<h1>")
    )
    assert _rules(preflight.check(".")) == ["CONTENT004"]  # covers the next element only
    page.write_text(
        original.replace("<h1>", "<!-- preflight: ignore-file[CONTENT] -->\n" + bad + "<h1>")
    )
    assert _rules(preflight.check(".")) == []
    page.write_text(
        original.replace(
            "<h1>",
            "<!-- preflight: ignore-begin -->\n"
            + bad
            + "<!-- preflight: ignore-end -->\n"
            + bad
            + "<h1>",
        )
    )
    assert _rules(preflight.check(".")) == ["CONTENT006", "CONTENT004"]


def test_yaml_sidecar_suppression(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    meta = email / "email.meta.yaml"
    meta.write_text('subject: "Copy of Spring"  # preflight: ignore[CONTENT003]\n')
    assert _rules(preflight.check(".")) == []
    meta.write_text('# preflight: ignore[CONTENT003]\nsubject: "Copy of Spring"\n')
    assert _rules(preflight.check(".")) == []
    meta.write_text('subject: "Spring"  # preflight: ignore[CONTENT003]\n')
    assert _rules(preflight.check(".")) == ["PF002"]


def test_named_meta_or_text_checks_its_template(
    email: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(email)
    assert [str(f.path) for f in preflight.check(["email.meta.yaml", "email.txt"]).files] == [
        "email.html"
    ]


def test_decoding_policy() -> None:
    assert decode("caf\u00e9".encode())[1] == "utf-8"
    assert decode(b"\xef\xbb\xbfhi")[0] == "hi"
    assert decode("hi".encode("utf-16"))[0] == "hi"
    assert decode(b'<meta charset="windows-1252"><p>\x93quoted\x94</p>')[1] == "cp1252"
    assert decode(b"<p>\xe9t\xe9</p>")[1] == "latin-1"
    assert decode(b"a\r\nb\rc")[0] == "a\nb\nc"
    with pytest.raises(UnreadableInput):
        decode(b"   \n")
    with pytest.raises(UnreadableInput):
        decode(b"\x00\x01binary")


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x]"] + [f"b{i}: &b{i} [*a, *a]" for i in range(MAX_ALIASES)]
    with pytest.raises(YamlError, match="aliases"):
        load_yaml("\n".join(lines))


def test_html_positions_for_multiline_tags_comments_and_scripts() -> None:
    source = (
        "<html><body>\n"
        "<script>var s = '<img src=x>';</script>\n"
        "<!-- <img src=comment> -->\n"
        "<p>one</p><img\n"
        '   src="a.png"\n'
        '   class="hero"><a href="https://x.example/">x</a>\n'
        "</body></html>\n"
    )
    document = HtmlDocument(SourceText(source))
    (image,) = document.elements("img")
    span = document.element_span(image)
    assert span is not None and (span.line, span.column, span.end_line) == (4, 11, 6)
    href = document.attribute_span(document.elements("a")[0], "href")
    assert href is not None and (href.line, href.column, href.end_column) == (6, 26, 44)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "templates:\n"
            + "".join(
                f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10) if i else 'x'}]\n"
                for i in range(9)
            )
            + "fail_on: *a8\n",
            "aliases expand to more than",
        ),
        ("max_file_size: 2024-13-45\n", "bad value"),
        ("fail_on: " + "9" * 5000 + "\n", "bad value"),
        ("rules:\n  CONTENT006: {extra_patterns: ['(unclosed']}\n", "is not a regular expression"),
        ("templates: {reslove: {}}\n", 'did you mean "resolve"'),
    ],
)
def test_hostile_config_values_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "preflight.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_pyproject_with_a_non_table_tool_is_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 5  # [tool.preflight]\n")
    assert load_config(tmp_path / "pyproject.toml").select is None


def test_hostile_sidecars_and_exports_are_findings(
    email: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.chdir(email)
    meta = email / "email.meta.yaml"
    bomb = "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10) if i else 'x'}]\n" for i in range(9)
    )
    meta.write_text(
        "correction:\n"
        + "".join("  " + line + "\n" for line in bomb.splitlines())
        + "category: *a8\n"
    )
    report = preflight.check(".")
    assert report.internal_errors == [] and [
        f.rule for f in report.findings if f.rule.startswith("PF")
    ] == ["PF001"]
    meta.write_text("campaign: 2024-13-45\n")
    report = preflight.check(".")
    assert report.internal_errors == [] and [
        f.rule for f in report.findings if f.rule.startswith("PF")
    ] == ["PF001"]
    meta.unlink()
    (email / "huge.json").write_text(
        '{"Subject": "x", "HtmlBody": "<p>x</p>", "TemplateId": ' + "7" * 5000 + "}"
    )
    report = preflight.check(["huge.json"])
    assert report.internal_errors == [] and [f.rule for f in report.findings] == ["PF001"]
    os.mkfifo(email / "pipe.html")
    report = preflight.check(["."])  # must not block on the FIFO
    assert report.internal_errors == []
    # huge.json has a Postmark template's keys: a broken export is reported when walked too
    assert [(f.rule, f.location.path.name) for f in report.findings if f.rule.startswith("PF")] == [
        ("PF001", "huge.json"),
        ("PF001", "pipe.html"),
    ]


def test_walked_json_of_no_known_shape_is_silent(
    email: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(email)
    (email / "empty.json").write_text("")
    (email / "analytics.json").write_text('{"visits": [1, 2, 3]}')
    (email / "broken.json").write_text("{")
    report = preflight.check(".")
    assert report.findings == [] and [f.path.name for f in report.files] == ["email.html"]


def test_library_import_does_not_load_click_or_network_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, preflight; preflight.check(sys.argv[1]);"
        "print(sorted(m for m in ('click', 'aiohttp', 'jinja2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(CLEAN)], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_command_line_lists_beat_overrides(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    page = email / "email.html"
    page.write_text(
        page.read_text()
        .replace(' alt="Twelve packets of tomato seeds"', "")
        .replace("<h1>", "<h1>TODO ")
    )
    config = config_from_mapping(
        {"ignore": ["CONTENT006"], "overrides": [{"files": ["*.html"], "select": ["CONTENT"]}]}
    )
    assert _rules(preflight.check(".", config=config)) == [
        "CONTENT004"
    ]  # top-level ignore still holds
    assert _rules(preflight.check(".", config=config.with_cli(select=["CONTENT006"]))) == [
        "CONTENT006"
    ]
    assert _rules(preflight.check(".", config=config.with_cli(ignore=["CONTENT004"]))) == [
        "CONTENT006"
    ]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # a file-level suppression before the doctype
        (
            '<!-- preflight: ignore-file[CONTENT004] -->\n<!DOCTYPE html><html><body><img src="a.png"></body></html>',
            [],
        ),
        # one-line file: only the next element is covered
        (
            '<p><!-- preflight: ignore[CONTENT004] --><img src="a.png"><img src="b.png"></p>',
            ["CONTENT004"],
        ),
        # inside a paragraph: covers the rest of it, not the next paragraph
        (
            "<p><!-- preflight: ignore[CONTENT006] -->TODO: price</p>\n<p>Lorem ipsum</p>",
            ["CONTENT006"],
        ),
        # the last child of a cell: never reaches past the cell
        (
            '<table><tr><td>x<!-- preflight: ignore[CONTENT004] --></td></tr></table>\n<img src="a.png">',
            ["PF002", "CONTENT004"],
        ),
    ],
)
def test_suppression_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html: str, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.html").write_text(html)
    config = config_from_mapping({"select": ["CONTENT004", "CONTENT006", "PF002"]})
    assert _rules(preflight.check(".", config=config)) == expected


def test_repeated_placeholders_get_their_own_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.html").write_text(
        "<html><body>\n<p>Price: TODO. Date: TODO.</p>\n</body></html>\n"
    )
    report = preflight.check(".", config={"select": ["CONTENT006"]})
    assert [
        (f.location.span.line, f.location.span.column) for f in report.findings if f.location.span
    ] == [(2, 11), (2, 23)]


def test_sendgrid_versions_point_at_the_active_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    template = {
        "id": "d-1",
        "name": "Spring",
        "generation": "dynamic",
        "versions": [
            {"id": "v1", "active": 0, "subject": "Spring seeds", "html_content": "<p>old</p>"},
            {
                "id": "v2",
                "active": 1,
                "subject": "Copy of Spring seeds",
                "html_content": "<p>lorem ipsum</p>",
            },
        ],
    }
    (tmp_path / "spring.json").write_text(json.dumps(template, indent=2))
    report = preflight.check(".", config={"select": ["CONTENT003", "CONTENT006"]})
    found = {f.rule: f for f in report.findings}
    subject, lorem = found["CONTENT003"], found["CONTENT006"]
    text = (tmp_path / "spring.json").read_text().splitlines()
    assert subject.location.span is not None and "Copy of" in text[subject.location.span.line - 1]
    assert subject.location.pointer == "/versions/1/subject"
    assert lorem.location.span is not None and "lorem ipsum" in text[lorem.location.span.line - 1]
    assert lorem.location.pointer == "/versions/1/html_content"
    assert report.to_dict()["findings"][0]["pointer"].startswith("/versions/1/")


def test_family_prefixes_are_valid_selectors(tmp_path: Path) -> None:
    config = config_from_mapping({"select": ["MERGE", "CONTENT"], "ignore": ["LINK"]})
    assert config.select is not None and "CONTENT001" in config.select
    listed = config_from_mapping({}).with_cli(select=["LIST"]).cli_select
    assert listed is not None and set(listed) == {f"LIST00{n}" for n in range(1, 9)}
    selected = config_from_mapping({}).with_cli(select=["TIME", "FLOW"]).cli_select
    assert selected is not None and {"TIME001", "FLOW001"} <= set(selected)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # before a parser-implied <html>/<body>: covers the first image only
        (
            '<!-- preflight: ignore[CONTENT004] --><img src="a.png"><img src="b.png">',
            ["CONTENT004"],
        ),
        (
            '<!DOCTYPE html>\n<!-- preflight: ignore[CONTENT004] --><img src="a.png"><img src="b.png">',
            ["CONTENT004"],
        ),
        # an Outlook conditional that libxml2 turns into a comment must not steal the directive
        (
            '<html><body>\n<![if !mso]><p>hi</p><![endif]>\n<!-- preflight: ignore[CONTENT004] -->\n<img src="a.png">\n</body></html>',
            [],
        ),
        ("<html><body><!-- preflight: ignore[LINK] --><p>x</p></body></html>", []),
    ],
)
def test_suppression_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html: str, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.html").write_text(html)
    config = config_from_mapping({"select": ["CONTENT004", "PF002"]})
    assert _rules(preflight.check(".", config=config)) == expected


def test_undecodable_file_names_keep_reports_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from preflight.reporters import render

    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"bad\xff #1%20.html")
    (tmp_path / name).write_text('<img src="a.png">')
    report = preflight.check(".", config={"select": ["CONTENT004"]})
    for fmt in ("json", "sarif", "github", "text"):
        render(report, fmt).encode("utf-8")  # no lone surrogate survives
    document = json.loads(render(report, "sarif"))
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert "%20%231%2520.html" in uri


def test_sendgrid_key_missing_from_the_active_version_has_no_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    template = {
        "generation": "dynamic",
        "versions": [
            {"active": 0, "subject": "Old", "html_content": "<p>a</p>"},
            {"active": 1, "html_content": "<p>b</p>"},
            {"active": 0, "subject": "Later", "html_content": "<p>c</p>"},
        ],
    }
    (tmp_path / "t.json").write_text(json.dumps(template, indent=2))
    (finding,) = preflight.check(".", config={"select": ["CONTENT003"]}).findings
    assert finding.location.span is None and finding.location.pointer == "/versions/1/subject"


def test_sidecar_suggestion_is_in_help(email: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(email)
    (email / "email.meta.yaml").write_text('subjct: "Spring"\n')
    (finding,) = [f for f in preflight.check(".").findings if f.rule == "PF003"]
    assert finding.message == 'unknown metadata key "subjct"'
    assert finding.help == 'did you mean "subject"?'
    assert finding.data["suggestion"] == "subject"


def test_rule_data_is_parsed_once_and_kept_like_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """resources.load_data keeps a YAML data file's parsed form in __pycache__ beside it,
    reads it back while the file is unchanged, parses again when the file changes or the
    kept form is damaged, and writes nothing under PYTHONDONTWRITEBYTECODE."""
    import sys

    from preflight import resources

    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tmp_path / "data.yaml"
    source.write_text("phrases: [a, b]\nweight: 2\n", encoding="utf-8")
    kept = tmp_path / "__pycache__" / "data.yaml.marshal"
    assert resources.load_data(source) == {"phrases": ["a", "b"], "weight": 2}
    assert kept.is_file()
    import yaml

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again although unchanged")

    monkeypatch.setattr(yaml, "load", no_parse)
    assert resources.load_data(source) == {"phrases": ["a", "b"], "weight": 2}
    monkeypatch.undo()
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source.write_text("phrases: [a, b, c]\nweight: 2\n", encoding="utf-8")  # size changes
    assert resources.load_data(source)["phrases"] == ["a", "b", "c"]
    kept.write_bytes(kept.read_bytes()[:-3])  # damaged: parsed from the YAML again
    assert resources.load_data(source)["phrases"] == ["a", "b", "c"]
    kept.unlink()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert resources.load_data(source)["weight"] == 2
    assert not kept.exists()
    # another reading of a file (the public suffix list's ICANN section) is kept apart
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    counted = resources.load_data(source, lambda text: len(text.splitlines()), "lines")
    assert counted == 2 and (tmp_path / "__pycache__" / "data.yaml.lines.marshal").is_file()
    assert resources.load_data(source)["weight"] == 2
    assert resources.load_data(source, lambda text: -1, "lines") == 2  # kept: not read again


def test_dataclass_code_is_compiled_once_and_kept(tmp_path: Path) -> None:
    """The CLI keeps the code dataclasses compile (codecache.py): a first process compiles
    and writes it under PYTHONPYCACHEPREFIX, a second compiles nothing, a damaged file is
    compiled again, PYTHONDONTWRITEBYTECODE writes nothing, and a library import of
    preflight leaves dataclasses as it is."""
    import os
    import subprocess
    import sys

    probe = (
        "import dataclasses, preflight.codecache as c, preflight.model as m;"
        "f = m.Location(m.Path('a.html'));"
        "assert f == m.Location(m.Path('a.html')) and 'a.html' in repr(f);"
        "print(c._added, len(c._codes) > 20, dataclasses.exec is c._exec)"
    )

    def run(*, dont_write: bool = False, code: str = probe) -> str:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "prefix")
        if dont_write:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run(dont_write=True) == "True True True"
    assert not list((tmp_path / "prefix").rglob("*dataclasses*"))
    assert run() == "True True True"  # compiled, written at exit
    (kept,) = (tmp_path / "prefix").rglob("*dataclasses*.marshal")
    assert run() == "False True True"  # nothing compiled: all read back
    kept.write_bytes(kept.read_bytes()[:-100])  # damaged: compiled again
    assert run() == "True True True"
    library = "import dataclasses, preflight.model; print(hasattr(dataclasses, 'exec'))"
    assert run(code=library) == "False"
