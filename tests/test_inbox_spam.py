"""INBOX and SPAM beyond their fixtures: SpamAssassin (`check --spam`), image weights from the
live check, the cut-off table, the presets, hostile input."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

import preflight
from preflight.catalogue import load_catalogue
from preflight.config import config_from_mapping, load_config
from preflight.engine import Engine
from preflight.links.checker import Settings, Target, check_urls
from preflight.links.results import Result, Status
from preflight.model import Severity, Sourced, Template
from preflight.model.source import HtmlDocument, SourceText
from preflight.preview import clients
from preflight.resources import rules_dir
from preflight.spamassassin import SpamRun, assemble, parse

from .conftest import FIXTURES, REPO
from .linkserver import LinkServer

NEW_FAMILIES = ("INBOX", "SPAM")
SPAM_EMAIL = FIXTURES / "SPAM010" / "bad-gtube"
CLEAN_EMAIL = FIXTURES / "SPAM010" / "good-ordinary-email"


def _needs_spamassassin() -> None:
    if shutil.which("spamassassin") is None:
        # CI installs it (.ci/run): there a test that needs it fails instead of skipping
        assert os.environ.get("CI") != "true", "SpamAssassin is not installed"
        pytest.skip("SpamAssassin is not installed (apt-get install spamassassin)")


def _copy(tmp_path: Path, *sources: Path) -> list[Path]:
    made = []
    for index, source in enumerate(sources):
        target = tmp_path / f"e{index}"
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("case.yaml"))
        made.append(target)
    return made


# -- the catalogue and the presets ---------------------------------------------------


def test_new_families_are_warnings_and_strict_makes_them_errors() -> None:
    """Errors in the catalogue; recommended lowers them for their first release, strict not."""
    catalogue = load_catalogue()
    new = [r for r in catalogue if r.family in NEW_FAMILIES]
    assert {r.id for r in new} >= {"INBOX001", "INBOX002", "INBOX003", "INBOX004", "SPAM010"}
    assert {r.severity.label for r in new} == {"error"}
    strict = load_config(rules_dir() / "presets" / "strict.yaml")
    settings = strict.for_file(Path("email.html"))
    assert {settings.severities.get(r.id) for r in new} == {Severity.ERROR}
    recommended = load_config(rules_dir() / "presets" / "recommended.yaml")
    lowered = recommended.for_file(Path("x.html")).severities
    assert {lowered.get(r.id) for r in new} == {Severity.WARNING}


def test_moved_option_points_at_an_option_of_the_same_type() -> None:
    catalogue = load_catalogue()
    for rule in catalogue:
        for option in rule.options.values():
            if option.moved_to is None:
                continue
            target_rule, target_option = option.moved_to
            target = catalogue.rules[target_rule].options[target_option]
            assert target.type == option.type, (rule.id, option.name)
    assert catalogue.rules["CONTENT003"].options["max_subject_length"].moved_to == (
        "INBOX001",
        "max_length",
    )
    assert "max_subject_length" not in catalogue.rules["CONTENT003"].option_defaults()


def test_cut_off_table_is_complete_and_sourced() -> None:
    table = clients()
    assert {c.kind for c in table} == {"mobile", "desktop", "web"}
    assert all(c.subject is None or 20 <= c.subject <= 100 for c in table)
    assert all(c.preheader is None or 30 <= c.preheader <= 160 for c in table)
    text = (rules_dir() / "data" / "inbox-display.yaml").read_text(encoding="utf-8")
    for tag in ("[tooltester]", "[orchard]", "[wordcounter]", "[newsletter2go]", "[acelle]"):
        assert text.count(tag) >= 2, f"{tag} is cited in the sources and used in the table"


def test_phrase_lists_cover_five_languages_with_weights_1_to_3() -> None:
    data = yaml.safe_load((rules_dir() / "data" / "spam-phrases.yaml").read_text("utf-8"))
    assert set(data) == {"en", "de", "fr", "es", "nl"}
    for language, table in data.items():
        assert len(table) >= 20, language
        assert set(table.values()) <= {1, 2, 3}, language


# -- SpamAssassin --------------------------------------------------------------------


def test_spam_without_spamassassin_is_one_info_for_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = _copy(tmp_path, CLEAN_EMAIL, SPAM_EMAIL)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    report = preflight.check(folders, config={"select": ["SPAM010"]}, spam=True)
    [finding] = report.findings
    assert finding.severity.label == "info"
    assert finding.message.startswith("no SpamAssassin on this machine")
    assert "apt-get install spamassassin" in (finding.help or "")


def test_spam_is_off_unless_asked(tmp_path: Path) -> None:
    [folder] = _copy(tmp_path, SPAM_EMAIL)
    assert preflight.check([folder], config={"select": ["SPAM010"]}).findings == []


def _fake_spamassassin(folder: Path, body: str) -> None:
    """A `spamassassin` on PATH that runs ``body`` (sh), for what the real one never does."""
    folder.mkdir()
    script = folder / "spamassassin"
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_a_spamassassin_that_hangs_is_stopped_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [folder] = _copy(tmp_path, SPAM_EMAIL)
    _fake_spamassassin(tmp_path / "bin", "exec sleep 30\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr("preflight.spamassassin.STARTUP_SECONDS", 0.5)
    monkeypatch.setattr("preflight.spamassassin.PER_MESSAGE_SECONDS", 0.0)
    [finding] = preflight.check([folder], config={"select": ["SPAM010"]}, spam=True).findings
    assert finding.severity.label == "info"
    assert finding.data["reason"] == "timeout"
    assert "did not finish within 0.5 s" in finding.message


def test_an_email_cannot_forge_a_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Markers carry a nonce of the run: text in the email that looks like a report is not one;
    a spamassassin that prints nothing readable is an info, not a crash."""
    [folder] = _copy(tmp_path, SPAM_EMAIL)
    _fake_spamassassin(tmp_path / "bin", 'cat "$@"\necho "PREFLIGHT-0-BEGIN m0 0.0 5.0"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    [finding] = preflight.check([folder], config={"select": ["SPAM010"]}, spam=True).findings
    assert (finding.severity.label, finding.data["reason"]) == ("info", "failed")
    output = "x PREFLIGHT-n-BEGIN m1\n 3.5 5.0\n 2.5 SOME_RULE    A rule\n PREFLIGHT-n-END"
    [(key, verdict)] = parse(output, "PREFLIGHT-n-BEGIN", "PREFLIGHT-n-END").items()
    assert (key, verdict.score, [h.name for h in verdict.hits]) == ("m1", 3.5, ["SOME_RULE"])


def test_spamassassin_scores_each_email_in_one_batch(tmp_path: Path) -> None:
    _needs_spamassassin()
    folders = _copy(tmp_path, SPAM_EMAIL, CLEAN_EMAIL, SPAM_EMAIL)
    config = {"select": ["SPAM010"], "rules": {"SPAM010": {"show_scores": True}}}
    report = preflight.check(folders, config=config, spam=True)
    by_folder = {f.location.path.parent.name: f for f in report.findings}
    assert set(by_folder) == {"e0", "e1", "e2"}
    assert by_folder["e0"].severity.label == "warning" and by_folder["e0"].data["score"] >= 1000
    assert by_folder["e1"].severity.label == "info" and by_folder["e1"].data["score"] < 5
    hit = by_folder["e0"].data["hits"][0]
    assert hit["rule"] == "GTUBE" and hit["description"]


def test_cli_spam_flag_end_to_end(run_cli, tmp_path: Path) -> None:
    _needs_spamassassin()
    [folder] = _copy(tmp_path, SPAM_EMAIL)
    result = run_cli("check", str(folder), "--spam", "--select", "SPAM010", "--format", "json")
    assert result.returncode == 0, result.stderr  # a warning: under the default --fail-on
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "SPAM010" and finding["data"]["hits"][0]["rule"] == "GTUBE"
    strict = run_cli(
        "check", str(folder), "--spam", "--select", "SPAM010", "--config",
        str(rules_dir() / "presets" / "strict.yaml"),
    )  # fmt: skip
    assert strict.returncode == 1 and "SPAM010 error" in strict.stdout


def test_assembled_message_survives_hostile_values() -> None:
    template = Template(
        path=Path("x.html"),
        format="html",
        subject=Sourced("Hi\r\nBcc: all@example.com\x00 \udcff", "sidecar"),
        sender=Sourced("Évil <a@b.example>\nX-Injected: 1", "sidecar"),
        html=HtmlDocument(SourceText("<p>caf\udce9</p>")),
    )
    message = assemble(template, "m0")
    headers = message.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Injected" not in headers
    assert b"X-Preflight-Id: m0" in headers


def test_a_template_that_cannot_be_assembled_is_an_info(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("preflight.spamassassin.available", lambda: "/bin/false")

    def refuse(template: Template, key: str) -> bytes:
        raise ValueError("no")

    monkeypatch.setattr("preflight.spamassassin.assemble", refuse)
    run = SpamRun()
    key = run.add(Template(path=Path("x.html"), format="html"))
    assert run.run()[key].problem == "unreadable"


# -- CONTENT011: sizes from the live check, nothing downloaded twice ------------------


@pytest.fixture
def servers(link_servers: list[LinkServer]) -> list[LinkServer]:
    for server in link_servers:
        server.reset_counts()
    return link_servers


def test_image_sizes_come_from_head_answers(servers: list[LinkServer]) -> None:
    base = servers[0].base
    settings = Settings(timeout=2.0, allow_hosts=("127.0.0.1",))
    urls = [f"{base}/big/700000.png", f"{base}/nolength/a.png"]
    results, _ = check_urls([Target(url, False) for url in urls], settings)
    assert results[urls[0]].size == 700000
    assert results[urls[1]].size is None
    assert servers[0].requests("/big/700000.png", "GET") == 0
    assert servers[0].requests("/big/700000.png", "HEAD") == 1
    again = Result.from_json(urls[0], results[urls[0]].to_json())
    assert again.size == 700000 and again.status is Status.OK
    old_cache_entry = {k: v for k, v in results[urls[0]].to_json().items() if k != "size"}
    assert Result.from_json(urls[0], old_cache_entry).size is None


def test_image_weight_end_to_end_downloads_nothing(
    servers: list[LinkServer], tmp_path: Path
) -> None:
    base = servers[0].base
    (tmp_path / "email.html").write_text(
        f'<html><body><p>Seeds</p><img src="{base}/big/900000.png" width="600" alt="x">'
        f'<img src="{base}/big/900000.png" width="600" alt="x"></body></html>',
        encoding="utf-8",
    )
    config = {
        "select": ["CONTENT011"],
        "links": {"online": True, "allow_hosts": ["127.0.0.1"], "timeout": "2s"},
        "cache": {"path": str(tmp_path / "cache")},
    }
    report = preflight.check([tmp_path / "email.html"], config=config)
    assert [
        (f.rule, f.location.span.line if f.location.span else None) for f in report.findings
    ] == [("CONTENT011", 1)]  # the same image twice: reported once, counted once
    assert servers[0].requests("/big/900000.png", "GET") == 0


# -- robustness ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<p style='color:#fff;background:#FFFFFF'>x</p>" * 3,
        "<div style=';;;:;display:'>x</div><img width='' src='data:'>",
        "<p style='font:bold'>a</p><p style='font-size:'>b</p><span hidden>c</span>",
        '<div class="preheader">' + "&zwnj;" * 5000 + "</div>" + "<p>a</p>" * 2000,
        "<body>" + "<div style='display:none'>" * 400 + "deep" + "</div>" * 400,
        "<img src='https://bit.ly' ><a href='https://BIT.LY./x'>x</a><a href='http://[::1'>y</a>",
        # inputs that make backtracking regular expressions quadratic: read linearly
        "<p style='" + "a" * 200_000 + "'>x</p><p style='font: " + "1" * 290 + "'>y</p>",
        "<img width='1" + " " * 50_000 + "x' src='a.png'><p>text</p>",
    ],
)
def test_new_rules_never_crash(tmp_path: Path, html: str) -> None:
    (tmp_path / "email.html").write_text(html, encoding="utf-8")
    (tmp_path / "email.meta.yaml").write_text(
        'subject: "RE: !!!?? $$$ ' + "WORD " * 50 + '"\npreheader: "\\u2063"\n'
        'from: "a' + " " * 100_000 + 'b"\nreply_to: "@"\n',
        encoding="utf-8",
    )
    config = config_from_mapping({"select": ["INBOX", "SPAM", "CONTENT010"]})
    report = Engine(config).run([tmp_path])
    assert not report.internal_errors


