"""What every importer shares: the Builder that collects native steps with their export
pointers, template resolution, JSON positions, and the run that turns an export into a
Workflow through ``formats.workflow.build``."""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.durations import UNITS
from preflight.importers import LABELS
from preflight.model import Location, Part, Severity, Span, Violation, Workflow

END = "end"
"""The id of the exit step imported workflows end in (a node with no way out goes there)."""
ENGAGEMENT = ("opened", "clicked", "replied", "submitted", "downloaded")
INLINE_TYPES: dict[str, type] = {"window": dict, "blocked_dates": list}
"""Send keys an export may give inline, and their types (the rest are strings)."""
PENDING = "?"
"""The send of an engagement check not known yet: the nearest earlier send fills it."""
MAX_WAIT = 100 * 365 * UNITS["day"]
"""The longest wait an import keeps, in seconds (a hundred years): more is a typo or an
overflow (JSON reads 1e400 as infinity), a PF003."""


class JsonPositions:
    """Line and column of the value a JSON pointer names, found in the text on demand.

    Keys are read with the json module's scanner and skipped values with its C decoder,
    so finding a pointer costs a pass over what comes before it, not a parse of the file.
    """

    _SPACE = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, tuple[int, int] | None] = {}
        self._decoder = json.JSONDecoder()

    def raw(self, pointer: str) -> str | None:
        """The value a pointer names as the export writes it ("1e400", not inf)."""
        try:
            at = self._offset(pointer)
            if at is None:
                return None
            return self.text[at : self._decoder.raw_decode(self.text, at)[1]]
        except (ValueError, IndexError, RecursionError):
            return None

    def position(self, pointer: str) -> tuple[int, int] | None:
        if pointer not in self.found:
            try:
                offset = self._offset(pointer)
            except (ValueError, IndexError, RecursionError):
                offset = None
            if offset is None:
                self.found[pointer] = None
            else:
                line_start = self.text.rfind("\n", 0, offset) + 1
                self.found[pointer] = (
                    self.text.count("\n", 0, offset) + 1,
                    offset - line_start + 1,
                )
        return self.found[pointer]

    def _skip(self, at: int) -> int:
        match = self._SPACE.match(self.text, at)
        return match.end() if match else at

    def _offset(self, pointer: str) -> int | None:
        from json.decoder import scanstring  # type: ignore[attr-defined]

        text = self.text
        at = self._skip(0)
        if text.startswith("\ufeff", at):
            at = self._skip(at + 1)
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        for token in tokens:
            if text[at] == "{":
                at = self._skip(at + 1)
                while text[at] != "}":
                    key, at = scanstring(text, at + 1)
                    at = self._skip(self._skip(at) + 1)  # the colon
                    if key == token:
                        break
                    at = self._skip(self._decoder.raw_decode(text, at)[1])
                    if text[at] == ",":
                        at = self._skip(at + 1)
                else:
                    return None
            elif text[at] == "[":
                if not token.isdigit():
                    return None
                at = self._skip(at + 1)
                for _ in range(int(token)):
                    if text[at] == "]":
                        return None
                    at = self._skip(self._decoder.raw_decode(text, at)[1])
                    if text[at] == ",":
                        at = self._skip(at + 1)
                if text[at] == "]":
                    return None
            else:
                return None
        return at


@dataclass
class Resolver:
    """Email references (content ids, template ids, email ids) -> template paths.

    Config ``templates: {resolve: {hubspot: "emails/hubspot/{id}.html"}}`` (a folder
    convention, relative to the config's folder) or ``{hubspot: {"123": "offer.html"}}``
    (a mapping). Paths come out relative to ``base``, the folder of the native document.
    """

    rules: Mapping[str, Any] = field(default_factory=dict)
    root: Path = Path(".")
    base: Path = Path(".")

    def template(self, platform: str, reference: str) -> str | None:
        rule = self.rules.get(platform)
        if rule is None:
            return None
        if isinstance(rule, Mapping):
            target = rule.get(reference)
            if not isinstance(target, str):
                return None
        else:
            target = str(rule).replace("{id}", reference)
        absolute = Path(target) if Path(target).is_absolute() else self.root / target
        try:
            return Path(os.path.relpath(absolute, self.base)).as_posix()
        except ValueError:  # another drive, on Windows
            return absolute.as_posix()


