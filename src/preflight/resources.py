"""Where the shipped data lives: rules/ inside the wheel, or beside src/ in a checkout."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


@functools.cache
def rules_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "rules"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise RuntimeError(
        f"preflight's rules/ directory is missing (looked in {packaged} and {checkout})"
    )


_DATA_CACHE_TAG = f"preflight-data-1 {sys.version_info[0]}.{sys.version_info[1]}\n".encode()
"""Marshal's format belongs to the Python that wrote it: another version parses the YAML."""


def cache_file(source: Path, form: str = "") -> Path:
    """Where the parsed form of ``source`` is kept: beside it in __pycache__, as Python keeps
    bytecode, or under PYTHONPYCACHEPREFIX when that is set."""
    name = source.name + (f".{form}" if form else "") + ".marshal"
    prefix = sys.pycache_prefix
    if prefix:
        return Path(prefix) / source.parent.relative_to(source.parent.anchor) / name
    return source.parent / "__pycache__" / name


def load_data(source: Path, parse: Callable[[str], Any] | None = None, form: str = "") -> Any:
    """A YAML data file of rules/ (dialects, the catalogue, phrase lists), parsed; or another
    text file read by ``parse`` (its result named ``form``: one file may be read two ways).

    Parsing YAML costs about 1 ms a file and a one-template run reads some thirty of them,
    so the parsed data is kept the way Python keeps bytecode: a marshal file (plain data
    only, nothing that runs) in __pycache__ beside the source, valid while the source's size
    and modification time are the same; not written when PYTHONDONTWRITEBYTECODE is set, and
    any problem with it means parsing the source, as without it."""
    import marshal

    stat = source.stat()
    key = f"{stat.st_size}:{stat.st_mtime_ns}\n".encode()
    cache = cache_file(source, form)
    try:
        blob = cache.read_bytes()
        head = _DATA_CACHE_TAG + key
        if blob.startswith(head):
            return marshal.loads(blob[len(head) :])
    except (OSError, ValueError, EOFError, TypeError):
        pass
    if parse is not None:
        data = parse(source.read_text(encoding="utf-8"))
    else:
        import yaml

        data = yaml.load(source.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if not sys.dont_write_bytecode:
        try:
            body = marshal.dumps(data)
        except ValueError:  # a value marshal cannot keep (a date): parse it each time
            return data
        keep(cache, _DATA_CACHE_TAG + key + body)
    return data


def keep(cache: Path, blob: bytes) -> None:
    """Write a kept parsed or compiled form (rules/ data, dataclass code) as Python writes
    bytecode: atomically, readable by all; a folder that cannot be written is no error."""
    if sys.dont_write_bytecode:
        return
    import contextlib

    from preflight.fsutil import atomic_write

    with contextlib.suppress(OSError):
        atomic_write(cache, blob)
