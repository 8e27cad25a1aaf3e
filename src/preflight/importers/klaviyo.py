"""Klaviyo flows: the Flows API resource ``{data: {type: "flow", attributes: {name,
definition}}}`` or a bare definition ``{triggers, profile_filter, actions, entry_action_id}``.

Actions (``id`` or ``temporary_id``, ``type``, ``links``, ``data``): ``time-delay`` (unit
days|hours|minutes, default days; value; timezone; delay_until_time and
delay_until_weekdays), ``send-email`` (``message.subject_line``, ``preview_text``,
``template_id``), ``conditional-split`` and ``trigger-split`` (``links.next_if_true`` /
``next_if_false``), ``list-update`` and ``update-profile``. A ``profile-metric`` condition
counted since the flow started is an engagement check (``clicked`` when it filters on a
URL, else ``opened``: metric ids are per account) of the nearest email before it; a
``profile-group-membership`` condition checks list or segment membership. List and
segment triggers are the audience, named ``klaviyo-list-<id>`` / ``klaviyo-segment-<id>``
(``klaviyo-group-<id>`` in conditions, which do not say which).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from preflight.constants import CLOCK, WEEKDAYS
from preflight.durations import UNITS as SECONDS
from preflight.importers.base import END, MAX_WAIT, PENDING, Builder, stop, top_pointer

UNITS = {"days": "days", "hours": "hours", "minutes": "minutes"}
_CLOCK = re.compile(CLOCK)
UPDATES = frozenset({"list-update", "update-profile"})
NOTIFIES = frozenset({"send-internal-alert", "send-webhook"})


def convert(data: Any, builder: Builder) -> None:
    root = ""
    definition: Any = data
    if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
        attributes = data["data"].get("attributes")
        if not isinstance(attributes, Mapping):
            builder.invalid("/data/attributes", "a Klaviyo flow has attributes")
            raise stop()
        if isinstance(attributes.get("name"), str) and attributes["name"]:
            builder.name = attributes["name"]
        definition = attributes.get("definition")
        root = "/data/attributes/definition"
        if not isinstance(definition, Mapping):
            builder.invalid(
                root,
                "the flow has no definition (fetch it with ?additional-fields[flow]=definition)",
            )
            raise stop()
    if not isinstance(definition, Mapping) or not isinstance(definition.get("actions"), list):
        builder.invalid(f"{root}/actions", "a flow definition has a list of actions")
        raise stop()
    _triggers(definition, builder, root)
    actions = definition["actions"]
    ids: dict[str, str] = {}
    valid: list[tuple[int, Mapping[str, Any]]] = []
    for index, action in enumerate(actions):
        where = f"{root}/actions/{index}"
        if not isinstance(action, Mapping):
            builder.invalid(where, "an action is an object")
            continue
        key = action.get("id", action.get("temporary_id"))
        if key is None:
            builder.invalid(where, "an action needs an id or a temporary_id")
            continue
        if not isinstance(action.get("type"), str):
            builder.invalid(f"{where}/type", "an action needs a type")
            continue
        wanted = f"{action['type']}-{key}" if str(key).isdigit() else str(key)
        ids[str(key)] = builder.new_id(wanted)
        valid.append((index, action))
    for index, action in valid:
        with builder.element(f"{root}/actions/{index}"):
            _action(builder, f"{root}/actions/{index}", action, ids)
    entry = definition.get("entry_action_id")
    if entry is None:
        builder.invalid(f"{root}/entry_action_id", "entry_action_id is missing")
    elif str(entry) not in ids:
        builder.invalid(f"{root}/entry_action_id", f'entry_action_id "{entry}" is not an action')
    else:
        builder.entries = [ids[str(entry)]]


def _target(value: Any, ids: Mapping[str, str], builder: Builder, where: str) -> str | None:
    if value is None:
        return None
    if str(value) not in ids:
        builder.invalid(where, f'"{value}" is not an action of this flow')
        return None
    return ids[str(value)]


def _action(
    builder: Builder, where: str, action: Mapping[str, Any], ids: Mapping[str, str]
) -> None:
    step_id = ids[str(action.get("id", action.get("temporary_id")))]
    kind = action["type"]
    data = action.get("data") if isinstance(action.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    links = action.get("links") if isinstance(action.get("links"), Mapping) else {}
    assert isinstance(links, Mapping)
    if kind in ("conditional-split", "trigger-split"):
        yes = _target(links.get("next_if_true"), ids, builder, f"{where}/links/next_if_true")
        no = _target(links.get("next_if_false"), ids, builder, f"{where}/links/next_if_false")
        condition, swapped = _condition(kind, data)
        if swapped:
            yes, no = no, yes
        builder.add(
            step_id,
            "branch",
            {"if": condition, "then": yes or END, "else": no or END},
            where,
            keys={("branch", "if"): f"{where}/data"},
        )
        return
    follow = _target(links.get("next"), ids, builder, f"{where}/links/next")
    if kind == "time-delay":
        builder.add(step_id, "wait", _delay(builder, data, f"{where}/data"), where)
    elif kind == "send-email":
        message = data.get("message") if isinstance(data.get("message"), Mapping) else {}
        assert isinstance(message, Mapping)
        template = message.get("template_id")
        for key in ("subject_line", "preview_text"):
            if message.get(key) is not None and not isinstance(message[key], str):
                builder.invalid(f"{where}/data/message/{key}", f"{key} must be a string")
        spec = builder.send(
            step_id,
            str(template) if template else None,
            f"{where}/data/message/template_id",
            "template",
            subject=message.get("subject_line"),
            preheader=message.get("preview_text"),
        )
        name = message.get("name") if isinstance(message.get("name"), str) else None
        builder.add(
            step_id,
            "send",
            spec,
            where,
            name,
            {("send", "subject"): f"{where}/data/message/subject_line"},
        )
    elif kind in UPDATES:
        builder.add(
            step_id, "update", {kind: data.get("list_id", data.get("action", "profile"))}, where
        )
    elif kind in NOTIFIES:
        builder.add(step_id, "notify", {}, where)
    else:
        builder.opaque(step_id, where, kind, None)
        builder.unmapped(f"{where}/type", "action", kind, step_id)
    if follow:
        builder.follow(step_id, [follow])


def _delay(builder: Builder, data: Mapping[str, Any], where: str) -> Any:
    unit = data.get("unit", "days")
    value = data.get("value")
    if unit not in UNITS:
        builder.invalid(f"{where}/unit", f'unit "{unit}" is not days, hours or minutes')
        return {"until_event": "an unreadable delay"}
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        builder.invalid(f"{where}/value", "a time delay needs a value (a whole number)")
        return {"until_event": "an unreadable delay"}
    limit = MAX_WAIT / SECONDS[UNITS[unit][:-1]]
    if builder.number(value, f"{where}/value", "value", maximum=limit, unit=f" {unit}") is None:
        return {"until_event": "an unreadable delay"}
    duration = {"amount": value, "unit": UNITS[unit]}
    spec: dict[str, Any] = {"duration": duration}
    until = data.get("delay_until_time")
    if isinstance(until, str) and until[5:6] in ("", ":") and _CLOCK.match(until[:5]):
        spec["until_time"] = until[:5]
    elif until is not None:
        builder.invalid(
            f"{where}/delay_until_time", f'"{until}" is not a time of day such as 09:00'
        )
    weekdays = data.get("delay_until_weekdays")
    if isinstance(weekdays, list):
        # the days the delay may end on, kept whole (all seven: any day, nothing to keep)
        named = {str(d).lower() for d in weekdays}
        days = [day for day in WEEKDAYS if day in named]
        if days and len(days) < 7:
            spec["until_weekday"] = days[0] if len(days) == 1 else days
    elif weekdays is not None:
        builder.invalid(f"{where}/delay_until_weekdays", "delay_until_weekdays is a list of days")
    return spec if len(spec) > 1 else duration


def _conditions(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    group = data.get(key)
    found: list[Mapping[str, Any]] = []
    if isinstance(group, Mapping):
        for item in group.get("condition_groups") or []:
            if isinstance(item, Mapping):
                found.extend(c for c in item.get("conditions") or [] if isinstance(c, Mapping))
    return found


def _condition(kind: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the native condition, whether then/else swap because it is negated)."""
    if kind == "trigger-split":
        conditions = _conditions(data, "trigger_filter")
        field = next((str(c.get("field")) for c in conditions if c.get("field")), "trigger")
        return {"field": f"trigger {field}"}, False
    for condition in _conditions(data, "profile_filter"):
        ctype = condition.get("type")
        if ctype == "profile-metric":
            filters = json.dumps(condition.get("metric_filters") or [], sort_keys=True)
            verb = "clicked" if "url" in filters.lower() else "opened"
            measured = condition.get("measurement_filter")
            negated = (
                isinstance(measured, Mapping)
                and measured.get("operator") == "equals"
                and measured.get("value") == 0
            )
            return {verb: PENDING}, negated
        if ctype == "profile-group-membership":
            groups = condition.get("group_ids") or []
            name = f"klaviyo-group-{groups[0]}" if groups else "klaviyo-group"
            return {"member_of": name}, condition.get("is_member") is False
        if ctype == "profile-property":
            return {"field": str(condition.get("property", "property"))}, False
    return {"field": "profile filter"}, False


def _triggers(definition: Mapping[str, Any], builder: Builder, root: str) -> None:
    include: list[str] = []
    triggers = definition.get("triggers")
    if triggers is not None and not isinstance(triggers, list):
        builder.invalid(f"{root}/triggers", "triggers is a list")
        triggers = []
    for trigger in triggers or []:
        if (
            isinstance(trigger, Mapping)
            and trigger.get("type") in ("list", "segment")
            and trigger.get("id")
        ):
            include.append(f"klaviyo-{trigger['type']}-{trigger['id']}")
    exclude = [
        f"klaviyo-group-{group}"
        for condition in _conditions(definition, "profile_filter")
        if condition.get("type") == "profile-group-membership"
        and condition.get("is_member") is False
        for group in condition.get("group_ids") or []
    ]
    audience: dict[str, Any] = {}
    if include:
        audience["include"] = include
        top_pointer(builder, ("audience", "include"), f"{root}/triggers")
    if exclude:
        audience["exclude"] = exclude
        top_pointer(builder, ("audience", "exclude"), f"{root}/profile_filter")
    if audience:
        builder.document["audience"] = audience
