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

import pytest

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


def test_a_django_template_is_checked_inside_the_template_it_extends(run_cli) -> None:
    """Weblate's shape: templates/mail/reset.html `{% extends "mail/base.html" %}`, a name
    read from the `templates` folder (Django's app-directories loader), not from the
    extending file. The base template is a layout: its footer counts for each email, its
    own problem is reported once with the emails it reaches, and a problem in a block
    points at the extending file's line."""
    document = _check(run_cli, DATA / "django")
    assert _files(document) == {
        "django/app/templates/mail/base.html": ("layout", None),
        "django/app/templates/mail/invite.html": ("template", None),
        "django/app/templates/mail/reset.html": ("template", None),
    }
    found = _found(document)
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002")]
    assert ("LINK007", "django/app/templates/mail/reset.html", 10, 13) in found
    local = [f for f in document["findings"] if f["rule"] == "LINK003"]
    assert len(local) == 1 and local[0]["path"].endswith("mail/base.html")
    assert local[0]["line"] == 14 and local[0]["data"]["emails"] == 2


def test_a_base_template_named_alone_checks_the_templates_that_extend_it(run_cli) -> None:
    document = _check(run_cli, DATA / "django" / "app" / "templates" / "mail" / "base.html")
    kinds = {Path(f["path"]).name: f["kind"] for f in document["files"]}
    assert kinds == {"base.html": "layout", "invite.html": "template", "reset.html": "template"}


def test_block_super_and_a_chain_of_extends_compose_as_django_renders(tmp_path: Path) -> None:
    from preflight.compose.extends import compose_extends
    from preflight.config import Config

    root = tmp_path / "templates"
    (root / "mail").mkdir(parents=True)
    (root / "base.html").write_text(
        "<html><title>{% block title %}Site{% endblock %}</title>"
        "<body>{% block content %}{% block inner %}base inner{% endblock %}{% endblock %}"
        "<p>footer</p></body></html>"
    )
    (root / "mail" / "layout.html").write_text(
        '{% extends "base.html" %}ignored{% block title %}{{ block.super }} mail{% endblock %}'
    )
    child = root / "mail" / "reset.html"
    child.write_text(
        '{% extends "mail/layout.html" %}outside blocks is never output'
        "{% block inner %}{{ super() }} and the reset{% endblock %}"
    )
    composed = compose_extends(child, child.read_text(), Config(root=tmp_path))
    assert composed is not None and composed.html is not None
    assert composed.html == (
        "<html><title>Site mail</title><body>base inner and the reset<p>footer</p></body></html>"
    )
    assert [path.name for path, _ in composed.parts] == ["layout.html", "base.html"]
    assert composed.html_map is not None


def test_an_extends_name_is_joined_only_when_one_file_answers(tmp_path: Path) -> None:
    """Two roots (the nearest `templates` folder and the config's folder) that hold
    different files of the name: preflight does not guess. A name that leads out of its
    root, a cycle, or blocks that do not pair leave the template as written."""
    from preflight.compose.extends import compose_extends, resolve_name
    from preflight.config import Config

    (tmp_path / "preflight.yaml").write_text("platform: mailchimp\n")
    config = Config(root=tmp_path, source=tmp_path / "preflight.yaml")
    templates = tmp_path / "app" / "templates"
    (templates / "mail").mkdir(parents=True)
    (templates / "mail" / "base.html").write_text("{% block content %}{% endblock %}")
    email = templates / "mail" / "reset.html"
    assert resolve_name("mail/base.html", email, config) == templates / "mail" / "base.html"
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "base.html").write_text("{% block content %}{% endblock %}")
    assert resolve_name("mail/base.html", email, config) is None  # ambiguous
    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
    outside.write_text("{% block content %}{% endblock %}")
    assert resolve_name(f"../../../../{outside.name}", email, config) is None
    assert resolve_name(f"../{outside.name}", email, config) is None
    assert resolve_name("./base.html", email, config) == templates / "mail" / "base.html"
    assert resolve_name("@Bundle/base.html", email, config) is None
    for text in (
        '{% extends "mail/reset.html" %}{% block content %}x{% endblock %}',  # itself
        '{% extends "mail/base.html" %}{% block content %}x',  # not closed
        '{% extends "mail/base.html" %}{% endblock %}',  # never opened
    ):
        email.write_text(text)
        assert compose_extends(email, text, Config(root=templates)) is None
    (templates / "a.html").write_text('{% extends "b.html" %}{% block x %}{% endblock %}')
    (templates / "b.html").write_text('{% extends "a.html" %}{% block x %}{% endblock %}')
    cycle = compose_extends(templates / "a.html", (templates / "a.html").read_text(), config)
    assert cycle is not None and [p.name for p, _ in cycle.parts] == ["b.html"]


