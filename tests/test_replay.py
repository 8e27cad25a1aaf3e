"""Whole-run replay (preflight.replay): a `preflight check` whose inputs are all unchanged
writes the bytes and exit code of its last run without checking anything; any change to
anything the run read, listed or looked for is a miss, and the run goes on as usual.

A hit is seen from outside by its record: a replayed run leaves it as it is, a full run
writes it afresh (a new file, so a new inode).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from preflight import replay

from .conftest import REPO
from .test_engine_runs import _edit, _library

PANINI = REPO / "tests" / "data" / "compose" / "panini"


def _project(tmp_path: Path) -> Path:
    """Templates with text parts and sidecars, a workflow, audiences with a members CSV,
    a config, and a Panini project (its own config, a layout and a partial)."""
    folder = _library(tmp_path / "lib", 6)
    shutil.copytree(PANINI, folder / "panini")
    return folder


def _records(cache: Path) -> dict[str, tuple[int, int]]:
    return {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (cache / "runs").glob("*.run")
    }


class Runs:
    def __init__(self, run_cli: Callable[..., subprocess.CompletedProcess[str]], cwd: Path):
        self.run_cli = run_cli
        self.cwd = cwd
        self.cache = Path(os.environ["PREFLIGHT_CACHE_DIR"])

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = self.run_cli("check", *args, "--jobs", "1", cwd=self.cwd)
        assert result.returncode in (0, 1), result.stderr
        return result.returncode, result.stdout, result.stderr

    def replayed(self, *args: str) -> tuple[int, str, str]:
        before = _records(self.cache)
        assert before, "the run before should have left a record"
        found = self(*args)
        assert _records(self.cache) == before, "an unchanged run must be replayed"
        return found

    def missed(self, *args: str) -> tuple[int, str, str]:
        before = _records(self.cache)
        found = self(*args)
        after = _records(self.cache)
        assert after != before, "a changed input must be a miss (the run records afresh)"
        assert found == self(*args, "--no-cache"), "a miss must report what a cold run does"
        return found


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_a_replay_is_byte_identical_with_the_same_exit_code(
    tmp_path: Path, run_cli, fmt: str
) -> None:
    folder = _project(tmp_path)
    runs = Runs(run_cli, tmp_path)
    cold = runs("lib", "--format", fmt, "--no-cache")
    assert not (runs.cache / "runs").exists(), "--no-cache neither reads nor writes a record"
    first = runs("lib", "--format", fmt)
    assert first == cold
    assert first[0] == 1 and first[1]
    assert runs.replayed("lib", "--format", fmt) == cold
    assert runs.replayed("lib", "--format", fmt) == cold
    # another command line is another record; the first still holds
    other = runs("lib", "--format", fmt, "--select", "CONTENT")
    assert other != cold
    assert runs.replayed("lib", "--format", fmt, "--select", "CONTENT") == other
    assert runs.replayed("lib", "--format", fmt) == cold
    # and from another working directory (paths are shown relative to it)
    elsewhere = Runs(run_cli, folder)
    assert elsewhere(".", "--format", fmt) == elsewhere(".", "--format", fmt, "--no-cache")
    assert elsewhere.replayed(".", "--format", fmt)[1] != cold[1]


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


CHANGES: dict[str, Callable[[Path], object]] = {
    "template": lambda f: _edit(f / "emails/batch1/e001.html", "issue 1<", "issue one<"),
    "text part": lambda f: _edit(f / "emails/batch1/e001.txt", "issue 1", "issue one"),
    "new text part": lambda f: _write(f / "emails/batch1/e005.txt", "Hi\n\nissue 5\n"),
    "removed text part": lambda f: (f / "emails/batch0/e000.txt").unlink(),
    "sidecar": lambda f: _edit(f / "emails/batch1/e001.meta.yaml", "subject:", "subject: New"),
    "new sidecar": lambda f: _write(f / "emails/batch0/e000.meta.yaml", "subject: Hi\n"),
    "config": lambda f: _edit(f / "preflight.yaml", "campaign: spring-launch", "campaign: x"),
    "new nested config": lambda f: _write(f / "emails/batch2/preflight.yaml", "select: [LINK]\n"),
    "audiences": lambda f: _edit(f / "audiences.yaml", "en-GB", "en-US"),
    "members CSV": lambda f: _edit(f / "customers.csv", "bo@x.example,,", "bo@x.example,Bo,"),
    "workflow": lambda f: _edit(
        f / "emails/spring-launch.workflow.yaml",
        "send: launch.html",
        "send: {template: launch.html, subject: Now}",
    ),
    "layout": lambda f: _edit(f / "panini/src/layouts/default.html", "<body", "<body x-a=1"),
    "partial": lambda f: _edit(f / "panini/src/partials/footer.html", "http://", "https://"),
    "new template": lambda f: shutil.copy(
        f / "emails/batch1/e001.html", f / "emails/batch1/e099.html"
    ),
    "removed template": lambda f: (f / "emails/batch2/e002.html").unlink(),
    "new file that is no input": lambda f: _write(f / "emails/notes.md", "# notes\n"),
    "new audiences file beside a template": lambda f: _write(
        f / "emails/batch3/x.audiences.yaml", "audiences: {}\n"
    ),
    "template replaced by a link": lambda f: (
        (f / "emails/batch3/e003.html").rename(f / "emails/e003.html"),
        (f / "emails/batch3/e003.html").symlink_to(f / "emails/e003.html"),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_kind_of_change_is_a_miss(tmp_path: Path, run_cli, change: str) -> None:
    folder = _project(tmp_path)
    runs = Runs(run_cli, tmp_path)
    first = runs("lib", "--format", "json")
    assert runs.replayed("lib", "--format", "json") == first
    CHANGES[change](folder)
    runs.missed("lib", "--format", "json")


def test_the_environment_is_part_of_the_key(tmp_path: Path, run_cli) -> None:
    """With no --format, GITHUB_ACTIONS=true chooses the github format: never the text
    report a run without it recorded."""
    _project(tmp_path)
    runs = Runs(run_cli, tmp_path)
    text = runs("lib")
    assert runs.replayed("lib") == text
    result = run_cli("check", "lib", "--jobs", "1", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.stdout != text[1] and "::" in result.stdout


def test_runs_that_do_more_than_print_are_never_replayed() -> None:
    assert replay.eligible(["check", "lib", "--format", "json"]) or not _pipe_stdout()
    for extra in (
        "--online",
        "--spam",
        "--no-cache",
        "--refresh",
        "--output=x.json",
        "--write-baseline",
        "-h",
        "-vh",
    ):
        assert not replay.eligible(["check", "lib", extra])
    assert not replay.eligible(["rules"])
    assert not replay.eligible([])


def _pipe_stdout() -> bool:
    try:
        return not os.isatty(1)
    except OSError:
        return False


def test_a_record_of_a_run_launched_in_process_is_not_written(tmp_path: Path) -> None:
    """Library calls and click's test runner never record: only the launcher sets argv."""
    from click.testing import CliRunner

    from preflight.cli import main

    _project(tmp_path)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "lib"), "--jobs", "1"])
    assert result.exit_code == 1
    assert not (Path(os.environ["PREFLIGHT_CACHE_DIR"]) / "runs").exists()