def test_ci_installs_spamassassin() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "if ! command -v spamassassin" in script
    assert "apt-get install -y -qq spamassassin" in script


def test_the_spacer_fix_silences_inbox002(tmp_path: Path) -> None:
    """INBOX002's fix inserts a spacer before the preheader's end tag; applied, the finding
    goes (and no other INBOX finding comes)."""
    [folder] = _copy(tmp_path, FIXTURES / "INBOX002" / "bad-no-spacer")
    page = folder / "email.html"
    [finding] = preflight.check([page], config={"select": ["INBOX"]}).findings
    assert finding.fix is not None
    [edit] = finding.fix.edits
    span = edit.location.span
    assert span is not None and (span.line, span.column) == (span.end_line, span.end_column)
    lines = page.read_text(encoding="utf-8").split("\n")
    line = lines[span.line - 1]
    lines[span.line - 1] = line[: span.column - 1] + edit.text + line[span.column - 1 :]
    page.write_text("\n".join(lines), encoding="utf-8")
    assert preflight.check([page], config={"select": ["INBOX"]}).findings == []


def test_the_rules_share_one_search_for_the_preheader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONTENT009, INBOX002 and SPAM004 read the preheader element from the template's memo:
    the HTML is searched once, as it loads (the preview text), however many rules ask (a
    blank sidecar preheader makes CONTENT009 look in the HTML too): the answer stays with
    the parsed document."""
    from preflight import preheader

    searched = []
    original = preheader._with_text

    def counting(element: Any) -> Any:
        searched.append(element)
        return original(element)

    monkeypatch.setattr(preheader, "_with_text", counting)
    (tmp_path / "email.html").write_text(
        '<body><div class="preheader" style="display:none">Twelve heritage tomatoes and a'
        " free planting calendar</div><p>Your spring seeds are here</p></body>",
        encoding="utf-8",
    )
    (tmp_path / "email.meta.yaml").write_text(
        'subject: "Spring seeds"\npreheader: ""\n', encoding="utf-8"
    )
    config = config_from_mapping({"select": ["CONTENT009", "INBOX002", "SPAM004"]})
    report = Engine(config, jobs=1, use_cache=False).run([tmp_path])
    assert not report.internal_errors
    assert len(searched) == 1


def test_hidden_is_read_one_way() -> None:
    """css.hiding is the one reading of "hidden": the preheader finder, SPAM's View and the
    A11Y/CLIENT cascade agree on every way to hide; !important wins; Outlook's mso-hide:all
    hides from Outlook only, and an element inside it can still be hidden from everyone."""
    from preflight import css, preheader
    from preflight.preview import view

    ways = {
        "display:none": "display:none",
        "visibility:collapse": "visibility:collapse",
        "opacity:0%": "opacity:0",
        "width:0;overflow:hidden": "width:0 with overflow:hidden",
        "max-height:0px;overflow:hidden": "max-height:0 with overflow:hidden",
        "display:none !important;display:block": "display:none",
        "max-height:0": None,  # it overflows: shown
        "opacity:0.5": None,
        "display:block": None,
    }
    body = "".join(f'<p style="{style}">text</p>' for style in ways)
    template = Template(
        path=Path("email.html"),
        format="html",
        html=HtmlDocument(
            SourceText(
                f"<body>{body}<p hidden>text</p>"
                '<div style="mso-hide:all"><p>a</p><p style="display:none">b</p></div></body>'
            )
        ),
    )
    seen = view(template)
    assert seen is not None and template.html is not None
    paragraphs = list(template.html.iter("p"))
    expected = [*ways.values(), "the hidden attribute"]
    for element, how in zip(paragraphs[: len(expected)], expected, strict=True):
        hidden = seen.hidden(element)
        assert (hidden.how if hidden else None) == how, element.get("style")
        assert css.styles_of(template).of(element).hidden == (how is not None)
        assert preheader._hidden(element) == (how is not None)
    outlook, inside = paragraphs[-2:]
    assert seen.hidden(outlook) is None and css.styles_of(template).of(outlook).hidden
    hidden = seen.hidden(inside)
    assert hidden is not None and hidden.element is inside and hidden.how == "display:none"


def test_bench_spam_measures_each_mode(tmp_path: Path) -> None:
    """bench/bench_spam.py (the source of docs/inbox-and-spam.md's figures) scores every
    email it queues in each mode and writes its JSON."""
    _needs_spamassassin()
    import json
    import subprocess
    import sys

    from .conftest import REPO

    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "bench_spam.py"),
            *("--count", "2", "--repeat", "1", "--out", str(tmp_path / "spam.json")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| batched | 2 |" in done.stdout and "| one process each | 2 |" in done.stdout
    rows = json.loads((tmp_path / "spam.json").read_text())["rows"]
    assert rows["one message"]["emails"] == 1 and rows["batched"]["cpu_s"] > 0
