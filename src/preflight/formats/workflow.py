"""The native workflow format (*.workflow.yaml, *.workflow.yml, *.workflow.json).

Validated on load against the JSON Schema shipped in the package
(rules/schemas/workflow.schema.json, documented in docs/workflows.md); each
schema problem is a PF003 finding at the key it is about. A document that fits
becomes the Workflow model the TIME, FLOW and LIST rules read, as platform
exports will through their importers.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from preflight.constants import CLOCK, WEEKDAYS
from preflight.durations import describe, parse_duration, parse_offset
from preflight.model import (
    Location,
    Part,
    Related,
    SendWindow,
    Span,
    Step,
    Until,
    Violation,
    Workflow,
)
from preflight.model.source import SourceText
from preflight.resources import rules_dir
from preflight.yamlio import YamlDocument

KINDS = ("send", "wait", "branch", "split", "update", "notify", "goal", "exit", "opaque")
ENGAGEMENT = ("opened", "clicked", "replied", "submitted", "downloaded")


@functools.cache
def schema() -> dict[str, Any]:
    path = rules_dir() / "schemas" / "workflow.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator() -> Any:
    """One validator per process: building it costs more than validating a workflow."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def load_workflow(
    path: Path, max_bytes: int
) -> tuple[Workflow | None, list[tuple[str, Violation]]]:
    """The workflow, or None and the PF001/PF003 problems that stopped it."""
    if path.suffix == ".json":
        return _load_json(path, max_bytes)
    from preflight.formats import read_yaml_file

    read = read_yaml_file(path, max_bytes)
    if read.problem is not None:
        return None, [read.problem]
    assert read.document is not None and read.text is not None
    return build(path, read.document.data, read.text, read.document)


def _load_json(path: Path, max_bytes: int) -> tuple[Workflow | None, list[tuple[str, Violation]]]:
    from preflight.formats.decode import UnreadableInput, read_text

    try:
        text = read_text(path, max_bytes)
        data = json.loads(text)
    except UnreadableInput as error:
        return None, [("PF001", Violation("{detail}", Location(path), {"detail": error.reason}))]
    except (ValueError, RecursionError) as error:
        from preflight.formats import invalid_json

        return None, [("PF001", invalid_json(path, error))]
    return build(path, data, text, None)


Locate = Callable[[tuple[str | int, ...]], Location]
"""Where a key path of the native document is written (importers point into the export)."""


def build(
    path: Path,
    data: Any,
    text: str,
    document: YamlDocument | None,
    locate: Locate | None = None,
) -> tuple[Workflow | None, list[tuple[str, Violation]]]:
    """Validate a parsed document and build the model.

    ``locate`` places the native document's keys elsewhere: an importer passes one that
    answers with the platform export's file and JSON pointer.
    """

    def at(*keys: str | int) -> Location:
        if locate is not None:
            return locate(keys)
        found = document.position(*keys) if document is not None else None
        span = Span.point(found[0], found[1]) if found else None
        pointer = "/" + "/".join(str(k) for k in keys) if keys else ""
        return Location(path, span, Part.WORKFLOW, pointer or None)

    validator = _validator()
    problems: list[tuple[str, Violation]] = []
    # one problem per place: a misspelt key also fails "one kind per step", say only the typo
    chosen: dict[tuple[str, ...], Any] = {}
    for found in validator.iter_errors(data):
        for error in _leaves(found):
            place = tuple(map(str, error.absolute_path))
            if place not in chosen or error.validator == "additionalProperties":
                chosen[place] = error
    for place in sorted(
        chosen, key=lambda keys: [(0, int(k), "") if k.isdigit() else (1, 0, k) for k in keys]
    ):
        if len(problems) >= 20:
            break
        error = chosen[place]
        keys = list(error.absolute_path)
        where = "/".join(str(k) for k in keys) or "the document"
        problems.append(
            (
                "PF003",
                Violation(
                    "{where}: {problem}",
                    at(*keys),
                    {"where": where, "problem": _problem(error), "pointer": "/" + where},
                    help="see docs/workflows.md for the format",
                ),
            )
        )
    usable = _usable(path, data, [chosen[place] for place in chosen])
    if usable is None:
        return None, problems
    data, broken = usable
    duplicates = _duplicate_ids(data["steps"], at)
    if duplicates:
        return None, problems + duplicates
    taken = {str(raw["id"]) for raw in data["steps"] if _readable_id(raw)}
    steps: list[Step] = []
    for index, raw in enumerate(data["steps"]):
        if index in broken:
            step = _broken_step(raw, index, at, taken)
        else:
            step, step_problems = _step(raw, index, at)
            problems.extend(step_problems)
        steps.append(step)
    include, exclude = audience_names(data.get("audience"))
    workflow = Workflow(
        path,
        data["name"],
        tuple(steps),
        kind=data.get("kind", "production"),
        timezone=data.get("timezone"),
        include=include,
        exclude=exclude,
        location=at(),
        audience_locations=audience_locations(data.get("audience"), at, ("audience",)),
        sources={path: SourceText(text)},
        timezone_location=at("timezone") if "timezone" in data else None,
    )
    return workflow, problems


