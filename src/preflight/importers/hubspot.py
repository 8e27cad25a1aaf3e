"""HubSpot workflows: automation v4 flows and legacy v3 workflows.

v4: ``{name, objectTypeId, startActionId, actions: [{actionId, actionTypeId, connection,
fields, listBranches, staticBranches, defaultBranch}], enrollmentCriteria, timeWindows,
blockedDates, suppressionListIds}``. actionTypeId "0-1" is a delay (``fields.delta``, a
string, in ``time_unit`` MINUTES, HOURS or DAYS) — not to be confused with objectTypeId
"0-1", contacts; "0-4" sends a marketing email (``fields.content_id``); "0-63809083" and
"0-63863438" add to and remove from a static list. v3: ``actions`` in order, ``DELAY``
with ``delayMillis`` (milliseconds), ``EMAIL`` with ``emailContentId``, ``BRANCH`` with
``acceptActions``/``rejectActions``.

Lists are named ``hubspot-list-<id>`` (name your audiences so in audiences.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from preflight.constants import WEEKDAYS
from preflight.durations import UNITS as SECONDS
from preflight.importers.base import (
    END,
    MAX_WAIT,
    PENDING,
    Builder,
    duration,
    pointer_of,
    stop,
    top_pointer,
)

DELAY, SEND_EMAIL = "0-1", "0-4"
ADD_TO_LIST, REMOVE_FROM_LIST = "0-63809083", "0-63863438"
NOTIFY = frozenset({"0-8", "0-9"})
"""Internal email and in-app notifications (unverified ids: seen in public examples)."""
UNITS = {"MINUTES": "minutes", "HOURS": "hours", "DAYS": "days"}
EMAIL_EVENTS = {
    "OPENED": ("opened", False),
    "LINK_CLICKED": ("clicked", False),
    "REPLIED": ("replied", False),
    "RECEIVED_BUT_NOT_OPENED": ("opened", True),
    "SENT_BUT_LINK_NOT_CLICKED": ("clicked", True),
    "OPENED_BUT_LINK_NOT_CLICKED": ("clicked", True),
    "OPENED_BUT_NOT_REPLIED": ("replied", True),
}
"""An EMAIL_EVENT filter's ``operator`` (the engagement; ``level`` is the kind of campaign,
EMAIL_API_CAMPAIGN, HUBSPOT_CAMPAIGN…) -> (engagement, whether the filter is its negation).
The other operators (SENT, RECEIVED, BOUNCED, UNSUBSCRIBED, MARKED_SPAM…) are not a response
the TIME rules time: they become field conditions."""
DAYS = {day.upper(): day for day in WEEKDAYS}


def list_name(list_id: Any) -> str:
    return f"hubspot-list-{list_id}"


def convert(data: Any, builder: Builder) -> None:
    if not isinstance(data, Mapping) or not isinstance(data.get("actions"), list):
        builder.invalid("/actions", "a HubSpot workflow has a list of actions")
        raise stop()
    if isinstance(data.get("name"), str) and data["name"]:
        builder.name = data["name"]
    _audience(data, builder)
    window, blocked = _schedule(data, builder)
    actions = data["actions"]
    if any(isinstance(a, Mapping) and "actionTypeId" in a for a in actions) or (
        "startActionId" in data
    ):
        _v4(actions, data.get("startActionId"), builder, window, blocked)
    else:
        first = _v3(actions, "/actions", builder, END, window, blocked)
        builder.entries = [first] if first != END else []


# -- v4 ------------------------------------------------------------------------------------


def _v4(
    actions: list[Any],
    start: Any,
    builder: Builder,
    window: dict[str, Any] | None,
    blocked: list[str],
) -> None:
    ids: dict[str, str] = {}
    valid: list[tuple[int, Mapping[str, Any]]] = []
    for index, action in enumerate(actions):
        where = pointer_of("actions", index)
        if not isinstance(action, Mapping):
            builder.invalid(where, "an action is an object")
            continue
        if "actionId" not in action:
            builder.invalid(where, "actionId is missing")
            continue
        type_id = str(action.get("actionTypeId", ""))
        kind = {DELAY: "delay", SEND_EMAIL: "send"}.get(type_id) or (
            "branch" if action.get("type") in ("LIST_BRANCH", "STATIC_BRANCH") else "action"
        )
        ids[str(action["actionId"])] = builder.new_id(f"{kind}-{action['actionId']}")
        valid.append((index, action))
    sends_by_content: dict[str, str] = {}
    for _, action in valid:
        if str(action.get("actionTypeId")) == SEND_EMAIL:
            fields = action.get("fields")
            if isinstance(fields, Mapping) and "content_id" in fields:
                sends_by_content[str(fields["content_id"])] = ids[str(action["actionId"])]
    for index, action in valid:
        with builder.element(pointer_of("actions", index)):
            _action(builder, index, action, ids, sends_by_content, window, blocked)
    if start is not None:
        if str(start) in ids:
            builder.entries = [ids[str(start)]]
        else:
            builder.invalid("/startActionId", f'startActionId "{start}" is not an action')


def _next(connection: Any, ids: Mapping[str, str], builder: Builder, where: str) -> str | None:
    if not isinstance(connection, Mapping):
        return None
    target = connection.get("nextActionId")
    if target is None:
        return None
    if str(target) not in ids:
        builder.invalid(f"{where}/nextActionId", f'nextActionId "{target}" is not an action')
        return None
    return ids[str(target)]


def _action(
    builder: Builder,
    index: int,
    action: Mapping[str, Any],
    ids: Mapping[str, str],
    sends: Mapping[str, str],
    window: dict[str, Any] | None,
    blocked: list[str],
) -> None:
    where = pointer_of("actions", index)
    step_id = ids[str(action["actionId"])]
    type_id = str(action.get("actionTypeId", ""))
    fields = action.get("fields") if isinstance(action.get("fields"), Mapping) else {}
    assert isinstance(fields, Mapping)
    follow = _next(action.get("connection"), ids, builder, f"{where}/connection")
    shape = action.get("type")
    if shape in ("LIST_BRANCH", "STATIC_BRANCH"):
        _branches(builder, index, action, ids, sends, step_id)
        return
    if type_id == DELAY:
        builder.add(step_id, "wait", _delay(builder, fields, f"{where}/fields"), where)
    elif type_id == SEND_EMAIL:
        content = fields.get("content_id")
        if content is None:
            builder.invalid(f"{where}/fields", "a marketing email send needs fields.content_id")
        spec = builder.send(
            step_id,
            str(content) if content is not None else None,
            f"{where}/fields/content_id",
            "marketing email",
            window=window,
            blocked_dates=blocked,
        )
        builder.add(step_id, "send", spec, where)
    elif type_id in (ADD_TO_LIST, REMOVE_FROM_LIST):
        verb = "add_to_list" if type_id == ADD_TO_LIST else "remove_from_list"
        builder.add(step_id, "update", {verb: list_name(fields.get("listId"))}, where)
    elif type_id in NOTIFY:
        builder.add(step_id, "notify", {}, where)
    else:
        builder.opaque(step_id, where, f"actionTypeId {type_id}", None)
        builder.unmapped(f"{where}/actionTypeId", "action", type_id or "(none)", step_id)
    if follow:
        builder.follow(step_id, [follow])


def _delay(builder: Builder, fields: Mapping[str, Any], where: str) -> Any:
    delta, unit = fields.get("delta"), fields.get("time_unit", "MINUTES")
    if unit not in UNITS:
        builder.invalid(f"{where}/time_unit", f'time_unit "{unit}" is not MINUTES, HOURS or DAYS')
        return {"until_event": "an unreadable delay"}
    native = UNITS[unit]
    amount = builder.number(
        delta, f"{where}/delta", "delta", maximum=MAX_WAIT / SECONDS[native[:-1]], unit=f" {native}"
    )
    if amount is None:
        return {"until_event": "an unreadable delay"}
    duration = {"amount": int(amount) if amount.is_integer() else amount, "unit": native}
    time_of_day = fields.get("time_of_day")
    if isinstance(time_of_day, Mapping) and "hour" in time_of_day:
        clock = _clock(builder, time_of_day, f"{where}/time_of_day")
        if clock is not None:
            return {"duration": duration, "until_time": clock}
    return duration


def _clock(builder: Builder, value: Mapping[str, Any], where: str) -> str | None:
    """ "HH:MM" from ``{hour, minute}``; None, with a PF003, for an hour or minute out of range
    (an hour of 24 or more is no time of day)."""
    hour = builder.number(value.get("hour"), f"{where}/hour", "hour", maximum=23, whole=True)
    minute = builder.number(
        value.get("minute", 0), f"{where}/minute", "minute", maximum=59, whole=True
    )
    if hour is None or minute is None:
        return None
    return f"{int(hour):02d}:{int(minute):02d}"


def _branches(
    builder: Builder,
    index: int,
    action: Mapping[str, Any],
    ids: Mapping[str, str],
    sends: Mapping[str, str],
    step_id: str,
) -> None:
    """A list or static branch: a chain of yes/no branches, the default branch last."""
    where = pointer_of("actions", index)
    static = action.get("type") == "STATIC_BRANCH"
    key = "staticBranches" if static else "listBranches"
    branches = action.get(key)
    if not isinstance(branches, list) or not branches:
        builder.invalid(f"{where}/{key}", f"{key} is missing or empty")
        branches = []
    default = _next(action.get("defaultBranch"), ids, builder, f"{where}/defaultBranch") or END
    chain: list[tuple[str, dict[str, Any], str, str, bool]] = []
    for number, branch in enumerate(branches):
        at = f"{where}/{key}/{number}"
        if not isinstance(branch, Mapping):
            builder.invalid(at, "a branch is an object")
            continue
        target = _next(branch.get("connection"), ids, builder, f"{at}/connection") or END
        if static:
            condition, negated = _static_condition(action, branch), False
        else:
            condition, negated = _list_condition(branch, sends)
        chain.append((at, condition, target, str(branch.get("branchName") or ""), negated))
    if not chain:
        builder.add(
            step_id, "opaque", {"platform": "hubspot", "type": str(action.get("type"))}, where
        )
        builder.follow(step_id, [default])
        return
    step_ids = [step_id] + [builder.new_id(f"{step_id}-{n + 2}") for n in range(len(chain) - 1)]
    for number, (at, condition, target, label, negated) in enumerate(chain):
        otherwise = step_ids[number + 1] if number + 1 < len(chain) else default
        yes, no = (otherwise, target) if negated else (target, otherwise)
        builder.add(
            step_ids[number],
            "branch",
            {"if": condition, "then": yes, "else": no},
            at,
            label or None,
        )


def _filters(value: Any) -> list[Mapping[str, Any]]:
    """Every filter in a (nested) filter branch."""
    found: list[Mapping[str, Any]] = []
    if isinstance(value, Mapping):
        for item in value.get("filters", []) or []:
            if isinstance(item, Mapping):
                found.append(item)
        for nested in value.get("filterBranches", []) or []:
            found.extend(_filters(nested))
    return found


def _list_condition(
    branch: Mapping[str, Any], sends: Mapping[str, str]
) -> tuple[dict[str, Any], bool]:
    """(the native condition, whether it is negated: then and else swap)."""
    filters = _filters(branch.get("filterBranch"))
    for item in filters:
        operator = str(item.get("operator", "")).upper()
        if item.get("filterType") == "EMAIL_EVENT" and operator in EMAIL_EVENTS:
            verb, negated = EMAIL_EVENTS[operator]
            email = item.get("emailId", item.get("contentId"))
            condition: dict[str, Any] = {verb: sends.get(str(email), PENDING)}
            if verb == "clicked" and isinstance(item.get("clickUrl"), str) and item["clickUrl"]:
                condition["url"] = item["clickUrl"]
            return condition, negated
        if item.get("filterType") == "FORM_SUBMISSION":
            return {"submitted": PENDING}, False
    for item in filters:
        if item.get("filterType") == "EMAIL_EVENT":
            return {"field": f"email event {str(item.get('operator', '')).lower()}"}, False
        if item.get("filterType") == "IN_LIST" and "listId" in item:
            return {"member_of": list_name(item["listId"])}, False
        if item.get("filterType") in ("PROPERTY", None) and isinstance(item.get("property"), str):
            return {"field": item["property"]}, False
    return {"field": str(branch.get("branchName") or "list branch")}, False


def _static_condition(action: Mapping[str, Any], branch: Mapping[str, Any]) -> dict[str, Any]:
    source = action.get("inputValue")
    field = "value"
    if isinstance(source, Mapping):
        field = str(source.get("propertyName") or source.get("dataKey") or field)
    return {"field": field, "equals": branch.get("branchValue")}


# -- v3 -------------------------------------------------------------------------------------


def _v3(
    actions: list[Any],
    where: str,
    builder: Builder,
    after: str,
    window: dict[str, Any] | None,
    blocked: list[str],
) -> str:
    """Legacy actions run in order; returns the id of the first (``after`` when none)."""
    first = after
    previous: str | None = None
    for index, action in enumerate(actions):
        at = f"{where}/{index}"
        if not isinstance(action, Mapping) or not isinstance(action.get("type"), str):
            builder.invalid(at, "a v3 action is an object with a type")
            continue
        kind = action["type"]
        step_id = builder.new_id(
            f"{kind.lower()}-{index + 1}" if where == "/actions" else kind.lower()
        )
        with builder.element(at):
            _v3_action(builder, action, kind, step_id, at, window, blocked)
        if previous is None:
            first = step_id
        else:
            builder.follow(previous, [step_id])
        previous = step_id if kind != "BRANCH" else None
        if kind == "BRANCH":
            break  # actions after a branch live in its accept and reject lists
    if previous is not None and after != END:
        builder.follow(previous, [after])
    return first


def _v3_action(
    builder: Builder,
    action: Mapping[str, Any],
    kind: str,
    step_id: str,
    at: str,
    window: dict[str, Any] | None,
    blocked: list[str],
) -> None:
    if kind == "DELAY":
        millis = action.get("delayMillis")
        if isinstance(millis, str):  # v3 writes a number; a string is not one
            millis = None
        seconds = builder.number(
            millis, f"{at}/delayMillis", "delayMillis", maximum=MAX_WAIT * 1000, unit=" ms"
        )
        builder.add(step_id, "wait", duration((seconds or 0) / 1000), at)
    elif kind == "EMAIL":
        content = action.get("emailContentId", action.get("emailCampaignId"))
        spec = builder.send(
            step_id,
            str(content) if content is not None else None,
            f"{at}/emailContentId",
            "marketing email",
            window=window,
            blocked_dates=blocked,
        )
        builder.add(step_id, "send", spec, at)
    elif kind == "BRANCH":
        yes = _v3(
            action.get("acceptActions") or [],
            f"{at}/acceptActions",
            builder,
            END,
            window,
            blocked,
        )
        no = _v3(
            action.get("rejectActions") or [],
            f"{at}/rejectActions",
            builder,
            END,
            window,
            blocked,
        )
        builder.add(step_id, "branch", {"if": {"field": "filters"}, "then": yes, "else": no}, at)
    elif kind in ("SET_CONTACT_PROPERTY", "ADD_SUBTRACT_PROPERTY", "COPY_PROPERTY"):
        builder.add(step_id, "update", {str(action.get("propertyName", "property")): kind}, at)
    elif kind in ("NOTIFICATION", "NOTIFICATION_STATION", "TASK"):
        builder.add(step_id, "notify", {}, at)
    else:
        builder.opaque(step_id, at, kind, None)
        builder.unmapped(f"{at}/type", "action", kind, step_id)


# -- enrollment, suppression, schedule ---------------------------------------------------------


def _audience(data: Mapping[str, Any], builder: Builder) -> None:
    include: list[str] = []
    criteria = data.get("enrollmentCriteria")
    if isinstance(criteria, Mapping):
        for item in _filters(criteria.get("listFilterBranch")):
            if item.get("filterType") == "IN_LIST" and "listId" in item:
                include.append(list_name(item["listId"]))
    suppress = data.get("suppressionListIds")
    exclude: list[str] = []
    if suppress is not None:
        if not isinstance(suppress, list):
            builder.invalid("/suppressionListIds", "suppressionListIds is a list of list ids")
        else:
            exclude = [list_name(i) for i in suppress]
            top_pointer(builder, ("audience", "exclude"), "/suppressionListIds")
    if include or exclude:
        audience: dict[str, Any] = {}
        if include:
            audience["include"] = include
            top_pointer(builder, ("audience", "include"), "/enrollmentCriteria")
        if exclude:
            audience["exclude"] = exclude
        builder.document["audience"] = audience


def _schedule(data: Mapping[str, Any], builder: Builder) -> tuple[dict[str, Any] | None, list[str]]:
    """timeWindows -> a send window on every send; blockedDates -> their blocked dates."""
    window: dict[str, Any] | None = None
    windows = data.get("timeWindows")
    if isinstance(windows, list) and windows:
        days: list[str] = []
        starts: list[str] = []
        ends: list[str] = []
        for number, item in enumerate(windows):
            if not isinstance(item, Mapping) or str(item.get("day", "")).upper() not in DAYS:
                builder.invalid(f"/timeWindows/{number}", "a time window has a day such as MONDAY")
                continue
            days.append(DAYS[str(item["day"]).upper()])
            for key, into in (("startTime", starts), ("endTime", ends)):
                value = item.get(key)
                if isinstance(value, Mapping) and "hour" in value:
                    clock = _clock(builder, value, f"/timeWindows/{number}/{key}")
                    if clock is not None:
                        into.append(clock)
        if days:
            window = {"days": list(dict.fromkeys(days))}
            if starts:
                window["start"] = min(starts)
            if ends:
                window["end"] = max(ends)
    elif windows is not None and not isinstance(windows, list):
        builder.invalid("/timeWindows", "timeWindows is a list")
    blocked: list[str] = []
    dates = data.get("blockedDates")
    if isinstance(dates, list):
        for number, item in enumerate(dates):
            found = _date(builder, item, f"/blockedDates/{number}")
            if found is not None:
                blocked.append(found)
    elif dates is not None:
        builder.invalid("/blockedDates", "blockedDates is a list")
    return window, blocked


def _date(builder: Builder, item: Any, where: str) -> str | None:
    """A blocked date as YYYY-MM-DD from "2026-12-25", ``{date}`` or ``{year, month, day}``."""
    if isinstance(item, Mapping) and "date" in item:
        item, where = item["date"], f"{where}/date"
    if isinstance(item, Mapping) and {"year", "month", "day"} <= set(item):
        parts = [
            builder.number(item[key], f"{where}/{key}", key, maximum=9999, whole=True)
            for key in ("year", "month", "day")
        ]
        if None in parts:
            return None
        year, month, day = (int(part or 0) for part in parts)
        item = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        return date.fromisoformat(str(item)).isoformat()
    except ValueError:
        builder.invalid(where, f'"{item}" is not a date such as 2026-12-25')
        return None
