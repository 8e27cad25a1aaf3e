"""The one fixture-driven runner: every case under fixtures/<RULE-ID>/.

A case is a folder. Its name starts with "bad" or "good". It holds input files,
optionally a preflight.yaml, and optionally case.yaml with `select:` (default:
the folder's rule) and, for bad cases, `findings:` — the expected findings in
order, each with at least rule, path, line and column (line null for whole-file
findings), and optionally severity, message, part and help. Good cases must produce no finding at all.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.catalogue import load_catalogue
from preflight.config import Config, load_config
from preflight.engine import Engine
from preflight.explain import sections
from preflight.model import display_path

from .conftest import FIXTURE_PORT, FIXTURES

RULE_DIRS = sorted(
    p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("campaigns", "corrections")
)
CASES = [case for rule_dir in RULE_DIRS for case in sorted(rule_dir.iterdir()) if case.is_dir()]
KEYS = (
    "rule", "path", "line", "column", "end_line", "end_column", "severity", "message", "part",
    "help",
)  # fmt: skip


def _spec(case: Path) -> dict[str, Any]:
    path = case / "case.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


def _actual(finding: Any) -> dict[str, Any]:
    span = finding.location.span
    return {
        "rule": finding.rule,
        "path": display_path(finding.location.path),  # members CSVs: absolute, from the config
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "severity": finding.severity.label,
        "message": finding.message,
        "part": finding.location.part.value if finding.location.part else None,
        "help": finding.help,
    }


LIVE_LINKS = {"online": True, "allow_hosts": ("127.0.0.1",), "timeout": 2.0}
"""What the runner adds to a live-link case's config: no file in the repository turns live
checks on (test_no_config_in_the_repository_goes_online), so `preflight check fixtures/`
stays offline."""


def _online_copy(case: Path, into: Path, port: str) -> Path:
    """A live-link case with the test server's port where it says FIXTURE_PORT."""
    copy = into / case.name
    shutil.copytree(case, copy)
    for path in copy.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace(f":{FIXTURE_PORT}", f":{port}"), encoding="utf-8")
    return copy


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case(case: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    rule = case.parent.name
    spec = _spec(case)
    port = None
    if spec.get("online"):  # a live-link case: it talks to the tests' loopback servers
        servers = request.getfixturevalue("link_servers")
        port = str(servers[0].server_address[1])
        case = _online_copy(case, request.getfixturevalue("tmp_path"), port)
    monkeypatch.chdir(case)
    config = (
        load_config(case / "preflight.yaml")
        if (case / "preflight.yaml").is_file()
        else Config(root=case)
    )
    if port is not None:  # online, and only towards the tests' own loopback server
        config = replace(config, links={**config.links, **LIVE_LINKS})
    config = config.with_cli(select=spec.get("select", [rule]))
    inputs = [Path(p) for p in spec.get("inputs", ["."])]
    spam = bool(spec.get("spam"))
    if spam and shutil.which("spamassassin") is None:
        # CI installs it (.ci/run): there, a case that needs it fails instead of skipping
        assert os.environ.get("CI") != "true", "SpamAssassin is not installed"
        pytest.skip("SpamAssassin is not installed (apt-get install spamassassin)")
    report = Engine(config, spam=spam).run(inputs)
    actual = [_actual(f) for f in report.findings]
    if port is not None:
        for finding in actual:
            finding["message"] = finding["message"].replace(f":{port}", f":{FIXTURE_PORT}")
    if case.name.startswith("good"):
        assert actual == [], f"good case {case.name} must stay silent"
        return
    assert case.name.startswith("bad"), f"case folders start with bad or good: {case.name}"
    expected = spec.get("findings")
    assert expected, f"bad case {case.name} needs findings in case.yaml"
    for a, e in zip(actual, expected, strict=False):
        # a message that names what a tool outside preflight says (SpamAssassin's score)
        pattern = e.get("message_pattern")
        if pattern is not None:
            assert re.fullmatch(pattern, a["message"]), f"{a['message']!r} !~ {pattern!r}"
    expected = [{k: v for k, v in e.items() if k != "message_pattern"} for e in expected]
    trimmed = [{k: a[k] for k in KEYS if k in e} for a, e in zip(actual, expected, strict=False)]
    assert len(actual) == len(expected), f"expected {len(expected)} findings, got {actual}"
    assert trimmed == expected
    assert any(f["rule"] == rule for f in actual), f"no {rule} finding in its own bad case"


def test_no_config_in_the_repository_goes_online() -> None:
    """Live checks are turned on by the runner for its own server, never by a config file
    in the repository (each file takes its nearest config: one with `links.online: true`
    would send `preflight check fixtures/` to the network)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10 only
        import tomli as tomllib

    from .conftest import REPO

    going_online = []
    for directory, dirnames, filenames in os.walk(REPO):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "node_modules"]
        for name in filenames:
            path = Path(directory) / name
            if name in ("preflight.yaml", ".preflight.yaml"):
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            elif name == "pyproject.toml":
                tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
                data = tool.get("preflight", {})
            else:
                continue
            links = data.get("links") if isinstance(data, dict) else None
            if isinstance(links, dict) and links.get("online"):
                going_online.append(str(path.relative_to(REPO)))
    assert going_online == []


def test_every_rule_has_bad_and_good_cases() -> None:
    missing = []
    for rule in load_catalogue():
        folder = FIXTURES / rule.id
        names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
        if not any(n.startswith("bad") for n in names) or not any(
            n.startswith("good") for n in names
        ):
            missing.append(rule.id)
    assert missing == [], f"rules without a bad and a good case: {missing}"


def test_no_orphan_fixture_folders() -> None:
    rules = set(load_catalogue().rules)
    orphans = [p.name for p in RULE_DIRS if p.name not in rules]
    assert orphans == [], f"fixture folders that belong to no rule: {orphans}"


def test_every_rule_explains_every_section() -> None:
    for rule in load_catalogue():
        for title, text in sections(rule):
            assert text.strip(), f"{rule.id}: explain section {title!r} is empty"
        assert rule.summary and rule.why and rule.example and rule.instead, rule.id


def test_every_catalogue_rule_has_an_implementation() -> None:
    """The catalogue names each rule's implementation (`check:`); every one imports, takes a
    subject and options, and no module function is named by two rules."""
    import inspect

    from preflight.engine.registry import implementation

    named: dict[str, str] = {}
    for rule in load_catalogue():
        if rule.runs_on == ("engine",):
            assert rule.check is None, rule.id
            continue
        function = implementation(rule)
        assert list(inspect.signature(function).parameters)[-1] == "options", rule.id
        assert rule.check not in named, f"{rule.id} and {named.get(rule.check or '')}"
        named[rule.check or ""] = rule.id


def test_messages_follow_the_house_style() -> None:
    """Lower-case start, no trailing period (STYLE.md); every bad case's messages are checked."""
    for case in CASES:
        for finding in _spec(case).get("findings") or []:
            message = finding.get("message", finding.get("message_pattern", ""))
            assert message, f"{case}: expected findings carry their message"
            assert not message[0].isupper(), f"{case}: {message!r} starts with a capital"
            assert not message.endswith("."), f"{case}: {message!r} ends with a period"


def test_docs_rules_md_is_generated_from_the_catalogue(run_cli) -> None:
    """docs/rules.md is `preflight rules --format markdown`; regenerate it when rules change:
    preflight rules --format markdown > docs/rules.md"""
    result = run_cli("rules", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    shown = (FIXTURES.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert shown == result.stdout, "docs/rules.md is stale: regenerate it (see the docstring)"
