"""CLIENT: what the target email clients do with the HTML and CSS an email uses."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, cast

from lxml import etree

from preflight import clients, css
from preflight.model import Location, Part, Severity, Span, Template, Violation
from preflight.model.source import HtmlDocument

Options = Mapping[str, Any]

_NOT_MSO_START = re.compile(r"^\s*\[if\s+!\s*mso[^\]]*\]\s*><!\s*$", re.IGNORECASE)
_ENDIF = re.compile(r"^\s*<!\[endif\]\s*$", re.IGNORECASE)
_HIDING = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.IGNORECASE)
_EXTENSION = re.compile(r"\.([a-z0-9]{2,5})$")
_GRADIENTS = frozenset(
    {
        "linear-gradient",
        "radial-gradient",
        "conic-gradient",
        "repeating-linear-gradient",
        "repeating-radial-gradient",
        "repeating-conic-gradient",
    }
)


# -- CLIENT001 ------------------------------------------------------------------------------


class _Place(NamedTuple):
    """One use of a feature: what was written and where."""

    slug: str
    used: str
    span: Span | None
    excluded: frozenset[str] = frozenset()
    """Clients that never see this use (an @media block, an <!--[if !mso]> region)."""


class _Judge(NamedTuple):
    targets: tuple[str, ...]
    features: Mapping[str, Any]
    judged: frozenset[str]
    vml: bool
    graceful: frozenset[str]
    """Features that degrade gracefully (judge: never, not included): a value inside one of
    them (rgba() in box-shadow) is as graceful as the property."""
    triggers: frozenset[str]
    """What a style attribute must contain for a judged feature to be in it (a frozenset:
    its hash is computed once, not on every cached lookup it is part of the key of)."""


@functools.cache
def _index() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    raw: Mapping[str, Mapping[str, list[str]]] = clients.support()["index"]
    return {kind: {k: tuple(v) for k, v in names.items()} for kind, names in raw.items()}


def _judged(options: Options, targets: tuple[str, ...]) -> frozenset[str]:
    """The features worth looking for: judged, and lacking in at least one target client."""
    return _relevant(
        targets,
        frozenset(_slug(name) for name in options.get("ignore") or ()),
        frozenset(_slug(name) for name in options.get("include") or ()),
    )


@functools.cache
def _graceful(include: frozenset[str]) -> frozenset[str]:
    features: Mapping[str, Any] = clients.support()["features"]
    return frozenset(s for s, f in features.items() if f["judge"] == "never" and s not in include)


@functools.cache
def _relevant(
    targets: tuple[str, ...], ignore: frozenset[str], include: frozenset[str]
) -> frozenset[str]:
    features: Mapping[str, Any] = clients.support()["features"]
    relevant = set()
    for slug, feature in features.items():
        if slug in ignore or (feature["judge"] == "never" and slug not in include):
            continue
        reported = ("n", "a") if feature["judge"] == "all" or slug in include else ("n",)
        levels = clients.levels(slug)
        if any(levels.get(c) in reported for c in targets):
            relevant.add(slug)
    return frozenset(relevant)


_DECLARATION_KINDS = (
    "properties",
    "property_prefixes",
    "values",
    "functions",
    "units",
    "keywords",
    "custom_properties",
)


@functools.cache
def _triggers(judged: frozenset[str]) -> frozenset[str]:
    """A quick test for a style attribute: the words a judged feature needs to be there. The
    CSS itself is read by tinycss2; this only spares it the attributes that cannot match."""
    words: set[str] = set()
    for kind in _DECLARATION_KINDS:
        for key, slugs in _index().get(kind, {}).items():
            if not judged.intersection(slugs):
                continue
            if kind == "values":
                key = key.split(":", 1)[1]
            elif kind == "custom_properties":
                words.update(("--", "var("))
                continue
            elif kind == "functions":
                key += "("
            words.add(key)
    if "css-background-image" in judged:
        words.add("url(")
    return frozenset(words)


def _slug(name: str) -> str:
    """A feature as users write it: its caniemail slug, or a property name ("position")."""
    name = name.strip().lower()
    features = clients.support()["features"]
    if name in features:
        return name
    for candidate in (f"css-{name}", f"html-{name}", f"image-{name}"):
        if candidate in features:
            return candidate
    return name


@functools.lru_cache(maxsize=4096)
def _declaration_features(declaration: css.Declaration) -> tuple[tuple[str, str, bool], ...]:
    """(slug, what was written, whether the property itself is the feature) for each feature
    one declaration uses."""
    index = _index()
    found: list[tuple[str, str, bool]] = []
    name = declaration.name

    def add(kind: str, key: str, used: str, whole: bool = False) -> None:
        for slug in index.get(kind, {}).get(key, ()):
            found.append((slug, used, whole))

    if name.startswith("--"):
        add("custom_properties", "*", name, True)
    else:
        property_name = name
        if name == "background-image" and "url" not in declaration.functions:
            property_name = ""  # none, or a gradient (judged as a function)
        add("properties", property_name, name, True)
        if name == "background" and "url" in declaration.functions:
            add("properties", "background-image", "background: url()", True)
        for prefix, slugs in index.get("property_prefixes", {}).items():
            if name.startswith(prefix):
                found.extend((slug, name, True) for slug in slugs)
        for keyword in declaration.keywords:
            add("values", f"{name}:{keyword}", f"{name}:{keyword}")
            add("keywords", keyword, keyword)
    for function in declaration.functions:
        if function == "var":
            add("custom_properties", "*", "var()")
        elif function != "url":
            add("functions", function, f"{function}()")
    for unit in declaration.units:
        add("units", unit, unit)
    return tuple(dict.fromkeys(found))


def _hides(block: tuple[css.Declaration, ...]) -> bool:
    """A block that hides its element (a preheader, an Outlook-only part): nobody sees it."""
    return any(
        (d.name == "display" and d.lower_value == "none")
        or (d.name == "mso-hide" and d.lower_value == "all")
        for d in block
    )


def _block_places(
    declarations: Iterable[css.Declaration],
    judged: frozenset[str],
    graceful: frozenset[str],
) -> Iterator[tuple[str, str, css.Declaration]]:
    """(slug, used, declaration) for a declaration block, fallbacks in the block applied.

    A value inside a graceful property (rgba() in box-shadow) is as graceful as the property.
    """
    block = tuple(declarations)
    if _hides(block):
        return
    earlier: dict[str, list[tuple[tuple[str, str, bool], ...]]] = {}
    backgrounds = any(
        d.name == "background-color"
        or (d.name == "background" and not _GRADIENTS.intersection(d.functions))
        for d in block
    )
    features = clients.support()["features"]
    for declaration in block:
        found = _declaration_features(declaration)
        before = earlier.setdefault(declaration.name, [])
        own = [slug for slug, _, whole in found if whole]
        enhancement = bool(own) and all(slug in graceful for slug in own)
        for slug, used, whole in found:
            if slug not in judged or (enhancement and not whole):
                continue
            fallback = features[slug].get("fallback")
            if fallback == "same-property" and any(
                all(s != slug for s, _, _ in other) for other in before
            ):
                continue
            if fallback == "background-color" and backgrounds:
                continue
            yield slug, used, declaration
        before.append(found)


class _Lookups(NamedTuple):
    """What to look for in the elements, given the judged features."""

    elements: Mapping[str, tuple[str, ...]]
    attributes: Mapping[str, tuple[str, ...]]
    tags: tuple[str, ...]
    """The elements to look at for their tag or what it carries (img src, a href...)."""
    with_attributes: Any
    """An XPath selecting the judged attributes (None: there is none)."""


@functools.cache
def _lookups(judged: frozenset[str]) -> _Lookups:
    index = _index()

    def keep(kind: str) -> dict[str, tuple[str, ...]]:
        return {
            key: tuple(s for s in slugs if s in judged)
            for key, slugs in index.get(kind, {}).items()
            if judged.intersection(slugs)
        }

    elements = keep("elements")
    attributes = keep("attributes")
    tags = set(elements)
    for kind, tag in (
        ("input_types", "input"),
        ("button_types", "button"),
        ("link_rel", "link"),
        ("href", "a"),
        ("image_formats", "img"),
        ("data_images", "img"),
    ):
        if keep(kind):
            tags.add(tag)
    names = [name for name in sorted(attributes) if re.fullmatch(r"[a-z][a-z0-9-]*", name)]
    xpath = etree.XPath(" | ".join(f"//@{name}" for name in names)) if names else None
    return _Lookups(elements, attributes, tuple(sorted(tags)), xpath)


def _hiding(element: etree._Element, known: dict[Any, bool]) -> bool:
    """display:none or mso-hide:all on the element or an ancestor (nobody sees it)."""
    found = known.get(element)
    if found is None:
        style = element.get("style")
        if style and _HIDING.search(style) is not None:
            found = True
        else:
            parent = element.getparent()
            found = parent is not None and _hiding(parent, known)
        known[element] = found
    return found


def _not_mso(doc: HtmlDocument) -> frozenset[Any]:
    """The elements inside <!--[if !mso]><!--> ... <!--<![endif]-->: Outlook never shows them."""
    if "[if !mso" not in doc.lower or doc.root is None:
        return frozenset()
    inside: set[Any] = set()
    region = False
    for node in doc.root.iter():
        if isinstance(node, etree._Comment):
            text = node.text or ""
            if _NOT_MSO_START.match(text):
                region = True
            elif _ENDIF.match(text):
                region = False
        elif region:
            inside.add(node)
    return frozenset(inside)


@functools.lru_cache(maxsize=8192)
def _inline_places(
    style: str, judged: frozenset[str], graceful: frozenset[str], triggers: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    """(slug, used) for one style attribute's judged features; cached per distinct text."""
    lower = style.lower()
    if not any(word in lower for word in triggers):
        return ()
    places = _block_places(css.inline(style), judged, graceful)
    return tuple((slug, used) for slug, used, _ in places)


