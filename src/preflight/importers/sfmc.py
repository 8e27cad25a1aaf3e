"""Salesforce Marketing Cloud Journey Builder journeys: the REST API's journey JSON (``GET
/interaction/v1/interactions/{id}`` or ``key:{key}``, the Journey Specification) and the
same object as Accenture's mcdev stores it (``*.journey-meta.json``).

``{name, triggers: [...], activities: [{key, name, type, outcomes: [{key, next, arguments,
metaData}], configurationArguments, metaData}], goals: [...], exits: [...]}``. There is no
start activity: the first is the one no outcome leads to; an outcome whose ``next`` is null
leaves the journey. Activities: ``EMAILV2`` sends ``configurationArguments.triggeredSend``
(``emailId``, or mcdev's ``r__asset_key``; ``emailSubject``, ``preHeader``); ``WAIT`` by
duration (``waitDuration`` in ``waitUnit`` MINUTES, HOURS, DAYS, WEEKS, MONTHS, then until
``specifiedTime`` when the wait is extended), until a date (``specificDate``), until a
contact's date attribute (``waitEndDateAttributeExpression``, offset by ``waitDuration``:
negative is before the date) or until an API event (``waitForEventKey``, ``waitDuration``
as its limit); ``STOWAIT`` (Einstein send-time optimisation, up to ``slidingWindowHours``);
engagement splits (``ENGAGEMENTDECISION``: ``statsTypeId`` 2 opened, 3 clicked, of the
email activity ``refActivityCustomerKey``; outcomes ``arguments.when`` true or false);
decision splits (``MULTICRITERIADECISION``: one outcome per criteria, the remainder last);
random splits (``RANDOMSPLIT``: ``arguments.percentage``); contact updates. Entry sources
(``triggers``) are the audience, named ``sfmc-event-<eventDefinitionKey>``. Goals that are
exit criteria (``metaData.isExitCriteria``) and exit criteria (``exits``) are checked as a
contact leaves each wait, as Journey Builder does: a branch after every wait.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from preflight.constants import CLOCK
from preflight.durations import UNITS as SECONDS
from preflight.importers.base import (
    END,
    MAX_WAIT,
    PENDING,
    Builder,
    pointer_of,
    stop,
    top_pointer,
)

UNITS = {
    "MINUTES": "minutes",
    "HOURS": "hours",
    "DAYS": "days",
    "WEEKS": "weeks",
    "MONTHS": "months",
}
"""waitUnit (the documentation writes it in lower case, the API answers in capitals)."""
ENGAGEMENT = {2: "opened", 3: "clicked"}
"""statsTypeId of an engagement split (6 is bounced: not a response the TIME rules time)."""
SENDS = frozenset({"EMAILV2", "EMAIL"})
WAITS = frozenset({"WAIT", "WAITBYDURATION", "WAITUNTILDATE", "WAITBYATTRIBUTE", "WAITBYEVENT"})
ENGAGEMENT_SPLITS = frozenset({"ENGAGEMENTDECISION", "ENGAGEMENTSPLITV2"})
DECISION_SPLITS = frozenset({"MULTICRITERIADECISION", "MULTICRITERIADECISIONV2"})
RANDOM_SPLITS = frozenset({"RANDOMSPLIT", "RANDOMSPLITV2"})
UPDATES = frozenset({"UPDATECONTACTDATA", "UPDATECONTACTDATAV2", "CONTACTUPDATE"})
_CLOCK = re.compile(CLOCK)
_ATTRIBUTE = re.compile(r'"([^"]+)"\s*}}\s*$|\.([^.{}"]+)\s*}}\s*$')


def event_name(key: Any) -> str:
    return f"sfmc-event-{key}"


def convert(data: Any, builder: Builder) -> None:
    if not isinstance(data, Mapping) or not isinstance(data.get("activities"), list):
        builder.invalid("/activities", "a Journey Builder journey has a list of activities")
        raise stop()
    if isinstance(data.get("name"), str) and data["name"].strip():
        builder.name = data["name"]
    _entry_sources(data, builder)
    activities = data["activities"]
    ids: dict[str, str] = {}
    valid: list[tuple[int, Mapping[str, Any]]] = []
    for index, activity in enumerate(activities):
        where = pointer_of("activities", index)
        if not isinstance(activity, Mapping):
            builder.invalid(where, "an activity is an object")
            continue
        key = activity.get("key")
        if not isinstance(key, str) or not key:
            builder.invalid(f"{where}/key", "an activity needs a key (outcomes name it in next)")
            continue
        if key in ids:
            builder.invalid(f"{where}/key", f'two activities have the key "{key}"')
            continue
        name = activity.get("name")
        ids[key] = builder.new_id(name if isinstance(name, str) and name.strip() else key)
        valid.append((index, activity))
    leaving = _leaving(data, builder)
    incoming: set[str] = set()
    for _, activity in valid:
        for _, target in _outcomes(activity):
            if isinstance(target, str):
                incoming.add(target)
    for index, activity in valid:
        with builder.element(pointer_of("activities", index)):
            _activity(builder, index, activity, ids, leaving)
    builder.entries = [ids[a["key"]] for _, a in valid if a["key"] not in incoming]


def _outcomes(activity: Mapping[str, Any]) -> list[tuple[int, Any]]:
    outcomes = activity.get("outcomes")
    if not isinstance(outcomes, list):
        return []
    return [(n, o.get("next")) for n, o in enumerate(outcomes) if isinstance(o, Mapping)]


def _target(value: Any, ids: Mapping[str, str], builder: Builder, where: str) -> str:
    """The step an outcome's ``next`` leads to: null leaves the journey."""
    if value is None or value == "":
        return END
    if not isinstance(value, str) or value not in ids:
        builder.invalid(f"{where}/next", f'next "{value}" is not an activity of this journey')
        return END
    return ids[value]


