"""Platform metadata as input: SFMC Content Builder assets, Mailchimp campaign content and
Postmark templates from their APIs, checked as they are sent.

The projects in tests/data/compose/{sfmc,mailchimp,postmark-api} are written from the
platforms' documented shapes (and sfmc-devtools' folder layout); each is checked as a user
would (the CLI's JSON): files[].kind, findings' path, line and column.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import preflight
from preflight.config import Config
from preflight.engine import Engine

from .conftest import REPO

DATA = REPO / "tests" / "data" / "compose"
MCDEV = DATA / "sfmc" / "mcdev" / "retrieve" / "acme" / "Newsletter"
API = DATA / "sfmc" / "api" / "1234567" / "asset" / "v1" / "content" / "assets"


def _check(run_cli, *paths: Path) -> dict[str, Any]:
    result = run_cli("check", *map(str, paths), "--format", "json", "--no-cache")
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _short(path: str) -> str:
    return Path(path).as_posix().rpartition("compose/")[2]


def _files(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {_short(f["path"]): (f["kind"], f["platform"]) for f in document["files"]}


def _found(document: dict[str, Any]) -> list[tuple[str, str, int | None, int | None]]:
    return [(f["rule"], _short(f["path"]), f["line"], f["column"]) for f in document["findings"]]


def _related(document: dict[str, Any], rule: str) -> list[list[str]]:
    return [
        sorted(_short(r["path"]) for r in f["related"])
        for f in document["findings"]
        if f["rule"] == rule
    ]


def test_sfmc_devtools_folders_are_composed_from_template_slots_and_blocks(run_cli) -> None:
    document = _check(run_cli, DATA / "sfmc" / "mcdev")
    bu = "sfmc/mcdev/retrieve/acme/Newsletter/asset"
    assert _files(document) == {
        # the HTML beside a message's JSON is the email; the JSON is its metadata
        f"{bu}/message/order-receipt/views.html.content.asset-message-meta.html": (
            "template",
            "sfmc",
        ),
        # a template-based email mcdev kept no HTML for: the JSON is the email
        f"{bu}/message/spring-sale/spring-sale.asset-message-meta.json": ("template", "sfmc"),
        f"{bu}/template/two-column/content.asset-template-meta.html": ("layout", None),
        f"{bu}/block/legal-footer.asset-block-meta.html": ("partial", None),
        f"{bu}/message/spring-sale/blocks/views.html.slots.[main-hero].asset-message-meta.html": (
            "partial",
            None,
        ),
    }
    found = _found(document)
    # the template's <custom type="footer" /> is the account footer: no CONTENT001/002 on
    # the marketing email; the receipt is transactional (a transactionalEmail names it)
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002")]
    # the shared block's http link: once, at the block, reaching both emails (one through
    # a slot's block that references it, one through %%=ContentBlockByKey("legal-footer")=%%)
    assert ("LINK004", f"{bu}/block/legal-footer.asset-block-meta.html", 4, 16) in found
    assert _related(document, "LINK004") == [
        [
            f"{bu}/message/order-receipt/views.html.content.asset-message-meta.html",
            f"{bu}/message/spring-sale/spring-sale.asset-message-meta.json",
        ]
    ]
    # a slot's block mcdev extracted to blocks/: the finding is in that file
    assert (
        "CONTENT004",
        f"{bu}/message/spring-sale/blocks/views.html.slots.[main-hero].asset-message-meta.html",
        3,
        9,
    ) in found
    # the subject is read from the JSON (MERGE004 at its line), the preheader from the .amp
    assert (
        "MERGE004",
        f"{bu}/message/spring-sale/spring-sale.asset-message-meta.json",
        12,
        25,
    ) in (found)
    assert not [f for f in found if f[0] == "CONTENT009"]


def test_naming_an_asset_json_or_its_ampscript_checks_the_email_once(run_cli) -> None:
    folder = MCDEV / "asset" / "message" / "order-receipt"
    for named in (
        folder / "order-receipt.asset-message-meta.json",
        folder / "views.text.content.asset-message-meta.amp",
        folder / "views.html.content.asset-message-meta.html",
    ):
        document = _check(run_cli, named)
        emails = [_short(f["path"]) for f in document["files"] if f["kind"] == "template"]
        assert emails == [
            "sfmc/mcdev/retrieve/acme/Newsletter/asset/message/order-receipt/"
            "views.html.content.asset-message-meta.html"
        ], named.name


def test_sfmc_api_answers_are_composed_with_positions_in_the_json(run_cli) -> None:
    document = _check(run_cli, DATA / "sfmc" / "api")
    assets = "sfmc/api/1234567/asset/v1/content/assets"
    assert _files(document) == {
        f"{assets}/1001/get-response.json": ("template", "sfmc"),
        f"{assets}/1002/get-response.json": ("layout", None),
        f"{assets}/1003/get-response.json": ("partial", None),
        f"{assets}/1004/get-response.json": ("template", "sfmc"),
    }
    found = _found(document)
    # a slot's block written in the email's JSON: the http link at its JSON line and column
    assert ("LINK004", f"{assets}/1001/get-response.json", 36, 98) in found
    # the shared block (by id in a slot, by name in ContentBlockByName): once, at the block
    assert ("CONTENT004", f"{assets}/1003/get-response.json", 16, 81) in found
    assert _related(document, "CONTENT004") == [
        [f"{assets}/1001/get-response.json", f"{assets}/1004/get-response.json"]
    ]
    # the template (by id) carries the profile center link and the address; 1004 is named
    # by a transactional send definition
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002", "CONTENT009")]


def test_sfmc_metadata_subject_preheader_category_come_from_the_asset() -> None:
    engine = Engine(Config(root=DATA))
    template, _ = engine.load_template(API / "1004" / "get-response.json")
    assert template is not None and template.html is not None
    assert template.subject is not None and template.subject.value == "Your order has shipped"
    assert template.preheader is not None and template.preheader.origin == "format"
    assert template.platform is not None and template.platform.value == "sfmc"
    assert template.category is not None and template.category.value == "transactional"
    assert template.category.location is not None
    assert template.category.location.path.name == "get-response.json"
    assert template.category.location.pointer == "/content/customerKey"
    # the block ContentBlockByName names is composed in; the call is gone
    assert "Follow us" in template.html.source.text
    assert "ContentBlockByName" not in template.html.source.text
    assert template.text is not None and "Track your parcel" in template.text.text


def test_content_blocks_that_include_each_other_are_cut_with_pf003(tmp_path: Path) -> None:
    block = tmp_path / "bu" / "asset" / "block"
    message = tmp_path / "bu" / "asset" / "message" / "hello"
    block.mkdir(parents=True)
    message.mkdir(parents=True)
    for key, calls in (("a", "b"), ("b", "a")):
        (block / f"{key}.asset-block-meta.json").write_text(
            json.dumps({"customerKey": key, "assetType": {"name": "htmlblock"}, "name": key})
        )
        (block / f"{key}.asset-block-meta.html").write_text(
            f'<p>block {key}</p>\n%%=ContentBlockByKey("{calls}")=%%\n'
            # a second call closing the same cycle (by name): the cycle is said once
            + (f'%%=ContentBlockByName("Content Builder\\\\{calls}")=%%\n' if key == "b" else "")
        )
    (message / "hello.asset-message-meta.json").write_text(
        json.dumps(
            {
                "customerKey": "hello",
                "assetType": {"name": "htmlemail"},
                "views": {"subjectline": {"content": "Hello"}},
            }
        )
    )
    (message / "views.html.content.asset-message-meta.html").write_text(
        '<html><body><p>Hi</p>%%=ContentBlockByKey("a")=%%</body></html>\n'
    )
    report = preflight.check([tmp_path], config=Config(root=tmp_path).with_cli(select=["PF"]))
    problems = [(f.rule, f.location.path.name, f.location.span) for f in report.findings]
    assert [(rule, name) for rule, name, _ in problems] == [("PF003", "b.asset-block-meta.html")]
    assert problems[0][2] is not None and problems[0][2].line == 2
    assert report.internal_errors == []


def test_mailchimp_campaign_content_is_read_with_positions_in_the_json(run_cli) -> None:
    document = _check(run_cli, DATA / "mailchimp")
    assert _files(document) == {"mailchimp/campaign-content.json": ("template", "mailchimp")}
    found = _found(document)
    assert ("CONTENT004", "mailchimp/campaign-content.json", 4, 178) in found
    # *|UNSUB|* and *|LIST:ADDRESSLINE|* in `html` (archive_html is not what is sent)
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002", "CONTENT005")]


def test_postmark_api_templates_are_composed_into_their_layout(run_cli) -> None:
    document = _check(run_cli, DATA / "postmark-api")
    assert _files(document) == {
        "postmark-api/basic.json": ("layout", None),
        "postmark-api/welcome.json": ("template", "postmark"),
        "postmark-api/receipt.json": ("template", "postmark"),
    }
    found = _found(document)
    # the layout's http link: once, at the layout's JSON line and column
    assert ("LINK004", "postmark-api/basic.json", 6, 331) in found
    assert _related(document, "LINK004") == [["postmark-api/welcome.json"]]
    # the layout's footer is the content's: no CONTENT001/002 on welcome
    assert not [f for f in found if f[0] in ("CONTENT001", "CONTENT002") and "welcome" in f[1]]
    assert ("MERGE004", "postmark-api/welcome.json", 5, 38) in found  # the Subject
    # a layout that is not among the sibling files: said where LayoutTemplate names it
    assert ("PF003", "postmark-api/receipt.json", 11, 21) in found


def test_a_walked_export_that_does_not_parse_is_pf001(tmp_path: Path) -> None:
    (tmp_path / "spring.asset-message-meta.json").write_text('{"customerKey": "spring",')
    (tmp_path / "content.json").write_text('{"html": "<p>hi</p>", "plain_text": "hi",,}')
    (tmp_path / "analytics.json").write_text('{"visits": [1, 2,')  # of no known kind: silent
    report = preflight.check([tmp_path])
    assert sorted((f.rule, f.location.path.name) for f in report.findings) == [
        ("PF001", "content.json"),
        ("PF001", "spring.asset-message-meta.json"),
    ]


def test_hostile_platform_json_is_never_a_traceback(tmp_path: Path) -> None:
    shapes: list[Any] = [
        {"assetType": {"name": "htmlemail"}, "views": []},
        {"assetType": {"name": "htmlemail"}, "views": {"html": {"content": 7}}},
        {"assetType": {"name": "templatebasedemail"}, "views": {"html": {"template": []}}},
        {
            "assetType": {"name": "templatebasedemail"},
            "customerKey": ["x"],
            "views": {
                "html": {
                    "content": '<div data-type="slot" data-key="s"></div>',
                    "slots": {"s": {"content": 5, "blocks": []}, "t": []},
                },
                "subjectline": {"content": None},
            },
        },
        {
            "assetType": {"name": "htmlemail"},
            "views": {"html": {"content": '%%=ContentBlockById("99999999999")=%%' * 50}},
        },
        {"assetType": {"name": "textonlyemail"}, "views": {"text": {"content": "Hi"}}},
        {"assetType": {"name": 5}, "content": "x"},
        {"html": 5, "plain_text": None, "_links": "x"},
        {"variate_contents": [None, {"html": "<p>b</p>"}], "_links": []},
        {"HtmlBody": "<p>x</p>", "Name": "x", "LayoutTemplate": ["basic"]},
        {"HtmlBody": None, "TemplateType": "Standard", "LayoutTemplate": "../../etc"},
    ]
    for index, shape in enumerate(shapes):
        (tmp_path / f"shape{index}.json").write_text(json.dumps(shape))
    report = preflight.check([tmp_path])
    assert report.internal_errors == []
    named = preflight.check(sorted(tmp_path.glob("*.json")))
    assert named.internal_errors == []


def test_a_project_copy_keeps_its_results(run_cli, tmp_path: Path) -> None:
    """Composition reads the export's other files by path: a copy elsewhere is the same."""
    shutil.copytree(DATA / "sfmc" / "api", tmp_path / "api")
    first = _found(_check(run_cli, DATA / "sfmc" / "api"))
    second = _found(_check(run_cli, tmp_path / "api"))
    assert [(r, line, col) for r, _, line, col in first] == [
        (r, line, col) for r, _, line, col in second
    ]
