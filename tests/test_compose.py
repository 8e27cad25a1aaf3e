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
        ("LINK003", "mjml/source/offer.mjml", 11, 26),  # the staging host, where it is written
    ]


def test_naming_a_build_source_checks_the_email_it_builds(run_cli) -> None:
    """pre-commit hands over the changed source: its compiled output is what is checked."""
    document = _check(run_cli, DATA / "mjml" / "source" / "offer.mjml")
    assert [f["path"].rsplit("compose/", 1)[1] for f in document["files"]] == [
        "mjml/compiled/offer.html"
    ]
    assert _found(document) == [("LINK003", "mjml/source/offer.mjml", 11, 26)]


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