def _activity(
    builder: Builder,
    index: int,
    activity: Mapping[str, Any],
    ids: Mapping[str, str],
    leaving: _Leaving | None,
) -> None:
    where = pointer_of("activities", index)
    step_id = ids[activity["key"]]
    kind = str(activity.get("type") or "").upper()
    name = activity.get("name") if isinstance(activity.get("name"), str) else None
    config = activity.get("configurationArguments")
    config = config if isinstance(config, Mapping) else {}
    meta = activity.get("metaData") if isinstance(activity.get("metaData"), Mapping) else {}
    assert isinstance(meta, Mapping)
    outcomes = activity.get("outcomes") if isinstance(activity.get("outcomes"), list) else []
    assert isinstance(outcomes, list)
    targets = [
        _target(o.get("next"), ids, builder, f"{where}/outcomes/{n}")
        for n, o in enumerate(outcomes)
        if isinstance(o, Mapping)
    ]
    if kind in ENGAGEMENT_SPLITS:
        _engagement_split(builder, step_id, where, config, outcomes, ids, name)
        return
    if kind in DECISION_SPLITS:
        _decision_split(builder, step_id, where, outcomes, ids, name)
        return
    if kind in RANDOM_SPLITS:
        _random_split(builder, step_id, where, outcomes, ids, name)
        return
    if kind in SENDS:
        _send(builder, step_id, where, config, name)
    elif kind in WAITS:
        builder.add(step_id, "wait", _wait(builder, config, meta, where), where, name)
        if leaving is not None:  # goals and exit criteria are checked as contacts leave a wait
            check = builder.new_id(f"{step_id}-exit-criteria")
            condition, target = leaving.condition, leaving.step(builder)
            builder.follow(step_id, [check])
            builder.add(
                check,
                "branch",
                {"if": {"field": condition}, "then": target, "else": _one(targets)},
                where,
            )
            return
    elif kind == "STOWAIT":
        builder.add(step_id, "wait", _send_time(builder, config, where), where, name)
    elif kind in UPDATES:
        builder.add(step_id, "update", {"contact": name or kind}, where, name)
    else:
        builder.opaque(step_id, where, kind or "(no type)", name)
        builder.unmapped(f"{where}/type", "activity", kind or "(no type)", step_id)
    builder.follow(step_id, list(dict.fromkeys(targets)) or [END])


def _one(targets: list[str]) -> str:
    return targets[0] if targets else END


