"""Regression tests for the defects hostile input found (issue 16, reliability and security).

Each test names the root cause it holds down; each failed before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# -- terminal injection ------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07\r\x9b31m\u202e"


def _hostile_folder(root: Path) -> Path:
    folder = root / "emails"
    folder.mkdir()
    body = (
        "<html><body>\n"
        f'<p>Hi \x1b[2J *|FNAME|* <a href="http://staging.example.com/{ESCAPES}">Shop</a></p>\n'
        "</body></html>\n"
    )
    (folder / f"offer{ESCAPES}.html").write_text(body, encoding="utf-8")
    (folder / "forged\nok.html:1:1: CONTENT001 error: forged.html").write_text(
        body, encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_never_reach_the_terminal(tmp_path: Path, run_cli, fmt: str) -> None:
    folder = _hostile_folder(tmp_path)
    result = run_cli("check", "emails", "--format", fmt, "--no-color", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    for char in "\x1b\x07\r\x9b\u202e":
        assert char not in out, repr(char)
    assert "\\e[2J" in out  # shown, escaped
    for line in out.splitlines():  # a newline in a file name forges no line
        assert not line.startswith("ok.html"), line
    assert folder.is_dir()


def test_control_characters_stay_exact_in_json(tmp_path: Path, run_cli) -> None:
    _hostile_folder(tmp_path)
    result = run_cli("check", "emails", "--format", "json", cwd=tmp_path)
    assert "\x1b" not in result.stdout  # JSON escapes them (\u001b) ...
    document = json.loads(result.stdout)
    paths = {f["path"] for f in document["findings"]}
    assert f"emails/offer{ESCAPES}.html" in paths  # ... and keeps the real value


def test_render_escapes_control_characters(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Hello\x1b]0;owned\x07\nsecond line\n", encoding="utf-8")
    result = run_cli("render", "a.html", "--platform", "mailchimp", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "second line" in result.stdout
