"""The email as it is sent: layouts, partials, build sources and platform metadata.

Each project in tests/data/compose is checked as a user would (the CLI's JSON): emails
are composed before the rules see them, findings point at the file their text came from,
and a finding in a shared part is reported once.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .conftest import REPO

DATA = REPO / "tests" / "data" / "compose"


def _check(run_cli, *paths: Path) -> dict[str, Any]:
    result = run_cli("check", *map(str, paths), "--format", "json", "--no-cache")
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _files(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {
        Path(f["path"]).as_posix().split("compose/", 1)[1]: (f["kind"], f["built_from"])
        for f in document["files"]
    }


def _found(document: dict[str, Any]) -> list[tuple[str, str, int | None, int | None]]:
    return [
        (f["rule"], f["path"].rpartition("compose/")[2], f["line"], f["column"])
        for f in document["findings"]
    ]


def test_postmark_templates_are_checked_inside_their_layout(run_cli) -> None:
    document = _check(run_cli, DATA / "postmark")
    assert _files(document) == {
        "postmark/layouts/basic/content.html": ("layout", None),
        "postmark/templates/password-reset/content.html": ("template", None),
        "postmark/templates/welcome/content.html": ("template", None),
    }
    found = _found(document)
    # the layout carries the footer (address, unsubscribe): no CONTENT001/002 on the content
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002")]
    # the layout's own problem is reported once, at the layout, with both emails it reaches
    link = [f for f in document["findings"] if f["rule"] == "LINK004"]
    assert len(link) == 1
    assert link[0]["path"].endswith("layouts/basic/content.html") and link[0]["line"] == 22
    assert sorted(Path(r["path"]).parent.name for r in link[0]["related"]) == [
        "password-reset",
        "welcome",
    ]
    assert link[0]["data"]["emails"] == 2
    # meta.json's subject is read: MERGE004 on it, at its line
    assert ("MERGE004", "postmark/templates/welcome/meta.json", 4, 46) in found
    platforms = {f["platform"] for f in document["files"] if f["kind"] == "template"}
    assert platforms == {"postmark"}


def test_mjml_is_compiled_once_and_findings_point_at_the_source_line(run_cli) -> None:
    document = _check(run_cli, DATA / "mjml")
    assert _files(document) == {
        # a source with its compiled output: checked once, as the output
        "mjml/compiled/offer.html": (
            "template",
            str(Path("tests/data/compose/mjml/source/offer.mjml")),
        ),
        "mjml/source/offer.mjml": ("source", None),
        # a source with no output: compiled in process
        "mjml/source/calendar.mjml": (
            "template",
            str(Path("tests/data/compose/mjml/source/calendar.mjml")),
        ),
        "mjml/source/shared/footer.mjml": ("partial", None),
    }
    assert _found(document) == [
        ("LINK007", "mjml/source/calendar.mjml", 6, 26),  # <mj-button href="#">
        # "Hi *|FNAME|*," and no audience declares a default for FNAME (Mailchimp's fallback)
        ("MERGE004", "mjml/source/offer.mjml", 9, 21),
        ("LINK003", "mjml/source/offer.mjml", 11, 26),  # the staging host, where it is written
    ]


def test_naming_a_build_source_checks_the_email_it_builds(run_cli) -> None:
    """pre-commit hands over the changed source: its compiled output is what is checked."""
    document = _check(run_cli, DATA / "mjml" / "source" / "offer.mjml")
    assert [f["path"].rsplit("compose/", 1)[1] for f in document["files"]] == [
        "mjml/compiled/offer.html"
    ]
    assert _found(document) == [
        ("MERGE004", "mjml/source/offer.mjml", 9, 21),
        ("LINK003", "mjml/source/offer.mjml", 11, 26),
    ]


def test_panini_pages_are_composed_with_layout_and_partials(run_cli) -> None:
    document = _check(run_cli, DATA / "panini")
    kinds = _files(document)
    assert kinds["panini/src/layouts/default.html"] == ("layout", None)
    assert kinds["panini/src/partials/footer.html"] == ("partial", None)
    found = _found(document)
    # the partial's http link: once, at the partial, reaching both pages
    assert [f for f in found if f[0] == "LINK004"] == [
        ("LINK004", "panini/src/partials/footer.html", 2, 81)
    ]
    # Inky is not compiled: said once per page; build-time Handlebars ({{root}}) is masked,
    # so it is neither a foreign merge tag nor a relative URL
    assert sorted(f[1] for f in found if f[0] == "PF005") == [
        "panini/src/pages/news.html",
        "panini/src/pages/welcome.html",
    ]
    assert not [f for f in found if f[0].startswith(("MERGE", "LINK008", "CONTENT"))]


def test_a_suppression_written_in_a_partial_applies_to_it(run_cli, tmp_path: Path) -> None:
    project = tmp_path / "panini"
    shutil.copytree(DATA / "panini", project)
    footer = project / "src" / "partials" / "footer.html"
    text = footer.read_text(encoding="utf-8")
    footer.write_text(
        text.replace(" &middot; <a href", " &middot; <!-- preflight: ignore[LINK004] --><a href"),
        encoding="utf-8",
    )
    found = _found(_check(run_cli, project))
    assert not [f for f in found if f[0] in ("LINK004", "PF002")]


def test_a_run_that_reads_nothing_says_so_and_exits_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# not an email\n", encoding="utf-8")
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert "no input read" in result.stderr
    assert "No input read" in result.stdout and "skipped 1 file (1 not an input)" in result.stdout
    verbose = run_cli("check", str(tmp_path), "--verbose")
    assert "skipped (not an input): " in verbose.stdout and "notes.md" in verbose.stdout
    assert run_cli("check", str(tmp_path), "--allow-empty").returncode == 0
    assert run_cli("check", str(tmp_path / "notes.md"), "--skip-unknown").returncode == 0
    document = json.loads(run_cli("check", str(tmp_path), "--format", "json").stdout)
    assert document["summary"]["files"] == 0 and document["files"] == []
    sarif = json.loads(run_cli("check", str(tmp_path), "--format", "sarif").stdout)
    (invocation,) = sarif["runs"][0]["invocations"]
    assert invocation["toolExecutionNotifications"][0]["descriptor"]["id"] == "no-input"


def test_build_folders_are_read_and_other_trees_skipped(run_cli, tmp_path: Path) -> None:
    """dist/ and build/ hold the emails that are sent; node_modules, htmlcov, _build and
    virtual environments never do."""
    email = (REPO / "fixtures/campaigns/spring-launch/clean/launch.html").read_text()
    for folder in ("dist", "build", "node_modules/pkg", "htmlcov", "_build", "venv"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "email.html").write_text(email, encoding="utf-8")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    document = _check(run_cli, tmp_path)
    read = sorted(Path(f["path"]).parent.name for f in document["files"])
    assert read == ["build", "dist"]


def test_a_layout_named_alone_checks_the_emails_that_use_it(run_cli) -> None:
    """pre-commit hands over only the changed layout: every email composed from it is
    checked, and the layout's finding is reported once."""
    document = _check(run_cli, DATA / "postmark" / "layouts" / "basic" / "content.html")
    emails = sorted(
        Path(f["path"]).parent.name for f in document["files"] if f["kind"] == "template"
    )
    assert emails == ["password-reset", "welcome"]
    assert [
        f["rule"] for f in document["findings"] if f["path"].endswith("layouts/basic/content.html")
    ].count("LINK004") == 1


