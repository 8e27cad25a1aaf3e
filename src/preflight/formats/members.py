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
            encoding = "utf-8-sig"  # a UTF-8 byte order mark is dropped, not a field name
            if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                encoding = "utf-16"  # Excel's "Unicode text" export
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            line = 1  # the header
            try:
                first = text.readline()
                if not first.strip():
                    self.problem = "is empty (no header row)"
                    self.problem_line = 1
                    return
                delimiter = max(_DELIMITERS, key=first.count)
                self.header = tuple(next(csv.reader([first], delimiter=delimiter)))
                reader = csv.reader(text, delimiter=delimiter)
                line = 2
                for cells in reader:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        line = 1 + reader.line_num + 1
                        continue
                    if self.max_rows is not None and self.rows_read >= self.max_rows:
                        self.sampled = True
                        return
                    self.rows_read += 1
                    yield line, cells
                    line = 1 + reader.line_num + 1
            except UnicodeDecodeError as error:
                byte = error.object[error.start : error.start + 1].hex() if error.object else "?"
                self.problem = (
                    f"is not {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text"
                    f" (byte 0x{byte} near line {line})"
                )
                self.problem_line = line
            except csv.Error as error:
                self.problem = f"has a row the CSV reader cannot read at line {line} ({error})"
                self.problem_line = line
            except UnicodeError as error:  # a BOM that lies, a truncated UTF-16 pair
                self.problem = f"cannot be decoded near line {line} ({error})"
                self.problem_line = line