_TOP_OPTIONAL = ("kind", "timezone", "campaign", "platform", "audience")
"""Top-level keys a workflow can do without: one that does not fit is left out (its PF003
says why) and the steps are still checked."""


def _usable(path: Path, data: Any, errors: list[Any]) -> tuple[dict[str, Any], set[int]] | None:
    """The document with what does not fit set aside: (the top-level keys that fit, the
    indexes of the steps that do not), or None when there are no steps to check at all."""
    if not isinstance(data, Mapping):
        return None
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        return None
    usable = {key: data[key] for key in ("name", "steps", *_TOP_OPTIONAL) if key in data}
    broken: set[int] = set()
    for error in errors:
        keys = list(error.absolute_path)
        if not keys:
            continue  # an unknown top-level key (left out) or a missing name (the file's)
        if keys[0] == "steps":
            if len(keys) < 2 or not isinstance(keys[1], int):
                return None
            broken.add(keys[1])
        else:
            usable.pop(str(keys[0]), None)
    if not isinstance(usable.get("name"), str) or not usable["name"]:
        usable["name"] = path.name.split(".")[0] or path.name
    return usable, broken


def _readable_id(raw: Any) -> bool:
    return (
        isinstance(raw, Mapping)
        and isinstance(raw.get("id"), str)
        and _ID.match(raw["id"]) is not None
    )


_ID = re.compile(r"^[^\s]+$")


def _broken_step(raw: Any, index: int, at: Any, taken: set[str]) -> Step:
    """A step that does not fit the schema, as a pass-through: its own id when it has one
    (else ``step-N``), going on to whatever targets it names readably (else the next step)."""
    if _readable_id(raw):
        step_id = str(raw["id"])
    else:
        number, step_id = index + 1, f"step-{index + 1}"
        while step_id in taken:
            number += 1
            step_id = f"step-{index + 1}-{number}"
        taken.add(step_id)
    block = raw if isinstance(raw, Mapping) else {}
    kind = next((k for k in KINDS if k in block), None)
    targets: list[str] = []
    follow = block.get("next")
    if isinstance(follow, str):
        targets.append(follow)
    elif isinstance(follow, list):
        targets.extend(t for t in follow if isinstance(t, str))
    spec = block.get(kind) if kind else raw
    if kind == "branch" and isinstance(spec, Mapping):
        targets.extend(spec[k] for k in ("then", "else") if isinstance(spec.get(k), str))
    elif kind == "split" and isinstance(spec, Mapping):
        targets.extend(k for k in spec if isinstance(k, str))
    step: dict[str, Any] = {"target_locations": {}}
    targets = list(dict.fromkeys(targets))
    if targets:
        step["next"], step["also"] = targets[0], tuple(targets[1:])
    if "next" in block:
        step["target_locations"]["next"] = at("steps", index, "next")
    return Step(step_id, "opaque", at("steps", index), spec, broken=True, **step)


