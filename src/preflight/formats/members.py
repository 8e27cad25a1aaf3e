"""An audience's members CSV, streamed: one row at a time, up to a row limit.

The file is never read whole: the csv module reads from the open file, and a
rule that needs the members (LIST008, MERGE009) counts as the rows go by. The
header names the fields (platform field names, DESIGN.md's Contracts). A
problem with the file (missing, not UTF-8, a broken row) ends the stream and
is kept in ``problem`` for the rule to report; it never raises.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_DELIMITERS = (",", ";", "\t", "|")


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

    def column(self, names: set[str] | frozenset[str], fold: bool = True) -> int | None:
        """The index of the first header cell whose (folded) name is in ``names``."""
        for index, cell in enumerate(self.header):
            if (cell.strip().lower() if fold else cell.strip()) in names:
                return index
        return None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of each member row after the header; blank lines are skipped."""
        try:
            raw = self.path.open("rb")
        except OSError as error:
            self.problem = f"cannot be read ({error.strerror or error})"
            return
        with raw:
            start = raw.read(4)
            raw.seek(0)
            read = [0]  # the physical line last read, for messages
            lines: Iterator[str]
            if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                encoding = "UTF-16"  # Excel's "Unicode text" export
                lines = _counted(io.TextIOWrapper(raw, encoding="utf-16", newline=""), read)
            else:
                encoding = "UTF-8"
                lines = _decoded(raw, read)
            try:
                yield from self._parse(lines, read)
            except UnicodeDecodeError as error:
                byte = error.object[error.start : error.start + 1].hex() if error.object else "?"
                self.problem = f"is not {encoding} text (byte 0x{byte} on line {read[0]})"
                self.problem_line = read[0]
            except csv.Error as error:
                self.problem = f"has a row the CSV reader cannot read on line {read[0]} ({error})"
                self.problem_line = read[0]
            except UnicodeError as error:  # a truncated UTF-16 pair
                self.problem = f"cannot be decoded near line {read[0]} ({error})"
                self.problem_line = read[0]

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


def _decoded(raw: Iterator[bytes], read: list[int]) -> Iterator[str]:
    """UTF-8 lines of a binary file, one at a time, so a bad byte is placed on its line."""
    for number, chunk in enumerate(raw, start=1):
        read[0] = number
        if number == 1 and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[len(codecs.BOM_UTF8) :]  # a byte order mark is not a field name
        yield chunk.decode("utf-8")


def _counted(text: Iterator[str], read: list[int]) -> Iterator[str]:
    for number, line in enumerate(text, start=1):
        read[0] = number
        yield line
