"""The email clients CLIENT001 judges against, and caniemail's support data for them.

The data is rules/clients/support.json, compiled from the vendored caniemail.json by
scripts/refresh_caniemail.py; it is read once, on the first use (never at import time, never
from the network). A client is caniemail's ``family.platform`` (``gmail.android``,
``outlook.windows``); a selection is a list of clients, families (``gmail``: every Gmail) and
presets (``major``, ``all``), where ``-name`` takes a client or family out again.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from preflight.resources import rules_dir
from preflight.suggest import did_you_mean, hint

MAJOR = (
    "gmail.desktop-webmail",
    "gmail.ios",
    "gmail.android",
    "apple-mail.macos",
    "apple-mail.ios",
    "outlook.windows",  # classic Outlook for Windows: the Word engine
    "outlook.outlook-com",  # Outlook on the web, which the new Outlook for Windows is
    "outlook.macos",
    "outlook.ios",
    "outlook.android",
    "yahoo.desktop-webmail",
)
"""The `major` preset: Gmail web, iOS and Android; Apple Mail macOS and iOS; Outlook classic for
Windows, new Outlook for Windows and Outlook on the web (caniemail tests both as outlook.com),
macOS, iOS and Android; Yahoo Mail on the web."""
PRESETS = ("major", "all")
WORD_ENGINE = ("outlook.windows", "outlook.windows-mail")
"""The clients that read <!--[if mso]> conditional comments and VML."""


@functools.cache
def support() -> Mapping[str, Any]:
    """support.json as compiled: caniemail (its source), clients (labels, in the order the
    features number them), client_hooks, features (judge, fallback, and the clients whose
    latest result is "n" or "a"), index."""
    path = rules_dir() / "clients" / "support.json"
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@functools.cache
def details() -> Mapping[str, Any]:
    """details.json: per feature its title, caniemail page, each client's entry (level, note
    numbers, version tested) and the notes. Read only when a finding quotes them."""
    path = rules_dir() / "clients" / "details.json"
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return data


@functools.cache
def levels(slug: str) -> Mapping[str, str]:
    """Client -> "n" (not supported) or "a" (partly) for one feature; absent: supported."""
    order = list(known())
    feature = support()["features"][slug]
    found = {order[i]: "a" for i in feature.get("a", ())}
    found.update({order[i]: "n" for i in feature.get("n", ())})
    return found


def known() -> dict[str, str]:
    """Every client id caniemail has results for, with its label."""
    clients: dict[str, str] = support()["clients"]
    return clients


def families() -> list[str]:
    return sorted({client.split(".", 1)[0] for client in known()})


def unknown_name(name: str) -> str | None:
    """Why a selection item is not a client, family or preset (with a suggestion), or None."""
    bare = name.strip().lower().lstrip("-")
    if bare in PRESETS or bare in known() or bare in families():
        return None
    candidates = [*PRESETS, *known(), *families()]
    return (
        f'unknown email client "{name}"{hint(did_you_mean(bare, candidates))}: write a caniemail'
        f" id such as gmail.android, a family such as outlook, or a preset ({', '.join(PRESETS)})"
    )


def selection(value: str | Iterable[str]) -> tuple[str, ...]:
    """The clients a selection names, in caniemail's order; unknown names are skipped (the
    config reports them before a run)."""
    names = [value] if isinstance(value, str) else list(value)
    items = [part.strip().lower() for name in names for part in str(name).split(",")]
    chosen: dict[str, None] = {}
    for item in items:
        if not item:
            continue
        remove = item.startswith("-")
        for client in _expand(item.lstrip("-")):
            if remove:
                chosen.pop(client, None)
            else:
                chosen[client] = None
    return tuple(chosen)


def _expand(name: str) -> tuple[str, ...]:
    if name == "all":
        return tuple(known())
    if name == "major":
        return MAJOR
    if name in known():
        return (name,)
    return tuple(client for client in known() if client.split(".", 1)[0] == name)


def label(client: str) -> str:
    return known().get(client, client)