def audience_names(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(include, exclude) from `audience: name` or `audience: {include: …, exclude: …}`."""
    if value is None:
        return (), ()
    if isinstance(value, str):
        return (value,), ()

    def names(item: Any) -> tuple[str, ...]:
        if item is None:
            return ()
        return (item,) if isinstance(item, str) else tuple(item)

    return names(value.get("include")), names(value.get("exclude"))


def audience_locations(value: Any, at: Any, keys: tuple[str | int, ...]) -> dict[str, Location]:
    """Where an `audience:` block is ("audience") and each of its names ("include:NAME",
    "exclude:NAME")."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"audience": at(*keys), f"include:{value}": at(*keys)}
    found: dict[str, Location] = {"audience": at(*keys)}
    for side in ("include", "exclude"):
        item = value.get(side)
        if isinstance(item, str):
            found.setdefault(f"{side}:{item}", at(*keys, side))
        elif isinstance(item, list):
            for index, name in enumerate(item):
                found.setdefault(f"{side}:{name}", at(*keys, side, index))
    return found


def _duplicate_ids(steps: list[Mapping[str, Any]], at: Any) -> list[tuple[str, Violation]]:
    """PF003 at each step whose id an earlier step already has (`next` could not tell them
    apart), with the first one as the related place."""
    first: dict[str, int] = {}
    problems: list[tuple[str, Violation]] = []
    for index, raw in enumerate(steps):
        if not _readable_id(raw):
            continue  # a step without a usable id: its own PF003 says so
        step_id = str(raw["id"])
        if step_id not in first:
            first[step_id] = index
            continue
        where = f"steps/{index}/id"
        problems.append(
            (
                "PF003",
                Violation(
                    "{where}: {problem}",
                    at("steps", index, "id"),
                    {
                        "where": where,
                        "problem": f'two steps have the id "{step_id}"'
                        f" (the first is steps/{first[step_id]})",
                        "pointer": "/" + where,
                        "id": step_id,
                    },
                    help="give each step its own id: next, then and else name steps by id",
                    related=(Related(at("steps", first[step_id], "id"), "the first step with it"),),
                ),
            )
        )
    return problems


def _is_step_kind(error: Any) -> bool:
    """The step's "exactly one of send, wait, …" rule (its alternatives only require a key)."""
    return (
        error.validator == "oneOf"
        and isinstance(error.instance, Mapping)
        and isinstance(error.validator_value, list)
        and all(list(option) == ["required"] for option in error.validator_value)
    )


def _leaves(error: Any) -> list[Any]:
    """The errors to tell the user for one schema error. A oneOf (a send is a path or a
    mapping; a wait a duration or a mapping) says only "not valid under any of the given
    schemas": look inside the alternative the user wrote (jsonschema's best_match picks it,
    the one of the value's own type) and give each of its errors at its own key."""
    if error.validator not in ("oneOf", "anyOf") or not error.context or _is_step_kind(error):
        return [error]
    from jsonschema.exceptions import best_match

    best = best_match([error])
    if best is error:  # no deeper match: the alternative of the value's own type
        best = next((sub for sub in error.context if sub.validator != "type"), None)
    while best is not None and best.parent is not None and best.parent is not error:
        best = best.parent
    if best is None or not best.relative_schema_path:
        return [error]
    branch = best.relative_schema_path[0]
    found: list[Any] = []
    for sub in error.context:
        if sub.relative_schema_path and sub.relative_schema_path[0] == branch:
            found.extend(_leaves(sub))
    return found or [error]


_TYPES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "empty",
}


