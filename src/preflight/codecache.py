"""The methods dataclasses generates, compiled once and kept, as Python keeps bytecode.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``… as source text and
compiles it with ``exec`` every time the class is created: a frozen dataclass costs about
0.8 ms, and a one-template run creates some 75 of them (about 45 ms of a 0.2 s run). The
compiled code depends only on that text and on the Python that compiles it, so the CLI keeps
it in one marshal file in ``__pycache__`` beside this module (or under PYTHONPYCACHEPREFIX),
tagged with the interpreter's bytecode magic number, and hands ``dataclasses`` a compiled
code object instead of the text when it has one. Nothing else changes: the same code runs in
the same namespaces, and any problem with the kept file means compiling, as without it. Not
written under PYTHONDONTWRITEBYTECODE.

Only the CLI installs it: cli.py imports this module before any module that creates a
dataclass, and importing it installs it. Importing preflight as a library leaves
``dataclasses`` as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import CodeType
from typing import Any

_MAX_ENTRIES = 4096
"""A bound on the kept file: dataclasses created at run time with new source (none in
preflight) must not grow it without end."""

_codes: dict[str, CodeType] = {}
_added = False


def _path() -> Path:
    from preflight.resources import cache_file

    return cache_file(Path(__file__), f"dataclasses-{sys.implementation.cache_tag}")


def _header() -> bytes:
    from importlib.util import MAGIC_NUMBER

    return b"preflight-code-1 " + MAGIC_NUMBER + b"\n"


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """``exec`` as dataclasses calls it, with the text's compiled code kept."""
    global _added
    if isinstance(source, str):
        code = _codes.get(source)
        if code is None:
            # as exec compiles text called from dataclasses.py: no __future__ flags
            code = compile(source, "<string>", "exec", dont_inherit=True)
            if len(_codes) < _MAX_ENTRIES:
                _codes[source] = code
                _added = True
        source = code
    exec(source, globals, locals)


def install() -> None:
    """Read the kept code and give ``dataclasses`` the caching ``exec``; save new code at exit."""
    import dataclasses

    if getattr(dataclasses, "exec", None) is _exec:
        return
    try:
        import marshal

        blob = _path().read_bytes()
        header = _header()
        if blob.startswith(header):
            kept = marshal.loads(blob[len(header) :])
            if isinstance(kept, dict):
                for text, code in kept.items():
                    if isinstance(text, str) and isinstance(code, CodeType):
                        _codes[text] = code
    except (OSError, ValueError, EOFError, TypeError):
        pass
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # shadows the builtin there
    if not sys.dont_write_bytecode:
        import atexit

        atexit.register(_save)


def _save() -> None:
    if not _added:
        return
    import marshal

    from preflight.resources import keep

    try:
        body = marshal.dumps(dict(_codes))
    except ValueError:
        return
    keep(_path(), _header() + body)


install()