def _send(
    builder: Builder, step_id: str, where: str, config: Mapping[str, Any], name: str | None
) -> None:
    triggered = config.get("triggeredSend")
    triggered = triggered if isinstance(triggered, Mapping) else {}
    assert isinstance(triggered, Mapping)
    reference: Any = triggered.get("emailId")
    at = f"{where}/configurationArguments/triggeredSend/emailId"
    if reference in (None, ""):
        reference = triggered.get("r__asset_key")  # mcdev writes the Content Builder key
        at = f"{where}/configurationArguments/triggeredSend/r__asset_key"
    if reference in (None, ""):
        builder.invalid(
            f"{where}/configurationArguments",
            "an email activity names no email (triggeredSend.emailId)",
        )
    subject, preheader = triggered.get("emailSubject"), triggered.get("preHeader")
    spec = builder.send(
        step_id,
        str(reference) if reference not in (None, "") else None,
        at,
        "email",
        subject=subject.strip() if isinstance(subject, str) else None,
        preheader=preheader.strip() if isinstance(preheader, str) else None,
    )
    keys: dict[tuple[str | int, ...], str] = {}
    if "subject" in spec:
        keys[("send", "subject")] = f"{where}/configurationArguments/triggeredSend/emailSubject"
    builder.add(step_id, "send", spec, where, name, keys)


def _duration(
    builder: Builder, config: Mapping[str, Any], where: str, *, signed: bool = False
) -> tuple[float, str] | None:
    """(amount, native unit) of ``waitDuration`` in ``waitUnit``, or None with a PF003."""
    amount = config.get("waitDuration")
    unit = str(config.get("waitUnit") or "DAYS").upper()
    if unit not in UNITS:
        builder.invalid(
            f"{where}/configurationArguments/waitUnit",
            f'waitUnit "{config.get("waitUnit")}" is not minutes, hours, days, weeks or months',
        )
        return None
    native = UNITS[unit]
    negative = False
    if signed and isinstance(amount, (int, float, str)) and str(amount).strip().startswith("-"):
        negative, amount = True, str(amount).strip()[1:]
    found = builder.number(
        amount,
        f"{where}/configurationArguments/waitDuration",
        "waitDuration",
        maximum=MAX_WAIT / SECONDS[native[:-1]],
        unit=f" {native}",
    )
    if found is None:
        return None
    return (-found if negative else found), native


