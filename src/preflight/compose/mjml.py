"""MJML, compiled in process by MRML (the Rust port of MJML, through its Python binding
`mrml`): fast (about 1 ms a template), faithful to mjml's output, and installable as a
wheel with no Node.js. Imported only when a run has .mjml inputs.

``<mj-include>`` is resolved from the including file's folder; the compiled email's
findings point back at the .mjml line (or an include's) where their value occurs once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
        retried = _with_css_inlined(mrml, path, text, max_bytes)
        if retried is not None:
            composed.html = retried.content
            composed.html_map = ValueMap(files)
            return composed
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


_INCLUDE_TAG = re.compile(r"<mj-include\b([^>]*?)/?>", re.IGNORECASE)


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf"""\b{name}\s*=\s*["']([^"']*)["']""", attributes, re.IGNORECASE)
    return match.group(1) if match is not None else None


def _css_inlined(text: str, folder: Path, max_bytes: int) -> str:
    """``text`` with each ``<mj-include type="css">`` replaced by an ``<mj-style>`` holding
    the stylesheet (``css-inline="inline"``: an inlined one), as mjml does."""

    def replaced(match: re.Match[str]) -> str:
        attributes = match.group(1)
        target = _attribute(attributes, "path")
        if (_attribute(attributes, "type") or "").lower() != "css" or not target:
            return match.group(0)
        try:
            css = decode(read_bytes(folder / target, max_bytes))[0]
        except (UnreadableInput, OSError, ValueError):
            return match.group(0)
        inline = (_attribute(attributes, "css-inline") or "").lower() == "inline"
        opening = '<mj-style inline="inline">' if inline else "<mj-style>"
        return f"{opening}{css}</mj-style>"

    return _INCLUDE_TAG.sub(replaced, text)


def _with_css_inlined(mrml: Any, path: Path, text: str, max_bytes: int) -> Any | None:
    """A second try for MJML that mjml compiles and MRML's file loader refuses: a stylesheet
    included (``type="css"``) from a partial that is itself included into ``<mj-head>``
    (Mattermost's partials/style.mjml). The includes are read here, their stylesheets put in
    as ``<mj-style>``, and handed to MRML from memory; None when that fails too."""
    memory: dict[str, str] = {}
    pending = [(path, text)]
    while pending and len(memory) < _MAX_INCLUDES:
        current, body = pending.pop()
        for match in _INCLUDE_TAG.finditer(body):
            written = _attribute(match.group(1), "path")
            if not written or (_attribute(match.group(1), "type") or "").lower() == "css":
                continue
            target = (current.parent / written).resolve()
            if target.suffix == "" and is_file(target.with_suffix(".mjml")):
                target = target.with_suffix(".mjml")
            if written in memory or not is_file(target):
                continue  # the first file a written path names is the one it names
            try:
                included = decode(read_bytes(target, max_bytes))[0]
            except UnreadableInput:
                continue
            memory[written] = _css_inlined(included, target.parent, max_bytes)
            pending.append((target, included))
    try:
        options = mrml.ParserOptions(include_loader=mrml.memory_loader(memory))
        return mrml.to_html(_css_inlined(text, path.parent, max_bytes), parser_options=options)
    except Exception:  # still refused: the first error is the one reported
        return None
