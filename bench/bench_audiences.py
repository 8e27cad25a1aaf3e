"""Streaming a large members CSV through LIST008 and MERGE009: time and peak memory.

Generates a members CSV of N rows (default 1,000,000: email, first name, last name,
company; a few test addresses, role accounts, duplicates and blank first names among
them), then measures, in one process and the same run:

- baseline: the csv module reading the file row by row and doing nothing else;
- LIST008 over the production audience whose members it is;
- MERGE009 over a template sent to that audience ("Hi {{ contact.firstname }},");

each at the default row limit (100,000 rows) and with no limit. Peak memory is what
tracemalloc saw allocated during the step (the file is never held whole). Prints a
markdown table; no figures are asserted anywhere.

    .venv/bin/python bench/bench_audiences.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from preflight.catalogue import load_catalogue
from preflight.checks import lists, merge
from preflight.formats.html import load_html
from preflight.model import Audience, Location, SentTo, Sourced

TEMPLATE = (
    '<!DOCTYPE html>\n<html lang="en">\n<body>\n<p>Hi {{ contact.firstname }},</p>\n'
    "<p>Your seats at {{ contact.company }} are booked.</p>\n</body>\n</html>\n"
)


def _findings(count: int) -> str:
    return f"{count} finding" + ("" if count == 1 else "s")


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,firstname,lastname,company\n")
        for i in range(rows):
            if i % 997 == 0:
                email = f"test{i}@mailbox.org"
            elif i % 991 == 0:
                email = f"info@company{i}.de"
            elif i % 983 == 0:
                email = "person1@mailbox.org"  # a duplicate
            else:
                email = f"person{i}@mailbox.org"
            first = "" if i % 7 == 0 else f"First{i}"
            out.write(f"{email},{first},Last{i},Company{i % 5000}\n")


def measure(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median seconds, peak MiB of one traced run, the result)."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as folder:
        members = Path(folder) / "members.csv"
        generate(members, arguments.rows)
        size = members.stat().st_size / 2**20
        audience = Audience(
            "registrants",
            Location(Path(folder) / "audiences.yaml"),
            fields=("email", "firstname", "lastname", "company"),
            members=members,
        )
        html = Path(folder) / "invite.html"
        html.write_text(TEMPLATE, encoding="utf-8")

        def template() -> Any:
            loaded = load_html(html, 1_000_000).template
            assert loaded is not None
            loaded.platform = Sourced("hubspot", "config")
            loaded.sent_to = (SentTo(audience, Sourced("registrants", "sidecar")),)
            return loaded

        def baseline() -> int:
            with members.open(encoding="utf-8", newline="") as handle:
                return sum(1 for _ in csv.reader(handle))

        rows: list[tuple[str, float, float, str]] = []
        seconds, peak, count = measure(baseline, arguments.repeat)
        rows.append(("baseline: csv.reader, every row", seconds, peak, f"{count - 1:,} rows"))
        for limit in (100_000, None):
            shown = f"{limit:,} rows" if limit else "no limit"
            options = {**catalogue.rules["LIST008"].option_defaults(), "max_rows": limit}
            seconds, peak, found = measure(
                lambda o=options: list(lists.suspicious_members(audience, o)), arguments.repeat
            )
            rows.append((f"LIST008, {shown}", seconds, peak, _findings(len(found))))
            options = {**catalogue.rules["MERGE009"].option_defaults(), "max_rows": limit}
            seconds, peak, found = measure(
                lambda o=options: list(merge.blank_for_recipients(template(), o)),
                arguments.repeat,
            )
            rows.append((f"MERGE009, {shown}", seconds, peak, _findings(len(found))))
        base = rows[0][1]
        print(f"members CSV: {arguments.rows:,} rows, {size:.1f} MiB\n")
        print("| step | median s | ratio to baseline | peak MiB (tracemalloc) | result |")
        print("|---|---:|---:|---:|---|")
        for name, seconds, peak, result in rows:
            print(f"| {name} | {seconds:.3f} | {seconds / base:.2f} | {peak:.1f} | {result} |")


if __name__ == "__main__":
    main()
