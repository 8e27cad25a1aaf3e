"""LINK, static: wrong, risky and broken-looking links, judged without the network.

Every link and image of a template (``a``/``area`` href, ``img`` src, URLs written in
the text part) is read once. Merge tags inside a URL are recognised with the
platform's tokenizer (or a conservative pattern when no platform is known) and
stand in as opaque text: a URL is never judged on a tag's raw spelling, and a
rule that needs the part a tag fills in (the host, say) stays silent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from preflight.fsutil import is_file
from preflight.linkscan import BUTTON_CLASS, is_button, links
from preflight.model import TAG_MARK, Link, Location, Part, Related, Template, Violation
from preflight.urls import host_allowed, listed_suffix, local_reason, shown_url, subdomain_labels

if TYPE_CHECKING:  # the link results load only when --online checks links
    from preflight.links.results import Checked

Options = Mapping[str, Any]

_KNOWN_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms", "cid", "data", "ftp"})
# a tag opener left once the URL's whole tags are marked: the tag was cut short, as quotes
# inside it (Go's {{ index . "ID" }}) end the HTML attribute before the template runs
_CUT_TAG = re.compile(r"\{\{|\{%")
_PLACEHOLDER_HREFS = frozenset(
    {"", "#", "http://", "https://", "todo", "tbd", "xxx", "url", "link"}
)
_EXAMPLE_HOSTS = re.compile(r"(?:^|\.)example\.(?:com|net|org)$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")
_MAILTO_KEYS = frozenset({"subject", "body", "cc", "bcc", "to"})
_TEL = re.compile(r"^\+?[0-9().\- ]{3,32}$")
_DOMAIN_IN_TEXT = re.compile(
    r"^(?:https?://)?(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?:[/?#:]\S*)?$",
    re.IGNORECASE,
)
# A printf-style placeholder as the whole address ("%customer_url", "mailto:%store_email":
# Magento's {{trans}} arguments; Python's "%(url)s"): the template fills it in, and as written
# it is no address at all (a percent-escape is two hex digits, and a word is not one).
_PRINTF_PLACEHOLDER = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*:)?%(?:\([a-z_]\w*\)s|[a-z_]\w*)$", re.IGNORECASE
)


# -- LINK003 non-production-host ----------------------------------------------------


_TECHNICAL = (
    "api|app|apps|web|www|cdn|static|assets|admin|cms|shop|store|mail|email|img|images|media"
    "|portal|site|server|backend|frontend|env|internal|branch|build|deploy"
)


@functools.cache
def _host_patterns(patterns: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(patterns)
    # the word alone or numbered (dev, staging-2), the last part of a label (shop-dev), or
    # the first part before a number, a short or a technical part (dev-api, staging-eu):
    # "test-kitchen" and "preview-books" are names, not environments
    after = rf"(?:\d*|[-_]\d+|[-_](?:[a-z]{{1,3}}|{_TECHNICAL})\d*)"
    return re.compile(rf"^(?:{words}){after}$|[-_](?:{words})\d*$", re.IGNORECASE)


def non_production_host(subject: Template | Checked, options: Options) -> Iterator[Violation]:
    """LINK003 over a template (hosts as written) and, with --online, over each checked link
    (a host whose name resolves into a private network is never requested)."""
    if not isinstance(subject, Template):  # a checked link (--online)
        yield from _refused_address(subject)
        return
    template = subject
    settings = template.link_settings
    allow = tuple(settings.get("allow_hosts", ()))
    blocked = [h.lower() for h in options["blocked_hosts"]]
    named = _host_patterns(tuple(options["host_patterns"]))
    for link in links(template):
        parsed = link.parsed
        if parsed is None or parsed.host is None or parsed.scheme not in ("http", "https", ""):
            continue
        host = parsed.host
        if host_allowed(host, allow):
            continue
        reason = local_reason(host)
        if reason is None and host_allowed(host, tuple(blocked)):
            reason = "on the blocklist (`blocked_hosts`)"
        if reason is None and any(named.search(label) for label in host.split(".")):
            # only the labels in front of the registrable domain (Public Suffix List): the
            # site's own name is never judged, dev.to and staging.co.uk are sites
            label = next((label for label in subdomain_labels(host) if named.search(label)), None)
            if label is not None:
                reason = f'named like a non-production host ("{label}")'
        if reason is None:
            continue
        yield Violation(
            'the {kind} "{url}" points at {host}, {reason}',
            link.location,
            {"kind": link.kind, "url": shown_url(link.url), "host": host, "reason": reason},
            help="point it at the production address; if this host is right, add it to"
            " `links.allow_hosts`",
        )


def _refused_address(checked: Checked) -> Iterator[Violation]:
    from preflight.checks.live import live_data  # --online only: a template run needs none

    occurrence, result = checked.occurrence, checked.result
    if result.reason != "refused-address":
        return
    yield Violation(
        'the {kind} "{shown}" was not checked: {what}',
        occurrence.location,
        live_data(occurrence, result, kind=occurrence.kind, what=result.detail or ""),
        help="point it at the production address; if this host is right, add it to"
        " `links.allow_hosts`",
    )


# -- LINK004 insecure-link -----------------------------------------------------------


def insecure_link(template: Template, options: Options) -> Iterator[Violation]:
    allow = (*template.link_settings.get("allow_hosts", ()), *options["allow_http"])
    for link in links(template):
        parsed = link.parsed
        if parsed is None or parsed.scheme != "http" or parsed.host is None:
            continue
        if host_allowed(parsed.host, tuple(allow)) or local_reason(parsed.host):
            continue  # a local address is LINK003's
        yield Violation(
            'the {kind} "{url}" uses http://; mail clients warn about it and images may not load',
            link.location,
            {"kind": link.kind, "url": shown_url(link.url), "host": parsed.host},
            help="use https://" + link.url.strip()[len("http://") :]
            if link.url.strip().lower().startswith("http://")
            else "use https://",
        )


# -- LINK007 placeholder-href ----------------------------------------------------------


def _image_alt(element: etree._Element | None) -> str:
    """The alt text of the image an otherwise empty link wraps (MJML's mj-image href)."""
    if element is None:
        return ""
    image = element.find(".//img")
    return " ".join((image.get("alt") or "").split()) if image is not None else ""


def _shared_placeholder(url: str, patterns: list[re.Pattern[str]]) -> str | None:
    """The shared address of a social share link when it is a placeholder ("#", ""), else
    None: MJML writes the mj-social-element's href into the network's share URL."""
    for pattern in patterns:
        match = pattern.match(url)
        if match is None:
            continue
        target = unquote(match.group("target")).strip()
        if target.lower() in _PLACEHOLDER_HREFS or target.lower() in ("[[url]]", "{{url}}"):
            return target
    return None


def placeholder_href(template: Template, options: Options) -> Iterator[Violation]:
    shares: list[re.Pattern[str]] = []
    for link in links(template):
        if link.kind == "missing":
            if is_button(link.element) and link.text:
                yield Violation(
                    'the button "{text}" has no href',
                    link.location,
                    {"text": link.text[:60], "url": None},
                    help="give the button the address it should open",
                )
            continue
        url = link.url.strip()
        lowered = url.lower()
        reason = None
        if lowered in _PLACEHOLDER_HREFS:
            reason = "an empty link" if lowered in ("", "#") else "a placeholder"
        elif lowered.startswith("javascript:"):
            reason = "JavaScript, which no mail client runs"
        else:
            parsed = link.parsed
            if parsed is not None and parsed.host and _EXAMPLE_HOSTS.search(parsed.host):
                reason = "an example domain"
        if reason is None and link.kind == "link" and "?" in url:
            if not shares:  # compiled on the first link with a query, not for every email
                shares = [re.compile(p, re.IGNORECASE) for p in options["share_links"]]
            shared = _shared_placeholder(url, shares)
            if shared is not None:
                text = link.text or _image_alt(link.element)
                yield Violation(
                    'the share link "{text}" shares "{shared}", a placeholder'
                    if text
                    else 'a share link shares "{shared}", a placeholder',
                    link.location,
                    {"text": text[:60], "url": shown_url(url), "shared": shared},
                    help="give it the address of the page to share (in MJML, the"
                    " mj-social-element's href)",
                )
            continue
        if reason is None:
            continue
        if link.kind == "link" and lowered == "#" and not is_button(link.element):
            # "#" on a plain text link: still nowhere, but say so plainly
            reason = "an empty link"
        what = "button" if is_button(link.element) else link.kind
        text = link.text
        if not text and link.kind == "link":
            text = _image_alt(link.element)
            what = "image link" if text else what
        yield Violation(
            'the {what} "{text}" links to "{url}", {reason}'
            if text
            else 'an {what} links to "{url}", {reason}'
            if what[:1] in "aeiou"
            else 'a {what} links to "{url}", {reason}',
            link.location,
            {"what": what, "text": text[:60], "url": url, "reason": reason},
            help="put the real address in before sending",
        )
    if template.html is not None:
        for cell in template.html.iter("td", "th"):
            if not BUTTON_CLASS.search(cell.get("class") or ""):
                continue
            if cell.find(".//a") is not None:
                continue
            text = template.html.text_content(cell)
            if text:
                yield Violation(
                    'the button "{text}" has no link in it',
                    Location(template.path, template.html.element_span(cell), Part.HTML),
                    {"text": text[:60], "url": None},
                    help='wrap the button\'s text in <a href="…">',
                )


# -- LINK008 malformed-url -----------------------------------------------------------


def malformed_url(template: Template, options: Options) -> Iterator[Violation]:
    for link in links(template):
        if link.kind == "missing":
            continue
        url = link.url.strip()
        opaque = link.opaque.strip()
        if opaque in ("", "#") or opaque == TAG_MARK or opaque.lower().startswith("javascript:"):
            continue  # LINK007's, or a tag that is the whole URL
        if _CUT_TAG.search(opaque):
            continue  # the template writes this URL; the attribute holds only its start
        if _PRINTF_PLACEHOLDER.match(opaque):
            continue  # "%customer_url": filled in by the template, never sent as written
        reason = _malformed(link, opaque)
        if reason is None or (link.kind == "image" and _file_beside(template, opaque)):
            continue
        yield Violation(
            'the {kind} "{url}" is malformed: {reason}',
            link.location,
            {"kind": link.kind, "url": shown_url(url), "reason": reason},
            help="fix the address; test it in a browser",
        )


def _file_beside(template: Template, opaque: str) -> bool:
    """A relative image whose file is beside the template: the folder is uploaded with it
    (Mailchimp's import zip, a local build), and the platform hosts the file."""
    if TAG_MARK in opaque or opaque.startswith(("/", "\\")) or ":" in opaque.split("/", 1)[0]:
        return False
    path = unquote(urlsplit(opaque).path)
    if not path:
        return False
    try:
        return is_file(template.path.parent / path)
    except (OSError, ValueError):  # a name too long or with a NUL: not a file
        return False


def _malformed(link: Link, opaque: str) -> str | None:
    if any(c.isspace() for c in opaque) and not opaque.lower().startswith(("tel:", "sms:")):
        return "it contains a space (encode it as %20)"
    parsed = link.parsed
    if parsed is None:
        return "it does not parse as a URL"
    if opaque.startswith("#"):
        return None  # an in-page anchor
    if not parsed.scheme:
        if opaque.startswith(TAG_MARK):
            return None  # a tag writes the start of the URL
        if opaque.startswith("//"):
            return None
        domain = _DOMAIN_IN_TEXT.match(opaque)
        if domain and listed_suffix(domain.group("host")) is not False:  # not seeds.html
            return "it has no https:// in front, so clients open it as a relative address"
        return "it is relative, and an email has no page to be relative to"
    if parsed.scheme not in _KNOWN_SCHEMES and TAG_MARK not in parsed.scheme:
        return f'"{parsed.scheme}:" is not a scheme mail clients open'
    if parsed.scheme in ("http", "https"):
        if not urlsplit(opaque).netloc:
            return "it has no host"
        host = parsed.host
        if host is not None and not re.fullmatch(r"[a-z0-9.\-\[\]:_\ue000]+", host):
            return f'the host "{host}" has characters a host cannot have'
        if host is not None and (".." in host or host.startswith(".")):
            return f'the host "{host}" has an empty label'
    if parsed.scheme == "mailto":
        return _malformed_mailto(opaque)
    if parsed.scheme in ("tel", "sms"):
        number = opaque.split(":", 1)[1].split("?", 1)[0]
        if TAG_MARK not in number and not _TEL.match(number):
            return f'"{number}" is not a phone number'
    return None


def _malformed_mailto(opaque: str) -> str | None:
    rest = opaque.split(":", 1)[1]
    address, _, query = rest.partition("?")
    for one in filter(None, (a.strip() for a in address.split(","))):
        if TAG_MARK in one:
            continue
        if not _EMAIL.match(unquote(one)):
            return f'"{unquote(one)}" is not an email address'
    if query:
        for pair in query.split("&"):
            key = pair.split("=", 1)[0].lower()
            if key and key not in _MAILTO_KEYS and TAG_MARK not in key:
                return f'"{key}" is not a mailto: field (subject, body, cc, bcc)'
    if not address and not query:
        return "it has no address"
    return None


# -- LINK009 utm-problem -------------------------------------------------------------


def _own(host: str | None, own: tuple[str, ...]) -> bool:
    return host is not None and host_allowed(host, own)


def utm_problem(template: Template, options: Options) -> Iterator[Violation]:
    settings = template.link_settings
    own = tuple(d.lower() for d in settings.get("own_domains", ()))
    required = tuple(settings.get("required_utm", ("utm_source", "utm_medium", "utm_campaign")))
    expected = template.campaign.value if template.campaign else None
    first_campaign: tuple[str, Link] | None = None
    for link in links(template):
        if link.kind != "link":
            continue
        parsed = link.parsed
        if parsed is None or parsed.scheme not in ("http", "https"):
            continue
        values = dict(parsed.query)
        campaign = values.get("utm_campaign")
        if own and _own(parsed.host, own):
            missing = [name for name in required if name not in values]
            if missing:
                yield Violation(
                    'the link "{url}" to your own domain has no {missing}',
                    link.location,
                    {
                        "url": shown_url(link.url),
                        "missing": ", ".join(missing),
                        "host": parsed.host,
                    },
                    help="add " + "&".join(f"{name}=…" for name in missing),
                )
        if campaign is None or TAG_MARK in campaign:
            continue
        if expected is not None and campaign != expected:
            yield Violation(
                'utm_campaign "{campaign}" in "{url}" is not the campaign "{expected}"',
                link.location,
                {"url": shown_url(link.url), "campaign": campaign, "expected": expected},
                help=f"set utm_campaign={expected}, or correct `campaign:` in the metadata",
            )
        elif first_campaign is None:
            first_campaign = (campaign, link)
        elif campaign != first_campaign[0] and expected is None:
            yield Violation(
                'utm_campaign "{campaign}" in "{url}" differs from "{first}" in the same email',
                link.location,
                {"url": shown_url(link.url), "campaign": campaign, "first": first_campaign[0]},
                help="use one utm_campaign for every link of one email",
                related=(Related(first_campaign[1].location, "the first utm_campaign"),),
            )


# -- LINK010 text-url-mismatch -------------------------------------------------------


def _site(host: str) -> str:
    """The part of a host a reader recognises: the last two labels (three for co.uk)."""
    labels = host.lower().removeprefix("www.").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def text_url_mismatch(template: Template, options: Options) -> Iterator[Violation]:
    for link in links(template):
        if link.kind != "link" or link.part is not Part.HTML or not link.text:
            continue
        shown = _DOMAIN_IN_TEXT.match(link.text.strip())
        if shown is None:
            continue
        parsed = link.parsed
        if parsed is None or parsed.host is None or parsed.scheme not in ("http", "https"):
            continue
        if _site(shown.group("host")) == _site(parsed.host):
            continue
        yield Violation(
            'the link text shows "{text}" but the link goes to {host}',
            link.location,
            {"text": link.text.strip()[:80], "host": parsed.host, "url": shown_url(link.url)},
            help="show the address the link really opens, or use words instead of an address"
            " (spam filters treat the mismatch as phishing)",
        )
