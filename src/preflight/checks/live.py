"""LINK, live: what the link checker found, as findings (only with --online).

The checker (``preflight.links``) gives one Result per unique URL; each rule here
looks at one link of one file and the result for its URL, and reports. Rules do
not request anything themselves.
"""

from __future__ import annotations

import http
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from preflight.links.results import Checked, CheckedEmail, Occurrence, Result, Status
from preflight.model import Location, Part, Severity, Violation
from preflight.urls import shown_url

Options = Mapping[str, Any]
_FAILED = (Status.BROKEN, Status.UNREACHABLE, Status.TIMEOUT)


def _what(result: Result) -> str:
    """The failure in a few words: "404 Not Found", "the connection was refused"…"""
    if result.status is Status.BROKEN and result.reason in ("redirect-loop", "too-many-redirects"):
        return result.detail or result.reason
    if result.code is not None and result.status is Status.BROKEN:
        try:
            return f"{result.code} {http.HTTPStatus(result.code).phrase}"
        except ValueError:
            return f"HTTP {result.code}"
    return result.detail or result.reason or result.status.value


def live_data(occurrence: Occurrence, result: Result, **more: Any) -> dict[str, Any]:
    return {
        "url": occurrence.url,
        "shown": shown_url(occurrence.url),
        "status": result.status.value,
        "code": result.code,
        "reason": result.reason,
        "cached": result.cached,
        **more,
    }


def broken_link(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if occurrence.kind != "link" or result.status is not Status.BROKEN:
        return
    redirected = result.chain and result.reason not in ("redirect-loop", "too-many-redirects")
    after = f" (after redirects, at {shown_url(result.final_url)})" if redirected else ""
    yield Violation(
        'the link "{shown}" is broken: {what}{after}',
        occurrence.location,
        live_data(occurrence, result, what=_what(result), after=after, final_url=result.final_url),
        help="link to the page's current address, or remove the link",
    )


def unreachable_link(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if occurrence.kind != "link" or result.status not in (Status.UNREACHABLE, Status.TIMEOUT):
        return
    yield Violation(
        'the link "{shown}" could not be reached: {what}',
        occurrence.location,
        live_data(occurrence, result, what=_what(result)),
        help="check the address for typos; if the site is down, check again before sending",
    )


def missing_fragment(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    fragment = occurrence.fragment
    if (
        fragment is None
        or result.anchors is None
        or result.status
        not in (
            Status.OK,
            Status.REDIRECTED,
        )
    ):
        return
    if fragment in result.anchors or unquote(fragment) in result.anchors:
        return
    if not result.complete:
        return  # the anchor may be further down than what was read
    yield Violation(
        'the link "{shown}" wants the anchor #{fragment}, which the page does not have',
        occurrence.location,
        live_data(occurrence, result, fragment=fragment, anchors=len(result.anchors)),
        help="link to an id or name that is on the page, or drop the #fragment",
    )


def soft_404(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if occurrence.kind != "link" or result.status is not Status.SOFT_404:
        return
    yield Violation(
        'the link "{shown}" looks like a missing page: {what}',
        occurrence.location,
        live_data(occurrence, result, what=result.detail or "", final_url=result.final_url),
        help="open it in a browser; link to the page that replaced it",
    )


def redirect_chain(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if result.status is not Status.REDIRECTED or not result.chain:
        return
    hops = len(result.chain)
    permanent = result.permanent and options["permanent"]
    if hops <= options["max_hops"] and not permanent:
        return
    why = "is permanently redirected" if permanent else f"goes through {hops} redirects"
    yield Violation(
        'the {kind} "{shown}" {why} to {final}',
        occurrence.location,
        live_data(
            occurrence,
            result,
            kind=occurrence.kind,
            why=why,
            final=shown_url(result.final_url),
            final_url=result.final_url,
            hops=hops,
            chain=[[hop.code, hop.url] for hop in result.chain],
        ),
        help=f"link to {result.final_url} directly",
    )


def unverifiable_link(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if result.status is not Status.UNVERIFIABLE:
        return
    yield Violation(
        'the {kind} "{shown}" could not be verified: {what}',
        occurrence.location,
        live_data(occurrence, result, kind=occurrence.kind, what=result.detail or result.reason),
        help="click it once by hand before sending",
        severity=Severity.INFO,
    )


def broken_image(checked: Checked, options: Options) -> Iterator[Violation]:
    occurrence, result = checked.occurrence, checked.result
    if occurrence.kind != "image" or result.status not in _FAILED:
        return
    yield Violation(
        'the image "{shown}" does not load: {what}',
        occurrence.location,
        live_data(occurrence, result, what=_what(result)),
        help=_image_help(occurrence, result),
    )


def _weight(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} KB"


def image_weight(email: CheckedEmail, options: Options) -> Iterator[Violation]:
    """CONTENT011: heavy images, and heavy emails, from the sizes the live check got."""
    sizes: dict[str, int] = {}
    for checked in email.links:
        occurrence, result = checked.occurrence, checked.result
        if occurrence.kind != "image" or result.size is None or occurrence.target in sizes:
            continue
        if result.status not in (Status.OK, Status.REDIRECTED):
            continue
        sizes[occurrence.target] = result.size
        if result.size > options["max_image_bytes"]:
            yield Violation(
                'the image "{shown}" weighs {weight}',
                occurrence.location,
                live_data(
                    occurrence,
                    result,
                    weight=_weight(result.size),
                    bytes=result.size,
                    limit=options["max_image_bytes"],
                ),
                help="resize it to the width it is shown at (twice that for sharp screens) and"
                " compress it; a photo of 600 pixels needs about 100 KB",
            )
    total = sum(sizes.values())
    # one image heavier than the whole email may be is that image's finding, not a second one
    alone = max(sizes.values(), default=0) > options["max_email_bytes"]
    if total > options["max_email_bytes"] and not alone:
        yield Violation(
            "the images of this email weigh {weight} together ({count} images)",
            Location(email.path, None, Part.HTML),
            {
                "weight": _weight(total),
                "bytes": total,
                "count": len(sizes),
                "limit": options["max_email_bytes"],
            },
            help="compress the heaviest images first; readers on mobile data wait for all of it",
        )


def _image_help(occurrence: Occurrence, result: Result) -> str:
    """What to do about an image that does not load, by why it does not."""
    host = urlsplit(occurrence.target).hostname or "its host"
    if result.status is Status.TIMEOUT or result.reason == "deadline":
        return (
            f"{host} did not answer in time: check again before sending; if it stays slow,"
            " host the image where recipients' mail clients can load it quickly"
        )
    if result.status is Status.UNREACHABLE:
        if result.reason == "dns":
            return (
                f"the name {host} does not resolve: check the address for a typo; if this"
                " machine is offline or behind a private DNS, check again where it can reach"
                " the internet"
            )
        if result.reason == "tls":
            return f"{host} has no valid https certificate: serve the image over a valid one"
        return f"nothing answers at {host}: check the address, and whether the image host is up"
    code = result.code or 0
    if code in (401, 403):
        return (
            f"{host} refuses to serve the image ({code}): make it public, or host it where"
            " anyone may load it (mail clients send no login)"
        )
    if code >= 500:
        return f"{host} failed ({code}): check again before sending, and tell the image host"
    if result.reason in ("redirect-loop", "too-many-redirects"):
        return "link the image's final address directly"
    return "upload the image again and use its new address"
