"""A seeded mutation fuzz over every input kind and command, small enough for CI.

tests/fuzzing.py builds the project (one valid file of every kind), makes the cases and
judges each command's outcome; here every command runs in this process (click's test
runner) under a time limit. For a fuzzed input file, ``check --format json`` exits 0 or 1
with valid JSON on stdout and no "internal error"; exit 2 is allowed only when the config
or a file named by an option (a baseline, a report, render's data) was fuzzed.

PREFLIGHT_FUZZ_CASES and PREFLIGHT_FUZZ_SEED change the campaign;
`python -m tests.fuzzing --cases 5000 --jobs 8` runs a long one in subprocesses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fuzzing import KINDS, Case, build_project, cases, in_process_runner, run_case

CASES = int(os.environ.get("PREFLIGHT_FUZZ_CASES", str(2 * len(KINDS))))
SEED = int(os.environ.get("PREFLIGHT_FUZZ_SEED", "20260316"))
SECONDS = 20
"""Per command; a case that needs it is a failure (timed out), not a slow test."""

_run = in_process_runner(SECONDS)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_project(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def campaign(project: Path) -> list[Case]:
    return list(cases(SEED, CASES, project))


def test_the_seed_project_is_clean_of_crashes(project: Path) -> None:
    """Every command on the unmutated project behaves (so a fuzz failure is the mutation's)."""
    for kind in KINDS:
        case = Case(-1, kind, (project / kind.path).read_bytes())
        assert run_case(project, case, _run) == [], kind.name


def test_every_input_kind_is_fuzzed(campaign: list[Case]) -> None:
    assert {case.kind.name for case in campaign} == {kind.name for kind in KINDS}


@pytest.mark.parametrize("number", range(CASES))
def test_fuzzed_input(project: Path, campaign: list[Case], number: int) -> None:
    case = campaign[number]
    assert run_case(project, case, _run) == [], case.kind.name
