"""MERGE007 unencoded-tag-in-url and MERGE008 personal-data-in-url."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.checks.merge._common import Options, _is_special, _said, _shown
from preflight.dialects import (
    Dialect,
)
from preflight.fields import meaning, vocabulary
from preflight.model import (
    Part,
    Template,
    Violation,
)
from preflight.tagscan import (
    TagSite,
    platform_of,
    tag_sites,
)

# -- MERGE007 unencoded-tag-in-url and MERGE008 personal-data-in-url -----------------

_URL_ATTRIBUTES = frozenset({"href", "src", "action", "background"})
_HASHED = re.compile(r"sha\d*|md5|hash|encrypt|hmac", re.IGNORECASE)
"""Filters that make a value unreadable (base64 is not one: anyone can decode it)."""


def _url_sites(template: Template, dialect: Dialect) -> Iterator[tuple[TagSite, str, str]]:
    """(site, audience field, where in the URL) for tags inside link and image URLs."""
    for site in tag_sites(template, dialect):
        if site.tag.kind != "variable" or not site.tag.field:
            continue
        if site.context == "attribute" and site.attribute in _URL_ATTRIBUTES:
            url, offset = site.value, site.value_offset
        elif site.part is Part.TEXT:
            url, offset = _text_url(site)  # a link written out in the text part
        else:
            continue
        if url is None or _is_special(dialect, site.tag.raw):
            continue
        where = _url_position(url, offset)
        if where is None:
            continue
        name = dialect.audience_field(site.tag.field)
        if name:
            yield site, name, where


_TAG_OPENERS = frozenset("{*%[")
_WORD_END = re.compile(r"\s")


def _text_url(site: TagSite) -> tuple[str | None, int]:
    """The whitespace-delimited word a text-part tag is in, when that word is a URL."""
    body = site.source
    start = site.tag.start
    window = body[max(0, start - 2_000) : start][::-1]  # backwards: the word's start
    space = _WORD_END.search(window)
    begin = start - (space.start() if space else len(window))
    # the rest of the word, as far as the same 2,000 characters: a scan to the word's end
    # for every tag in one long word was quadratic (a 40 kB word of tags: 20 s)
    tail = _WORD_END.search(body, start, start + 2_000)
    end = tail.start() if tail else min(len(body), start + 2_000)
    word = body[begin:end]
    if not word.lower().startswith(("http://", "https://", "//")):
        return None, 0
    return word, start - begin


def _url_position(url: str, offset: int) -> str | None:
    """ "path" or "query" when ``offset`` is past a URL's host; None in the host or scheme."""
    head = url[:offset]
    lowered = head.lower().lstrip()
    if lowered.startswith(("mailto:", "tel:", "sms:")):
        return "query" if "?" in head else None
    scheme = head.find("://")
    if scheme == -1:
        if head.startswith("//"):  # protocol-relative
            scheme = -1
        elif head[:1] in _TAG_OPENERS and ("/" in head[1:] or "?" in head):
            # the URL starts with a tag ({{ shop_url }}/offer?c=…): after it, path or query
            return "query" if "?" in head or "#" in head else "path"
        else:
            return None  # the tag is the URL, or part of its scheme or a relative path
    rest = head[scheme + 3 :]
    if not any(mark in rest for mark in "/?#"):
        return None  # in the host
    return "query" if "?" in rest or "#" in rest else "path"


def unencoded_tag_in_url(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or dialect.url_encode is None:
        return
    encoded = re.compile(dialect.url_encode)
    text_roles = vocabulary().text_roles
    for site, name, where in _url_sites(template, dialect):
        found = meaning(name)
        if found is None or vocabulary().roles[found] not in text_roles:
            continue
        if encoded.search(site.tag.raw) or _inside_encoder(site, encoded):
            continue
        fixed = (dialect.url_encode_write or "").replace("<field>", name)
        yield Violation(
            '"{tag}" goes into the {where} of a URL unencoded; a {meaning} with a space or "&"'
            " breaks the link",
            site.location,
            {"tag": _shown(site.tag.raw), "where": where, "meaning": _said(found), "field": name},
            help=f"encode it: {fixed}" if fixed else "URL-encode the value",
        )


def _inside_encoder(site: TagSite, encoded: re.Pattern[str]) -> bool:
    """Whether the tag sits in an encoding block ({{#urlEncode}}{{city}}{{/urlEncode}})."""
    before = (site.value or "")[: site.value_offset]
    opened = list(encoded.finditer(before))
    return bool(opened) and "{{/" not in before[opened[-1].end() :]


def personal_data_in_url(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    personal = vocabulary().personal_roles
    for site, name, where in _url_sites(template, dialect):
        found = meaning(name)
        if found is None or vocabulary().roles[found] not in personal:
            continue
        if _HASHED.search(site.tag.raw):
            continue
        yield Violation(
            'link URL carries "{tag}" ({meaning}) in its {where}; it leaks to analytics,'
            " proxies and referrers",
            site.location,
            {"tag": _shown(site.tag.raw), "meaning": _said(found), "where": where, "field": name},
            help="identify the recipient with an opaque id (or the platform's own tracking),"
            " not personal data",
        )
