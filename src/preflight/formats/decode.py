"""Reading input files: size limit, binary detection and the encoding policy.

The policy, in order: a byte-order mark; UTF-8; the charset the document
declares; latin-1 (which always succeeds, so a text file is never lost to an
encoding guess). Binary content (NUL bytes outside a UTF-16 BOM) is refused.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
REPORT_MAX_BYTES = 256 * 1024 * 1024
"""The limit for files preflight wrote itself and reads back (a baseline, a JSON report):
they grow with the number of findings, not with one template."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class UnreadableInput(Exception):
    """A file preflight cannot read as text; the message says why (PF001)."""

    def __init__(self, reason: str, data: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data or {}


class UnreadableJSON(Exception):
    """A JSON file preflight wrote itself (a baseline, a report) that cannot be read back:
    ``reason`` says why; ``not_json`` when the bytes were read but are not JSON."""

    def __init__(self, reason: str, not_json: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_json = not_json


def read_own_json(path: Path) -> Any:
    """A baseline's or a JSON report's document, read within REPORT_MAX_BYTES (a FIFO or
    /dev/zero is refused; a BOM is allowed). Raises UnreadableJSON."""
    import json

    try:
        text = read_bytes(path, REPORT_MAX_BYTES).decode("utf-8-sig")
    except UnreadableInput as error:
        raise UnreadableJSON(error.reason) from None
    except UnicodeDecodeError as error:
        raise UnreadableJSON(str(error)) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise UnreadableJSON("nested too deeply", not_json=True) from None
    except ValueError as error:
        raise UnreadableJSON(str(error), not_json=True) from None


def check_companion(path: Path) -> None:
    """Refuse a companion file (a text part, a sidecar) that is a link out of its folder:
    whoever checks a folder has not asked for files elsewhere (a link to a .env next
    door would print its lines)."""
    from preflight.fsutil import leads_outside

    if os.path.islink(path) and leads_outside(path, os.path.realpath(path.parent)):
        raise UnreadableInput(
            "a link to a file outside its folder; not read", {"reason": "link-outside"}
        )


@contextlib.contextmanager
def _regular(path: Path) -> Iterator[tuple[int, os.stat_result]]:
    """A regular file's descriptor and status; UnreadableInput for anything else (a FIFO or
    a device would block or never end, so the file is opened without blocking and its type
    checked on the open descriptor)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as error:
        raise UnreadableInput(
            f"cannot read file: {getattr(error, 'strerror', None) or error}",
            {"reason": "os-error"},
        ) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise UnreadableInput("not a regular file", {"reason": "not-a-file"})
        yield descriptor, status
    except OSError as error:
        raise UnreadableInput(
            f"cannot read file: {error.strerror or error}", {"reason": "os-error"}
        ) from None
    finally:
        os.close(descriptor)


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A regular file's bytes, at most ``max_bytes``; UnreadableInput for anything else."""
    with _regular(path) as (descriptor, status):
        size = status.st_size
        if size > max_bytes:
            raise UnreadableInput(
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
                {"reason": "too-large", "size": size, "limit": max_bytes},
            )
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(size + 1)  # one more: a file that grew is caught below
            if len(raw) > size:
                raw += handle.read(max_bytes + 1 - len(raw))
    if len(raw) > max_bytes:  # grew while we looked
        raise UnreadableInput(
            f"file is over the {max_bytes:,}-byte limit",
            {"reason": "too-large", "size": len(raw), "limit": max_bytes},
        )
    return raw


def read_head(path: Path, limit: int) -> bytes:
    """The first ``limit`` bytes of a regular file; UnreadableInput for anything else."""
    with _regular(path) as (descriptor, _):
        return os.read(descriptor, limit)


def decode(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and the encoding used; raises UnreadableInput for empty or binary data."""
    if not raw.strip():
        raise UnreadableInput("file is empty", {"reason": "empty"})
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _normalise(raw.decode(encoding)), encoding
            except UnicodeDecodeError:
                raise UnreadableInput(
                    f"file starts with a {encoding} byte-order mark but does not decode"
                    f" as {encoding}",
                    {"reason": "undecodable", "encoding": encoding},
                ) from None
    if b"\x00" in raw[:8192]:
        raise UnreadableInput("file looks binary (it contains NUL bytes)", {"reason": "binary"})
    try:
        return _normalise(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    charset = declared or _declared_charset(raw)
    if charset:
        try:
            return _normalise(raw.decode(charset)), charset
        except (LookupError, UnicodeDecodeError):
            pass
    return _normalise(raw.decode("latin-1")), "latin-1"


def _declared_charset(raw: bytes) -> str | None:
    match = _DECLARED.search(raw[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "replace")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _normalise(text: str) -> str:
    """One newline convention, so columns and lines agree across platforms."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return without_surrogates(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates (a JSON "\\ud800" escape, a UTF-7 oddity) as U+FFFD:
    they cannot be encoded, so every later write or hash of the text would fail."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")  # fails on a lone surrogate, and runs 20x faster than a search
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    return decode(read_bytes(path, max_bytes))[0]
