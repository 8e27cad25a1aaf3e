"""Text that lives inside a JSON file, with its positions.

A platform's API answer holds an email's HTML as a JSON string: escaped quotes, ``\\n``
for each line end. To point a finding at the character it is about, each string value's
literal is found in the file's text (by its JSON pointer), and every decoded character is
mapped back to the raw character (or escape sequence) it was written as. Composing then
copies runs of decoded text whose raw text is unescaped as pieces of a source map.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.compose import Builder
from preflight.model import Location, Part, Span
from preflight.model.source import Piece

_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)
_HEX = frozenset("0123456789abcdefABCDEF")


def string_literals(text: str) -> dict[str, tuple[int, int]]:
    """JSON pointer -> (start, end) of each string value's literal, quotes included, in
    ``text`` (a document ``json.loads`` accepted). Object keys are not values."""
    found: dict[str, tuple[int, int]] = {}
    # a frame: [is_object, pointer of the container, current key, current index, wants_key]
    stack: list[list[Any]] = []

    def here() -> str:
        if not stack:
            return ""
        frame = stack[-1]
        step = frame[2] if frame[0] else str(frame[3])
        return f"{frame[1]}/{str(step).replace('~', '~0').replace('/', '~1')}"

    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "{":
            stack.append([True, here(), "", 0, True])
        elif first == "[":
            stack.append([False, here(), "", 0, False])
        elif first in "}]":
            if stack:
                stack.pop()
        elif first == ":":
            if stack:
                stack[-1][4] = False
        elif first == ",":
            if stack and stack[-1][0]:
                stack[-1][4] = True
            elif stack:
                stack[-1][3] += 1
        elif first == '"':
            if stack and stack[-1][0] and stack[-1][4]:
                try:
                    stack[-1][2] = json.loads(token)
                except ValueError:
                    stack[-1][2] = token[1:-1]
            else:
                found[here()] = match.span()
    return found


def decoded_runs(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """For the string literal ``text[start:end]`` (quotes included): (decoded offset, raw
    offset, length) for each run of characters written as themselves, and a run of length
    1 for each character written as an escape (at the escape's backslash)."""
    runs: list[tuple[int, int, int]] = []
    decoded = 0
    position = start + 1
    stop = end - 1
    while position < stop:
        slash = text.find("\\", position, stop)
        plain_end = stop if slash == -1 else slash
        if plain_end > position:
            runs.append((decoded, position, plain_end - position))
            decoded += plain_end - position
        if slash == -1:
            break
        length = 2
        if text[slash + 1 : slash + 2] == "u":
            length = 6
            high = text[slash + 2 : slash + 6]
            if (
                len(high) == 4
                and set(high) <= _HEX
                and 0xD800 <= int(high, 16) <= 0xDBFF
                and text[slash + 6 : slash + 8] == "\\u"
            ):
                low = text[slash + 8 : slash + 12]
                if len(low) == 4 and set(low) <= _HEX and 0xDC00 <= int(low, 16) <= 0xDFFF:
                    length = 12  # a surrogate pair: one character once decoded
        runs.append((decoded, slash, 1))
        decoded += 1
        position = slash + length
    return runs


@dataclass
class Text:
    """A text an email is composed from: a file's own text, or a string inside a JSON file
    (``runs`` map its decoded characters to the file's raw text)."""

    value: str
    path: Path
    raw: str
    """The whole file's text (the same as ``value`` for a file of its own)."""
    runs: list[tuple[int, int, int]] | None = None

    def copy(self, builder: Builder, start: int, end: int) -> None:
        """Copy value[start:end] into ``builder``, each run mapped to where it is written."""
        if end <= start:
            return
        if self.runs is None:
            builder.copy(self.path, self.value, start, end)
            return
        for decoded, raw, length in self.runs:
            low, high = max(start, decoded), min(end, decoded + length)
            if low >= high:
                continue
            origin = raw + (low - decoded)  # an escape is one character, at its backslash
            builder.pieces.append(
                Piece(builder.length, builder.length + high - low, self.path, origin)
            )
            builder.chunks.append(self.value[low:high])
            builder.length += high - low

    def location(self, start: int, end: int) -> Location:
        """Where value[start:end] is written in its file."""
        low = self._raw_offset(start)
        high = self._raw_offset(max(start, end - 1)) + 1
        line = self.raw.count("\n", 0, low) + 1
        column = low - (self.raw.rfind("\n", 0, low) + 1) + 1
        newline = self.raw.find("\n", low, high)
        return Location(
            self.path, Span.point(line, column, (high if newline == -1 else newline) - low)
        )

    def _raw_offset(self, offset: int) -> int:
        if self.runs is None:
            return offset
        for decoded, raw, length in self.runs:
            if decoded <= offset < decoded + length:
                return raw + offset - decoded
        return self.runs[-1][1] if self.runs else 0


def file_text(path: Path, text: str) -> Text:
    return Text(text, path, text)


def json_text(
    path: Path, raw: str, literals: dict[str, tuple[int, int]], pointer: str
) -> Text | None:
    """The string at ``pointer`` in the JSON file ``path`` (its text ``raw``), or None when
    there is no string there."""
    found = literals.get(pointer)
    if found is None:
        return None
    start, end = found
    try:
        value = json.loads(raw[start:end])
    except ValueError:
        return None
    if not isinstance(value, str):
        return None
    return Text(value, path, raw, decoded_runs(raw, start, end))


def literal_location(
    path: Path, raw: str, literals: dict[str, tuple[int, int]], pointer: str, part: Part | None
) -> Location:
    """Where the string at ``pointer`` is written: its literal's first line and column."""
    found = literals.get(pointer)
    if found is None:
        return Location(path, None, part, pointer)
    start, end = found
    line = raw.count("\n", 0, start) + 1
    column = start - (raw.rfind("\n", 0, start) + 1) + 1
    newline = raw.find("\n", start, end)
    length = (end if newline == -1 else newline) - start
    return Location(path, Span.point(line, column, length), part, pointer)