def test_a_sidecar_layout_wraps_a_customerio_message(run_cli, tmp_path: Path) -> None:
    """Customer.io keeps layouts apart: `layout:` in the sidecar names it, and the message
    goes in at {{ content }}. The layout's footer counts for the message; a problem in the
    message points at the message's own line."""
    project = tmp_path / "customerio"
    shutil.copytree(DATA / "customerio", project)
    document = _check(run_cli, project)
    assert {Path(f["path"]).name: f["kind"] for f in document["files"]} == {
        "basic.html": "layout",
        "welcome.html": "template",
    }
    assert not [f for f in document["findings"] if f["rule"] in ("CONTENT001", "CONTENT002")]
    message = project / "messages" / "welcome.html"
    message.write_text(
        message.read_text().replace(
            "https://brightleaf.example", "https://staging.brightleaf.example"
        )
    )
    found = [
        (f["rule"], Path(f["path"]).name, f["line"]) for f in _check(run_cli, project)["findings"]
    ]
    assert ("LINK003", "welcome.html", 3) in found


def test_mjml_with_a_stylesheet_included_from_a_head_partial_compiles(tmp_path: Path) -> None:
    """mjml compiles a <mj-include type="css"> inside a partial included into <mj-head>
    (Mattermost's partials/style.mjml); MRML's file loader refuses it, so preflight reads the
    includes itself and hands MRML the stylesheet as <mj-style>: no PF001, and the rules see
    the compiled email (its href="#" button)."""
    import preflight

    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "style.css").write_text(".title { color: #333333; }\n")
    (tmp_path / "partials" / "style.mjml").write_text(
        '<mj-attributes><mj-text font-family="sans-serif" /></mj-attributes>\n'
        '<mj-include type="css" path="./style.css"/>\n'
        '<mj-include type="css" css-inline="inline" path="./style.css"/>\n'
    )
    (tmp_path / "reset.mjml").write_text(
        '<mjml>\n  <mj-head>\n    <mj-include path="./partials/style.mjml" />\n  </mj-head>\n'
        "  <mj-body>\n    <mj-section><mj-column>\n"
        '      <mj-text css-class="title">Choose a new password</mj-text>\n'
        '      <mj-button href="#">Reset password</mj-button>\n'
        "    </mj-column></mj-section>\n  </mj-body>\n</mjml>\n"
    )
    report = preflight.check([tmp_path / "reset.mjml"])
    rules = {f.rule for f in report.findings}
    assert "PF001" not in rules
    assert "LINK007" in rules


