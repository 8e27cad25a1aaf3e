"""The correction cases under fixtures/corrections/: one folder per case.

A case holds the original as it was sent (email.html by default, with its text part,
sidecar, and optionally preflight.yaml and audiences.yaml) and case.yaml:

- ``args``: the options after ORIGINAL (``--output`` is added); ``original``: its name;
  ``report: [options]`` first writes `preflight check --format json [options]` of the
  original and passes it as ``--from-report``;
- ``exit``: the exit code; ``stdout`` / ``stderr``: lines that must appear in them;
  ``stderr_once``: lines that must appear in stderr exactly once;
- ``footer``, or ``footer_html`` and ``footer_text``: the postal address the correction's
  footer shows, exactly (the paragraph in correction.html, the line in correction.txt);
- ``lacks``: words that must not appear in either part; ``text_has``: words that must;
- ``meta``: keys the sidecar must have with these values; ``meta_lacks``: keys it must not;
- ``check_output``: the exit code of `preflight check` on the written correction.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from preflight.cli import main

from .conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "corrections").iterdir() if p.is_dir())


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _subset(value, actual[key]) for key, value in expected.items()
        )
    return bool(expected == actual)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_correction_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    shutil.copytree(case, tmp_path / "sent", ignore=shutil.ignore_patterns("case.yaml"))
    monkeypatch.chdir(tmp_path / "sent")  # messages name files as the user there reads them
    original = Path(spec.get("original", "email.html"))
    out = tmp_path / "out"
    args = [str(a) for a in spec.get("args", [])]
    if "report" in spec:
        report = tmp_path / "report.json"
        options = [str(a) for a in spec["report"]]
        checked = _run(
            "check", str(original), *options, "--format", "json", "--output", str(report)
        )
        assert checked.exit_code in (0, 1), checked.output
        args += ["--from-report", str(report)]
    result = _run("correct", str(original), *args, "--output", str(out))
    assert result.exit_code == spec["exit"], result.output
    for line in spec.get("stdout", []):
        assert line in result.stdout, result.stdout
    for line in spec.get("stderr", []):
        assert line in result.stderr, result.stderr
    for line in spec.get("stderr_once", []):
        assert result.stderr.count(line) == 1, result.stderr
    if spec["exit"] != 0:
        assert not out.exists() or not list(out.iterdir())
        return
    html = (out / "correction.html").read_text(encoding="utf-8")
    text = (out / "correction.txt").read_text(encoding="utf-8")
    footer_html = spec.get("footer_html", spec.get("footer"))
    footer_text = spec.get("footer_text", spec.get("footer"))
    if footer_html is not None:
        shown = re.findall(r"<td style=\"padding:16px 24px[^>]*>\s*<p>(.*?)</p>", html, re.S)
        assert shown == [_escaped(footer_html)], html
    if footer_text is not None:
        after = text.split("\n-- \n", 1)[1].splitlines()
        assert after[0] == footer_text, text
    for word in spec.get("lacks", []):
        assert word not in html and word not in text, word
    for words in spec.get("text_has", []):
        assert words in text, text
    meta = yaml.safe_load((out / "correction.meta.yaml").read_text(encoding="utf-8"))
    assert _subset(spec.get("meta", {}), meta), meta
    for key in spec.get("meta_lacks", []):
        assert key not in meta, meta
    if "check_output" in spec:
        checked = _run("check", str(out))
        assert checked.exit_code == spec["check_output"], checked.output


def _escaped(words: str) -> str:
    """The address as correction.html writes it: words escaped, merge tags as they are."""
    return words.replace("&", "&amp;") if "{{" not in words and "%%" not in words else words