@dataclass
class Imported:
    """An export as a native document, where each of its steps came from, and the problems."""

    platform: str
    path: Path
    text: str
    document: dict[str, Any] | None
    pointers: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    positions: JsonPositions | None = None

    def where(self, pointer: str | None) -> Location:
        return where(self.path, self.positions, pointer)

    def locate(self, keys: tuple[str | int, ...]) -> Location:
        """The export's place for a key path of the native document (its longest known prefix)."""
        for size in range(len(keys), 0, -1):
            pointer = self.pointers.get(keys[:size])
            if pointer is not None:
                return self.where(pointer)
        return self.where(None)

    @property
    def mapped_fully(self) -> bool:
        return not any(rule in ("PF003", "PF004") for rule, _ in self.problems)


def where(path: Path, positions: JsonPositions | None, pointer: str | None) -> Location:
    """The place of a pointer; for a key that is missing, the place of what should hold it."""
    found = None
    if positions is not None and pointer:
        probe = pointer
        while found is None and probe:
            found = positions.position(probe)
            probe = probe.rsplit("/", 1)[0]
    span = Span.point(*found) if found else None
    return Location(path, span, Part.WORKFLOW, pointer or None)


def duration(seconds: float) -> dict[str, Any]:
    """A native duration in the largest unit that holds it exactly (7200 s -> 2 hours).

    Not ``durations.describe``: that is for messages; it keeps two parts ("1 day 2 hours"
    for 1 day 2 hours 30 minutes), rounds seconds down and says "no wait" for 0, where an
    import must keep the export's wait exactly, in a form the native schema takes.
    """
    for unit in ("day", "hour", "minute"):
        size = UNITS[unit]
        if seconds and seconds % size == 0:
            return {"amount": int(seconds // size), "unit": f"{unit}s"}
    return {"amount": int(seconds) if float(seconds).is_integer() else seconds, "unit": "seconds"}


def slug(text: str, fallback: str = "step") -> str:
    """A step id from a platform's name: lower case, no spaces."""
    cleaned = re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower()
    return cleaned[:60] or fallback


class Builder:
    """Native steps as an importer finds them, with the export's pointer for each."""

    def __init__(self, platform: str, path: Path, text: str, resolver: Resolver) -> None:
        self.platform = platform
        self.label = LABELS[platform]
        self.path = path
        self.resolver = resolver
        self.positions = JsonPositions(text)
        self.text = text
        self.name: str | None = None
        self.document: dict[str, Any] = {}
        """Top-level keys besides name and steps (timezone, audience…)."""
        self.steps: dict[str, dict[str, Any]] = {}
        self.targets: dict[str, list[str]] = {}
        self.pointers: dict[str, str] = {}
        self.key_pointers: dict[tuple[str, tuple[str | int, ...]], str] = {}
        self.problems: list[tuple[str, Violation]] = []
        self.entries: list[str] = []
        self._ids: set[str] = {END}

    # -- problems ---------------------------------------------------------------------
    def where(self, pointer: str | None) -> Location:
        return where(self.path, self.positions, pointer)

    def invalid(self, pointer: str, problem: str, help: str | None = None) -> None:
        """PF003: the export does not have the shape its platform documents."""
        shown = pointer or "the document"
        self.problems.append(
            (
                "PF003",
                Violation(
                    "{where}: {problem}",
                    self.where(pointer),
                    {
                        "where": shown,
                        "problem": problem,
                        "pointer": pointer,
                        "platform": self.platform,
                    },
                    help=help
                    or f"see docs/importing.md for what preflight reads from {self.label}",
                ),
            )
        )

    def unmapped(self, pointer: str, what: str, element_type: str, step: str | None = None) -> None:
        """PF004: an element preflight does not understand (it passes contacts through)."""
        self.problems.append(
            (
                "PF004",
                Violation(
                    '{label} {what} "{type}" is not mapped: preflight treats it as a step'
                    " contacts pass through at once",
                    self.where(pointer),
                    {
                        "label": self.label,
                        "what": what,
                        "type": element_type,
                        "pointer": pointer,
                        "step": step,
                        "platform": self.platform,
                    },
                    help="if it delays or filters contacts, the TIME rules cannot see that",
                ),
            )
        )

    def number(
        self,
        value: Any,
        pointer: str,
        what: str,
        *,
        maximum: float | None = None,
        whole: bool = False,
        unit: str = "",
    ) -> float | None:
        """A number the export gives (a JSON number or a string of one), or None with a PF003
        when it is not one, is not finite (JSON reads 1e400 as infinity), is negative or is
        above ``maximum`` (in ``unit``)."""
        found: float | None = None
        problem = "is not a number"
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                found = float(value)
            except ValueError:
                found = None
            except OverflowError:  # an int of hundreds of digits
                found, problem = None, "is not a finite number"
        if found is None:
            pass
        elif not math.isfinite(found):
            problem = "is not a finite number"
        elif found < 0:
            problem = "is negative"
        elif maximum is not None and found > maximum:
            problem = f"is more than {maximum:g}{unit}"
        elif whole and not found.is_integer():
            problem = "is not a whole number"
        else:
            return found
        shown = self.positions.raw(pointer) or json.dumps(value, default=str)
        self.invalid(pointer, f"{what} {shown} {problem}")
        return None

    @contextmanager
    def element(self, pointer: str) -> Iterator[None]:
        """Read one element of the export: a shape no importer branch foresaw becomes a PF003
        at the element, never a traceback, and the rest of the export is still read."""
        try:
            yield
        except _Stop:
            raise
        except Exception as error:  # any bug on odd input must stay a finding
            self.invalid(
                pointer,
                f"could not read this export element ({type(error).__name__}: {error})",
            )

    # -- steps --------------------------------------------------------------------------
    def new_id(self, wanted: str) -> str:
        base = slug(wanted)
        candidate, number = base, 2
        while candidate in self._ids:
            candidate, number = f"{base}-{number}", number + 1
        self._ids.add(candidate)
        return candidate

    def add(
        self,
        step_id: str,
        kind: str,
        spec: Any,
        pointer: str,
        name: str | None = None,
        keys: Mapping[tuple[str | int, ...], str] | None = None,
    ) -> dict[str, Any]:
        """A native step (its `next` comes from `follow`); ``keys`` are pointers of its parts."""
        step: dict[str, Any] = {"id": step_id}
        if isinstance(name, str) and name:
            step["name"] = name
        step[kind] = spec
        self.steps[step_id] = step
        self.pointers[step_id] = pointer
        for sub, sub_pointer in (keys or {}).items():
            self.key_pointers[(step_id, sub)] = sub_pointer
        return step

    def follow(self, step_id: str, targets: list[str]) -> None:
        self.targets.setdefault(step_id, [])
        for target in targets:
            if target not in self.targets[step_id]:
                self.targets[step_id].append(target)

    def opaque(self, step_id: str, pointer: str, element_type: str, name: str | None) -> None:
        spec: dict[str, Any] = {"platform": self.platform, "type": element_type}
        if isinstance(name, str) and name:
            spec["name"] = name
        self.add(step_id, "opaque", spec, pointer)

    def send(
        self,
        step_id: str,
        reference: str | None,
        reference_pointer: str | None,
        what: str = "email",
        **inline: Any,
    ) -> dict[str, Any]:
        """A send block: the template an email reference resolves to, plus what the export
        says inline (subject, html…). An unresolved reference is a FLOW002 info."""
        spec: dict[str, Any] = {}
        if reference:
            template = self.resolver.template(self.platform, reference)
            if template is not None:
                spec["template"] = template
                if reference_pointer:
                    self.key_pointers[(step_id, ("send", "template"))] = reference_pointer
            elif not isinstance(inline.get("html"), str) and not isinstance(
                inline.get("text"), str
            ):
                self.problems.append(
                    (
                        "FLOW002",
                        Violation(
                            'step "{step}" sends {label} {what} "{reference}", which preflight'
                            " cannot find: its content is not checked",
                            self.where(reference_pointer),
                            {
                                "step": step_id,
                                "label": self.label,
                                "what": what,
                                "reference": reference,
                                "platform": self.platform,
                            },
                            help=_resolve_help(self.platform),
                            severity=Severity.INFO,
                        ),
                    )
                )
        for key, value in inline.items():  # a copy each: one window shared by every send
            if value not in (None, "", [], {}) and isinstance(value, INLINE_TYPES.get(key, str)):
                spec[key] = copy.deepcopy(value)
        return spec

    # -- the document ---------------------------------------------------------------------
    def finish(self) -> Imported:
        """Order the steps from the entry, give every step an explicit way on, fill the sends
        that engagement checks refer to."""
        steps = self.steps
        entries = [e for e in self.entries if e in steps] or list(steps)[:1]
        first: str | None = entries[0] if entries else None
        if len(entries) > 1:
            first = self.new_id("start")
            self.add(first, "opaque", {"platform": self.platform, "type": "entry"}, "")
            self.follow(first, entries)
        order = self._order(first)
        needs_end = False
        for step_id in order:
            step = steps[step_id]
            if "branch" in step:
                branch = step["branch"]
                for side in ("then", "else"):
                    if branch.get(side) not in steps:
                        branch[side] = END
                        needs_end = True
                continue
            if "exit" in step or "goal" in step or "split" in step:
                continue
            targets = [t for t in self.targets.get(step_id, []) if t in steps]
            if not targets:
                step["next"] = END
                needs_end = True
            else:
                step["next"] = targets[0] if len(targets) == 1 else targets
        self._fill_engagement(order)
        native_steps = [steps[s] for s in order]
        if needs_end or not native_steps:
            native_steps.append({"id": END, "exit": True})
        document: dict[str, Any] = {"name": self.name or self.path.stem, "platform": self.platform}
        document.update(self.document)
        document["steps"] = native_steps
        pointers: dict[tuple[str | int, ...], str] = {}
        for index, step in enumerate(native_steps):
            pointer = self.pointers.get(step["id"])
            if pointer:
                pointers[("steps", index)] = pointer
            for (owner, sub), sub_pointer in self.key_pointers.items():
                if owner == step["id"]:
                    keys: tuple[str | int, ...] = ("steps", index, *sub)
                    pointers[keys] = sub_pointer
        for key, pointer in self.key_pointers.items():
            if key[0] == "":
                pointers[key[1]] = pointer
        return Imported(
            self.platform, self.path, self.text, document, pointers, self.problems, self.positions
        )

    def _edges(self, step_id: str) -> list[str]:
        step = self.steps[step_id]
        if "branch" in step:
            return [t for t in (step["branch"].get("then"), step["branch"].get("else")) if t]
        if "split" in step:
            return list(step["split"])
        return self.targets.get(step_id, [])

    def _order(self, first: str | None) -> list[str]:
        """Breadth-first from the entry, then whatever it does not reach (FLOW001 says so)."""
        seen: dict[str, None] = {}
        queue = deque([first] if first else [])
        while queue:
            current = queue.popleft()
            if current in seen or current not in self.steps:
                continue
            seen[current] = None
            queue.extend(self._edges(current))
        for step_id in self.steps:
            seen.setdefault(step_id, None)
        return list(seen)

    def _fill_engagement(self, order: list[str]) -> None:
        parents: dict[str, list[str]] = {}
        for step_id in order:
            for target in self._edges(step_id):
                parents.setdefault(target, []).append(step_id)
        for step_id in order:
            branch = self.steps[step_id].get("branch")
            if branch is None:
                continue
            condition = branch["if"]
            verb = next((v for v in ENGAGEMENT if condition.get(v) == PENDING), None)
            if verb is None:
                continue
            send = self._nearest_send(step_id, parents)
            if send is not None:
                condition[verb] = send
            else:
                del condition[verb]
                condition["field"] = f"{verb} (no earlier email on the way here)"

    def _nearest_send(self, start: str, parents: Mapping[str, list[str]]) -> str | None:
        seen = {start}
        queue = deque(parents.get(start, []))
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            if "send" in self.steps[current]:
                return current
            queue.extend(parents.get(current, []))
        return None


def _resolve_help(platform: str) -> str:
    pattern = f"emails/{platform}/{{id}}.html"
    return f'map it in preflight.yaml: templates: {{resolve: {{{platform}: "{pattern}"}}}}'


def top_pointer(builder: Builder, keys: tuple[str | int, ...], pointer: str) -> None:
    """Record where a top-level key of the native document (audience, timezone) came from."""
    builder.key_pointers[("", keys)] = pointer


def to_workflow(imported: Imported) -> tuple[Workflow | None, list[tuple[str, Violation]]]:
    """The model of an imported document, through the same validation as native files."""
    from preflight.formats.workflow import build

    problems = list(imported.problems)
    if imported.document is None:
        return None, problems
    workflow, found = build(imported.path, imported.document, imported.text, None, imported.locate)
    problems.extend(found)
    return workflow, problems


def convert(
    path: Path, text: str, data: Any, platform: str, resolver: Resolver | None = None
) -> Imported:
    """An export as a native document; never raises for bad input (PF003 says what is wrong)."""
    import importlib

    module = importlib.import_module(f"preflight.importers.{platform}")
    builder = Builder(platform, path, text, resolver or Resolver(base=path.parent))
    try:
        module.convert(data, builder)
    except _Stop:
        pass
    except Exception as error:  # a shape no importer branch foresaw: a finding, never a traceback
        builder.invalid(
            "",
            f"could not read this {builder.label} export element ({type(error).__name__}: {error})",
        )
    return builder.finish()


class _Stop(Exception):
    """An importer met a document it cannot go on with; its PF003 is already recorded."""


def stop() -> _Stop:
    return _Stop()


def pointer_of(*keys: str | int) -> str:
    """A JSON pointer from keys (escaping / and ~)."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys)


class ImportFailed(Exception):
    """The file is unreadable or of no known format (`preflight import` exits 2)."""


def read_export(path: Path, max_bytes: int, platform: str | None) -> tuple[str, Any, str]:
    """(text, parsed JSON, platform) of an export; ImportFailed says why not."""
    from preflight.formats.decode import UnreadableInput, read_text
    from preflight.importers import PLATFORMS, TOP_LEVEL, detect, fits

    try:
        text = read_text(path, max_bytes)
    except UnreadableInput as error:
        raise ImportFailed(error.reason) from None
    except OSError as error:
        raise ImportFailed(error.strerror or str(error)) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        line = getattr(error, "lineno", None)
        at = f" (line {line}, column {getattr(error, 'colno', 1)})" if line else ""
        raise ImportFailed(f"invalid JSON{at}: {getattr(error, 'msg', error)}") from None
    detected = detect(data)
    if platform is not None and detected is not None and detected != platform:
        raise ImportFailed(
            f"this looks like a {LABELS[detected]} export, not {LABELS[platform]}"
            f" (use --from {detected}, or leave --from out)"
        )
    if platform is not None and detected is None and not fits(data, platform):
        keys = " or ".join(f'"{key}"' for key in TOP_LEVEL[platform])
        label = LABELS[platform]
        article = "an" if label[0] in "aeiouAEIOn" else "a"  # "an n8n"
        raise ImportFailed(f"not {article} {label} export: it has no {keys} at the top")
    found = platform or detected
    if found is None:
        raise ImportFailed(
            "not a workflow export preflight recognises (" + ", ".join(PLATFORMS) + ")"
        )
    return text, data, found


def dump_yaml(imported: Imported) -> str:
    """The native document as YAML, with a header saying where it came from."""
    import yaml

    header = (
        f"# imported by `preflight import` from {imported.path.name}"
        f" ({LABELS[imported.platform]}); see docs/importing.md\n"
    )
    body = yaml.safe_dump(
        imported.document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    return header + body