def _show(value: Any) -> str:
    """A value as the user wrote it, in JSON's double quotes (never Python's repr)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(error: Any) -> str:
    """A schema error in a sentence a user can act on."""
    validator, instance, value = error.validator, error.instance, error.validator_value
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extra = sorted(set(instance) - set(allowed)) if isinstance(instance, Mapping) else []
        from preflight.suggest import did_you_mean

        if extra:
            match = did_you_mean(str(extra[0]), allowed)
            hint = f' (did you mean "{match}"?)' if match else f"; allowed: {', '.join(allowed)}"
            return f'unknown key "{extra[0]}"{hint}'
    if _is_step_kind(error):
        kinds = [k for k in KINDS if k in instance]
        if not kinds:
            return "a step needs one of " + ", ".join(KINDS)
        return "a step has one kind, not " + " and ".join(kinds)
    if validator == "required" and isinstance(instance, Mapping):
        missing = [key for key in value if key not in instance]
        return f'"{missing[0] if missing else value[0]}" is missing'
    if schema.get("pattern") == CLOCK:
        if isinstance(instance, int) and not isinstance(instance, bool) and 0 <= instance < 1440:
            # YAML 1.1 reads an unquoted 9:00 as a base-60 number: 540
            hour, minute = divmod(instance, 60)
            return f'{instance} is not a time of day; write it in quotes: "{hour:02d}:{minute:02d}"'
        return f'{_show(instance)} is not a time of day such as "09:00"'
    if validator == "enum" and WEEKDAYS[0] in value:
        return f'{_show(instance)} is not a day of the week such as "monday"'
    if validator == "enum":
        return f"{_show(instance)} is not one of " + ", ".join(_show(v) for v in value)
    if validator == "const":
        return f"{_show(instance)} is not {_show(value)}"
    if validator == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"{_show(instance)} is not " + " or ".join(
            _TYPES.get(str(t), str(t)) for t in wanted
        )
    if validator == "pattern" and value == "^[^\\s]+$":
        return f"{_show(instance)} is not an id: an id has no spaces"
    if validator == "pattern":
        return f"{_show(instance)} does not match {value}"
    if validator in ("minLength", "minItems", "minProperties") and value == 1:
        return f"{_show(instance)} is empty"
    if validator == "minimum":
        return f"{_show(instance)} is less than {value}"
    if validator == "maxProperties" and _is_step(schema):
        return "a step has an id, one kind and at most a name and next"
    return str(error.message)


def _is_step(schema: Mapping[str, Any]) -> bool:
    return "id" in schema.get("properties", {}) and "send" in schema.get("properties", {})


def _step(raw: Mapping[str, Any], index: int, at: Any) -> tuple[Step, list[tuple[str, Violation]]]:
    kind = next(k for k in KINDS if k in raw)
    spec = raw[kind]
    follow = raw.get("next")
    step: dict[str, Any] = {"target_locations": {}}  # the Step's fields, until it is made
    if isinstance(follow, list):
        step["next"], step["also"] = follow[0], tuple(follow[1:])
    else:
        step["next"] = follow
    problems: list[tuple[str, Violation]] = []
    if "next" in raw:
        step["target_locations"]["next"] = at("steps", index, "next")
    if kind == "send":
        step["template"] = spec if isinstance(spec, str) else spec.get("template")
        if step["template"] is not None:
            keys: Iterable[str | int] = (
                ("steps", index, "send")
                if isinstance(spec, str)
                else ("steps", index, "send", "template")
            )
            step["target_locations"]["template"] = at(*keys)
        if isinstance(spec, Mapping):
            problems.extend(_send_timing(step, spec, index, at))
            _send_audience(step, spec, at, ("steps", index, "send"))
    elif kind == "wait":
        step["wait_seconds"], step["wait_text"], problem = _wait(spec)
        if problem is None:
            try:
                step["wait_written"], step["until"] = _written(spec), _until(spec)
            except ValueError as error:
                problem = str(error)
            for key in ("until_time", "until_weekday", "until_field", "until_event"):
                if isinstance(spec, Mapping) and key in spec:
                    step["target_locations"][key] = at("steps", index, "wait", key)
        if problem is not None:
            step["broken"] = True  # how long it holds is unknown: no path through it is judged
            problems.append(
                (
                    "PF003",
                    Violation(
                        "steps/{index}/wait: {problem}",
                        at("steps", index, "wait"),
                        {"index": index, "problem": problem},
                    ),
                )
            )
    elif kind == "branch":
        condition = spec["if"]
        step["yes"], step["no"] = spec.get("then"), spec.get("else")
        for side, key in (("then", "then"), ("else", "else")):
            if key in spec:
                step["target_locations"][side] = at("steps", index, "branch", key)
        verb = next((v for v in ENGAGEMENT if v in condition), None)
        if verb is not None:
            step["engagement"] = (verb, str(condition[verb]))
            step["target_locations"]["engagement"] = at("steps", index, "branch", "if", verb)
            if verb == "clicked" and "url" in condition:
                step["engagement_url"] = str(condition["url"])
                step["target_locations"]["url"] = at("steps", index, "branch", "if", "url")
    elif kind == "split":
        step["split"] = {str(k): float(v) for k, v in spec.items()}
        for target in step["split"]:
            step["target_locations"][f"split:{target}"] = at("steps", index, "split", target)
    return Step(str(raw["id"]), kind, at("steps", index), spec, **step), problems


def _send_timing(
    step: dict[str, Any], spec: Mapping[str, Any], index: int, at: Any
) -> list[tuple[str, Violation]]:
    """A send's `at`, `window` and `blocked_dates` (TIME004 reads them)."""
    from datetime import date, datetime

    problems: list[tuple[str, Violation]] = []

    def problem(key: str, text: str) -> None:
        problems.append(
            (
                "PF003",
                Violation(
                    "steps/{index}/send/{key}: {problem}",
                    at("steps", index, "send", key),
                    {"index": index, "key": key, "problem": text},
                    help="see docs/workflows.md for the format",
                ),
            )
        )

    if "at" in spec:
        try:
            datetime.fromisoformat(str(spec["at"]))
            step["send_at"] = str(spec["at"])
            step["target_locations"]["at"] = at("steps", index, "send", "at")
        except ValueError:
            problem("at", f'"{spec["at"]}" is not a date and time such as 2025-03-04T09:30')
    if "window" in spec:
        window = spec["window"]
        step["send_window"] = SendWindow(
            tuple(str(day).lower() for day in window.get("days", ())),
            window.get("start"),
            window.get("end"),
        )
        step["target_locations"]["window"] = at("steps", index, "send", "window")
    for position, value in enumerate(spec.get("blocked_dates", ())):
        try:
            date.fromisoformat(str(value))
        except ValueError:
            problem(f"blocked_dates/{position}", f'"{value}" is not a date such as 2025-12-25')
    step["blocked_dates"] = tuple(str(v) for v in spec.get("blocked_dates", ()))
    return problems


