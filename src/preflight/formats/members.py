"""An audience's members CSV, streamed: one row at a time, up to a row limit.

The file is never read whole: the csv module reads from the open file, and a
rule that needs the members (LIST008, MERGE009) counts as the rows go by. The
header names the fields (platform field names, DESIGN.md's Contracts). A
problem with the file (missing, not a regular file, not UTF-8, a line longer
than MAX_LINE, a broken row) ends the stream and is kept in ``problem`` for the
rule to report; it never raises, never blocks on a FIFO and never holds more
than one line. Lines may end in \n, \r\n or a bare \r ("CSV for Macintosh").
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DELIMITERS = (",", ";", "\t", "|")
MAX_LINE = 1 << 20
"""The longest physical line read, in bytes (UTF-16: characters); a longer one is a problem
(a CSV row is a few hundred bytes; a file with no line ends is not a CSV)."""
_BLOCK = 1 << 16


class _LineTooLong(Exception):
    pass


def field_columns(
    header: Sequence[str], name: Callable[[str], str | None] = str
) -> dict[str, tuple[int, ...]]:
    """Each field of a members header -> its column indexes, in order; how a header cell
    names a field is ``name`` of the stripped cell (a dialect's fold for MERGE009, a
    meaning from rules/fields.yaml for LIST008; None: the cell names none)."""
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        key = name(cell.strip())
        if key is not None:
            columns.setdefault(key, []).append(index)
    return {key: tuple(indexes) for key, indexes in columns.items()}


@dataclass
class Members:
    """A members CSV being read; ``rows()`` streams it and fills in what it found."""

    path: Path
    max_rows: int | None = None
    header: tuple[str, ...] = ()
    rows_read: int = 0
    sampled: bool = False
    """True when reading stopped at ``max_rows`` with rows left."""
    problem: str | None = None
    """Why reading stopped early ("is not UTF-8 text …"), in words for a message."""
    problem_line: int | None = None
    header_line: int = 1

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of each member row after the header; blank lines are skipped."""
        raw = self._open()
        if raw is None:
            return
        with raw:
            start = raw.read(4)
            raw.seek(0)
            read = [0]  # the physical line last read, for messages
            lines: Iterator[str]
            if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                encoding = "UTF-16"  # Excel's "Unicode text" export
                text = io.TextIOWrapper(raw, encoding="utf-16", newline="")
                lines = _text_lines(text, read)
            else:
                encoding = "UTF-8"
                lines = _decoded(raw, read)
            try:
                yield from self._parse(lines, read)
            except UnicodeDecodeError as error:
                byte = error.object[error.start : error.start + 1].hex() if error.object else "?"
                self._stop(f"is not {encoding} text (byte 0x{byte} on line {read[0]})", read[0])
            except _LineTooLong:
                self._stop(
                    f"has a line longer than {MAX_LINE:,} bytes on line {read[0]}"
                    " (is it a CSV file?)",
                    read[0],
                )
            except csv.Error as error:
                self._stop(
                    f"has a row the CSV reader cannot read on line {read[0]} ({error})", read[0]
                )
            except UnicodeError as error:  # a truncated UTF-16 pair
                self._stop(f"cannot be decoded near line {read[0]} ({error})", read[0])
            except OSError as error:  # a disk error halfway
                self._stop(f"cannot be read ({error.strerror or error})", read[0] or None)

    def _open(self) -> BinaryIO | None:
        """The file, opened without blocking on a FIFO; None (and ``problem``) when it is not
        a regular file or cannot be opened."""
        try:
            descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            self.problem = f"cannot be read ({error.strerror or error})"
            return None
        try:
            mode = os.fstat(descriptor).st_mode
        except OSError as error:
            os.close(descriptor)
            self.problem = f"cannot be read ({error.strerror or error})"
            return None
        if not stat.S_ISREG(mode):
            os.close(descriptor)
            kind = "a folder" if stat.S_ISDIR(mode) else "a pipe or device"
            self.problem = f"is {kind}, not a CSV file"
            return None
        return os.fdopen(descriptor, "rb")

    def _stop(self, problem: str, line: int | None) -> None:
        self.problem = problem
        self.problem_line = line

    def _parse(self, lines: Iterator[str], read: list[int]) -> Iterator[tuple[int, list[str]]]:
        first = next(lines, "")
        if not first.strip():
            self.problem = "is empty (no header row)"
            self.problem_line = 1
            return
        delimiter = max(_DELIMITERS, key=first.count)
        self.header = tuple(next(csv.reader([first], delimiter=delimiter)))
        line = read[0] + 1
        for cells in csv.reader(lines, delimiter=delimiter):
            if cells and (len(cells) > 1 or cells[0].strip()):
                if self.max_rows is not None and self.rows_read >= self.max_rows:
                    self.sampled = True
                    return
                self.rows_read += 1
                yield line, cells
            line = read[0] + 1


def _decoded(raw: BinaryIO, read: list[int]) -> Iterator[str]:
    """UTF-8 lines of a binary file, one at a time, so a bad byte is placed on its line."""
    number = 0
    for block in _line_blocks(raw, read):
        for chunk in block:
            number += 1
            read[0] = number
            if number == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]  # a byte order mark is not a field name
            yield chunk.decode("utf-8")


def _line_blocks(raw: BinaryIO, read: list[int]) -> Iterator[list[bytes]]:
    """The lines of a binary file a block at a time, with their endings (\n, \r\n or a bare
    \r: bytes.splitlines knows all three); _LineTooLong past MAX_LINE bytes, with ``read``
    set to its line."""
    pending = b""
    while block := raw.read(_BLOCK):
        lines = (pending + block).splitlines(keepends=True)
        pending = lines.pop()
        if pending.endswith(b"\n"):  # complete; one that ends in \r may go on with \n
            lines.append(pending)
            pending = b""
        if len(pending) > MAX_LINE or (lines and max(map(len, lines)) > MAX_LINE):
            read[0] += next((i for i, line in enumerate(lines) if len(line) > MAX_LINE), len(lines))
            read[0] += 1
            raise _LineTooLong
        yield lines
    if pending:
        yield [pending]


def _text_lines(text: io.TextIOWrapper, read: list[int]) -> Iterator[str]:
    """Lines of a decoded file (newline="": \n, \r\n and \r all end one), at most MAX_LINE
    characters each, ending in "\n"."""
    number = 0
    while line := text.readline(MAX_LINE + 1):
        number += 1
        read[0] = number
        if len(line) > MAX_LINE and line[-1] not in "\r\n":
            raise _LineTooLong
        yield line.rstrip("\r\n") + "\n" if line[-1] in "\r\n" else line
