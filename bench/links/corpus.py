"""The link benchmark's URL sets, email files and ground truth.

Each unique URL has a *kind* (what the server does with it, see ``server.py``) and
a ground-truth *class*: ``ok`` (a checker must not flag it), ``bad`` (it must) or
``unverifiable`` (a bot wall or challenge: flagging it as broken is a false
positive; reporting it as "could not verify" is right).

Two sets are built, deterministically (seeded):

* ``healthy``: only ``ok`` URLs, tricky ones included (redirect chains, 405 on
  HEAD, 429 then 200, a huge body, links to present anchors);
* ``faults``: the same tricky ``ok`` URLs plus about 11 % ``bad`` and 1 %
  ``unverifiable`` ones.

Each set has ``URLS`` unique URLs spread over ``FILES`` HTML emails of ``LINKS``
links each (28 ``<a href>`` and 2 ``<img src>``), so every URL appears about three
times across the files: a checker that does not de-duplicate pays for it.
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

FILES = 200
LINKS = 30
IMAGES_PER_FILE = 2
URLS = 2000


@dataclass(frozen=True)
class Url:
    url: str  # as written in the files (absolute, maybe with ?query and #fragment)
    kind: str  # see KINDS
    truth: str  # ok | bad | unverifiable
    image: bool = False


# kind -> (class, description). The order is the order of the report.
KINDS: dict[str, tuple[str, str]] = {
    "page": ("ok", "200 page, no fragment (1 in 10 with a utm query)"),
    "anchor": ("ok", "200 page, link to a present #anchor"),
    "image": ("ok", "200 image (<img src>)"),
    "redirect": ("ok", "301/302/307/308 chain (1-4 hops) to a 200 page"),
    "nohead": ("ok", "405 on HEAD, 200 on GET"),
    "rate-ra": ("ok", "429 with Retry-After: 1, then 200"),
    "rate": ("ok", "429 without Retry-After, then 200"),
    "huge": ("ok", "200 with a 50 MB body (application/pdf)"),
    "404": ("bad", "404"),
    "410": ("bad", "410"),
    "500": ("bad", "500 (always)"),
    "loop": ("bad", "redirect loop (302 a->b->a)"),
    "soft404": ("bad", "deep link 301 to the home page (soft 404)"),
    "slow": ("bad", "answers after 5 s (timeout is 2 s)"),
    "reset": ("bad", "connection reset (SO_LINGER 0)"),
    "fragment": ("bad", "200 page, #fragment missing from it"),
    "image404": ("bad", "404 image (<img src>)"),
    "bot999": ("unverifiable", "999 bot wall"),
    "cf403": ("unverifiable", "403 with cf-mitigated: challenge"),
}

# Counts of each non-"page" kind; "page" fills up to URLS.
TRICKY_OK = {
    "anchor": 100,
    "image": 80,
    "redirect": 60,
    "nohead": 20,
    "rate-ra": 5,
    "rate": 5,
    "huge": 2,
}
FAULTS = {
    "404": 60,
    "410": 20,
    "500": 30,
    "loop": 10,
    "soft404": 20,
    "slow": 6,
    "reset": 10,
    "fragment": 40,
    "image404": 20,
    "bot999": 10,
    "cf403": 10,
}
REDIRECT_CHAINS = ["301", "302", "307", "308", "301-302", "302-307-308", "308-301-302-307"]


PATHS = {
    "anchor": "/a/{id}#sec-{section}",
    "image": "/i/{id}.png",
    "image404": "/s/404/{id}.png",
    "nohead": "/nohead/{id}",
    "rate-ra": "/rl/{id}",
    "rate": "/rl0/{id}",
    "huge": "/huge/{id}.pdf",
    "404": "/s/404/{id}",
    "410": "/s/410/{id}",
    "500": "/s/500/{id}",
    "loop": "/loop/{id}/a",
    "soft404": "/deep/{id}/spring-sale/terms",
    "slow": "/slow/{id}",
    "reset": "/rst/{id}",
    "fragment": "/f/{id}#no-such-section-{id}",
    "bot999": "/bot/{id}",
    "cf403": "/cf/{id}",
}
"""The server route of each kind (`links/server.py`); pages and redirects are built below."""


def make_url(kind: str, ident: int, base: str, rng: random.Random) -> Url:
    truth = KINDS[kind][0]
    if kind == "page":
        query = "?utm_source=newsletter&utm_medium=email" if ident % 10 == 0 else ""
        path = f"/p/{ident}{query}"
    elif kind == "redirect":
        path = f"/r/{rng.choice(REDIRECT_CHAINS)}/{ident}"
    elif kind in PATHS:
        path = PATHS[kind].format(id=ident, section=1 + ident % 5)
    else:
        raise ValueError(kind)
    return Url(base + path, kind, truth, image=kind in ("image", "image404"))


def url_set(name: str, bases: list[str], seed: int = 1) -> list[Url]:
    """The unique URLs of set ``name`` (healthy or faults), hosts round-robin."""
    rng = random.Random(f"{name}-{seed}")
    counts = dict(TRICKY_OK)
    if name == "faults":
        counts.update(FAULTS)
    elif name != "healthy":
        raise ValueError(name)
    counts = {"page": URLS - sum(counts.values()), **counts}
    urls = []
    ident = 0
    for kind, count in counts.items():
        for _ in range(count):
            ident += 1
            urls.append(make_url(kind, ident, bases[ident % len(bases)], rng))
    return urls


def key(url: str) -> str:
    """What identifies a unique URL across tools: host:port, path and query."""
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc.lower()}{path}{query}"


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="margin:0;padding:0;background:#f4f4f4">
<div style="display:none">{title} - this week's picks</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#fff">
"""
_TAIL = """<tr><td style="font-size:12px;color:#888">You get this email because you
subscribed. Reply to this email to unsubscribe.</td></tr>
</table></td></tr></table>
</body></html>
"""
_WORDS = ["Shop", "Read", "See", "Book", "Discover", "Join", "Try", "Compare", "Claim", "Watch"]
_NOUNS = ["the sale", "our guide", "new arrivals", "the offer", "the event", "your plan"]


