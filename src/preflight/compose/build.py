"""Build-time languages: Handlebars partials and Panini layouts are composed; the syntax
of languages preflight cannot run (Twig, Jinja, Mako, Maizzle, Inky) is masked so that no
rule reads it as a merge tag or a URL, and the email is checked as written (PF005 says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from preflight.compose import MAX_DEPTH, Builder, Composed
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model import Location, Part, Sourced, Violation
from preflight.model.source import BUILD_MARK, Piece, SourceMap, SourceText

FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HANDLEBARS = re.compile(r"\{\{\{\{/?raw\}\}\}\}|\{\{!--.*?--\}\}|\{\{\{?.*?\}\}\}?", re.S)
_PARTIAL = re.compile(r"\{\{>\s*([\w./-]+)[^}]*\}\}")
_RAW = re.compile(r"\{\{\{\{raw\}\}\}\}(.*?)\{\{\{\{/raw\}\}\}\}", re.S)
_TWIG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_MAKO = re.compile(r"\$\{.*?\}|<%.*?%>|^[ \t]*%[^\n]*$|<%doc>.*?</%doc>", re.S | re.M)
_MAIZZLE = re.compile(r"(?<!@)\{\{.*?\}\}|</?x-[\w.-]+[^>]*>", re.S)
# EJS: <% code %>, <%= escaped %>, <%- raw %>, <%# comment %>, with -%> and _%> trims; <%%
# is a literal "<%". SendGrid's <%asm_…%> unsubscribe tags are the platform's, never EJS
# (EJS would run them as JavaScript).
_EJS = re.compile(r"<%(?!%)[\s\S]*?%>")
"""What EJS masks (read with ejs_spans, which scans once: no rescan from every opener)."""
_EJS_INCLUDE = re.compile(
    r"<%[-=]\s{0,20}include\(\s{0,20}(['\"])(?P<name>[^'\"\n]{1,300})\1[^%]{0,300}?\)\s{0,20};?\s{0,20}[-_]?%>"
    r"|<%[-_]?\s*include\s+(?P<bare>[\w./-]{1,300})\s*[-_]?%>"
)
_SENDGRID_ASM = re.compile(r"<%\s*asm_")
# Magento's email template directives ({{trans "…"}}, {{var …}}, {{if}}…{{/if}},
# {{template config_path="…"}}), and what only Magento writes: the <!--@subject @-->
# header, {{template config_path=}}, {{trans "…"}}, {{var x}}.
# (two patterns, each with a literal start the regex engine can jump to: one alternation
# starting with "<" or "{" tries every offset of the file)
_MAGENTO_HEADER = re.compile(r"<!--@(?:subject|vars)\s")
_MAGENTO_DIRECTIVE = re.compile(r"\{\{(?:template\s+config_path=|trans\s+[\"']|var\s+[$\w])")
_MAGENTO_TRANS = re.compile(r"trans\s{1,20}([\"'])")
# Go's text/template and html/template: what only Go writes is a field of the dot
# ({{ .Name }}, {{- .Props.Title -}}) and a named template ({{ define "x" }}, {{ template
# "x" . }}, {{ block "x" . }}).
_GO_SIGNS = re.compile(r'\{\{-?[ \t]{0,20}(?:\.[A-Za-z_]|(?:define|template|block)[ \t]{1,20}")')
_GO_NAMED = re.compile(r'\{\{-?[ \t]{0,20}(?:define|block)[ \t]{1,20}"[^"\n]{1,200}"[^}]{0,50}\}\}')
_INKY = re.compile(r"<(?:container|row|columns|spacer|wrapper|callout|menu|button)\b", re.I)
LANGUAGES = {"twig": _TWIG, "jinja": _TWIG, "mako": _MAKO, "maizzle": _MAIZZLE, "ejs": _EJS}
"""How each masked language's syntax is found (EJS is composed by compose_ejs)."""
MASKED = frozenset({*LANGUAGES, "magento", "go"})
"""Languages masked as written (found by language_spans)."""
LABELS = {
    "twig": "Twig",
    "jinja": "Jinja",
    "mako": "Mako",
    "ejs": "EJS",
    "magento": "Magento's template directives",
    "go": "Go templates",
    "maizzle": "Maizzle",
    "handlebars": "Handlebars",
    "inky": "Inky",
    "panini": "Panini (Handlebars)",
}


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span's characters (not its line ends) turned into BUILD_MARK."""
    chars = list(text)
    for start, end in spans:
        for index in range(start, end):
            if chars[index] not in "\r\n":
                chars[index] = BUILD_MARK
    return "".join(chars)


