"""Postmark templates as postmark-cli keeps them: templates/<alias>/{content.html,
content.txt, meta.json} and layouts/<alias>/{…}. A template whose meta.json names a
``LayoutTemplate`` is sent inside that layout, at its ``{{{ @content }}}``; meta.json
gives the subject and says the platform is Postmark."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from preflight.compose import Builder, Composed, read_part
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model import Location, Part, Sourced, Span, Violation
from preflight.model.source import SourceText

CONTENT = re.compile(r"\{\{\{\s*@content\s*\}\}\}")
META = "meta.json"


def postmark_meta(path: Path, max_bytes: int) -> tuple[dict[str, Any], SourceText] | None:
    """The meta.json beside a Postmark content file, if it is one (a mapping with Postmark's
    keys); None otherwise."""
    meta = path.with_name(META)
    if path.name.lower() not in ("content.html", "content.txt") or not meta.is_file():
        return None
    try:
        text, _ = decode(read_bytes(meta, max_bytes))
        data = json.loads(text)
    except (UnreadableInput, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not ({"TemplateType", "Alias", "LayoutTemplate"} & set(data)):
        return None
    return data, SourceText(text)


CLI_LAYOUT = "Postmark's CLI folder layout (content.html beside content.txt)"


def in_cli_layout(path: Path) -> bool:
    """True when ``path`` is a content.html or content.txt with its other part beside it,
    as `postmark templates pull` writes a template (its meta.json may be missing)."""
    name = path.name.lower()
    if name not in ("content.html", "content.txt"):
        return False
    other = "content.txt" if name == "content.html" else "content.html"
    return is_file(path.with_name(other))


def _key_span(text: str, key: str) -> Span | None:
    match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return Span.point(line, column, len(key) + 2)


def compose_postmark(path: Path, html: str, max_bytes: int) -> Composed | None:
    """A Postmark content template with its layout and meta.json; None when ``path`` is not
    one (no meta.json beside it)."""
    found = postmark_meta(path, max_bytes)
    if found is None:
        return None
    data, meta_source = found
    meta = path.with_name(META)
    composed = Composed(files={meta: meta_source, path: SourceText(html)})
    composed.values["platform"] = Sourced("postmark", "format", Location(meta))
    subject = data.get("Subject")
    if isinstance(subject, str):
        where = Location(meta, _key_span(meta_source.text, "Subject"), Part.SUBJECT, "/Subject")
        composed.values["subject"] = Sourced(subject, "format", where)
    if data.get("TemplateType") == "Layout":
        return composed  # a layout of its own: discovery does not check it as an email
    alias = data.get("LayoutTemplate")
    text_path = path.with_suffix(".txt")
    text = read_part(text_path, max_bytes)
    if not isinstance(alias, str) or not alias:
        return composed
    layout_folder = _layouts(path) / alias
    layout_html = read_part(layout_folder / "content.html", max_bytes)
    if layout_html is None:
        where = Location(
            meta, _key_span(meta_source.text, "LayoutTemplate"), None, "/LayoutTemplate"
        )
        composed.problems.append(
            (
                "PF003",
                Violation(
                    'layout "{layout}" is not in {folder}',
                    where,
                    {"layout": alias, "folder": str(layout_folder.parent)},
                    help="export the layout with the template (postmark templates pull)",
                ),
            )
        )
        return composed
    layout_path = layout_folder / "content.html"
    composed.parts.append((layout_path, "layout"))
    composed.files[layout_path] = SourceText(layout_html)
    composed.html, composed.html_map = _inside(layout_path, layout_html, path, html, composed)
    layout_text = read_part(layout_folder / "content.txt", max_bytes)
    if text is not None and layout_text is not None:
        layout_text_path = layout_folder / "content.txt"
        composed.files[layout_text_path] = SourceText(layout_text)
        composed.files[text_path] = SourceText(text)
        composed.text, composed.text_map = _inside(
            layout_text_path, layout_text, text_path, text, composed
        )
    return composed


def _inside(
    layout_path: Path, layout: str, content_path: Path, content: str, composed: Composed
) -> tuple[str, Any]:
    builder = Builder()
    match = CONTENT.search(layout)
    if match is None:  # a layout without a content tag: Postmark appends nothing; nor do we
        builder.copy(layout_path, layout, 0, len(layout))
    else:
        builder.copy(layout_path, layout, 0, match.start())
        builder.copy(content_path, content, 0, len(content))
        builder.copy(layout_path, layout, match.end(), len(layout))
    return builder.text(), builder.locator(composed.files)


def _layouts(path: Path) -> Path:
    """postmark-cli's layouts folder: beside the templates folder that holds the template."""
    template_folder = path.parent
    return template_folder.parent.parent / "layouts"
