"""CSS as the CLIENT and A11Y rules read it: style attributes and <style> blocks.

Parsed with tinycss2 (BSD, the CSS Syntax Level 3 tokenizer and parser WeasyPrint uses),
imported on the first call, so runs without HTML never load it. What a rule needs is
extracted once per distinct text and kept in small caches: inlined emails repeat the same
style attribute on hundreds of elements, and a run's emails often share one stylesheet.

Positions are 1-based lines and columns inside the parsed text; ``offset_position`` turns
them into positions in the file that holds it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

SELECTOR_COMBINATORS = {">": "child", "+": "adjacent-sibling", "~": "general-sibling"}
LEGACY_PSEUDO_ELEMENTS = frozenset({"before", "after", "first-letter", "first-line"})


class Declaration(NamedTuple):
    name: str
    """The property, lower case (custom properties keep their case)."""
    value: str
    """The value as written, trimmed, without !important."""
    important: bool
    line: int
    column: int
    functions: tuple[str, ...] = ()
    """Lower-case names of the functions in the value, nested ones too (url for url(...))."""
    units: tuple[str, ...] = ()
    """Lower-case units of the dimensions in the value; "%" for percentages."""
    keywords: tuple[str, ...] = ()
    """Lower-case identifiers in the value, at any depth."""

    @property
    def lower_value(self) -> str:
        return self.value.lower()


class Usage(NamedTuple):
    """A selector part, an at-rule or a media feature, and where it is."""

    kind: str  # pseudo_classes | pseudo_elements | selectors | at_rules | media_features | nesting
    name: str
    line: int
    column: int
    detail: str = ""
    """An at-rule's prelude as written (@import's URL)."""


class Rule(NamedTuple):
    """A style rule: its selector's parts, its declarations, the at-rules around it."""

    selector: str
    line: int
    column: int
    parts: tuple[Usage, ...]
    declarations: tuple[Declaration, ...]
    within: tuple[str, ...] = ()
    """The at-rules that hold it, outermost first ("media", "supports")."""
    requires: tuple[frozenset[str], ...] = ()
    """For each selector of its list, the classes (".name") and ids ("#name") it names: a
    selector whose names the document does not carry matches nothing."""


class Sheet(NamedTuple):
    rules: tuple[Rule, ...]
    at_rules: tuple[tuple[Usage, tuple[str, ...]], ...]
    """Every at-rule and media feature, with the at-rules around it."""


def _tinycss2() -> Any:
    import tinycss2  # the first CSS an input brings pays for the import, nothing else does

    return tinycss2


_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = 4000
"""Python's int() refuses more than 4,300 digits (sys.get_int_max_str_digits), and
tinycss2 reads every integer token with it."""


def _digits_bounded(text: str) -> str:
    """``text`` with each run of more than _MAX_DIGITS digits written as that many "x": no
    real CSS has such a number, and tinycss2 would raise ValueError on it. Lines and
    columns stay where they were."""
    if len(text) <= _MAX_DIGITS:
        return text
    return _DIGITS.sub(lambda m: "x" * len(m[0]) if len(m[0]) > _MAX_DIGITS else m[0], text)


def _walk(tokens: Iterable[Any]) -> Iterator[Any]:
    for token in tokens:
        yield token
        arguments = getattr(token, "arguments", None)
        if arguments is not None:
            yield from _walk(arguments)
        content = getattr(token, "content", None)
        if isinstance(content, list):
            yield from _walk(content)


def _declaration(node: Any) -> Declaration:
    tinycss2 = _tinycss2()
    functions: list[str] = []
    units: list[str] = []
    keywords: list[str] = []
    for token in _walk(node.value):
        kind = token.type
        if kind == "function":
            functions.append(token.lower_name)
        elif kind == "url":
            functions.append("url")
        elif kind == "dimension":
            units.append(token.lower_unit)
        elif kind == "percentage":
            units.append("%")
        elif kind == "ident":
            keywords.append(token.lower_value)
    return Declaration(
        name=node.name if node.name.startswith("--") else node.lower_name,
        value=tinycss2.serialize(node.value).strip(),
        important=bool(node.important),
        line=node.source_line,
        column=node.source_column,
        functions=tuple(dict.fromkeys(functions)),
        units=tuple(dict.fromkeys(units)),
        keywords=tuple(dict.fromkeys(keywords)),
    )


@functools.lru_cache(maxsize=8192)
def inline(style: str) -> tuple[Declaration, ...]:
    """The declarations of a style attribute, in order; what does not parse is left out."""
    tinycss2 = _tinycss2()
    nodes = tinycss2.parse_blocks_contents(
        _digits_bounded(style), skip_whitespace=True, skip_comments=True
    )
    return tuple(_declaration(n) for n in nodes if n.type == "declaration")


