"""preflight as a pre-commit hook: which files the hook hands over, and what a file that is
not an email stands for when it is named alone (pre-commit passes only what changed).

The end-to-end runs of the hook through `pre-commit try-repo` are in test_packaging.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

import preflight
from preflight.config import ConfigError, load_config
from preflight.discovery import classify

from .conftest import FIXTURES, REPO

CLEAN_CASE = FIXTURES / "CONTENT001" / "good-mailchimp-tag"


def _hook_pattern() -> re.Pattern[str]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "preflight"]
    return re.compile(hook["files"])  # pre-commit matches with re.search on the path


# Every row of DESIGN.md's file-kinds table, the kinds discovery adds (layouts, partials,
# build sources) and the files that belong to an input (members CSVs, configs).
HANDED_OVER = [
    "emails/welcome.html",  # *.html, *.htm (+ sibling <stem>.txt): template
    "emails/welcome.htm",
    "emails/welcome.txt",
    "WELCOME.HTML",
    "emails/welcome.mjml",  # *.mjml, *.hbs, *.handlebars, *.twig: template sources
    "emails/welcome.hbs",
    "emails/welcome.handlebars",
    "emails/welcome.html.twig",
    "postmark/welcome/meta.json",  # meta.json beside a Postmark template
    "exports/sendgrid-template.json",  # platform template JSON, workflow exports by shape
    "sent/welcome.eml",  # *.eml
    "emails/welcome.meta.yaml",  # <stem>.meta.yaml
    "flows/onboarding.workflow.yaml",  # native workflows
    "flows/onboarding.workflow.yml",
    "flows/onboarding.workflow.json",
    "audiences.yaml",  # audiences
    "lists/spring.audiences.yaml",
    "preflight.yaml",  # config: preflight.yaml, .preflight.yaml, [tool.preflight]
    "campaigns/spring/.preflight.yaml",
    "pyproject.toml",
    "exports/webinar-registrants.csv",  # an audience's members file
    "asset/message/k/views.text.content.asset-message-meta.amp",  # an SFMC message's views
    "asset/block/k.asset-block-meta.ssjs",
    "layouts/base.html",  # composition parts and build sources (discovery.py)
    "partials/_footer.hbs",
    "components/button.mjml",
    "src/emails/welcome.mjml",
    "dist/emails/welcome.html",
]


@pytest.mark.parametrize("name", HANDED_OVER)
def test_hook_files_pattern_matches_every_input_kind(name: str) -> None:
    assert _hook_pattern().search(name), f"the hook would not hand over {name}"


@pytest.mark.parametrize("name", ["README.md", "src/app.py", "img/logo.png", "notes.yaml"])
def test_hook_files_pattern_leaves_out_other_files(name: str) -> None:
    assert not _hook_pattern().search(name)


# What the README's "What it reads" table names in its first column that is not a file
# name: every other backticked word there must be a glob the hook hands over.
NOT_FILE_NAMES = {
    "audiences:": "a config key",
    "GET /asset/v1/content/assets/<id>": "an API call",
    "assetType": "a JSON key",
    "asset/": "a folder",
    "asset/template/": "a folder",
    "asset/block/": "a folder",
    "GET /3.0/campaigns/{id}/content": "an API call",
    "html": "a JSON key",
    "plain_text": "a JSON key",
    "HtmlBody": "a JSON key",
    "TextBody": "a JSON key",
    "Subject": "a JSON key",
    "LayoutTemplate": "a JSON key",
}
# What the hook hands over that no README row names as a file: each stands for the input
# it belongs to (discovery.py).
NOT_IN_README = {
    "x.csv": "a members CSV: the README's audiences row names it (an optional members CSV)",
    "x.asset-block-meta.ssjs": "an SFMC block's SSJS, kept beside the block's JSON",
}
_FILE_GLOB = re.compile(r"[\w.*<>\[\]-]+")


def _readme_globs() -> list[str]:
    """Every backticked word of the first column of README's "What it reads" table that is
    a file name or glob; fails on a word that is neither a glob nor in NOT_FILE_NAMES."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("### What it reads", 1)[1].split("###", 1)[0]
    globs: list[str] = []
    for line in table.splitlines():
        if not line.startswith("| ") or line.startswith("| file"):
            continue
        for word in re.findall(r"`([^`]+)`", line.split("|")[1]):
            if word in NOT_FILE_NAMES:
                continue
            # "a.html/.amp": one glob per ending
            stem, *endings = re.split(r"/(?=\.)", word)
            if endings:
                base = stem.rsplit(".", 1)[0]
                variants = [stem, *(base + ending for ending in endings)]
            else:
                variants = [word]
            for glob in variants:
                assert _FILE_GLOB.fullmatch(glob) and "." in glob, (
                    f"README's table names `{word}`: neither a file glob nor in NOT_FILE_NAMES"
                )
                globs.append(glob)
    return globs


def _sample(glob: str) -> str:
    if glob == "[tool.preflight]":
        return "pyproject.toml"
    return re.sub(r"<[^>]+>", "x", glob).replace("*", "x")


