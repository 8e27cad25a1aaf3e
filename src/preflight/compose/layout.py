"""A layout a template's sidecar names (`layout: ../layouts/basic.html`), as Customer.io and
most platforms keep a layout apart from each message: the content goes where the layout
says — Customer.io's ``{{ content }}``, Postmark's ``{{{ @content }}}``, Panini's
``{{> body}}``, Maizzle's ``<yield />`` or Jinja/Twig's ``{% block content %}``."""

from __future__ import annotations

import re
from pathlib import Path

from preflight.compose import Builder, Composed
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Violation
from preflight.model.source import SourceText

# The slot, as two patterns that each start with one literal character: an alternation
# that starts with "{" or "<" makes the regex engine try every offset (10x slower on a
# whole template), one literal start lets it jump from "{" to "{".
_BRACE_SLOT = re.compile(
    r"\{(?:\{\s*content\s*\}\}|\{\{\s*@content\s*\}\}\}|\{>\s*body\s*\}\}"
    r"|%\s*block\s+content\s*%\}\s*\{%\s*endblock(?:\s+content)?\s*%\})",
    re.IGNORECASE,
)
_YIELD_SLOT = re.compile(r"<yield\s*/?>", re.IGNORECASE)


def content_slot(text: str) -> re.Match[str] | None:
    """The first place for the content in a layout: ``{{ content }}``, ``{{{ @content }}}``,
    ``{{> body}}``, ``<yield />`` or an empty ``{% block content %}{% endblock %}``."""
    brace = _BRACE_SLOT.search(text)
    return _YIELD_SLOT.search(text, 0, brace.start() if brace else len(text)) or brace


_LAYOUT_KEY = re.compile(r"^layout\s*:\s*[\"']?([^\"'#\n]+?)[\"']?\s*(?:#.*)?$", re.M)


def sidecar_layout(path: Path, text: str, max_bytes: int) -> Composed | None:
    """The template inside the layout its sidecar names; None when it names none."""
    sidecar = path.with_name(path.stem + ".meta.yaml")
    if not sidecar.is_file():
        return None
    try:
        meta = decode(read_bytes(sidecar, max_bytes))[0]
    except UnreadableInput:
        return None  # the sidecar's own check reports it
    match = _LAYOUT_KEY.search(meta)
    if match is None:
        return None
    layout = (sidecar.parent / match.group(1).strip()).resolve()
    composed = Composed(files={path: SourceText(text)})
    line = meta.count("\n", 0, match.start()) + 1
    where = Location(sidecar, None)
    try:
        layout_text = decode(read_bytes(layout, max_bytes))[0]
    except (UnreadableInput, OSError):
        composed.problems.append(
            (
                "PF003",
                Violation(
                    'the layout "{layout}" (line {line}) cannot be read',
                    where,
                    {"layout": match.group(1).strip(), "line": line},
                    help="give the layout's path relative to the sidecar",
                ),
            )
        )
        composed.html = text
        return composed
    composed.files[layout] = SourceText(layout_text)
    composed.parts.append((layout, "layout"))
    builder = Builder()
    slot = content_slot(layout_text)
    if slot is None:
        composed.problems.append(
            (
                "PF003",
                Violation(
                    'the layout "{layout}" has no place for the content ({{{{ content }}}},'
                    " {{{{{{ @content }}}}}}, <yield />)",
                    Location(layout),
                    {"layout": match.group(1).strip()},
                ),
            )
        )
        builder.copy(path, text, 0, len(text))
    else:
        builder.copy(layout, layout_text, 0, slot.start())
        builder.copy(path, text, 0, len(text))
        builder.copy(layout, layout_text, slot.end(), len(layout_text))
    composed.html = builder.text()
    composed.html_map = builder.locator(composed.files)
    return composed
