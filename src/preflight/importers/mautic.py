"""Mautic campaigns: the API's JSON (``GET /api/campaigns/{id}`` answers ``{"campaign":
{name, events, lists, canvasSettings}}``; the inner object alone is read too) and the 7.x
entity export (``[{"campaign": [...], "campaign_event": [...], "dependencies": [...]}]``,
snake_case keys).

Events have an ``eventType``: ``action`` (``email.send`` with ``properties.email``;
``lead.*`` and other contact changes; ``email.send.to.user`` notifies), ``decision``
(``email.open``, ``email.click``, ``email.reply``, ``form.submit``, ``asset.download``…:
the contact's action) or ``condition`` (checked at once). Children hang on their
``parent`` with ``decisionPath`` yes or no. ``triggerMode`` immediate, interval
(``triggerInterval`` in ``triggerIntervalUnit`` i = minutes, h = hours, d = days,
**m = months**, y = years) or date. A decision's "no" path runs once its interval has
passed without the action, so that interval is the wait in front of the check.
Restricted hours and days become the send's window. Segments are the audience, named
``mautic-segment-<id>``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from preflight.constants import CLOCK, WEEKDAYS
from preflight.durations import UNITS as SECONDS
from preflight.importers.base import END, MAX_WAIT, PENDING, Builder, stop, top_pointer
from preflight.importers.base import duration as seconds_duration

UNITS = {
    "i": ("minute", 1),
    "h": ("hour", 1),
    "d": ("day", 1),
    "m": ("month", 1),
    "y": ("month", 12),
}
"""triggerIntervalUnit -> (durations.UNITS name, how many); the native unit is its plural."""
ENGAGEMENT = {
    "email.open": "opened",
    "email.click": "clicked",
    "email.reply": "replied",
    "form.submit": "submitted",
    "asset.download": "downloaded",
}
_CLOCK = re.compile(CLOCK)


def segment_name(segment: Any) -> str:
    return f"mautic-segment-{segment}"


def _get(event: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in event and event[key] not in (None, ""):
            return event[key]
    return None


def convert(data: Any, builder: Builder) -> None:
    events, root, segments = _unwrap(data, builder)
    if isinstance(events, Mapping):
        items = [(f"{root}/{key}", value) for key, value in events.items()]
    elif isinstance(events, list):
        items = [(f"{root}/{index}", value) for index, value in enumerate(events)]
    else:
        builder.invalid(root, "a Mautic campaign has a list of events")
        raise stop()
    if segments:
        builder.document["audience"] = {"include": segments}
    parsed: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for where, event in items:
        if not isinstance(event, Mapping):
            builder.invalid(where, "an event is an object")
            continue
        key = _get(event, "id")
        if key is None:
            builder.invalid(where, "an event needs an id")
            continue
        if _get(event, "eventType", "event_type") not in ("action", "decision", "condition"):
            builder.invalid(
                f"{where}/eventType",
                f'eventType "{_get(event, "eventType", "event_type")}" is not action, decision'
                " or condition",
            )
            continue
        parsed[str(key)] = (where, event)
    ids = {
        key: builder.new_id(str(_get(e, "name") or f"event-{key}"))
        for key, (_, e) in parsed.items()
    }
    children: dict[str | None, list[str]] = {}
    for key, (where, event) in parsed.items():
        parent = _parent(event)
        if parent is not None and parent not in parsed:
            builder.invalid(
                f"{where}/parent", f'parent "{parent}" is not an event of this campaign'
            )
            parent = None
        children.setdefault(parent, []).append(key)
    sends = {key for key, (_, e) in parsed.items() if _get(e, "type") == "email.send"}
    entries: list[str] = []
    for key in children.get(None, []):
        entries.append(_enter(builder, key, parsed, ids, 0))
    for key, (where, event) in parsed.items():
        with builder.element(where):
            _event(builder, key, where, event, parsed, ids, children.get(key, []), sends)
    builder.entries = entries


def _unwrap(data: Any, builder: Builder) -> tuple[Any, str, list[str]]:
    """(events, their pointer, segment names) from the API JSON or the 7.x export."""
    if isinstance(data, list):
        data = data[0] if data and isinstance(data[0], Mapping) else None
        prefix = "/0"
    elif isinstance(data, Mapping) and isinstance(data.get("campaign"), Mapping):
        data, prefix = data["campaign"], "/campaign"  # GET /api/campaigns/{id} wraps it
    else:
        prefix = ""
    if not isinstance(data, Mapping):
        builder.invalid("", "a Mautic export is an object or a list with one")
        raise stop()
    if "campaign_event" in data:
        campaigns = data.get("campaign")
        if (
            isinstance(campaigns, list)
            and campaigns
            and isinstance(campaigns[0], Mapping)
            and isinstance(campaigns[0].get("name"), str)
        ):
            builder.name = campaigns[0]["name"]
        segments: list[str] = []
        for dependency in data.get("dependencies") or []:
            if isinstance(dependency, Mapping):
                for link in dependency.get("lists") or []:
                    if isinstance(link, Mapping) and link.get("lists") is not None:
                        segments.append(segment_name(link["lists"]))
        if segments:
            top_pointer(builder, ("audience",), f"{prefix}/dependencies")
        return data["campaign_event"], f"{prefix}/campaign_event", segments
    if isinstance(data.get("name"), str) and data["name"]:
        builder.name = data["name"]
    segments = []
    lists = data.get("lists") or data.get("segments") or []
    if isinstance(lists, Mapping):  # the API keys them by id: {"3": {"id": 3, "name": …}}
        lists = list(lists.values())
    for segment in lists if isinstance(lists, list) else []:
        value = segment.get("id") if isinstance(segment, Mapping) else segment
        if value is not None:
            segments.append(segment_name(value))
    if segments:
        top_pointer(builder, ("audience",), f"{prefix}/lists")
    return data.get("events"), f"{prefix}/events", segments


def _parent(event: Mapping[str, Any]) -> str | None:
    parent = _get(event, "parent", "parent_id")
    if isinstance(parent, Mapping):
        parent = parent.get("id")
    return None if parent in (None, "", 0) else str(parent)


def _interval(event: Mapping[str, Any]) -> tuple[float, dict[str, Any] | None, str, str | None]:
    """(seconds, the native duration, the key a problem is about, the problem) of an event's
    own trigger."""

    def key(camel: str, snake: str) -> str:
        return snake if snake in event and camel not in event else camel

    mode = _get(event, "triggerMode", "trigger_mode") or "immediate"
    mode_key = key("triggerMode", "trigger_mode")
    if mode != "interval":
        problem = None if mode in ("immediate", "date") else f'unknown triggerMode "{mode}"'
        return 0.0, None, mode_key, problem
    amount = _get(event, "triggerInterval", "trigger_interval")
    amount_key = key("triggerInterval", "trigger_interval")
    unit = _get(event, "triggerIntervalUnit", "trigger_interval_unit") or "d"
    if unit not in UNITS:
        problem = f'triggerIntervalUnit "{unit}" is not i, h, d, m or y'
        return 0.0, None, key("triggerIntervalUnit", "trigger_interval_unit"), problem
    try:
        value = float(amount if amount is not None else 0)
    except (TypeError, ValueError, OverflowError):
        return 0.0, None, amount_key, f"triggerInterval {json.dumps(amount)} is not a number"
    name, factor = UNITS[unit]
    seconds = value * factor * SECONDS[name]
    if not math.isfinite(seconds):
        return 0.0, None, amount_key, f"triggerInterval {json.dumps(amount)} is not a finite number"
    if value < 0:
        return 0.0, None, amount_key, f"triggerInterval {json.dumps(amount)} is negative"
    if seconds > MAX_WAIT:
        return (
            0.0,
            None,
            amount_key,
            (f"triggerInterval {json.dumps(amount)} is more than a hundred years"),
        )
    value *= factor
    duration = {"amount": int(value) if value.is_integer() else value, "unit": f"{name}s"}
    return seconds, duration, amount_key, None


def _enter(
    builder: Builder,
    key: str,
    parsed: Mapping[str, tuple[str, Mapping[str, Any]]],
    ids: Mapping[str, str],
    already: float,
) -> str:
    """The step contacts reach an event through: a wait for its interval (less what a
    decision's window already waited), or the event itself."""
    where, event = parsed[key]
    seconds, duration, about, problem = _interval(event)
    if problem is not None:
        builder.invalid(f"{where}/{about}", problem)
    remaining = seconds - already
    if duration is None or remaining <= 0:
        return ids[key]
    wait_id = builder.new_id(f"{ids[key]}-wait")
    if already:
        duration = seconds_duration(remaining)
    builder.add(wait_id, "wait", duration, where)
    builder.follow(wait_id, [ids[key]])
    return wait_id


def _event(
    builder: Builder,
    key: str,
    where: str,
    event: Mapping[str, Any],
    parsed: Mapping[str, tuple[str, Mapping[str, Any]]],
    ids: Mapping[str, str],
    kids: list[str],
    sends: set[str],
) -> None:
    step_id = ids[key]
    event_type = _get(event, "eventType", "event_type")
    kind = str(_get(event, "type") or "")
    name = _get(event, "name")
    paths: dict[str, list[str]] = {"yes": [], "no": [], "": []}
    for child in kids:
        path = _get(parsed[child][1], "decisionPath", "decision_path") or ""
        paths.setdefault(str(path), []).append(child)
    if event_type == "action":
        _action(builder, step_id, where, event, kind, name)
        builder.follow(step_id, [_enter(builder, c, parsed, ids, 0) for c in kids])
        return
    condition = _condition(kind, event, {k: ids[k] for k in sends})
    yes_kids = paths["yes"] + paths[""]
    no_kids = paths["no"]
    if event_type == "decision" and not no_kids:
        # nothing happens to those who do not act: Mautic waits for the action
        builder.add(step_id, "wait", {"until_event": f"{kind or 'decision'}"}, where, name)
        builder.follow(step_id, [_enter(builder, c, parsed, ids, 0) for c in yes_kids])
        return
    window = 0.0
    if event_type == "decision":
        window = min(_interval(parsed[c][1])[0] for c in no_kids)
    yes = _fork(
        builder, f"{step_id}-yes", [_enter(builder, c, parsed, ids, 0) for c in yes_kids], where
    )
    no = _fork(
        builder, f"{step_id}-no", [_enter(builder, c, parsed, ids, window) for c in no_kids], where
    )
    branch_id = step_id
    if window > 0:
        # the "no" path runs when the window passes without the action: wait, then check
        branch_id = builder.new_id(f"{step_id}-check")
        builder.add(step_id, "wait", seconds_duration(window), where, name)
        builder.follow(step_id, [branch_id])
    builder.add(
        branch_id,
        "branch",
        {"if": condition, "then": yes, "else": no},
        where,
        None if branch_id != step_id else name,
        {("branch", "if"): f"{where}/type"},
    )


def _fork(builder: Builder, wanted: str, targets: list[str], where: str) -> str:
    if not targets:
        return END
    if len(targets) == 1:
        return targets[0]
    fork = builder.new_id(wanted)
    builder.add(fork, "opaque", {"platform": "mautic", "type": "fork"}, where)
    builder.follow(fork, targets)
    return fork


def _action(
    builder: Builder, step_id: str, where: str, event: Mapping[str, Any], kind: str, name: Any
) -> None:
    properties = event.get("properties") if isinstance(event.get("properties"), Mapping) else {}
    assert isinstance(properties, Mapping)
    if kind == "email.send":
        email = properties.get("email")
        if isinstance(properties.get("properties"), Mapping) and email is None:
            email = properties["properties"].get("email")
        if isinstance(email, Mapping):
            email = email.get("id")
        if isinstance(email, list):
            email = email[0] if email else None
        extra: dict[str, Any] = {}
        window = _window(builder, where, event)
        if window:
            extra["window"] = window
        if (_get(event, "triggerMode", "trigger_mode") or "") == "date":
            date = _get(event, "triggerDate", "trigger_date")
            if date:
                extra["at"] = str(date)
        if email is None:
            builder.invalid(
                f"{where}/properties", "an email.send event names no email (properties.email)"
            )
        spec = builder.send(
            step_id,
            str(email) if email is not None else None,
            f"{where}/properties/email",
            "email",
            **extra,
        )
        builder.add(step_id, "send", spec, where, name)
    elif kind == "email.send.to.user":
        builder.add(step_id, "notify", {}, where, name)
    elif kind.startswith(("lead.", "campaign.", "stage.", "email.send.")) or kind in (
        "lead",
        "dnc",
    ):
        builder.add(step_id, "update", {kind: str(name or kind)}, where, name)
    else:
        builder.opaque(step_id, where, kind or "(no type)", name if isinstance(name, str) else None)
        builder.unmapped(f"{where}/type", "action", kind or "(no type)", step_id)


def _condition(kind: str, event: Mapping[str, Any], sends: Mapping[str, str]) -> dict[str, Any]:
    """``sends``: event key -> step id of the email.send events."""
    if kind in ENGAGEMENT:
        parent = _parent(event)
        return {ENGAGEMENT[kind]: sends.get(parent, PENDING) if parent else PENDING}
    properties = event.get("properties") if isinstance(event.get("properties"), Mapping) else {}
    assert isinstance(properties, Mapping)
    if kind == "lead.segments":
        segments = properties.get("segments") or []
        if isinstance(segments, list) and segments:
            return {"member_of": segment_name(segments[0])}
    if kind == "lead.field_value" and properties.get("field"):
        return {"field": str(properties["field"]), "equals": properties.get("value")}
    return {"field": kind or "condition"}


def _window(builder: Builder, where: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """Restricted hours ("09:00" or "09:00:00") and days: PHP's date('w') numbers, 0 = Sunday
    (7 is read as Sunday too)."""
    window: dict[str, Any] = {}
    for side, keys in (
        ("start", ("triggerRestrictedStartHour", "trigger_restricted_start_hour")),
        ("end", ("triggerRestrictedStopHour", "trigger_restricted_stop_hour")),
    ):
        value = _get(event, *keys)
        if value is None:
            continue
        key = keys[0] if keys[0] in event else keys[1]
        clock = value[:5] if isinstance(value, str) and value[5:6] in ("", ":") else None
        if clock is None or not _CLOCK.match(clock):
            builder.invalid(f"{where}/{key}", f'{key} "{value}" is not a time of day such as 09:00')
            continue
        window[side] = clock
    days = _get(event, "triggerRestrictedDaysOfWeek", "trigger_restricted_days_of_week")
    if isinstance(days, list) and days:
        key = "triggerRestrictedDaysOfWeek"
        if key not in event:
            key = "trigger_restricted_days_of_week"
        names = []
        for number, day in enumerate(days):
            found = builder.number(day, f"{where}/{key}/{number}", "day", maximum=7, whole=True)
            if found is not None:
                names.append(WEEKDAYS[(int(found) - 1) % 7])  # 0 and 7: Sunday
        if names:
            window["days"] = list(dict.fromkeys(names))
    return window or None
