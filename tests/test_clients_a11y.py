"""CLIENT and A11Y beyond the fixtures: the caniemail data, `clients:`, presets, fixes, CSS."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import preflight
from preflight import clients, css
from preflight.config import ConfigError, config_from_mapping, load_config
from preflight.model import Severity
from preflight.resources import rules_dir

from .conftest import REPO

EMAIL = """<!DOCTYPE html>
<html>
<body>
<table width="600"><tr><td style="display:flex">Your spring seeds are here.</td></tr></table>
</body>
</html>
"""


def _refresh_script():
    spec = importlib.util.spec_from_file_location(
        "refresh_caniemail", REPO / "scripts" / "refresh_caniemail.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_support_json_is_compiled_from_the_vendored_data() -> None:
    """support.json must be what the script makes of caniemail.json and features.yaml now:
    after editing either, run `python scripts/refresh_caniemail.py --compile-only`."""
    support, details = _refresh_script().compile_from_vendored()
    folder = rules_dir() / "clients"
    assert support == json.loads((folder / "support.json").read_text(encoding="utf-8"))
    assert details == json.loads((folder / "details.json").read_text(encoding="utf-8"))


def test_vendored_data_carries_licence_version_and_date() -> None:
    folder = rules_dir() / "clients"
    assert "MIT License" in (folder / "LICENSE").read_text(encoding="utf-8")
    source = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    raw = json.loads((folder / "caniemail.json").read_text(encoding="utf-8"))
    assert source["package"] == "caniemail" and source["version"]
    assert source["last_update_date"] == raw["last_update_date"]
    assert clients.support()["caniemail"] == source
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert source["version"] in readme and source["last_update_date"] in readme


def test_every_feature_maps_to_caniemail_and_major_clients_exist() -> None:
    known = clients.known()
    assert set(clients.MAJOR) <= set(known)
    raw = json.loads((rules_dir() / "clients" / "caniemail.json").read_text(encoding="utf-8"))
    assert set(clients.support()["features"]) <= {f["slug"] for f in raw["data"]}


def test_client_selections() -> None:
    assert clients.selection("major") == clients.MAJOR
    assert len(clients.selection("all")) == len(clients.known())
    gmail = clients.selection(["gmail"])
    assert gmail and all(c.startswith("gmail.") for c in gmail)
    assert "outlook.windows" not in clients.selection(["major", "-outlook.windows"])
    assert clients.selection("gmail.ios, yahoo")[0] == "gmail.ios"
    assert clients.unknown_name("outlok") is not None and "outlook" in str(
        clients.unknown_name("outlok")
    )


def test_config_clients_key_sets_the_rule_option_and_is_validated(tmp_path: Path) -> None:
    config = config_from_mapping({"clients": "apple-mail"})
    assert config.for_file(tmp_path / "a.html").options["CLIENT001"]["clients"] == ("apple-mail",)
    own = config_from_mapping(
        {"clients": "major", "rules": {"CLIENT001": {"clients": ["gmail.ios"]}}}
    )
    assert own.for_file(tmp_path / "a.html").options["CLIENT001"]["clients"] == ("gmail.ios",)
    with pytest.raises(ConfigError, match='did you mean "gmail"'):
        config_from_mapping({"clients": ["gmial"]})
    with pytest.raises(ConfigError, match="unknown caniemail feature"):
        config_from_mapping({"rules": {"CLIENT001": {"ignore": ["displya-flexbox-grid"]}}})
    (tmp_path / "preflight.yaml").write_text("clients: [major]\nclinets: all\n")
    with pytest.raises(ConfigError, match='did you mean "clients"'):
        load_config(tmp_path / "preflight.yaml")


def test_new_families_are_warnings_in_recommended_and_errors_in_strict(tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text(EMAIL, encoding="utf-8")

    def severities(config: dict[str, object] | None) -> dict[str, Severity]:
        report = preflight.check(
            [tmp_path / "email.html"],
            config=None if config is None else config_from_mapping(config, root=tmp_path),
        )
        return {f.rule: f.severity for f in report.findings if f.rule in ("CLIENT001", "A11Y001")}

    for config in (None, {}, {"extends": "recommended"}, {"rules": {"CLIENT001": {"ignore": []}}}):
        assert severities(config) == {
            "CLIENT001": Severity.WARNING,
            "A11Y001": Severity.WARNING,
        }, config
    assert severities({"extends": "strict"}) == {
        "CLIENT001": Severity.ERROR,
        "A11Y001": Severity.ERROR,
    }


def test_mechanical_fixes_are_insertions(tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text(EMAIL, encoding="utf-8")
    (tmp_path / "email.meta.yaml").write_text("locale: en-GB\n", encoding="utf-8")
    config = config_from_mapping({"select": ["A11Y001", "A11Y002"]}, root=tmp_path)
    document = preflight.check([tmp_path / "email.html"], config=config).to_dict()
    fixes = {f["rule"]: f["fix"] for f in document["findings"]}
    assert fixes["A11Y001"]["edits"] == [
        {
            "path": fixes["A11Y001"]["edits"][0]["path"],
            "line": 2,
            "column": 6,
            "end_line": 2,
            "end_column": 6,
            "text": ' lang="en-GB"',
        }
    ]
    table = fixes["A11Y002"]["edits"][0]
    assert (table["line"], table["column"], table["end_column"], table["text"]) == (
        4,
        7,
        7,
        ' role="presentation"',
    )
    lines = EMAIL.split("\n")
    for edit in (fixes["A11Y001"]["edits"][0], table):
        line = lines[edit["line"] - 1]
        lines[edit["line"] - 1] = (
            line[: edit["column"] - 1] + edit["text"] + line[edit["column"] - 1 :]
        )
    (tmp_path / "email.html").write_text("\n".join(lines), encoding="utf-8")
    again = preflight.check([tmp_path / "email.html"], config=config)
    assert again.findings == []


def test_no_lang_fix_without_a_known_locale(tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text(EMAIL, encoding="utf-8")
    config = config_from_mapping({"select": ["A11Y001"]}, root=tmp_path)
    [finding] = preflight.check([tmp_path / "email.html"], config=config).findings
    assert finding.fix is None and 'lang="en"' in (finding.help or "")


@pytest.mark.parametrize(
    "style",
    [
        "color:",
        "}}}{{{;;;",
        "background: url(",
        'font-family: "unterminated',
        "/* open comment",
        "display:\x00flex",
        "color: rgb(1 2 3 / 50%); width: calc(100% - (2 * 8px))",
        "@media screen { .a { color: red } }",
        "--x: {a:b}; color: var(--x, #fff)",
    ],
)
def test_hostile_css_is_read_without_error(style: str) -> None:
    css.inline(style)
    css.stylesheet(style)
    css.stylesheet("@media (" + style)
    css.color(style)
    css.length_px(style)


def test_hostile_html_through_the_rules(tmp_path: Path) -> None:
    body = "".join(
        [
            "<style>" + "a{" * 500 + "</style>",
            '<table style="background:url(x);color:#zzz">' * 50,
            '<a href="#"><img alt=""></a><h9>x</h9><font color="rgb(">x</font>',
            '<img src="data:,">' + '<p style="font-size:-3px">x</p>' + "<html lang=''>",
        ]
    )
    (tmp_path / "email.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    config = config_from_mapping({"select": ["CLIENT", "A11Y"]}, root=tmp_path)
    report = preflight.check([tmp_path / "email.html"], config=config)
    assert not report.internal_errors


def _loaded_after_check(path: Path, *modules: str) -> list[bool]:
    """Which of ``modules`` a fresh process has imported after checking ``path``."""
    code = (
        "import sys, preflight; from pathlib import Path;"
        f"preflight.check([Path({str(path)!r})]);"
        f"print(*[m in sys.modules for m in {list(modules)!r}])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [word == "True" for word in result.stdout.split()]


def test_a_run_without_html_never_imports_the_css_parser() -> None:
    workflow = REPO / "fixtures" / "campaigns" / "spring-launch" / "emails"
    path = workflow / "spring-launch.workflow.yaml"
    assert _loaded_after_check(path, "tinycss2", "preflight.checks.clients") == [False, False]


def test_a_run_of_text_parts_never_imports_the_css_module(tmp_path: Path) -> None:
    """The preheader finder reads styles with preflight.css (css.hiding); a run without HTML
    loads neither it nor tinycss2."""
    (tmp_path / "email.txt").write_text("Hello", encoding="utf-8")
    found = _loaded_after_check(tmp_path / "email.txt", "preflight.css", "tinycss2")
    assert found == [False, False]