def test_mjml_with_an_unquoted_attribute_value_compiles(tmp_path: Path) -> None:
    """mjml takes `font-weight=400` unquoted (Mattermost's payment_failed_body.mjml); MRML
    refuses it, so preflight quotes MJML tags' attribute values and tries again: no PF001,
    and the rules see the compiled email. A `>` in a quoted value and a bare attribute stay
    as they are."""
    import preflight

    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "footer.mjml").write_text(
        "<mj-section><mj-column><mj-text font-size=12px>Bye</mj-text></mj-column></mj-section>\n"
    )
    (tmp_path / "failed.mjml").write_text(
        "<mjml>\n  <mj-body>\n    <mj-section><mj-column>\n"
        '      <mj-text font-weight=400 color="#3F4350" title="a > b">Your payment failed</mj-text>\n'
        '      <mj-button href="#">Update payment</mj-button>\n'
        "    </mj-column></mj-section>\n"
        '    <mj-include path="./partials/footer.mjml" />\n'
        "  </mj-body>\n</mjml>\n"
    )
    report = preflight.check([tmp_path / "failed.mjml"])
    rules = {f.rule for f in report.findings}
    assert "PF001" not in rules
    assert "LINK007" in rules
    from preflight.compose.mjml import _quoted

    assert _quoted('<mj-text font-weight=400 title="a > b">x=1</mj-text>') == (
        '<mj-text font-weight="400" title="a > b">x=1</mj-text>'
    )


def test_mjml_that_mjml_forgives_compiles_with_its_text_as_written(tmp_path: Path) -> None:
    """What mjml's parser takes and MRML's refuses, from real newsletters: `</br>` and an
    unclosed <p> inside <mj-text> (mjml copies an ending tag's content unparsed), an
    <mj-image> left open, `--` inside a comment, a comment among <mj-attributes> beside a
    self-closed <mj-text/>. It compiles, the text comes out as written, and the rules run."""
    from preflight.compose.mjml import compile_mjml

    source = (
        "<mjml>\n  <mj-head>\n    <mj-attributes>\n      <!-- defaults -->\n"
        '      <mj-text color="#1f002a" padding="0" />\n    </mj-attributes>\n'
        "    <!-- tokens:\n      --color-canvas = #270035\n    -->\n  </mj-head>\n"
        "  <mj-body>\n    <mj-section><mj-column>\n"
        '      <mj-image src="https://brightleaf.example/logo.png" alt="Brightleaf">\n'
        "      <mj-text><p>Ahoj!</p><p>Line one</br>line two<p></mj-text>\n"
        '      <mj-button href="#">Read it</mj-button>\n'
        '      <mj-divider border-width="1px"></mj-divider>\n'
        "    </mj-column></mj-section>\n  </mj-body>\n</mjml>\n"
    )
    path = tmp_path / "news.mjml"
    path.write_text(source, encoding="utf-8")
    composed = compile_mjml(path, source, 1_000_000)
    assert not composed.problems
    assert composed.html is not None
    assert "<p>Ahoj!</p><p>Line one</br>line two<p>" in composed.html
    assert ">Read it<" in composed.html and "pfraw" not in composed.html
    assert 'src="https://brightleaf.example/logo.png"' in composed.html
    import preflight

    assert "LINK007" in {f.rule for f in preflight.check([path]).findings}


def test_a_part_checked_alone_is_not_judged_as_a_whole_email(tmp_path: Path) -> None:
    """A layout (a slot), a header part or a fragment that nothing composes is reported as
    a layout or partial in files[], keeps the findings of what it holds (a placeholder
    link), and gets none of the rules that judge an email as a whole (catalogue `scope:
    email`: subject, preheader, lang, <title>, heading outline, dark mode, text part)."""
    import json

    import preflight
    from preflight.catalogue import load_catalogue

    whole = {rule.id for rule in load_catalogue() if rule.scope == "email"}
    assert {"CONTENT003", "CONTENT009", "A11Y001", "A11Y008", "INBOX002"} <= whole
    files = {
        "layout.html": '<html lang="en"><body>{{ content }}<a href="#">Shop</a></body></html>',
        "header.html": '<html><body><table><tr><td><a href="#">Home</a></td></tr>',
        "fragment.html": '<section><h3>News</h3><a href="#">Read</a></section>',
        "email.html": "<html><body><h1>News</h1><p>Our spring range is here.</p>"
        '<a href="#">Read</a></body></html>',
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    document = json.loads(preflight.check([tmp_path]).to_json())
    kinds = {Path(f["path"]).name: f["kind"] for f in document["files"]}
    assert kinds == {
        "layout.html": "layout",
        "header.html": "partial",
        "fragment.html": "partial",
        "email.html": "template",
    }
    rules: dict[str, set[str]] = {name: set() for name in files}
    for finding in document["findings"]:
        rules[Path(finding["path"]).name].add(finding["rule"])
    for name in ("layout.html", "header.html", "fragment.html"):
        assert "LINK007" in rules[name], name  # what the part holds is still checked
        assert not rules[name] & whole, (name, rules[name] & whole)
    assert {"CONTENT009", "A11Y001"} <= rules["email.html"]
