"""Composition: an email as it is sent, from the files it is built from.

A shared library the engine's load step calls for every template-like input. Each
composer reads what its format says the email is made of — a Postmark layout named in
meta.json, Handlebars partials and a Panini layout, an MJML document and its includes, a
layout a sidecar names — and returns the email's text with a locator that maps every
position back to the file it came from. Build-time syntax that cannot be run in Python
(Maizzle, Inky, Twig, EJS) is masked, never read as merge tags, and said once (PF005).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from preflight.config import Config
from preflight.model import Sourced, Violation
from preflight.model.source import Locator, Piece, SourceMap, SourceText

MAX_DEPTH = 12
"""How deep partials may include partials (a cycle is cut there, with a finding)."""


def read_part(path: Path, max_bytes: int) -> str | None:
    """The text of a file an email is composed from (a layout, an extracted view, a send
    definition); None when it is not there or cannot be read (what reads it says so)."""
    from preflight.formats.decode import UnreadableInput, decode, read_bytes
    from preflight.fsutil import is_file

    if not is_file(path):
        return None
    try:
        return decode(read_bytes(path, max_bytes))[0]
    except UnreadableInput:
        return None


@dataclass
class Composed:
    """What composing one email found."""

    html: str | None = None
    html_map: Locator | None = None
    text: str | None = None
    text_map: Locator | None = None
    built_from: Path | None = None
    parts: list[tuple[Path, str]] = field(default_factory=list)
    """Layouts and partials read: (path, "layout" | "partial")."""
    values: dict[str, Sourced] = field(default_factory=dict)
    """Metadata the format carries: subject, preheader, platform, category (origin "format")."""
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    files: dict[Path, SourceText] = field(default_factory=dict)
    """Every file read, for source lines and the results cache."""
    text_path: Path | None = None
    """The file the text part is in, when it is not the email's ``<stem>.txt``."""
    role: str | None = None
    """"layout" or "partial" when the input is a part of emails (a platform's template or
    content block, recognised by its content), not an email."""


class Builder:
    """A composed text, built from runs of files' texts and literal text."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.pieces: list[Piece] = []
        self.length = 0

    def copy(self, path: Path, text: str, start: int, end: int) -> None:
        if end <= start:
            return
        self.pieces.append(Piece(self.length, self.length + end - start, path, start))
        self.chunks.append(text[start:end])
        self.length += end - start

    def literal(self, text: str) -> None:
        self.chunks.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.chunks)

    def locator(self, files: dict[Path, SourceText]) -> SourceMap:
        return SourceMap(list(self.pieces), files)


def build_language(path: Path, config: Config, text: str | None = None) -> str | None:
    """The build language a `build:` entry declares for ``path``, else what its name says
    (.twig, .ejs), else what its syntax shows (``text``: EJS tags in an .html file), else
    None."""
    if config.build:
        relative = config.relative(path)
        for rule in config.build:
            if rule.matches(relative):
                return rule.language
    name = path.name.lower()
    if name.endswith(".twig"):
        return "twig"
    if name.endswith(".ejs"):
        return "ejs"
    if text is not None and name.endswith((".html", ".htm")):
        from preflight.compose.build import written_in

        return written_in(text)
    return None


def compose(
    path: Path, kind: str, text: str, config: Config, built_from: Path | None = None
) -> Composed | None:
    """The email ``path`` is, composed or compiled; None when it is the file as written."""
    from preflight import sfmcnames
    from preflight.compose import build

    max_bytes = config.max_file_size
    if built_from is not None:
        from preflight.compose.mjml import paired_output

        return paired_output(path, text, built_from, max_bytes)
    if kind == "mjml":
        from preflight.compose.mjml import compile_mjml

        compiled = compile_mjml(path, text, max_bytes)
        language = build_language(path, config)
        if language is None and compiled.html is not None:
            language = build.written_in(compiled.html)  # MJML around Go templates (Mattermost)
        if language in build.MASKED:
            return build.masked_composed(path, compiled, language)
        return compiled
    if sfmcnames.is_message_html(path.name):
        from preflight.compose.sfmc import compose_message_html

        message = compose_message_html(path, text, max_bytes)
        if message is not None:
            return message
    if path.name.lower() == "content.html":
        from preflight.compose.postmark import compose_postmark

        postmark = compose_postmark(path, text, max_bytes)
        if postmark is not None:
            return postmark
    from preflight.compose.layout import sidecar_layout

    laid_out = sidecar_layout(path, text, max_bytes)
    if laid_out is not None:
        return laid_out
    language = build_language(path, config, text)
    if kind in ("html", "twig") and language in (None, "twig", "jinja"):
        from preflight.compose.extends import compose_extends

        extended = compose_extends(path, text, config)
        if extended is not None:
            return build.masked_composed(path, extended, language) if language else extended
    if language == "ejs":
        return build.compose_ejs(path, text, max_bytes)
    if language == "magento":
        from preflight.compose.magento import compose_magento

        return compose_magento(path, text, max_bytes)
    if language in build.MASKED:
        return build.masked(path, text, language)
    panini = build.panini_layouts(path) is not None
    if kind == "hbs" or language == "handlebars" or panini or "{{>" in text:
        return build.compose_handlebars(path, text, max_bytes, panini)
    if language == "inky" or (build.FRONT_MATTER.match(text) and build.is_inky(text)):
        return build.masked(path, text, "inky")
    return None


def compose_json(path: Path, text: str, data: object, config: Config) -> Composed | None:
    """A platform's template JSON composed as it is sent (an SFMC Content Builder asset, a
    Mailchimp campaign's content, a Postmark template in a layout), or marked as a part of
    emails (``role``); None for any other JSON (read by formats/esp_json.py or the
    workflow importers)."""
    if not isinstance(data, dict):
        return None
    max_bytes = config.max_file_size
    if "assetType" in data:
        from preflight.compose import sfmc

        kind = sfmc.asset_type(data)
        role = sfmc.role(kind) if kind is not None else None
        if role in ("layout", "partial"):
            return Composed(role=role)
        if role == "email":
            return sfmc.compose_asset(path, text, data, max_bytes)
        return None
    from preflight.compose import exports

    return exports.compose_export(path, text, data, max_bytes)
