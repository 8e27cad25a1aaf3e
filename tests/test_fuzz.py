"""A seeded mutation fuzz over every input kind and command, small enough for CI.

tests/fuzzing.py builds the project, makes the cases and judges each command's outcome;
here every command runs in this process (click's test runner), each under a time limit.
`python -m tests.fuzzing --cases 5000` runs the long campaign in subprocesses.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from preflight.cli import main

from .fuzzing import KINDS, Outcome, build_project, cases, run_case

CASES = int(os.environ.get("PREFLIGHT_FUZZ_CASES", str(3 * len(KINDS))))
SEED = int(os.environ.get("PREFLIGHT_FUZZ_SEED", "20260316"))
SECONDS = 20


class _TimedOut(BaseException):
    """Not an Exception: the CLI's guard must not turn it into an "internal error"."""


def _in_process(project: Path, command: tuple[str, ...]) -> Outcome:
    def expire(signum: int, frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    cwd = Path.cwd()
    try:
        os.chdir(project)
        result = CliRunner().invoke(main, list(command), catch_exceptions=False)
        return Outcome(command, result.exit_code, result.stdout, result.stderr)
    except _TimedOut:
        return Outcome(command, None, "", "")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_project(tmp_path_factory.mktemp("fuzz"))


def test_the_seed_project_is_clean_of_crashes(project: Path) -> None:
    """Every command on the unmutated project behaves (so a fuzz failure is the mutation's)."""
    from .fuzzing import Case

    for kind in KINDS:
        case = Case(-1, kind, (project / kind.path).read_bytes())
        assert run_case(project, case, _in_process) == [], kind.name


@pytest.mark.parametrize("number", range(CASES))
def test_fuzzed_input(project: Path, number: int) -> None:
    case = next(c for c in cases(SEED, number + 1, project) if c.number == number)
    assert run_case(project, case, _in_process) == [], case.kind.name
