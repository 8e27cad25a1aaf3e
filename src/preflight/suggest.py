"""'Did you mean' suggestions, shared by config, sidecars and rules."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest choice to ``word``, compared case-insensitively, or None."""
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    import difflib  # only a name that is not known asks (1 ms of start-up)

    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


def hint(match: str | None) -> str:
    """' (did you mean "x"?)' or an empty string, for appending to an error message."""
    return f' (did you mean "{match}"?)' if match else ""
