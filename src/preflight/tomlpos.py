"""Where a key of a TOML document is written, for config errors that name their line.

tomllib gives values, not positions. This reads the lines of a TOML file once and records
where each table header and each key (dotted keys included) is defined, so that a config
error in pyproject.toml [tool.preflight] can name its line as preflight.yaml errors do.
It is a locator, not a parser: the document has already been parsed by tomllib.
"""

from __future__ import annotations

import re

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"(\[\[?)\s*({_DOTTED})\s*\]")
_KEY = re.compile(rf"({_DOTTED})\s*=")
_PARTS = re.compile(_PART)
_DECODE_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")

Key = tuple[str | int, ...]


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(part[1:-1] if part[:1] in ('"', "'") else part for part in _PARTS.findall(dotted))


class TomlPositions:
    """1-based (line, column) of the keys of a TOML text, under a table prefix."""

    def __init__(self, text: str, prefix: tuple[str, ...] = ()) -> None:
        self.prefix = prefix
        self._text = text
        self._scanned: dict[Key, tuple[int, int]] | None = None

    @property
    def _at(self) -> dict[Key, tuple[int, int]]:
        """The positions, worked out on first use: a config read without a problem to
        report never needs them (every pyproject.toml load used to scan them)."""
        if self._scanned is None:
            self._scanned = {}
            self._scan(self._text)
        return self._scanned

    def _scan(self, text: str) -> None:
        table: Key = ()
        counters: dict[Key, int] = {}
        closing: str | None = None  # the delimiter of an open multi-line string
        for number, line in enumerate(text.splitlines(), 1):
            if closing is not None:
                if closing in line:
                    closing = None
                continue
            stripped = line.lstrip()
            column = len(line) - len(stripped) + 1
            header = _HEADER.match(stripped)
            if header is not None:
                path: Key = _parts(header.group(2))
                if header.group(1) == "[[":  # an array of tables: one entry per header
                    index = counters[path] = counters.get(path, -1) + 1
                    self._define(path, number, column)
                    path = (*path, index)
                table = path
                self._define(path, number, column)
                continue
            key = _KEY.match(stripped)
            if key is None:
                continue
            self._define((*table, *_parts(key.group(1))), number, column)
            value = stripped[key.end() :].lstrip()
            for delimiter in ('"""', "'''"):
                if value.startswith(delimiter) and value.count(delimiter) % 2 == 1:
                    closing = delimiter

    def _define(self, path: Key, line: int, column: int) -> None:
        for end in range(1, len(path) + 1):
            self._at.setdefault(path[:end], (line, column))

    def position(self, *keys: str | int) -> tuple[int, int] | None:
        """Where the last key of a key path is written (or the deepest one found)."""
        path: Key = (*self.prefix, *keys)
        found = None
        for end in range(1, len(path) + 1):
            at = self._at.get(path[:end])
            if at is None:
                break
            found = at
        return found


def decode_error_position(message: str, text: str) -> tuple[str, tuple[int, int] | None]:
    """tomllib's "… (at line 3, column 5)" (or "at end of document") as the message and
    its position."""
    match = _DECODE_AT.search(message)
    if match is None:
        return message, None
    if match.group(1) is None:
        lines = text.splitlines() or [""]
        return message[: match.start()], (len(lines), len(lines[-1]) + 1)
    return message[: match.start()], (int(match.group(1)), int(match.group(2)))