def front_matter(text: str) -> tuple[dict[str, Any], int]:
    """The YAML front matter of a page (Panini, Maizzle, Jekyll), and where the page starts."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, 0
    from preflight.yamlio import YamlError, load_yaml

    try:
        data = load_yaml(match.group(1)).data
    except YamlError:
        data = None
    return (data if isinstance(data, dict) else {}), match.end()


def not_compiled(path: Path, language: str) -> tuple[str, Violation]:
    label = LABELS.get(language, language)
    return (
        "PF005",
        Violation(
            "this email is written in {language}, a build language preflight does not run: its"
            " syntax is masked and the email is checked as written",
            Location(path),
            {"language": label, "reason": "not-compiled"},
            help="check the built email instead (the build's output folder), or pair them in"
            " `build:`",
        ),
    )


def masked(path: Path, text: str, language: str) -> Composed:
    """A source in a language preflight cannot run, masked and checked as written."""
    matter, start = front_matter(text)
    spans = [(0, start)] if start else []
    spans += language_spans(text, language, start)
    composed = Composed(html=mask(text, spans), files={path: SourceText(text)})
    # one piece, the whole file: findings keep their place and show the line as written
    composed.html_map = SourceMap([Piece(0, len(text), path, 0)], composed.files)
    composed.problems.append(not_compiled(path, language))
    _matter_values(composed, path, matter, text)
    return composed


def masked_composed(path: Path, composed: Composed, language: str) -> Composed:
    """A composed email (a template laid into the one it extends) whose build syntax is
    masked, said once."""
    if composed.html is not None:
        composed.html = mask(composed.html, language_spans(composed.html, language))
    composed.problems.append(not_compiled(path, language))
    return composed


def compose_ejs(path: Path, text: str, max_bytes: int) -> Composed:
    """An EJS email with its includes (``<%- include('partials/footer') %>``, EJS's names
    relative to the including file, ``.ejs`` added when the name has no extension), its EJS
    syntax masked and said once."""
    composed = Composed(files={path: SourceText(text)})
    builder = Builder()
    _ejs_include(builder, path, text, composed, 0, max_bytes)
    composed.html = mask(builder.text(), ejs_spans(builder.text()))
    composed.html_map = builder.locator(composed.files)
    composed.problems.append(not_compiled(path, "ejs"))
    return composed


def _ejs_include(
    builder: Builder, path: Path, text: str, composed: Composed, depth: int, max_bytes: int
) -> None:
    position = 0
    for match in _EJS_INCLUDE.finditer(text):
        name = match.group("name") or match.group("bare")
        target = _ejs_file(path, name)
        if target is None or depth >= MAX_DEPTH or target == path:
            continue  # left as written, and masked
        builder.copy(path, text, position, match.start())
        included = _read(target, max_bytes, composed)
        if (target, "partial") not in composed.parts:
            composed.parts.append((target, "partial"))
        _ejs_include(builder, target, included, composed, depth + 1, max_bytes)
        position = match.end()
    builder.copy(path, text, position, len(text))


def _ejs_file(path: Path, name: str) -> Path | None:
    if name.startswith("/") or "\\" in name:
        return None  # a name from the application's `views` roots: not ours to guess
    candidate = path.parent / name
    for found in (candidate, candidate.with_name(candidate.name + ".ejs")):
        if is_file(found):
            return found
    return None


def ejs_spans(text: str) -> list[tuple[int, int]]:
    """Each EJS tag, ``<%`` to the next ``%>`` (``<%%`` is a literal), in one pass."""
    spans = []
    start = text.find("<%")
    while start != -1:
        if text.startswith("<%%", start):
            start = text.find("<%", start + 3)
            continue
        end = text.find("%>", start + 2)
        if end == -1:
            break
        spans.append((start, end + 2))
        start = text.find("<%", end + 2)
    return spans


def _actions(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``{{`` … next ``}}``, in one pass (a rescan from every opener
    would be quadratic on hostile text)."""
    start = text.find("{{")
    while start != -1:
        end = text.find("}}", start + 2)
        if end == -1:
            return
        yield start, end + 2
        start = text.find("{{", end + 2)


