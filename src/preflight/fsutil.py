"""Atomic writes: a temporary file in the same directory, then a rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: Path, data: str | bytes | Iterable[str]) -> None:
    """Write ``data`` (or its chunks) to ``path``: readers see the old file or the new one."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    pieces: Iterable[bytes]
    if isinstance(data, bytes):
        pieces = (data,)
    elif isinstance(data, str):
        pieces = (data.encode("utf-8"),)
    else:
        pieces = (piece.encode("utf-8") for piece in data)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