def _hook_alternatives() -> list[str]:
    """The hook's `files` pattern as its alternatives, one ending per alternative: the
    top-level ``|`` split, and each group of plain endings ("html?|eml|…") expanded."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "preflight"]
    body = hook["files"].removeprefix("(?i)")
    assert body.startswith("(") and body.endswith(")"), body
    body = body[1:-1]
    parts, depth, current = [], 0, ""
    for char in body:
        depth += char == "("
        depth -= char == ")"
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    expanded: list[str] = []
    for part in parts:
        group = re.search(r"\(((?:[\w?]+\|)+[\w?]+)\)", part)
        if group is None:
            expanded.append(part)
            continue
        for option in group.group(1).split("|"):
            expanded.append(part[: group.start()] + option + part[group.end() :])
    return expanded


def test_hook_files_pattern_and_the_readme_table_name_the_same_files() -> None:
    """Every file the README's "What it reads" table names is handed over by the hook, and
    every kind of file the hook hands over is named by the table (or is in NOT_IN_README):
    a row, or an ending of the hook, cannot be added on one side only unnoticed."""
    samples = [_sample(glob) for glob in _readme_globs()]
    assert len(samples) >= 15, samples
    pattern = _hook_pattern()
    for name in samples:
        assert pattern.search(name), f"README's {name} is not handed over by the hook"
    for name in NOT_IN_README:
        assert pattern.search(name), f"{name} (NOT_IN_README) is not handed over by the hook"
    for alternative in _hook_alternatives():
        each = re.compile(alternative, re.IGNORECASE)
        named = [name for name in [*samples, *NOT_IN_README] if each.search(name)]
        assert named, f"the hook hands over /{alternative}/, which no README row names"
    for name in HANDED_OVER:
        assert classify(Path(name)) != "unknown" or name.endswith(".csv"), name


# --- a file named alone stands for what it belongs to ----------------------------------


def _campaign(tmp_path: Path) -> Path:
    folder = tmp_path / "emails"
    shutil.copytree(CLEAN_CASE, folder)
    return folder


def _paths(report: preflight.Report) -> set[str]:
    return {Path(f.location.path).name for f in report.findings}


def test_text_part_named_alone_checks_its_template(tmp_path: Path) -> None:
    folder = _campaign(tmp_path)
    text = folder / "email.txt"
    text.write_text(text.read_text(encoding="utf-8") + "\nLorem ipsum dolor sit amet.\n")
    report = preflight.check([text], skip_unknown=True)
    assert [f.rule for f in report.findings] == ["CONTENT006"]
    assert report.findings[0].location.path.name == "email.txt"
    assert [info.path.name for info in report.files] == ["email.html"]


def test_text_part_without_a_template_is_skipped_with_skip_unknown(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("click>=8\n")
    report = preflight.check([tmp_path / "requirements.txt"], skip_unknown=True)
    assert report.findings == [] and report.files == []
    assert report.skipped == {"not an input": [tmp_path / "requirements.txt"]}


def test_members_csv_named_alone_checks_its_audiences_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # pre-commit runs at the repository's root
    (tmp_path / "exports").mkdir()
    (tmp_path / "audiences.yaml").write_text(
        "audiences:\n  customers:\n    kind: production\n    fields: [email]\n"
        "    members: exports/customers.csv\n"
    )
    members = tmp_path / "exports" / "customers.csv"
    members.write_text("email\nann@brightleaf.example\n")
    (tmp_path / "exports" / "other.csv").write_text("sku\n1\n")
    report = preflight.check([members, tmp_path / "exports" / "other.csv"], skip_unknown=True)
    assert [(info.path.name, info.kind) for info in report.files] == [
        ("audiences.yaml", "audiences")
    ]
    assert report.skipped == {"not an input": [tmp_path / "exports" / "other.csv"]}


def _audiences_read_by_discovery(
    monkeypatch: pytest.MonkeyPatch, paths: list[Path]
) -> tuple[list[str], list[str]]:
    """(the audiences files discovery opened, the kinds it handed over) for ``paths`` named
    alone as pre-commit names them, with the nearest config (none here)."""
    import os

    from preflight.config import Configs
    from preflight.discovery import discover

    opened: list[str] = []
    real_open = os.open

    def spying(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("audiences.yaml"):
            opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spying)
    found = list(discover(paths, Configs.discover(paths), skip_unknown=True))
    monkeypatch.setattr(os, "open", real_open)
    return opened, [f"{item.path.name}:{item.kind}" for item in found]


def _members_tree(top: Path, tree: Path) -> Path:
    """An audiences.yaml in ``top`` that names a members CSV inside ``tree`` (below it)."""
    (tree / "exports").mkdir(parents=True)
    members = tree / "exports" / "customers.csv"
    members.write_text("email\nann@brightleaf.example\n")
    relative = members.relative_to(top).as_posix()
    (top / "audiences.yaml").write_text(
        f"audiences:\n  customers:\n    kind: production\n    members: {relative}\n"
    )
    return members


def test_members_csv_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No config: the audiences files that may name a members CSV are looked for up to the
    repository root (a folder with .git), never above it, even with the working directory
    above the repository."""
    repo = tmp_path / "repo"
    members = _members_tree(tmp_path, repo)
    (repo / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    opened, found = _audiences_read_by_discovery(monkeypatch, [members])
    assert opened == [] and found == []


def test_members_csv_search_stops_at_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No config and no repository: the search stops at the tree's root (the working
    directory, where the engine's AudiencesFinder stops too), not at /."""
    tree = tmp_path / "tree"
    members = _members_tree(tmp_path, tree)
    monkeypatch.chdir(tree)
    opened, found = _audiences_read_by_discovery(monkeypatch, [members])
    assert opened == [] and found == []
    monkeypatch.chdir(tmp_path)  # from above, the same file is found (and read once)
    opened, found = _audiences_read_by_discovery(monkeypatch, [members])
    assert found == ["audiences.yaml:audiences"] and len(opened) == 1


def test_each_audiences_file_is_parsed_once_for_many_members_csvs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exports").mkdir()
    names = [f"list{n}" for n in range(3)]
    (tmp_path / "audiences.yaml").write_text(
        "audiences:\n"
        + "".join(f"  {n}:\n    kind: production\n    members: exports/{n}.csv\n" for n in names)
    )
    paths = []
    for name in names:
        paths.append(tmp_path / "exports" / f"{name}.csv")
        paths[-1].write_text("email\nann@brightleaf.example\n")
    monkeypatch.chdir(tmp_path)
    opened, found = _audiences_read_by_discovery(monkeypatch, paths)
    assert found == ["audiences.yaml:audiences"]
    assert opened == [str(tmp_path / "audiences.yaml")]


@pytest.mark.parametrize("name", ["preflight.yaml", ".preflight.yaml", "pyproject.toml"])
def test_config_named_alone_checks_the_files_it_applies_to(tmp_path: Path, name: str) -> None:
    folder = _campaign(tmp_path)
    text = "platform: mailchimp\n"
    if name == "pyproject.toml":
        text = '[project]\nname = "site"\n\n[tool.preflight]\nplatform = "mailchimp"\n'
    (tmp_path / name).write_text(text)
    nested = tmp_path / "other"  # its own config applies there, not the changed one
    shutil.copytree(CLEAN_CASE, nested)
    (nested / "preflight.yaml").write_text("platform: mailchimp\n")
    report = preflight.check([tmp_path / name], skip_unknown=True)
    assert [info.path for info in report.files] == [folder / "email.html"]
    assert report.findings == []


def test_pyproject_without_tool_preflight_named_alone_checks_nothing(tmp_path: Path) -> None:
    _campaign(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "site"\n')
    report = preflight.check([tmp_path / "pyproject.toml"], skip_unknown=True)
    assert report.files == []
    assert report.skipped == {"config": [tmp_path / "pyproject.toml"]}


def test_hook_run_of_a_text_part_reports_its_mistake(run_cli, tmp_path: Path) -> None:
    """What the hook runs, from the repository root, with the changed text part only."""
    folder = _campaign(tmp_path)
    (folder / "email.txt").write_text("Hi *|FNAME|*, see https://staging.example.com/offer\n")
    result = run_cli("check", "--skip-unknown", "emails/email.txt", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "emails/email.txt:1:" in result.stdout and "LINK003" in result.stdout


# --- config errors in pyproject.toml name their line ------------------------------------

PYPROJECT = """\
[project]
name = "site"

[tool.preflight]
select = ["CONTENT"]
{top}

[tool.preflight.rules.CONTENT003]
{option}

[[tool.preflight.overrides]]
files = ["a/**"]
{override}
"""


@pytest.mark.parametrize(
    ("top", "option", "override", "where", "message"),
    [
        ('selct = ["LINK"]', "", "", ":6:1", 'unknown key "selct"'),
        ('platform = "hubspott"', "", "", ":6:1", 'did you mean "hubspot"?'),
        ("", "max_subjct_length = 3", "", ":9:1", 'did you mean "max_subject_length"?'),
        ("", 'severity = "fatal"', "", ":9:1", "severity must be"),
        ("", "", "[[tool.preflight.overrides]]\nselect = []", ":13:1", 'needs "files"'),
        ('links = { timeout = "soon" }', "", "", ":6:1", "is not a duration"),
        ("platform = hubspot", "", "", ":6:12", "invalid TOML"),
    ],
)
def test_pyproject_config_errors_name_their_line(
    tmp_path: Path, top: str, option: str, override: str, where: str, message: str
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT.format(top=top, option=option, override=override))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    said = str(error.value)
    assert said.startswith(f"{path.resolve()}{where}"), said
    assert message in said, said


def test_pyproject_config_error_line_reaches_the_command_line(run_cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.preflight]\n\nplatform = "hubspott"\n')
    (tmp_path / "email.html").write_text("<p>Hi</p>\n")
    result = run_cli("check", "email.html", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml:3:1: platform: unknown platform" in result.stderr