@functools.lru_cache(maxsize=8192)
def _winners(style: str) -> dict[str, Declaration]:
    return last_values(inline(style))


def last_values(declarations: Iterable[Declaration]) -> dict[str, Declaration]:
    """The declaration that wins for each property (the last, or the last !important)."""
    winners: dict[str, Declaration] = {}
    for declaration in declarations:
        before = winners.get(declaration.name)
        if before is None or declaration.important or not before.important:
            winners[declaration.name] = declaration
    return winners


def _selector_parts(prelude: list[Any]) -> tuple[Usage, ...]:
    parts: list[Usage] = []
    compound = 0  # classes and ids in the current compound selector
    chained = False
    previous: Any = None
    colons = 0
    for token in prelude:
        kind = token.type
        line, column = token.source_line, token.source_column
        if kind == "whitespace":
            compound, previous, colons = 0, None, 0
            continue
        if kind == "literal":
            value = token.value
            if value == ":":
                colons += 1
                previous = token
                continue
            if value in SELECTOR_COMBINATORS:
                parts.append(Usage("selectors", SELECTOR_COMBINATORS[value], line, column))
                compound = 0
            elif value == ",":
                compound = 0
            elif value == "*":
                parts.append(Usage("selectors", "universal", line, column))
            elif value == "&":
                parts.append(Usage("nesting", "*", line, column))
            elif value == ".":
                compound += 1
            colons = 0
            previous = token
            continue
        if colons and kind in ("ident", "function"):
            name = token.lower_value if kind == "ident" else token.lower_name
            is_element = colons == 2 or (kind == "ident" and name in LEGACY_PSEUDO_ELEMENTS)
            where = previous if previous is not None else token
            parts.append(
                Usage(
                    "pseudo_elements" if is_element else "pseudo_classes",
                    name,
                    where.source_line,
                    where.source_column - (1 if colons == 2 else 0),
                )
            )
            if kind == "function":
                parts.extend(_selector_parts(token.arguments))
        elif kind == "hash":
            compound += 1
        elif kind == "[] block":
            parts.append(Usage("selectors", "attribute", line, column))
        if compound >= 2 and not chained:
            parts.append(Usage("selectors", "chaining", line, column))
            chained = True
        colons = 0
        previous = token
    return tuple(parts)


def _requirements(prelude: list[Any]) -> tuple[frozenset[str], ...]:
    """The class and id names each selector of a list names (outside :not() and the like)."""
    found: list[frozenset[str]] = []
    names: set[str] = set()
    dot = False
    for token in prelude:
        kind = token.type
        if kind == "literal" and token.value == ",":
            found.append(frozenset(names))
            names = set()
        elif kind == "literal" and token.value == ".":
            dot = True
            continue
        elif kind == "ident" and dot:
            names.add("." + token.value)
        elif kind == "hash":
            names.add("#" + token.value)
        dot = False
    found.append(frozenset(names))
    return tuple(found)


def _media_features(prelude: list[Any]) -> Iterator[Usage]:
    for token in _walk(prelude):
        if token.type == "() block":
            for inner in token.content:
                if inner.type == "ident":
                    yield Usage(
                        "media_features", inner.lower_value, inner.source_line, inner.source_column
                    )
                    break


def _rules(nodes: Iterable[Any], within: tuple[str, ...], sheet: _SheetBuilder) -> None:
    tinycss2 = _tinycss2()
    for node in nodes:
        if node.type == "at-rule":
            name = node.lower_at_keyword
            usage = Usage(
                "at_rules",
                name,
                node.source_line,
                node.source_column,
                tinycss2.serialize(node.prelude).strip(),
            )
            sheet.at_rules.append((usage, within))
            if name == "media":
                for feature in _media_features(node.prelude):
                    sheet.at_rules.append((feature, (*within, name)))
            if node.content is not None and name in ("media", "supports", "document", "layer"):
                _rules(
                    tinycss2.parse_rule_list(
                        node.content, skip_whitespace=True, skip_comments=True
                    ),
                    (*within, name),
                    sheet,
                )
        elif node.type == "qualified-rule":
            contents = tinycss2.parse_blocks_contents(
                node.content, skip_whitespace=True, skip_comments=True
            )
            declarations = tuple(_declaration(n) for n in contents if n.type == "declaration")
            parts = _selector_parts(node.prelude)
            nested = [
                n
                for n in contents
                if n.type == "qualified-rule"
                or (
                    n.type == "at-rule" and n.lower_at_keyword in ("media", "supports", "container")
                )
            ]
            if nested:
                first = nested[0]
                parts = (*parts, Usage("nesting", "*", first.source_line, first.source_column))
            sheet.rules.append(
                Rule(
                    tinycss2.serialize(node.prelude).strip(),
                    node.source_line,
                    node.source_column,
                    parts,
                    declarations,
                    within,
                    _requirements(node.prelude),
                )
            )