_STYLES = etree.XPath("//@style")
_STYLE_TEXTS = etree.XPath("//@style", smart_strings=False)
"""The style attributes as plain strings: cheaper to get, but they know no element."""


def _element_places(doc: HtmlDocument, judge: _Judge) -> Iterator[_Place]:
    """Every feature the elements, attributes and style attributes use.

    Most candidates (every <a>, <img>, style attribute) use no judged feature: what is used
    is worked out first, and whether the element is hidden or in an <!--[if !mso]> region
    only for those that do.
    """
    assert doc.root is not None
    index = _index()
    lookups = _lookups(judge.judged)
    hidden: dict[Any, bool] = {}
    regions: frozenset[Any] | None = None
    word = frozenset(clients.WORD_ENGINE)
    nothing: frozenset[str] = frozenset()

    def excluded(node: etree._Element) -> frozenset[str]:
        nonlocal regions
        if regions is None:
            regions = _not_mso(doc)
        return word if node in regions else nothing

    # libxml2 finds the candidates (tags, attributes, style attributes) in C; Python only
    # looks at those
    for attribute in (
        lookups.with_attributes(doc.root) if lookups.with_attributes is not None else ()
    ):
        node = attribute.getparent()
        if node is None or _hiding(node, hidden):
            continue
        key = str(attribute.attrname).lower()
        for slug in lookups.attributes.get(key, ()):
            yield _Place(slug, key, doc.attribute_span(node, key), excluded(node))
    for node in doc.root.iter(*lookups.tags) if lookups.tags else ():
        found = _tag_places(doc, node, judge, index, lookups)
        if not found or _hiding(node, hidden):
            continue
        outside = excluded(node)
        for slug, used, span in found:
            yield _Place(slug, used, span, outside)
    texts: list[str] = cast("list[str]", _STYLE_TEXTS(doc.root))
    if not any(
        _inline_places(text, judge.judged, judge.graceful, judge.triggers) for text in set(texts)
    ):
        return  # each distinct text looked up once; most emails use no judged inline CSS
    styles: list[Any] = cast("list[Any]", _STYLES(doc.root))
    for style in styles:  # libxml2 finds them; each distinct text is read once
        places = _inline_places(str(style), judge.judged, judge.graceful, judge.triggers)
        if not places:
            continue
        node = style.getparent()
        if node is None or _hiding(node, hidden):
            continue
        outside = excluded(node)
        span = doc.attribute_span(node, "style")
        for slug, used in places:
            yield _Place(slug, used, span, outside)