def _amount(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _wait(builder: Builder, config: Mapping[str, Any], meta: Mapping[str, Any], where: str) -> Any:
    ui = str(meta.get("uiType") or "").upper()
    event = config.get("waitForEventKey")
    attribute = config.get("waitEndDateAttributeExpression")
    date = config.get("specificDate")
    if (isinstance(event, str) and event) or ui == "WAITBYEVENT":
        spec: dict[str, Any] = {"until_event": f"event {event or 'of the journey'}"}
        if config.get("waitDuration") not in (None, ""):
            limit = _duration(builder, config, where)
            if limit is not None:
                spec["timeout"] = {"amount": _amount(limit[0]), "unit": limit[1]}
        return spec
    if (isinstance(attribute, str) and attribute) or ui == "WAITBYATTRIBUTE":
        spec = {"until_field": _attribute(attribute)}
        if config.get("waitDuration") not in (None, "", 0, "0"):
            offset = _duration(builder, config, where, signed=True)
            if offset is not None and offset[0]:
                spec["offset"] = f"{offset[0]:+g} {offset[1]}"
        return spec
    if (isinstance(date, str) and date) or ui == "WAITUNTILDATE":
        return {"until_field": str(date or "a set date")}
    if config.get("waitDuration") in (None, ""):
        builder.invalid(
            f"{where}/configurationArguments", "a wait by duration needs waitDuration and waitUnit"
        )
        return {"until_event": "an unreadable wait"}
    found = _duration(builder, config, where)
    if found is None:
        return {"until_event": "an unreadable wait"}
    duration = {"amount": _amount(found[0]), "unit": found[1]}
    clock = config.get("specifiedTime")
    extended = meta.get("isExtended")
    # the API answers "00:00" for a wait nobody extended; isExtended says when it was
    extended_to = extended is True or (extended is None and clock != "00:00")
    if isinstance(clock, str) and clock and extended_to:
        if _CLOCK.match(clock[:5]) and clock[5:6] in ("", ":"):
            return {"duration": duration, "until_time": clock[:5]}
        builder.invalid(
            f"{where}/configurationArguments/specifiedTime",
            f'"{clock}" is not a time of day such as 09:00',
        )
    return duration


def _attribute(expression: Any) -> str:
    """``{{Contact.Attribute."Webinar"."WebinarDate"}}`` -> WebinarDate."""
    if not isinstance(expression, str) or not expression:
        return "a date attribute"
    match = _ATTRIBUTE.search(expression)
    if match is None:
        return expression.strip()[:200]
    return (match.group(1) or match.group(2)).strip()


def _send_time(builder: Builder, config: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Einstein Send Time Optimization holds a contact until the hour it picks, within
    ``params.slidingWindowHours`` (24 by default): no least wait the rules can count."""
    params = config.get("params") if isinstance(config.get("params"), Mapping) else {}
    assert isinstance(params, Mapping)
    hours = builder.number(
        params.get("slidingWindowHours", 24),
        f"{where}/configurationArguments/params/slidingWindowHours",
        "slidingWindowHours",
        maximum=MAX_WAIT / SECONDS["hour"],
        unit=" hours",
    )
    spec: dict[str, Any] = {"until_event": "the send time Einstein picks"}
    if hours is not None:
        spec["timeout"] = {"amount": _amount(hours), "unit": "hours"}
    return spec


def _yes(outcome: Mapping[str, Any], number: int) -> bool:
    """An engagement split outcome's side: ``arguments.when``, else its label, else its
    place (the documentation lists the true outcome first)."""
    arguments = outcome.get("arguments")
    if isinstance(arguments, Mapping) and isinstance(arguments.get("when"), bool):
        return bool(arguments["when"])
    meta = outcome.get("metaData")
    label = str(meta.get("label", "")).strip().lower() if isinstance(meta, Mapping) else ""
    if label in ("yes", "true", "no", "false"):
        return label in ("yes", "true")
    return number == 0


def _engagement_split(
    builder: Builder,
    step_id: str,
    where: str,
    config: Mapping[str, Any],
    outcomes: list[Any],
    ids: Mapping[str, str],
    name: str | None,
) -> None:
    raw = config.get("statsTypeId")
    stats: int | None = None
    if isinstance(raw, (int, str)) and not isinstance(raw, bool) and str(raw).strip().isdigit():
        stats = int(raw)
    yes, no = END, END
    for number, outcome in enumerate(outcomes):
        if not isinstance(outcome, Mapping):
            continue
        target = _target(outcome.get("next"), ids, builder, f"{where}/outcomes/{number}")
        if _yes(outcome, number):
            yes = target
        else:
            no = target
    verb = ENGAGEMENT.get(stats) if isinstance(stats, int) else None
    condition: dict[str, Any]
    if verb is None:
        condition = {"field": "bounced" if stats == 6 else f"engagement {stats}"}
    else:
        reference = config.get("refActivityCustomerKey")
        condition = {verb: ids.get(reference, PENDING) if isinstance(reference, str) else PENDING}
    builder.add(
        step_id,
        "branch",
        {"if": condition, "then": yes, "else": no},
        where,
        name,
        {("branch", "if"): f"{where}/configurationArguments"},
    )


def _decision_split(
    builder: Builder,
    step_id: str,
    where: str,
    outcomes: list[Any],
    ids: Mapping[str, str],
    name: str | None,
) -> None:
    """One branch per criteria outcome, in order; the last outcome (the remainder) is where
    contacts who meet none go."""
    paths: list[tuple[int, str, str]] = []
    for number, outcome in enumerate(outcomes):
        if not isinstance(outcome, Mapping):
            continue
        target = _target(outcome.get("next"), ids, builder, f"{where}/outcomes/{number}")
        meta = outcome.get("metaData") if isinstance(outcome.get("metaData"), Mapping) else {}
        assert isinstance(meta, Mapping)
        label = meta.get("criteriaDescription") or meta.get("label") or outcome.get("key")
        paths.append((number, target, str(label or f"path {number + 1}")[:200]))
    if len(paths) < 2:
        builder.add(step_id, "opaque", {"platform": "sfmc", "type": "decision split"}, where)
        builder.follow(step_id, [t for _, t, _ in paths] or [END])
        return
    *criteria, (_, remainder, _) = paths
    step_ids = [step_id] + [builder.new_id(f"{step_id}-{n + 2}") for n in range(len(criteria) - 1)]
    for position, (number, target, label) in enumerate(criteria):
        otherwise = step_ids[position + 1] if position + 1 < len(criteria) else remainder
        builder.add(
            step_ids[position],
            "branch",
            {"if": {"field": label}, "then": target, "else": otherwise},
            f"{where}/outcomes/{number}",
            name if position == 0 else None,
        )


def _random_split(
    builder: Builder,
    step_id: str,
    where: str,
    outcomes: list[Any],
    ids: Mapping[str, str],
    name: str | None,
) -> None:
    shares: dict[str, float] = {}
    for number, outcome in enumerate(outcomes):
        if not isinstance(outcome, Mapping):
            continue
        at = f"{where}/outcomes/{number}"
        target = _target(outcome.get("next"), ids, builder, at)
        arguments = outcome.get("arguments")
        value = arguments.get("percentage") if isinstance(arguments, Mapping) else None
        share = builder.number(value, f"{at}/arguments/percentage", "percentage", maximum=100)
        if share is not None:
            shares[target] = shares.get(target, 0.0) + share  # two outcomes joining one step
    if not shares:
        builder.add(step_id, "opaque", {"platform": "sfmc", "type": "random split"}, where)
        builder.follow(step_id, [END])
        return
    builder.add(step_id, "split", {t: _amount(v) for t, v in shares.items()}, where, name)


class _Leaving:
    """The journey's exit criteria and its goals that are exit criteria: the condition, and
    the step contacts who meet it leave to (added with the first wait that checks it)."""

    def __init__(self, condition: str, goal: bool) -> None:
        self.condition = condition
        self.goal = goal
        self.target: str | None = None

    def step(self, builder: Builder) -> str:
        if self.target is None:
            self.target = builder.new_id("goal-met" if self.goal else "exit-criteria-met")
            if self.goal:
                builder.add(self.target, "goal", self.condition, "/goals")
            else:
                builder.add(self.target, "exit", True, "/exits")
        return self.target


def _leaving(data: Mapping[str, Any], builder: Builder) -> _Leaving | None:
    """The journey's exit criteria and goals that are exit criteria, or None when it has
    neither."""
    names: list[str] = []
    goal = False
    for key in ("goals", "exits"):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            builder.invalid(f"/{key}", f"{key} is a list")
            continue
        for item in items:
            if not isinstance(item, Mapping):
                continue
            meta = item.get("metaData") if isinstance(item.get("metaData"), Mapping) else {}
            assert isinstance(meta, Mapping)
            if key == "goals" and meta.get("isExitCriteria") is not True:
                continue  # a goal that only measures: contacts stay
            goal = goal or key == "goals"
            label = item.get("name") or meta.get("criteriaDescription") or item.get("key")
            names.append(str(label or ("goal" if key == "goals" else "exit criteria")))
    if not names:
        return None
    return _Leaving(("goal or exit criteria: " + ", ".join(names))[:200], goal)


def _entry_sources(data: Mapping[str, Any], builder: Builder) -> None:
    triggers = data.get("triggers")
    if triggers is None:
        return
    if not isinstance(triggers, list):
        builder.invalid("/triggers", "triggers is a list")
        return
    include: list[str] = []
    for trigger in triggers:
        if not isinstance(trigger, Mapping):
            continue
        meta = trigger.get("metaData")
        meta = meta if isinstance(meta, Mapping) else {}
        arguments = trigger.get("arguments")
        arguments = arguments if isinstance(arguments, Mapping) else {}
        key = (
            trigger.get("eventDefinitionKey")
            or meta.get("eventDefinitionKey")
            or meta.get("r__event_key")
            or arguments.get("eventDefinitionKey")
        )
        if isinstance(key, str) and key:
            include.append(event_name(key))
    if include:
        builder.document["audience"] = {"include": list(dict.fromkeys(include))}
        top_pointer(builder, ("audience",), "/triggers")