def test_an_ejs_email_is_composed_with_its_includes_and_masked(run_cli) -> None:
    """An .ejs email is an input: its `<%- include('partials/footer') %>` is followed (EJS
    reads the name from the including file's folder, adding .ejs), the footer's unsubscribe
    link counts, a problem in the footer points at the partial, and PF005 says once that the
    EJS is masked."""
    document = _check(run_cli, DATA / "ejs")
    assert _files(document) == {
        "ejs/emails/welcome.ejs": ("template", None),
        "ejs/emails/partials/footer.ejs": ("partial", None),
        "ejs/emails/partials/header.ejs": ("partial", None),
    }
    found = _found(document)
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002")]
    assert ("LINK003", "ejs/emails/partials/footer.ejs", 2, 63) in found
    assert [f[1] for f in found if f[0] == "PF005"] == ["ejs/emails/welcome.ejs"]


def test_build_languages_are_recognised_by_syntax_no_platform_writes() -> None:
    from preflight.compose.build import ejs_spans, magento_spans, mask, written_in

    assert written_in("<p>Hi <%= name %></p><% if (vip) { %>VIP<% } %>") == "ejs"
    assert written_in('<a href="<%asm_group_unsubscribe_raw_url%>">Unsubscribe</a>') is None
    assert written_in('<a href="<% url %>">no output tag</a>') is None
    assert written_in('<!--@subject {{trans "Welcome"}} @-->') == "magento"
    assert written_in('<p>{{trans "Your order"}} {{var order.increment_id}}</p>') == "magento"
    assert written_in("<p>Hi {{ first_name }}, {{#if vip}}VIP{{/if}}</p>") is None
    assert written_in('<a href="{{ .SiteURL }}/confirm">Confirm</a>') == "go"
    assert written_in('{{ define "header" }}<html>{{ end }}') == "go"
    text = '<p>{{trans \'Click <a href="%url">here</a>, "%name"\' url=$u name=$n}}</p>{{var x}}'
    masked = mask(text, magento_spans(text)).replace("\ue001", "")
    assert masked == '<p>Click <a href="%url">here</a>, "%name"</p>'
    # unclosed syntax is left as written, in one pass (no rescan from every opener)
    assert magento_spans("{{trans 'open" * 20000) == []
    assert ejs_spans("<%" * 20000) == []
    assert ejs_spans("a<%% b %>c<%= d %>") == [(10, 18)]


def test_mjml_around_go_templates_is_compiled_then_masked(tmp_path: Path) -> None:
    """Mattermost writes its MJML around Go actions ({{.Props.Title}}): MRML compiles it,
    then the Go syntax in the compiled email is masked (PF005), and no platform is guessed
    from it."""
    import preflight

    (tmp_path / "reset.mjml").write_text(
        "<mjml>\n  <mj-body>\n    <mj-section><mj-column>\n"
        "      <mj-text>{{.Props.Title}}</mj-text>\n"
        '      <mj-button href="{{.Props.ResetURL}}">{{.Props.Button}}</mj-button>\n'
        "    </mj-column></mj-section>\n  </mj-body>\n</mjml>\n"
    )
    report = preflight.check([tmp_path / "reset.mjml"])
    assert [f.rule for f in report.findings if f.rule.startswith(("PF", "MERGE", "LINK"))] == [
        "PF005"
    ]
    assert report.findings[0].data.get("language", "Go templates") == "Go templates"
    assert [info.platform for info in report.files] == [None]


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


