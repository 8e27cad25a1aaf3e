"""MJML, compiled in process by MRML (the Rust port of MJML, through its Python binding
`mrml`): fast (about 1 ms a template), faithful to mjml's output, and installable as a
wheel with no Node.js. Imported only when a run has .mjml inputs.

``<mj-include>`` is resolved from the including file's folder; the compiled email's
findings point back at the .mjml line (or an include's) where their value occurs once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.compose import Composed
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model import Location, Violation
from preflight.model.source import SourceText, ValueMap

_INCLUDE = re.compile(r"<mj-include\b([^>]*?)/?>", re.IGNORECASE)
_MAX_INCLUDES = 200


@dataclass(frozen=True)
class _Included:
    written: str
    """The path as the including file writes it."""
    path: Path
    text: str
    css: bool
    """A stylesheet (``type="css"``), not MJML."""
    inline: bool = False
    """``css-inline="inline"``."""


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf"""\b{name}\s*=\s*["']([^"']*)["']""", attributes, re.IGNORECASE)
    return match.group(1) if match is not None else None


def _walk(path: Path, text: str, max_bytes: int) -> dict[Path, _Included]:
    """Every file an MJML document includes, recursively (relative to the including file),
    each read once."""
    found: dict[Path, _Included] = {}
    pending = [(path, text)]
    while pending and len(found) < _MAX_INCLUDES:
        current, body = pending.pop()
        for match in _INCLUDE.finditer(body):
            written = _attribute(match.group(1), "path")
            if not written:
                continue
            target = (current.parent / written).resolve()
            if target.suffix == "" and is_file(target.with_suffix(".mjml")):
                target = target.with_suffix(".mjml")
            if target in found or not is_file(target):
                continue
            try:
                included = decode(read_bytes(target, max_bytes))[0]
            except UnreadableInput:
                continue
            css = (_attribute(match.group(1), "type") or "").lower() == "css"
            inline = (_attribute(match.group(1), "css-inline") or "").lower() == "inline"
            found[target] = _Included(written, target, included, css, inline)
            if not css:
                pending.append((target, included))
    return found


def includes(path: Path, text: str, max_bytes: int) -> dict[Path, SourceText]:
    """Every file an MJML document includes, recursively, as sources."""
    return {target: SourceText(i.text) for target, i in _walk(path, text, max_bytes).items()}


def compile_mjml(path: Path, text: str, max_bytes: int) -> Composed:
    """The email an .mjml document compiles to, with a map back to the .mjml (and its
    includes) by value."""
    import mrml

    walked = _walk(path, text, max_bytes)
    files = {path: SourceText(text), **{t: SourceText(i.text) for t, i in walked.items()}}
    composed = Composed(built_from=path, files=files)
    composed.parts = [(included, "partial") for included in files if included != path]
    try:
        loader = mrml.local_loader(str(path.parent.resolve()))
        output = mrml.to_html(text, parser_options=mrml.ParserOptions(include_loader=loader))
    except Exception as error:  # MRML raises its own exception types for bad MJML
        retried = _with_css_inlined(mrml, path, text, walked)
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


def _css_inlined(text: str, folder: Path, walked: dict[Path, _Included]) -> str:
    """``text`` with each ``<mj-include type="css">`` replaced by an ``<mj-style>`` holding
    the stylesheet (``css-inline="inline"``: an inlined one), as mjml does."""

    def replaced(match: re.Match[str]) -> str:
        written = _attribute(match.group(1), "path")
        included = walked.get((folder / written).resolve()) if written else None
        if included is None or not included.css:
            return match.group(0)
        opening = '<mj-style inline="inline">' if included.inline else "<mj-style>"
        return f"{opening}{included.text}</mj-style>"

    return _INCLUDE.sub(replaced, text)


_MJ_TAG = re.compile(r"<mj-[\w-]+\b[^<>]*>", re.IGNORECASE)
_UNQUOTED = re.compile(r"""(\s[\w:-]+)=([^\s"'<>=`/]+)(?=[\s/>])""")


def _quoted(text: str) -> str:
    """``text`` with the unquoted attribute values of its MJML tags quoted
    (``font-weight=400``): mjml's HTML parser takes them, MRML's refuses them."""
    return _MJ_TAG.sub(lambda tag: _UNQUOTED.sub(r'\1="\2"', tag.group(0)), text)


def _with_css_inlined(
    mrml: Any, path: Path, text: str, walked: dict[Path, _Included]
) -> Any | None:
    """A second try for MJML that mjml compiles and MRML refuses: a stylesheet included
    (``type="css"``) from a partial that is itself included into ``<mj-head>`` (Mattermost's
    partials/style.mjml), an unquoted attribute value. The includes already read are handed
    to MRML from memory, their stylesheets put in as ``<mj-style>`` and their attribute
    values quoted; None when that fails too."""
    memory: dict[str, str] = {}
    for included in walked.values():
        if not included.css:  # the first file a written path names is the one it names
            text_in = _quoted(_css_inlined(included.text, included.path.parent, walked))
            memory.setdefault(included.written, text_in)
    try:
        options = mrml.ParserOptions(include_loader=mrml.memory_loader(memory))
        source = _quoted(_css_inlined(text, path.parent, walked))
        return mrml.to_html(source, parser_options=options)
    except Exception:  # still refused: the first error is the one reported
        return None
