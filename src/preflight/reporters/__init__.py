"""Reporters: pure functions from a Report to text, produced in chunks.

Each reporter yields its output piece by piece, so a report with tens of
thousands of findings is written as it is produced instead of being built
as one string first (which doubled peak memory in bench/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.model.report import Report

FORMATS = ("text", "json", "sarif", "github", "junit", "html")


def chunks(
    report: Report, fmt: str, *, color: bool = False, quiet: bool = False, verbose: bool = False
) -> Iterator[str]:
    return map(_valid_utf8, _chunks(report, fmt, color=color, quiet=quiet, verbose=verbose))


def _valid_utf8(piece: str) -> str:
    """Lone surrogates (from undecodable file names) become U+FFFD instead of a crash."""
    try:
        piece.encode("utf-8")
    except UnicodeEncodeError:
        return piece.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return piece


def _chunks(report: Report, fmt: str, *, color: bool, quiet: bool, verbose: bool) -> Iterator[str]:
    producer: Callable[[Report], Iterator[str]]
    if fmt == "json":
        from preflight.reporters.json import chunks as producer
    elif fmt == "sarif":
        from preflight.reporters.sarif import chunks as producer
    elif fmt == "github":
        from preflight.reporters.github import chunks as producer
    elif fmt == "junit":
        from preflight.reporters.junit import chunks as producer
    elif fmt == "html":
        from preflight.reporters.html import chunks as producer
    else:
        from preflight.reporters.text import chunks as text_chunks

        return text_chunks(report, color=color, quiet=quiet, verbose=verbose)
    return producer(report)


def detected(report: Report, everything: bool = True) -> Iterator[tuple[str, str]]:
    """(path, what was assumed) for every file whose platform came from detection; unless
    ``everything``, only those where it matters: ambiguous, or below dialects.CONFIDENT."""
    from preflight.dialects import CONFIDENT
    from preflight.model import display_path

    for info in report.files:
        if info.platform_source != "detected":
            continue
        sure = info.platform is not None and (info.confidence or 0) >= CONFIDENT
        if sure and not everything:
            continue
        if info.platform is not None:
            said = f"{info.platform} (detected, confidence {info.confidence:.2f})"
        elif info.candidates:
            said = "ambiguous: " + " or ".join(info.candidates) + " (none assumed)"
        else:
            continue
        yield display_path(info.path), said


def render(
    report: Report, fmt: str, *, color: bool = False, quiet: bool = False, verbose: bool = False
) -> str:
    return "".join(chunks(report, fmt, color=color, quiet=quiet, verbose=verbose))


def write(
    stream: IO[str], report: Report, fmt: str, *, color: bool = False, quiet: bool = False
) -> None:
    for piece in chunks(report, fmt, color=color, quiet=quiet):
        stream.write(piece)