class _SheetBuilder(NamedTuple):
    rules: list[Rule]
    at_rules: list[tuple[Usage, tuple[str, ...]]]


@functools.lru_cache(maxsize=64)
def stylesheet(text: str) -> Sheet:
    """A <style> block's rules and at-rules (HTML comment markers around it are ignored)."""
    tinycss2 = _tinycss2()
    nodes = tinycss2.parse_stylesheet(
        _digits_bounded(text), skip_whitespace=True, skip_comments=True
    )
    builder = _SheetBuilder([], [])
    _rules(nodes, (), builder)
    return Sheet(tuple(builder.rules), tuple(builder.at_rules))


# -- values ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def color(value: str) -> tuple[float, float, float, float] | None:
    """An sRGB colour (0..1 each, alpha last) from a CSS colour or an HTML bgcolor value."""
    text = _digits_bounded(value.strip())  # bgcolor and <font color> come here unparsed
    if not text:
        return None
    _tinycss2()
    from tinycss2.color3 import parse_color

    parsed = parse_color(text)
    if parsed is None and len(text) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in text):
        parsed = parse_color("#" + text)  # bgcolor="ffffff", as browsers read it
    if parsed is None or parsed == "currentColor" or not hasattr(parsed, "red"):
        return None
    return (float(parsed.red), float(parsed.green), float(parsed.blue), float(parsed.alpha))


_ABSOLUTE = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def _tokens(value: str) -> list[Any]:
    """A value's component values, white space and comments left out."""
    tinycss2 = _tinycss2()
    return [
        t
        for t in tinycss2.parse_component_value_list(_digits_bounded(value), skip_comments=True)
        if t.type != "whitespace"
    ]


@functools.lru_cache(maxsize=4096)
def length_px(value: str) -> float | None:
    """A length in CSS pixels when the value is one absolute length ("12px", "9pt"), else None."""
    tokens = _tokens(value)
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.type == "dimension" and token.lower_unit in _ABSOLUTE:
        return float(token.value) * _ABSOLUTE[token.lower_unit]
    if token.type == "number" and token.value == 0:
        return 0.0
    return None


def offset_position(
    text_line: int, text_column: int, start_line: int, start_column: int
) -> tuple[int, int]:
    """A (line, column) inside a text that starts at (start_line, start_column) of its file."""
    if text_line == 1:
        return start_line, start_column + text_column - 1
    return start_line + text_line - 1, text_column


# -- inline styles of a document, inherited -------------------------------------------------

OUTLOOK_ONLY = "mso-hide:all"
"""How an element hidden from Outlook for Windows alone is hidden (see :func:`hiding`)."""


class Computed(NamedTuple):
    """What an element's own inline styles and attributes, and its ancestors', give it."""

    color: tuple[float, float, float, float] | None
    """The text colour set on it or an ancestor; None: the client's default."""
    color_owner: Any
    """The element whose style or <font color> sets ``color``."""
    background: tuple[float, float, float, float] | None
    """The nearest background colour (style or bgcolor); None: the client's default."""
    background_image: bool
    """A background image (style url() or background attribute) on it or an ancestor."""
    font_size: float | None
    """Pixels, from the nearest absolute font-size; None: the default or a relative size."""
    size_owner: Any
    bold: bool
    hidden_by: tuple[Any, str] | None
    """(the outermost element that hides it from every reader, how: :func:`hiding`) for
    it or an ancestor, or None."""
    outlook_hidden: bool = False
    """mso-hide:all on it or an ancestor: Outlook for Windows does not show it."""

    @property
    def hidden(self) -> bool:
        """Hidden from some reader: from every one (``hidden_by``), or from Outlook."""
        return self.hidden_by is not None or self.outlook_hidden


_BOLD = frozenset({"b", "strong", "h1", "h2", "h3", "h4", "h5", "h6", "th"})
_HEADING_SIZES = {"h1": 32.0, "h2": 24.0, "h3": 18.72, "h4": 16.0, "h5": 13.28, "h6": 10.72}


def styles_of(template: Any) -> InlineStyles:
    """The template's InlineStyles, shared by every rule that reads it (the template's memo)."""
    styles: InlineStyles = template.memo.get("inline_styles", InlineStyles)
    return styles


