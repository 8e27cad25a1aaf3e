"""Durations as people write them: 10s, 5m, 1d, 1h30m, "2 days", "30 minutes", 90 (seconds).

One reader for config values (`links.timeout`), rule options (TIME001's window)
and workflow waits. "m" is minutes here; Mautic's "m" (months) is read by its
importer, not here.
"""

from __future__ import annotations

import re
from typing import Any

UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "month": 2592000.0,
}
"""Seconds per unit; a month is 30 days (waits are compared, not put on a calendar)."""
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*,?\s*", re.IGNORECASE)


def parse_duration(value: Any) -> float:
    """Seconds in a duration; raises ValueError with a message for the user."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value} is a negative duration")
        return float(value)
    text = str(value).strip()
    if not text:
        raise ValueError("an empty duration")
    total = 0.0
    position = 0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f'"{value}" is not a duration such as 10s, 5m, 2 days or 1h30m')
        unit = match.group(2).lower()
        if unit not in UNITS and unit.endswith("s") and unit[:-1] in UNITS:
            unit = unit[:-1]  # plurals: days, hours, mins
        if unit == "":
            unit = "s"
        if unit not in UNITS:
            raise ValueError(f'"{value}": unknown unit "{match.group(2)}"')
        total += float(match.group(1)) * UNITS[unit]
        position = match.end()
    return total


def parse_offset(value: Any) -> float:
    """Seconds in a signed offset ("-1d", "+2 hours", "3h"); ValueError when it is not one."""
    text = str(value).strip()
    sign = -1.0 if text.startswith("-") else 1.0
    try:
        return sign * parse_duration(text.lstrip("+-").strip() or text)
    except ValueError:
        raise ValueError(f'"{value}" is not an offset such as -1d, +2 hours or 30m') from None


def describe(seconds: float) -> str:
    """A duration for messages: "0 s", "7 minutes", "1 day 2 hours"."""
    if seconds <= 0:
        return "no wait"
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count = int(seconds // size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
            seconds -= count * size
        if len(parts) == 2:
            break
    return " ".join(parts) or "less than a second"