def write_files(urls: list[Url], folder: Path, seed: int = 1) -> list[Path]:
    """Write FILES emails into ``folder``; every URL appears at least once."""
    rng = random.Random(f"files-{seed}")
    anchors = [u for u in urls if not u.image]
    images = [u for u in urls if u.image]
    n_images = FILES * IMAGES_PER_FILE
    n_anchors = FILES * (LINKS - IMAGES_PER_FILE)

    def slots(pool: list[Url], n: int) -> list[Url]:
        seq = list(pool) + [rng.choice(pool) for _ in range(n - len(pool))]
        rng.shuffle(seq)
        return seq

    anchor_slots = slots(anchors, n_anchors)
    image_slots = slots(images, n_images)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    per_file = LINKS - IMAGES_PER_FILE
    for i in range(FILES):
        title = f"Campaign {i:03d}"
        rows = [_HEAD.format(title=title)]
        for j, img in enumerate(image_slots[i * IMAGES_PER_FILE : (i + 1) * IMAGES_PER_FILE]):
            src = html.escape(img.url)
            rows.append(f'<tr><td><img src="{src}" width="600" alt="Banner {j}"></td></tr>\n')
        rows.append("<tr><td><p>Hi {{ first_name }},</p></td></tr>\n")
        for link in anchor_slots[i * per_file : (i + 1) * per_file]:
            text = f"{rng.choice(_WORDS)} {rng.choice(_NOUNS)}"
            rows.append(
                f'<tr><td><p><a href="{html.escape(link.url)}" '
                f'style="color:#0b57d0">{text}</a></p></td></tr>\n'
            )
        rows.append(_TAIL)
        path = folder / f"email-{i:03d}.html"
        path.write_text("".join(rows), encoding="utf-8")
        paths.append(path)
    return paths


def write_truth(urls: list[Url], path: Path) -> None:
    path.write_text(json.dumps([asdict(u) for u in urls], indent=1), encoding="utf-8")
