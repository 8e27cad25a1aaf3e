"""MJML, compiled in process by MRML (the Rust port of MJML, through its Python binding
`mrml`): fast (about 1 ms a template), faithful to mjml's output, and installable as a
wheel with no Node.js. Imported only when a run has .mjml inputs.

``<mj-include>`` is resolved from the including file's folder; the compiled email's
findings point back at the .mjml line (or an include's) where their value occurs once.
"""

from __future__ import annotations

import re
from pathlib import Path

from preflight.compose import Composed
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model import Location, Violation
from preflight.model.source import SourceText, ValueMap

_INCLUDE = re.compile(r"""<mj-include\b[^>]*?\bpath\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_MAX_INCLUDES = 200


def includes(path: Path, text: str, max_bytes: int) -> dict[Path, SourceText]:
    """Every file an MJML document includes, recursively (relative to the including file)."""
    found: dict[Path, SourceText] = {}
    pending = [(path, text)]
    while pending and len(found) < _MAX_INCLUDES:
        current, body = pending.pop()
        for match in _INCLUDE.finditer(body):
            target = (current.parent / match.group(1)).resolve()
            if target.suffix == "" and is_file(target.with_suffix(".mjml")):
                target = target.with_suffix(".mjml")
            if target in found or not is_file(target):
                continue
            try:
                included = decode(read_bytes(target, max_bytes))[0]
            except UnreadableInput:
                continue
            found[target] = SourceText(included)
            pending.append((target, included))
    return found


def compile_mjml(path: Path, text: str, max_bytes: int) -> Composed:
    """The email an .mjml document compiles to, with a map back to the .mjml (and its
    includes) by value."""
    import mrml

    files = {path: SourceText(text), **includes(path, text, max_bytes)}
    composed = Composed(built_from=path, files=files)
    composed.parts = [(included, "partial") for included in files if included != path]
    try:
        loader = mrml.local_loader(str(path.parent.resolve()))
        output = mrml.to_html(text, parser_options=mrml.ParserOptions(include_loader=loader))
    except Exception as error:  # MRML raises its own exception types for bad MJML
        composed.problems.append(
            (
                "PF001",
                Violation(
                    "MJML that does not compile: {error}",
                    Location(path),
                    {"error": str(error).strip()[:300], "reason": "uncompilable"},
                    help="fix it so that `mjml` compiles it; preflight checks the compiled email",
                ),
            )
        )
        return composed
    composed.html = output.content
    composed.html_map = ValueMap(files)
    return composed


def paired_output(output: Path, html: str, source: Path, max_bytes: int) -> Composed:
    """A compiled output checked as the email, mapped back to its source by value."""
    try:
        text = decode(read_bytes(source, max_bytes))[0]
    except UnreadableInput:
        return Composed(built_from=source)
    files = {source: SourceText(text)}
    if source.suffix.lower() == ".mjml":
        files.update(includes(source, text, max_bytes))
    composed = Composed(built_from=source, files=files, html=html)
    composed.html_map = ValueMap(files, keeps_unmapped=True)
    return composed