def magento_spans(text: str) -> list[tuple[int, int]]:
    """Each Magento directive, ``{{`` to the next ``}}``; of a ``{{trans "…"}}`` only the
    syntax: its text is what the email shows. A ``%name`` in that text, which the
    directive's arguments fill in, stays: the rules read it as the placeholder it is
    (LINK008 leaves ``href="%reset_url"`` alone; the category reads its name)."""
    spans = []
    for start, end in _actions(text):
        kept = _trans_text(text, start + 2, end - 2)
        if kept is None:
            spans.append((start, end))
        else:
            spans.append((start, kept[0]))
            spans.append((kept[1], end))
    return spans


def go_spans(text: str) -> list[tuple[int, int]]:
    """Each Go action, ``{{`` to the next ``}}``; but a template's name (``{{ define
    "header" }}``, ``{{ block "content" . }}``) stays: it tells a file of named templates,
    which others call, from an email (CONTENT001/002 read it)."""
    return [(start, end) for start, end in _actions(text) if not _GO_NAMED.match(text, start, end)]


def language_spans(text: str, language: str, start: int = 0) -> list[tuple[int, int]]:
    """Where a masked language's syntax is in ``text`` (from ``start``)."""
    if language in ("magento", "go"):
        spans = magento_spans(text) if language == "magento" else go_spans(text)
        return [span for span in spans if span[0] >= start]
    pattern = LANGUAGES.get(language)
    return [m.span() for m in pattern.finditer(text, start)] if pattern is not None else []


def _trans_text(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the quoted text of a ``{{trans "…" …}}`` between start and end is."""
    match = _MAGENTO_TRANS.match(text, start, end)
    if match is None:
        return None
    quote = match.group(1)
    position = match.end()
    while True:
        close = text.find(quote, position, end)
        if close == -1:
            return None
        if text[close - 1] != "\\":
            return match.end(), close
        position = close + 1


def written_in(text: str) -> str | None:
    """The build language an HTML file's own syntax shows, where no other language writes
    so: Magento's directives (``<!--@subject @-->``, ``{{trans "…"}}``, ``{{var x}}``,
    ``{{template config_path=…}}``), Go's actions (``{{ .Name }}``, ``{{ define "x" }}``,
    ``{{ template "x" . }}``), EJS output tags (``<%= x %>``, ``<%- x %>``) in a file
    without SendGrid's ``<%asm_…%>`` tags. None when it shows none."""
    if ("<!--@" in text and _MAGENTO_HEADER.search(text)) or (
        "{{" in text and _MAGENTO_DIRECTIVE.search(text)
    ):
        return "magento"
    if "{{" in text and _GO_SIGNS.search(text):
        return "go"
    if "<%" not in text or _SENDGRID_ASM.search(text):
        return None
    if any(text[start + 2 : start + 3] in ("=", "-") for start, _ in ejs_spans(text)):
        return "ejs"
    return None


def is_inky(text: str) -> bool:
    return _INKY.search(text) is not None


def panini_layouts(path: Path) -> Path | None:
    """A Panini page lives in pages/ beside layouts/ (Foundation for Emails, Customer.io
    starters): the folder that holds the layouts."""
    if path.parent.name.lower() != "pages":
        return None
    folder = path.parent.parent / "layouts"
    return folder if folder.is_dir() else None