def test_the_installation_is_a_dependency() -> None:
    """preflight's code and rules data, and sys.path's folders (an install or upgrade of any
    library changes its site-packages folder)."""
    found = set(replay._installation())
    assert str(Path(replay.__file__).resolve()) in {str(Path(p).resolve()) for p in found}
    assert any(p.endswith(os.path.join("rules", "content.yaml")) for p in found)
    assert any(p.endswith("site-packages") for p in found)


def test_a_changed_baseline_is_a_miss(tmp_path: Path, run_cli) -> None:
    _project(tmp_path)
    baseline = tmp_path / "baseline.json"
    written = run_cli("check", "lib", "--write-baseline", str(baseline), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert not (Path(os.environ["PREFLIGHT_CACHE_DIR"]) / "runs").exists()  # never recorded
    runs = Runs(run_cli, tmp_path)
    hidden = runs("lib", "--format", "json", "--baseline", str(baseline))
    assert runs.replayed("lib", "--format", "json", "--baseline", str(baseline)) == hidden
    baseline.write_text(baseline.read_text(encoding="utf-8").replace('"rule"', '"rule" '))
    runs.missed("lib", "--format", "json", "--baseline", str(baseline))


def test_what_a_run_says_on_stderr_and_its_exit_code_are_replayed(tmp_path: Path, run_cli) -> None:
    """A run that reads nothing says so on stderr and exits 2: so does its replay."""
    (tmp_path / "notes.md").write_text("# not an email\n", encoding="utf-8")
    cache = Path(os.environ["PREFLIGHT_CACHE_DIR"])
    first = run_cli("check", ".", "--jobs", "1", cwd=tmp_path)
    assert first.returncode == 2 and "no input read" in first.stderr
    before = _records(cache)
    again = run_cli("check", ".", "--jobs", "1", cwd=tmp_path)
    assert _records(cache) == before and before, "replayed"
    assert (again.returncode, again.stdout, again.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