def _written(spec: Any) -> str | None:
    """A wait's fixed duration as written: "5m", "7 minutes", "420"."""
    value = spec.get("duration") if isinstance(spec, Mapping) and "duration" in spec else spec
    if isinstance(value, Mapping):
        if set(value) != {"amount", "unit"}:
            return None
        return f"{value['amount']:g} {value['unit']}"
    return None if value is None else str(value)


def _until(spec: Any) -> Until | None:
    """What a wait waits for, beside a duration; raises ValueError for a bad offset or timeout."""
    if not isinstance(spec, Mapping) or not set(spec) - {"amount", "unit", "duration"}:
        return None
    return Until(
        time=spec.get("until_time"),
        weekdays=weekdays(spec.get("until_weekday")),
        field=spec.get("until_field"),
        offset=parse_offset(spec["offset"]) if "offset" in spec else 0.0,
        event=spec.get("until_event"),
        timeout=_duration(spec["timeout"]) if "timeout" in spec else None,
    )


def weekdays(value: Any) -> tuple[str, ...]:
    """`until_weekday: monday` or `[monday, wednesday]` as lower-case days in ISO order."""
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = {str(name).lower() for name in names}
    return tuple(day for day in WEEKDAYS if day in found)


def _send_audience(
    step: dict[str, Any], spec: Mapping[str, Any], at: Any, keys: tuple[str | int, ...]
) -> None:
    """A send step's own audience and subject override (LIST rules, CONTENT003)."""
    if "audience" in spec:
        include, step["exclude"] = audience_names(spec["audience"])
        own = isinstance(spec["audience"], str) or "include" in spec["audience"]
        step["include"] = include if own else None  # only `exclude:`: the workflow's, less those
        written = audience_locations(spec["audience"], at, (*keys, "audience"))
        step["target_locations"].update(written)
    if isinstance(spec.get("subject"), str):
        step["subject"] = spec["subject"]
        step["target_locations"]["subject"] = at(*keys, "subject")


def _wait(spec: Any) -> tuple[float | None, str | None, str | None]:
    """(shortest wait in seconds, how it reads, a problem) for a wait step's block."""
    try:
        if not isinstance(spec, Mapping) or set(spec) <= {"amount", "unit"}:
            seconds = _duration(spec)
            return seconds, describe(seconds), None
        if "duration" in spec:
            seconds = _duration(spec["duration"])
            return seconds, describe(seconds), None
        if "until_event" in spec:
            timeout = _duration(spec["timeout"]) if "timeout" in spec else None
            shown = f"until {spec['until_event']}" + (
                f" (at most {describe(timeout)})" if timeout is not None else ""
            )
            return 0.0, shown, None
        if "until_time" in spec:
            return 0.0, f"until {spec['until_time']}", None
        if "until_weekday" in spec:
            days = " or ".join(day.title() for day in weekdays(spec["until_weekday"]))
            return 0.0, f"until {days}", None
        if "until_field" in spec:
            return 0.0, f"until {spec['until_field']} {spec.get('offset', '')}".strip(), None
    except ValueError as error:
        return None, None, str(error)
    return None, None, "nothing to wait for"


def _duration(value: Any) -> float:
    if isinstance(value, Mapping):
        return parse_duration(f"{value['amount']} {value['unit']}")
    return parse_duration(value)