def test_a_magento_email_is_composed_with_its_header_and_footer(run_cli) -> None:
    """Magento's {{template config_path="design/email/header_template"}} and footer_template
    are Magento_Email's header.html and footer.html: each email is checked inside them (the
    header opens <body>, the footer closes it), they are partials reported once, and a
    problem in the email points at its own line, its link text quoted without the masked
    {{trans}} around it."""
    document = _check(run_cli, DATA / "magento")
    email = "magento/app/code/Magento/{}/view/frontend/email/{}"
    assert _files(document) == {
        email.format("Customer", "account_new.html"): ("template", None),
        email.format("Customer", "password_reset_confirmation.html"): ("template", None),
        email.format("Email", "header.html"): ("partial", None),
        email.format("Email", "footer.html"): ("partial", None),
    }
    found = _found(document)
    reset = email.format("Customer", "password_reset_confirmation.html")
    assert ("LINK007", reset, 10, 13) in found
    link = next(f for f in document["findings"] if f["rule"] == "LINK007")
    assert link["message"] == 'the link "Help" links to "http://", a placeholder'
    local = [f for f in document["findings"] if f["rule"] == "LINK003"]
    assert len(local) == 1 and local[0]["path"].endswith("Email/view/frontend/email/footer.html")
    assert local[0]["data"]["emails"] == 2
    # a whole document once composed: not "a part of an email" any more
    assert not [f for f in document["findings"] if "part of an email" in f["message"]]


def test_magento_finds_header_and_footer_in_its_own_order(tmp_path: Path) -> None:
    from preflight.compose.magento import parts_named

    include = '{{template config_path="design/email/header_template"}}'
    theme = tmp_path / "app" / "design" / "frontend" / "Acme" / "shop"
    (theme / "Magento_Customer" / "email").mkdir(parents=True)
    email = theme / "Magento_Customer" / "email" / "account_new.html"
    assert parts_named(email, include) == []  # neither the theme nor a module has one
    (theme / "Magento_Email" / "email").mkdir(parents=True)
    (theme / "Magento_Email" / "email" / "header.html").write_text("<body>")
    assert parts_named(email, include) == [(theme / "Magento_Email/email/header.html", "header")]
    vendor = tmp_path / "vendor" / "magento"
    (vendor / "module-customer/view/frontend/email").mkdir(parents=True)
    (vendor / "module-email/view/frontend/email").mkdir(parents=True)
    (vendor / "module-email/view/frontend/email/header.html").write_text("<body>")
    email = vendor / "module-customer/view/frontend/email/account_new.html"
    found = parts_named(email, include)
    assert found == [(vendor / "module-email/view/frontend/email/header.html", "header")]


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


def test_mjml_text_like_a_set_aside_token_stays_as_written(tmp_path: Path) -> None:
    """The lenient second try sets ending tags' content aside as tokens and puts it back in
    the compiled HTML: a title or a link that happens to hold a token's text keeps it, and
    hundreds of unclosed <p> in <mj-text> (deeper than MRML is handed) still compile."""
    from preflight.compose.mjml import compile_mjml

    source = (
        "<mjml><mj-head><mj-title>Order pfraw0q pfrawx1q</mj-title></mj-head><mj-body>"
        "<mj-section><mj-column><mj-text font-weight=400><p>Hello<p>there</mj-text>"
        "<mj-text>Code: pfraw1q</mj-text>"
        '<mj-button href="https://x.example/?r=pfraw0q">Go</mj-button>'
        "<mj-text>" + "<p>para\n" * 400 + "</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    path = tmp_path / "order.mjml"
    composed = compile_mjml(path, source, 1_000_000)
    assert not composed.problems and composed.html is not None
    assert "<title>Order pfraw0q pfrawx1q</title>" in composed.html
    assert 'href="https://x.example/?r=pfraw0q"' in composed.html
    assert "Code: pfraw1q" in composed.html and "<p>Hello<p>there" in composed.html
    assert composed.html.count("<p>para") == 400


@pytest.mark.parametrize("comment", ["<!-- a -- b -->", "<!-- ------ -->", "<!-- x --->"])
def test_mjml_comment_with_dashes_compiles(tmp_path: Path, comment: str) -> None:
    """mjml takes any comment; XML (MRML) forbids "--" inside one and "-" before "-->": a
    "------" separator comment or "--->" is spaced out on the second try, not a PF001."""
    from preflight.compose.mjml import compile_mjml

    source = (
        f"<mjml><mj-body>{comment}<mj-section><mj-column><mj-text>Hi</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>"
    )
    composed = compile_mjml(tmp_path / "news.mjml", source, 1_000_000)
    assert not composed.problems and composed.html is not None


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