StyledRun = tuple[Any, str, bool, Any, Computed]
"""A run of text a reader could see, with the styles it shows in: (element, text, is_tail,
owner, computed) as in ``html.visible_text()``, the owner the element whose text it is (the
parent, for a tail) and computed the owner's styles. A plain tuple: a template has
thousands."""


class InlineStyles:
    """Computed inline styles per element of one document, each computed once."""

    def __init__(self) -> None:
        self._cache: dict[Any, Computed] = {}
        self._runs: tuple[Any, list[StyledRun]] | None = None

    def runs(self, html: Any) -> list[StyledRun]:
        """``html.visible_text()`` with each run's owner and its styles (a run without an
        owner is left out), worked out once for the rules and the preview that all walk
        them. ``html`` is the document these styles are of."""
        if self._runs is None or self._runs[0] is not html:
            runs: list[StyledRun] = []
            for element, text, is_tail in html.visible_text():
                owner = element.getparent() if is_tail else element
                if owner is not None:
                    runs.append((element, text, is_tail, owner, self.of(owner)))
            self._runs = (html, runs)
        return self._runs[1]

    def own(self, element: Any) -> dict[str, Declaration]:
        style = element.get("style") if isinstance(element.tag, str) else None
        return _winners(style) if style and ":" in style else {}

    def of(self, element: Any) -> Computed:
        found = self._cache.get(element)
        if found is not None:
            return found
        parent = element.getparent()
        base = self.of(parent) if parent is not None else _DEFAULT
        tag = element.tag
        if not isinstance(tag, str):
            return base
        names = element.keys()  # one call, then a get() only for what it has
        style = element.get("style") if "style" in names else None
        bgcolor = element.get("bgcolor") if "bgcolor" in names else None
        has_background, has_hidden = "background" in names, "hidden" in names
        effects = _effects(style) if style and ":" in style else _NO_EFFECTS
        if (
            effects is _NO_EFFECTS
            and not bgcolor
            and tag not in _SPECIAL_TAGS
            and not has_background
            and not has_hidden
        ):
            # nothing of its own, or a style with none of the effects read here (padding,
            # borders, a font by name): what it inherits
            self._cache[element] = base
            return base
        color, color_owner = base.color, base.color_owner
        font_color = element.get("color") if tag == "font" else None
        if effects.color is not _UNSET:
            color, color_owner = effects.color, element
        elif font_color:
            color, color_owner = _color(str(font_color)), element
        background = base.background
        background_image = (
            base.background_image
            or effects.background_image
            or (has_background and bool(element.get("background")))
        )
        if effects.background is not _UNSET:
            if effects.background is not None:
                background = effects.background
        elif bgcolor:
            parsed = _color(bgcolor)
            if parsed is not None:
                background = parsed
        size, size_owner = base.font_size, base.size_owner
        if effects.font_size is not _UNSET:
            size, size_owner = effects.font_size, element
        elif tag in _HEADING_SIZES and (size is None or size == 16.0):
            size, size_owner = _HEADING_SIZES[tag], element
        bold = base.bold or tag in _BOLD
        if effects.bold is not None:
            bold = effects.bold
        hidden_by, outlook_hidden = base.hidden_by, base.outlook_hidden
        if hidden_by is None:
            how = effects.hides
            if how in (None, OUTLOOK_ONLY) and has_hidden:
                how = "the hidden attribute"
            if how == OUTLOOK_ONLY:
                outlook_hidden = True
            elif how is not None:
                hidden_by = (element, how)
        computed = Computed(
            color,
            color_owner,
            background,
            background_image,
            size,
            size_owner,
            bold,
            hidden_by,
            outlook_hidden,
        )
        self._cache[element] = computed
        return computed


_UNSET: Any = object()
"""An effect a style attribute does not set (None is "set, to something unreadable")."""


class _Effects(NamedTuple):
    """What one style attribute's text sets, computed once per distinct text."""

    color: Any = _UNSET
    background: Any = _UNSET
    background_image: bool = False
    font_size: Any = _UNSET
    bold: bool | None = None
    hides: str | None = None


_NO_EFFECTS = _Effects()
_DEFAULT = Computed(None, None, None, False, None, None, False, None)
_SPECIAL_TAGS = frozenset({"font", *_BOLD, *_HEADING_SIZES})