def compose_handlebars(path: Path, text: str, max_bytes: int, panini: bool) -> Composed:
    """A Handlebars page with its partials (and, for Panini, its layout): build-time
    Handlebars is masked; what a ``{{{{raw}}}}`` block holds is kept (platform tags)."""
    composed = Composed(files={path: SourceText(text)})
    matter, body_start = front_matter(text)
    _matter_values(composed, path, matter, text)
    builder = Builder()
    partials = _partial_folders(path)
    if panini:
        layouts = panini_layouts(path)
        name = str(matter.get("layout") or "default")
        layout = _find(layouts, name) if layouts is not None else None
        if layout is None:
            composed.problems.append(
                (
                    "PF003",
                    Violation(
                        'layout "{layout}" is not in {folder}',
                        Location(path),
                        {"layout": name, "folder": str(layouts)},
                    ),
                )
            )
            _include(builder, path, text, body_start, len(text), partials, composed, 0, max_bytes)
        else:
            layout_text = _read(layout, max_bytes, composed)
            composed.parts.append((layout, "layout"))
            body = re.search(r"\{\{>\s*body\s*\}\}", layout_text)
            if body is None:
                _include(
                    builder,
                    layout,
                    layout_text,
                    0,
                    len(layout_text),
                    partials,
                    composed,
                    0,
                    max_bytes,
                )
            else:
                _include(
                    builder, layout, layout_text, 0, body.start(), partials, composed, 0, max_bytes
                )
                _include(
                    builder, path, text, body_start, len(text), partials, composed, 0, max_bytes
                )
                _include(
                    builder,
                    layout,
                    layout_text,
                    body.end(),
                    len(layout_text),
                    partials,
                    composed,
                    0,
                    max_bytes,
                )
    else:
        _include(builder, path, text, body_start, len(text), partials, composed, 0, max_bytes)
    raw = builder.text()
    keep = [m.span(1) for m in _RAW.finditer(raw)]
    spans = [m.span() for m in _HANDLEBARS.finditer(raw) if not _inside(m.span(), keep)]
    composed.html = mask(raw, spans)
    composed.html_map = builder.locator(composed.files)
    if panini and is_inky(raw):
        composed.problems.append(not_compiled(path, "inky"))
    return composed


def _inside(span: tuple[int, int], keep: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in keep)


def _include(
    builder: Builder,
    path: Path,
    text: str,
    start: int,
    end: int,
    folders: list[Path],
    composed: Composed,
    depth: int,
    max_bytes: int,
) -> None:
    """Copy text[start:end], with each {{> partial}} replaced by the partial's text."""
    position = start
    for match in _PARTIAL.finditer(text, start, end):
        name = match.group(1)
        if name == "body":
            continue
        partial = next((p for f in folders if (p := _find(f, name)) is not None), None)
        if partial is None or depth >= MAX_DEPTH:
            continue  # left as written, and masked: an unresolved build tag, not a merge tag
        builder.copy(path, text, position, match.start())
        partial_text = _read(partial, max_bytes, composed)
        composed.parts.append((partial, "partial"))
        _include(
            builder,
            partial,
            partial_text,
            0,
            len(partial_text),
            folders,
            composed,
            depth + 1,
            max_bytes,
        )
        position = match.end()
    builder.copy(path, text, position, end)


def _partial_folders(path: Path) -> list[Path]:
    """partials/ folders beside the page's folder and above it, nearest first."""
    found = []
    for folder in (path.parent, *path.parents)[:4]:
        for name in ("partials", "components", "includes"):
            candidate = folder / name
            if candidate.is_dir():
                found.append(candidate)
    return found


def _find(folder: Path | None, name: str) -> Path | None:
    if folder is None:
        return None
    for suffix in ("", ".html", ".hbs", ".handlebars"):
        candidate = folder / (name + suffix)
        if is_file(candidate):
            return candidate
    return None


def _read(path: Path, max_bytes: int, composed: Composed) -> str:
    if path in composed.files:
        return composed.files[path].text
    try:
        text = decode(read_bytes(path, max_bytes))[0]
    except UnreadableInput:
        text = ""
    composed.files[path] = SourceText(text)
    return text


def _matter_values(composed: Composed, path: Path, matter: dict[str, Any], text: str) -> None:
    """A page's front matter subject and preheader (Panini's `subject` and `description`,
    Maizzle's `title` and `preheader`), as the email's own metadata."""
    for key, field, part in (
        ("subject", "subject", Part.SUBJECT),
        ("preheader", "preheader", Part.PREHEADER),
        ("description", "preheader", Part.PREHEADER),
    ):
        value = matter.get(key)
        if isinstance(value, str) and field not in composed.values:
            line = _line_of(text, key)
            location = Location(path, None if line is None else _span(line, len(key)), part)
            composed.values[field] = Sourced(value, "format", location)


def _line_of(text: str, key: str) -> int | None:
    match = re.search(r"^" + re.escape(key) + r"\s*:", text, re.M)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _span(line: int, length: int) -> Any:
    from preflight.model import Span

    return Span.point(line, 1, length)
