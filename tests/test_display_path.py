"""display_path: a path as reports show it, relative to the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from preflight.model import _display_path

CWDS = ["/", "/tmp", "/tmp/a", "/tmp/a b", "/tmp/é"]
PATHS = [
    "/tmp",
    "/tmp/a",
    "/tmp/a/b.html",
    "/tmp/a/../b.html",
    "/tmp/ab/c",
    "/tmp/a/./x",
    "/tmp/a/..",
    "/tmp/a/b/..",
    "/tmp/a/..b/c",
    "/tmp/a b/c",
    "/tmp/é/f",
    "/x/y",
    "/tmp/a/.../x",
    "a/b",
]


@pytest.mark.skipif(os.sep != "/", reason="the shortcut is for POSIX paths")
@pytest.mark.parametrize("cwd", CWDS)
def test_a_path_under_the_working_directory_reads_as_relpath_says(cwd: str) -> None:
    """Paths under the working directory skip os.path.relpath (20x slower); every one must
    read as relpath would have it, '..' included."""
    for name in PATHS:
        path = Path(name)
        expected = Path(os.path.relpath(path, cwd)).as_posix() if path.is_absolute() else name
        assert _display_path(path, cwd) == expected, (name, cwd)