def _tag_places(
    doc: HtmlDocument,
    node: etree._Element,
    judge: _Judge,
    index: Mapping[str, Mapping[str, tuple[str, ...]]],
    lookups: _Lookups,
) -> list[tuple[str, str, Span | None]]:
    """(slug, used, span) for what one element's tag, or what it carries, uses."""
    found: list[tuple[str, str, Span | None]] = []
    name = str(node.tag).lower()
    for slug in lookups.elements.get(name, ()):
        found.append((slug, f"<{name}>", doc.element_span(node)))
    if name == "input":
        kind = (node.get("type") or "text").strip().lower()
        for slug in index.get("input_types", {}).get(kind, ()):
            if slug in judge.judged:
                found.append((slug, f'<input type="{kind}">', doc.element_span(node)))
    elif name == "button" and node.get("href") is None:  # <button href>: a component
        kind = (node.get("type") or "submit").strip().lower()
        for slug in index.get("button_types", {}).get(kind, ()):
            if slug in judge.judged:
                found.append((slug, f'<button type="{kind}">', doc.element_span(node)))
    elif name == "link" and _remote_stylesheet(node.get("href") or ""):
        for rel in (node.get("rel") or "").lower().split():
            for slug in index.get("link_rel", {}).get(rel, ()):
                if slug in judge.judged:
                    found.append((slug, f'<link rel="{rel}">', doc.element_span(node)))
    elif name == "a":
        found.extend(_href_places(doc, node, judge))
    elif name == "img":
        found.extend(_image_places(doc, node, judge))
    return found