@functools.lru_cache(maxsize=8192)
def _effects(style: str) -> _Effects:
    own = _winners(style)
    color: Any = _UNSET
    if "color" in own:
        color = _color(own["color"].value)
    background: Any = _UNSET
    background_image = False
    for name in ("background", "background-color"):
        declaration = own.get(name)
        if declaration is None:
            continue
        if "url" in declaration.functions or "gradient" in declaration.value.lower():
            background_image = True
        found = _background_color(declaration)
        if found is not None or background is _UNSET:
            background = found
    image = own.get("background-image")
    if image is not None and "url" in image.functions:
        background_image = True
    font_size: Any = _UNSET
    size = font_size_of(own)
    if size is not None:
        font_size = length_px(size)
    bold = None
    weight = own.get("font-weight")
    if weight is not None:
        bold = weight.lower_value in ("bold", "bolder") or (
            weight.value.isdigit() and int(weight.value) >= 700
        )
    effects = _Effects(color, background, background_image, font_size, bold, hiding(own))
    return _NO_EFFECTS if effects == _NO_EFFECTS else effects  # so that `is` tells


def hiding(own: Mapping[str, Declaration]) -> str | None:
    """How an element's own declarations (:func:`last_values`) hide it, as written
    ("display:none", "max-height:0 with overflow:hidden"), or None. The one reading of
    "hidden" the rules and the preheader finder share; OUTLOOK_ONLY comes last, so that an
    element hidden from every reader says how."""
    display = own.get("display")
    if display is not None and display.lower_value == "none":
        return "display:none"
    visibility = own.get("visibility")
    if visibility is not None and visibility.lower_value in ("hidden", "collapse"):
        return "visibility:" + visibility.lower_value
    opacity = own.get("opacity")
    if opacity is not None and _is_zero(opacity.value):
        return "opacity:0"
    overflow = own.get("overflow")
    if overflow is not None and overflow.lower_value == "hidden":
        for name in ("max-height", "height", "max-width", "width"):
            size = own.get(name)
            if size is not None and _is_zero(size.value):
                return f"{name}:0 with overflow:hidden"
    mso = own.get("mso-hide")
    if mso is not None and mso.lower_value == "all":
        return OUTLOOK_ONLY
    return None


@functools.lru_cache(maxsize=4096)
def _is_zero(value: str) -> bool:
    """A number, length or percentage of zero ("0", ".0", "0px", "0%")."""
    tokens = _tokens(value)
    return (
        len(tokens) == 1
        and tokens[0].type in ("number", "dimension", "percentage")
        and tokens[0].value == 0
    )


def style_hiding(style: str) -> str | None:
    """:func:`hiding` for a style attribute's text; one without a word that hides is not
    parsed (the preheader finder runs as templates load, where tinycss2 is not imported
    for styles that could not hide)."""
    if ":" not in style:
        return None
    # a style that hides has one of these words (a backslash: an escape may spell one);
    # written out, as `in` tests are several times cheaper than a loop or a regex here
    lower = style.lower()
    if not (
        "none" in lower
        or "hidden" in lower
        or "collapse" in lower
        or "opacity" in lower
        or "mso-hide" in lower
        or "\\" in lower
    ):
        return None
    return _effects(style).hides


def font_size_of(own: Mapping[str, Declaration]) -> str | None:
    """The font size an element's own declarations set, as written: font-size, else the
    size in a font shorthand (font: bold 14px/20px Georgia), else None."""
    declaration = own.get("font-size")
    if declaration is not None:
        return declaration.value
    shorthand = own.get("font")
    if shorthand is None:
        return None
    for token in _tokens(shorthand.value):
        if token.type in ("dimension", "percentage"):
            return str(_tinycss2().serialize([token]))
    return None


def _color(value: str) -> tuple[float, float, float, float] | None:
    return color(value.replace("!important", "").strip())


def _background_color(declaration: Declaration) -> tuple[float, float, float, float] | None:
    if declaration.name == "background-color":
        return _color(declaration.value)
    return shorthand_color(declaration.value)


@functools.lru_cache(maxsize=4096)
def shorthand_color(value: str) -> tuple[float, float, float, float] | None:
    """The colour among a background shorthand's parts (background: #fff url(x) no-repeat)."""
    _tinycss2()
    from tinycss2.color3 import parse_color
    from tinycss2.parser import parse_component_value_list

    for token in parse_component_value_list(_digits_bounded(value), skip_comments=True):
        if token.type == "whitespace":
            continue
        parsed = parse_color(token)
        if parsed is not None and hasattr(parsed, "red"):
            return (float(parsed.red), float(parsed.green), float(parsed.blue), float(parsed.alpha))
    return None


@functools.lru_cache(maxsize=4096)
def hex_colour(rgba: tuple[float, float, float, float]) -> str:
    """A colour as #rrggbb (alpha left out), as messages quote it."""
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


def luminance(rgb: tuple[float, float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@functools.lru_cache(maxsize=4096)
def contrast(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
