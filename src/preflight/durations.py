"""Durations as people write them: 10s, 5m, 1d, 1h30m, "2 days", "30 minutes", 90 (seconds).

One reader for config values (`links.timeout`), rule options (TIME001's window)
and workflow waits. "m" is minutes here; Mautic's "m" (months) is read by its
importer, not here.
"""

from __future__ import annotations

import math
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
MAX_SECONDS = 100 * 365 * 86400.0
"""The longest duration or offset read: beyond 100 years a value is a typo."""
LONGEST = "100 years"
"""MAX_SECONDS in words, for messages."""
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*,?\s*", re.IGNORECASE)


def parse_duration(value: Any) -> float:
    """Seconds in a duration; raises ValueError with a message for the user."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a duration (YAML's .inf and .nan are not)")
        if value < 0:
            raise ValueError(f"{_shown(value)} is a negative duration")
        return _bounded(value, value)
    text = str(value).strip()
    if not text:
        raise ValueError("an empty duration")
    total = 0.0
    position = 0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(
                f'"{_shown(value)}" is not a duration such as 10s, 5m, 2 days or 1h30m'
            )
        unit = match.group(2).lower()
        if unit not in UNITS and unit.endswith("s") and unit[:-1] in UNITS:
            unit = unit[:-1]  # plurals: days, hours, mins
        if unit == "":
            unit = "s"
        if unit not in UNITS:
            raise ValueError(f'"{_shown(value)}": unknown unit "{_shown(match.group(2))}"')
        total += float(match.group(1)) * UNITS[unit]  # 400 digits read as inf: _bounded says so
        position = match.end()
    return _bounded(total, value)


def _bounded(seconds: float, value: Any) -> float:
    """``seconds`` as a float when it is at most MAX_SECONDS; ValueError otherwise (inf too).

    An int is compared before it becomes a float: a 400-digit one cannot be converted.
    """
    if not seconds <= MAX_SECONDS:  # also catches nan and inf
        raise _TooLong(f'"{_shown(value)}" is longer than {LONGEST}')
    return float(seconds)


class _TooLong(ValueError):
    """A duration past MAX_SECONDS (parse_offset words it as an offset)."""


def _shown(value: Any, limit: int = 40) -> str:
    """A value for a message, shortened: a 400-digit amount is not worth printing whole."""
    text = str(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_offset(value: Any) -> float:
    """Seconds in a signed offset ("-1d", "+2 hours", "3h"); ValueError when it is not one.

    One sign at most: "--1d" and "+-1d" are typos, not -1d or +1d.
    """
    text = str(value).strip()
    sign = -1.0 if text.startswith("-") else 1.0
    rest = text[1:].strip() if text[:1] in "+-" and text else text
    problem = f'"{_shown(value)}" is not an offset such as -1d, +2 hours or 30m'
    if not rest or rest[0] in "+-":
        raise ValueError(problem)
    try:
        seconds = parse_duration(rest)
    except _TooLong:
        raise ValueError(f'the offset "{_shown(value)}" is longer than {LONGEST}') from None
    except ValueError:
        raise ValueError(problem) from None
    return sign * seconds


def describe(seconds: float) -> str:
    """A duration for messages: "0 s", "7 minutes", "1 day 2 hours"; total, whatever the float
    (an unbounded one reads "more than 100 years")."""
    if math.isnan(seconds):
        return "an unknown time"
    if seconds <= 0:
        return "no wait"
    if seconds > MAX_SECONDS:
        return f"more than {LONGEST}"
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count = int(seconds // size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
            seconds -= count * size
        if len(parts) == 2:
            break
    return " ".join(parts) or "less than a second"