_REMOTE = re.compile(r"""^(?:url\(\s*)?["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _remote_stylesheet(reference: str) -> bool:
    """A stylesheet an email client could fetch: an absolute URL that is not a web font.

    A relative one (css/app.css, {{root}}css/app.css) can never load in an inbox: the file is
    a build source whose tool inlines it. A web font falls back to the next font.
    """
    return bool(_REMOTE.match(reference.strip())) and "font" not in reference.lower()


def _href_places(
    doc: HtmlDocument, node: etree._Element, judge: _Judge
) -> Iterator[tuple[str, str, Span | None]]:
    href = (node.get("href") or "").strip()
    kind = None
    if href.lower().startswith("mailto:"):
        kind = "mailto"
    elif href.startswith("#") and len(href) > 1 and not href.startswith("#{"):
        kind = "anchor"
    if kind is None:
        return
    for slug in _index().get("href", {}).get(kind, ()):
        if slug in judge.judged:
            yield slug, href, doc.attribute_span(node, "href")


def _image_places(
    doc: HtmlDocument, node: etree._Element, judge: _Judge
) -> Iterator[tuple[str, str, Span | None]]:
    source = (node.get("src") or "").strip()
    index = _index()
    if source[:5].lower() == "data:":
        slugs = index.get("data_images", {}).get("*", ())
        used = source.split(",", 1)[0][:40] + ",…"
    else:
        path = source.split("#", 1)[0].split("?", 1)[0].lower()
        match = _EXTENSION.search(path)
        slugs = index.get("image_formats", {}).get(match.group(1), ()) if match else ()
        used = source
    for slug in slugs:
        if slug in judge.judged:
            yield slug, used, doc.attribute_span(node, "src")


_Usage = tuple[str, str, int, int, int, tuple[str, ...], tuple[frozenset[str], ...]]


@functools.lru_cache(maxsize=64)
def _sheet_usages(
    text: str, judged: frozenset[str], graceful: frozenset[str]
) -> tuple[_Usage, ...]:
    """(slug, used, line, column, length, at-rules around it, what its rule's selectors name)
    for one <style> block's judged features, in the block's own coordinates; cached per
    distinct text."""
    sheet = css.stylesheet(text)
    index = _index()
    found: list[_Usage] = []
    for usage, within in sheet.at_rules:
        if usage.name == "import" and not _remote_stylesheet(usage.detail):
            continue
        for slug in index.get(usage.kind, {}).get(usage.name, ()):
            if slug in judged:
                used = f"@{usage.name}" if usage.kind == "at_rules" else f"({usage.name})"
                found.append((slug, used, usage.line, usage.column, len(used), within, ()))
    hooks = clients.support().get("client_hooks", ())
    for rule in sheet.rules:
        selector = rule.selector.lower()
        if any(hook in selector for hook in hooks):
            continue  # written for one client on purpose
        for part in rule.parts:
            for slug in index.get(part.kind, {}).get(part.name, ()):
                if slug in judged:
                    used = _part_text(part)
                    found.append(
                        (slug, used, part.line, part.column, len(used), rule.within, rule.requires)
                    )
        for slug, used, declaration in _block_places(rule.declarations, judged, graceful):
            found.append(
                (
                    slug,
                    used,
                    declaration.line,
                    declaration.column,
                    len(declaration.name),
                    rule.within,
                    rule.requires,
                )
            )
    return tuple(found)


_NAMES = etree.XPath("//@class | //@id")


def _names(doc: HtmlDocument) -> frozenset[str]:
    """The classes (".name") and ids ("#name") the document's elements carry."""
    names: set[str] = set()
    if doc.root is None:
        return frozenset()
    for value in cast("list[Any]", _NAMES(doc.root)):
        if value.attrname == "id":
            names.add("#" + str(value).strip())
        else:
            names.update("." + name for name in str(value).split())
    return frozenset(names)


def _matches_nothing(requires: tuple[frozenset[str], ...], names: frozenset[str]) -> bool:
    """True when every selector of a rule names a class or id no element carries."""
    return bool(requires) and all(not required <= names for required in requires)


def _sheet_places(doc: HtmlDocument, judge: _Judge) -> Iterator[_Place]:
    """Every feature the <style> blocks use, each at its place in the block. A rule whose
    selectors match nothing in this email (its classes and ids are not there) is not judged:
    what it would do in a client that misreads it, it does in none."""
    names: frozenset[str] | None = None
    for style in doc.iter("style"):
        text = style.text
        if not text or not text.strip():
            continue
        usages = _sheet_usages(text, judge.judged, judge.graceful)
        if not usages:
            continue
        start = doc.element_span(style)
        if start is None:
            continue
        for slug, used, line, column, length, within, requires in usages:
            if requires:
                names = _names(doc) if names is None else names
                if _matches_nothing(requires, names):
                    continue
            at_line, at_column = css.offset_position(line, column, start.end_line, start.end_column)
            span = Span(at_line, at_column, at_line, at_column + max(length, 1))
            yield _Place(slug, used, span, _unseen(within))


def _part_text(part: css.Usage) -> str:
    if part.kind == "pseudo_classes":
        return f":{part.name}"
    if part.kind == "pseudo_elements":
        return f"::{part.name}"
    if part.kind == "nesting":
        return "nested rule"
    return {
        "child": "> (child combinator)",
        "adjacent-sibling": "+ (adjacent sibling combinator)",
        "general-sibling": "~ (general sibling combinator)",
        "attribute": "[attribute] selector",
        "universal": "* (universal selector)",
        "chaining": "chained classes",
    }.get(part.name, part.name)


@functools.cache
def _unseen(within: tuple[str, ...]) -> frozenset[str]:
    """Clients that never apply what is inside these at-rules (no @media support: no rules)."""
    features = clients.support()["features"]
    unseen: set[str] = set()
    for name in within:
        feature = features.get(f"css-at-{name}")
        if feature is not None:
            unseen.update(
                c for c, level in clients.levels(f"css-at-{name}").items() if level == "n"
            )
    return frozenset(unseen)


def _frozen(value: Any) -> Any:
    """An option's value as a cache key: a string as it is, a list as a tuple."""
    return value if isinstance(value, str) or value is None else tuple(value)


@functools.lru_cache(maxsize=32)
def _judge(selected: Any, ignore: Any, include: Any) -> _Judge:
    """What CLIENT001 judges for its options (the same in every file of most runs); vml is
    the document's, set by the caller."""
    targets = clients.selection(selected)
    judged = _judged({"ignore": ignore, "include": include}, targets)
    return _Judge(
        targets=targets,
        features=clients.support()["features"],
        judged=judged,
        vml=False,
        graceful=_graceful(frozenset(_slug(n) for n in include or ())),
        triggers=_triggers(judged),
    )


def unsupported_feature(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None or doc.root is None:
        return
    judge = _judge(
        _frozen(options["clients"]), _frozen(options.get("ignore")), _frozen(options.get("include"))
    )
    if "<v:" in doc.lower:
        judge = judge._replace(vml=True)
    if not judge.targets or not judge.judged:
        return
    places = [*_element_places(doc, judge), *_sheet_places(doc, judge)]
    seen: set[tuple[str, Any]] = set()
    for place in places:
        key = (place.slug, (place.span.line, place.span.column) if place.span else None)
        if key in seen:
            continue
        seen.add(key)
        violation = _violation(template, place, judge)
        if violation is not None:
            yield violation


def _violation(template: Template, place: _Place, judge: _Judge) -> Violation | None:
    feature = judge.features[place.slug]
    levels = clients.levels(place.slug)
    excluded = set(place.excluded)
    if judge.vml and feature.get("fallback") == "vml":
        excluded.update(clients.WORD_ENGINE)
    targets = [c for c in judge.targets if c not in excluded]
    missing = [c for c in targets if levels.get(c) == "n"]
    partly = [c for c in targets if levels.get(c) == "a"] if feature["judge"] == "all" else []
    if not missing and not partly:
        return None
    detail = clients.details()[place.slug]
    notes: dict[str, list[str]] = {}
    for client in (*missing, *partly):
        numbers = detail["support"][client][1]
        texts = [detail["notes"][str(n)] for n in numbers if str(n) in detail["notes"]]
        if texts:
            notes[client] = texts
    title = detail["title"]
    what = f'"{place.used}"' + (f" ({title})" if title.lower() != place.used.lower() else "")
    if missing:
        template_text = "{what} is not supported in {missing}"
        if partly:
            template_text += ", and only partly in {partly}"
    else:
        template_text = "{what} is only partly supported in {partly}"
    described = "; ".join(f"{clients.label(c)}: {' '.join(texts)}" for c, texts in notes.items())
    return Violation(
        template_text,
        Location(template.path, place.span, Part.HTML),
        {
            "what": what,
            "feature": place.slug,
            "used": place.used,
            "missing": _describe(missing),
            "partly": _describe(partly),
            "unsupported_clients": missing,
            "partial_clients": partly,
            "notes": notes,
            "url": detail["url"],
        },
        help=(f"{described}. " if described else "")
        + f"See {detail['url']}; if the email has a fallback for these clients, name the"
        f" feature in `rules: {{CLIENT001: {{ignore: [{place.slug}]}}}}`",
        severity=None if missing else Severity.WARNING,
    )


def _describe(ids: list[str]) -> str:
    """Clients grouped by name: "Gmail (web, iOS, Android), Yahoo Mail (web)"."""
    groups: dict[str, list[str]] = {}
    for client in ids:
        text = clients.label(client)
        name, _, platform = text.partition(" (")
        if platform and platform.endswith(")") and "," not in platform:
            groups.setdefault(name, []).append(platform[:-1])
        else:
            groups.setdefault(text, [])
    return ", ".join(f"{name} ({', '.join(ps)})" if ps else name for name, ps in groups.items())


# -- CLIENT002 ------------------------------------------------------------------------------

_COLOURED = etree.XPath("//*[@style or @bgcolor]")
_SCHEME_META = frozenset({"color-scheme", "supported-color-schemes"})
_DARK_NAMED_IMAGE = re.compile(
    r"(?:^|[/_\-.])(?:logo|icon|wordmark|brand|signature)[-_]?(?:black|blk)(?:[-_.@]|$)"
    r"|(?:^|[/_\-.])(?:black|blk)[-_]?(?:logo|icon|wordmark)(?:[-_.@]|$)",
    re.IGNORECASE,
)
_TRANSPARENT_FORMATS = (".png", ".gif", ".svg", ".webp")
_LIGHT = 0.75
_DARK = 0.05


@functools.lru_cache(maxsize=64)
def _sheet_scheme(text: str) -> tuple[bool, tuple[int, int, int] | None]:
    """(declares color-scheme, (line, column, length) of its first dark-mode style) for one
    <style> block, in the block's coordinates; cached per distinct text."""
    lower = text.lower()
    if "color-scheme" not in lower and "data-ogs" not in lower:
        return False, None
    sheet = css.stylesheet(text)
    declared = any(d.name in _SCHEME_META for rule in sheet.rules for d in rule.declarations)
    for usage, _ in sheet.at_rules:
        if usage.kind == "media_features" and usage.name == "prefers-color-scheme":
            return declared, (usage.line, usage.column, len(usage.name))
    for rule in sheet.rules:
        if "[data-ogs" in rule.selector.lower():
            return declared, (rule.line, rule.column, len(rule.selector))
    return declared, None


def _scheme(doc: HtmlDocument) -> tuple[bool, Span | None]:
    """(declares a colour scheme, where its dark-mode styles are) for one document."""
    declared = any(
        (meta.get("name") or "").strip().lower() in _SCHEME_META and (meta.get("content") or "")
        for meta in doc.iter("meta")
    )
    dark: Span | None = None
    for style in doc.iter("style"):
        sheet_declares, where = _sheet_scheme(style.text or "")
        declared = declared or sheet_declares
        if dark is None and where is not None:
            start = doc.element_span(style)
            if start is not None:
                line, column = css.offset_position(
                    where[0], where[1], start.end_line, start.end_column
                )
                dark = Span(line, column, line, column + where[2])
    return declared, dark


class _Marks(NamedTuple):
    """What one style attribute's text says to CLIENT002."""

    declares: bool
    """It sets color-scheme or supported-color-schemes."""
    light: str | None
    """A light background it sets (background-color or background, the last), as written."""
    dark: str | None
    """A dark text colour it sets, as written."""


_NO_MARKS = _Marks(False, None, None)


@functools.lru_cache(maxsize=8192)
def _style_marks(style: str) -> _Marks:
    """CLIENT002's reading of a style attribute, once per distinct text (inlined emails
    repeat the same few on hundreds of elements)."""
    own = css.last_values(css.inline(style)) if ":" in style else {}
    light = None
    for name in ("background-color", "background"):
        value = own[name].value if name in own else None
        if value and _is(value, light=True):
            light = value
    dark = own["color"].value if "color" in own and _is(own["color"].value, light=False) else None
    return _Marks("color-scheme" in own or "supported-color-schemes" in own, light, dark)


def dark_mode(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None or doc.root is None:
        return
    declared, dark = _scheme(doc)
    light_background: tuple[etree._Element, str] | None = None
    dark_text: tuple[etree._Element, str] | None = None
    # the colours only matter to an email that declares no scheme: once one is declared,
    # here or in a style attribute, the rest of them is not read
    coloured = () if declared else cast("list[etree._Element]", _COLOURED(doc.root))
    for element in coloured:
        style = element.get("style")
        marks = _style_marks(style) if style else _NO_MARKS
        if marks.declares:
            declared = True
            break
        if light_background is None:
            if marks.light is not None:
                light_background = (element, marks.light)
            else:
                bgcolor = element.get("bgcolor")
                if bgcolor and _is(bgcolor, light=True):
                    light_background = (element, bgcolor)
        if dark_text is None and marks.dark is not None:
            dark_text = (element, marks.dark)
    if not declared and (dark is not None or light_background or dark_text):
        yield _undeclared(template, doc, dark, light_background, dark_text)
    if dark is None:
        yield from _vanishing_images(template, doc, css.styles_of(template))


def _is(value: str, light: bool) -> bool:
    parsed = css.color(value) if "url(" not in value.lower() else None
    if parsed is None:
        parsed = css.shorthand_color(value)
    if parsed is None or parsed[3] < 1:
        return False
    brightness = css.luminance(parsed)
    return brightness >= _LIGHT if light else brightness <= _DARK


def _undeclared(
    template: Template,
    doc: HtmlDocument,
    dark: Span | None,
    background: tuple[etree._Element, str] | None,
    text: tuple[etree._Element, str] | None,
) -> Violation:
    help_text = (
        'add <meta name="color-scheme" content="light dark"> and <meta'
        ' name="supported-color-schemes" content="light dark"> to <head>, and :root {'
        " color-scheme: light dark; } to the styles, with dark colours in @media"
        ' (prefers-color-scheme: dark); or content="light" to ask clients that honour it to'
        " keep the email light"
    )
    if dark is not None:
        return Violation(
            "dark-mode styles (prefers-color-scheme) without a color-scheme declaration: Apple"
            " Mail and Outlook for macOS ignore them",
            Location(template.path, dark, Part.HTML),
            {"reason": "dark-styles"},
            help=help_text,
        )
    parts = []
    data: dict[str, Any] = {"reason": "hard-coded-colours"}
    if background is not None:
        parts.append('light background "{background}"')
        data["background"] = background[1]
    if text is not None:
        parts.append('dark text "{text}"')
        data["text"] = text[1]
    first = background or text
    assert first is not None
    return Violation(
        "no color-scheme declaration while the email hard-codes "
        + " and ".join(parts)
        + ": dark-mode clients recolour it on their own",
        Location(template.path, doc.element_span(first[0]), Part.HTML),
        data,
        help=help_text,
    )


def _vanishing_images(
    template: Template, doc: HtmlDocument, styles: css.InlineStyles
) -> Iterator[Violation]:
    for image in doc.iter("img"):
        source = (image.get("src") or "").strip()
        path = source.split("?", 1)[0].split("#", 1)[0]
        name = path.rsplit("/", 1)[-1]
        if not name.lower().endswith(_TRANSPARENT_FORMATS) or not _DARK_NAMED_IMAGE.search(name):
            continue
        if styles.of(image).hidden:
            continue
        yield Violation(
            'the image "{name}" is named as a black logo or icon and the email has no dark-mode'
            " styles: on a dark background it can disappear",
            Location(template.path, doc.attribute_span(image, "src"), Part.HTML),
            {"name": name, "src": source},
            help="give the logo a light outline or a solid background in the image itself, or"
            " swap in a light version inside @media (prefers-color-scheme: dark)",
        )
