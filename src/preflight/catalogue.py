"""The rule catalogue: rules/*.yaml read into typed entries.

Each family file lists its rules with id, name, default severity, the explain
sections and typed options. Implementations live in checks/ and are joined to
these entries by id in checks.REGISTRY.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.constants import CLOCK
from preflight.model import Severity
from preflight.resources import load_data, rules_dir
from preflight.suggest import did_you_mean

ID_PATTERN = re.compile(r"^[A-Z](?:[A-Z0-9]*[A-Z])?[0-9]{3}$")  # A11Y001 too
FAMILIES = (
    "MERGE",
    "LINK",
    "LIST",
    "TIME",
    "FLOW",
    "CONTENT",
    "CLIENT",
    "A11Y",
    "INBOX",
    "SPAM",
    "PF",
)
EXPLAIN_SECTIONS = ("summary", "why", "example", "instead")
SUBJECTS = ("template", "workflow", "audience", "live", "live-email", "spam-score", "engine")
"""What a rule can run on (the catalogue's ``runs_on``): ``live`` is one checked link,
``live-email`` every checked link of one email, ``spam-score`` SpamAssassin's verdict on one
email (``check --spam``)."""
SCOPES = ("template", "email")
"""What a template rule judges (the catalogue's ``scope``): any template, or the email as a
whole (its subject, preheader, <title>, lang, heading outline, colour scheme, spam score),
which a part of an email checked alone (compose.unsent: a layout, a header, a fragment) is
not, so the rule does not run on one."""
NEEDS = ("audiences", "members")
"""Facts a rule may need: the run's audiences; their members files (read by the engine's
members phase: rows for audience rules, counts per column for template rules)."""
OPTION_TYPES: dict[str, tuple[type[Any], ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
    "list": (list,),
    "patterns": (list,),  # regular expressions, compiled when the config is read
    "duration": (str, int, float),  # 10s, 5m, 2 days; the rule gets seconds
    "caps": (list,),  # [{sends: 2, within: 24h}, …]; the rule gets (sends, seconds) pairs
    "clock": (str,),  # a time of day, HH:MM
    "clients": (str, list),  # email clients: caniemail ids, families, presets (preflight.clients)
    "features": (list,),  # caniemail features: slugs or property names (rules/clients/)
}
_CLOCK = re.compile(CLOCK)


@dataclass(frozen=True)
class OptionSpec:
    name: str
    type: str
    default: Any
    help: str
    moved_to: tuple[str, str] | None = None
    """(rule id, option) where the option now lives: a value set here is given to that rule
    (an alias kept so that configs written before the move still work)."""

    def validate(self, value: Any) -> Any:
        """The value if it fits the option's type; raises ValueError otherwise."""
        accepted = OPTION_TYPES[self.type]
        if isinstance(value, bool) and self.type in ("int", "float"):
            raise ValueError(f"expected {self.type}, got a boolean")
        if not isinstance(value, accepted):
            raise ValueError(f"expected {self.type}, got {type(value).__name__}")
        if self.type in ("list", "patterns", "clients", "features") and not all(
            isinstance(item, str) for item in (value if isinstance(value, list) else [value])
        ):
            raise ValueError("expected a list of strings")
        if self.type == "duration":
            from preflight.durations import parse_duration

            return parse_duration(value)
        if self.type == "caps":
            return _caps(value)
        if self.type == "clients":
            return _clients(value)
        if self.type == "features":
            return _features(value)
        if self.type == "clock" and not _CLOCK.match(value):
            raise ValueError(f'"{value}" is not a time of day such as 08:00 or 21:30')
        if self.type == "patterns":
            for item in value:
                try:
                    re.compile(item)
                except re.error as error:
                    raise ValueError(f'"{item}" is not a regular expression: {error}') from None
        return value


def _clients(value: str | list[str]) -> tuple[str, ...]:
    """A client selection as written (validated); the rule resolves presets and families."""
    from preflight import clients

    names = [value] if isinstance(value, str) else value
    items = tuple(part.strip() for name in names for part in name.split(",") if part.strip())
    if not items:
        raise ValueError("expected at least one email client or preset")
    for item in items:
        problem = clients.unknown_name(item)
        if problem is not None:
            raise ValueError(problem)
    return items


def _features(value: list[str]) -> list[str]:
    from preflight import clients

    known = clients.support()["features"]
    for item in value:
        name = item.strip().lower()
        if not any(c in known for c in (name, f"css-{name}", f"html-{name}", f"image-{name}")):
            guess = did_you_mean(name, [*known, *(k.split("-", 1)[1] for k in known)])
            hint = f' (did you mean "{guess}"?)' if guess else ""
            raise ValueError(f'unknown caniemail feature "{item}"{hint}')
    return value


def _caps(value: list[Any]) -> tuple[tuple[int, float], ...]:
    """[{sends: 2, within: 24h}] -> ((2, 86400.0),); raises ValueError for a bad item."""
    from preflight.durations import parse_duration

    caps = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"sends", "within"}:
            raise ValueError("expected a list of {sends: N, within: DURATION}")
        sends = item["sends"]
        if isinstance(sends, bool) or not isinstance(sends, int) or sends < 1:
            raise ValueError(f"sends must be a whole number of at least 1, not {sends!r}")
        caps.append((sends, parse_duration(item["within"])))
    return tuple(caps)


@dataclass(frozen=True)
class RuleSpec:
    id: str
    name: str
    family: str
    severity: Severity
    summary: str
    why: str
    example: str
    instead: str
    options: Mapping[str, OptionSpec] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    always_on: bool = False
    check: str | None = None
    """The implementation, ``module.function`` under preflight.checks (None: the engine's own)."""
    runs_on: tuple[str, ...] = ()
    """What the rule reads: template, workflow, audience, live (a checked link), engine."""
    needs: str | None = None
    """A fact without which the rule has nothing to judge ("audiences"): the engine skips the
    rule, and never imports its module, in runs without it."""
    scope: str = "template"
    """``email``: the rule judges a whole email, so it does not run on a part checked alone."""

    def option_defaults(self) -> dict[str, Any]:
        return {
            name: spec.validate(spec.default) if spec.type in ("duration", "caps") else spec.default
            for name, spec in self.options.items()
            if spec.moved_to is None
        }


class Catalogue:
    """All rules, looked up by id, name, alias or id prefix."""

    def __init__(self, rules: Iterable[RuleSpec]) -> None:
        self.rules: dict[str, RuleSpec] = {rule.id: rule for rule in rules}
        self._by_name: dict[str, str] = {}
        for rule in self.rules.values():
            self._by_name[rule.name] = rule.id
            for alias in rule.aliases:
                self._by_name[alias] = rule.id

    def __iter__(self) -> Any:
        return iter(sorted(self.rules.values(), key=lambda r: (FAMILIES.index(r.family), r.id)))

    def get(self, key: str) -> RuleSpec | None:
        key = key.strip()
        rule_id = key.upper() if key.upper() in self.rules else self._by_name.get(key.lower())
        return self.rules.get(rule_id) if rule_id else None

    def expand(self, selector: str) -> list[str]:
        """Rule ids matched by an id, a name or an id prefix ("MERGE", "LINK00")."""
        rule = self.get(selector)
        if rule is not None:
            return [rule.id]
        prefix = selector.strip().upper()
        if prefix == "ALL":
            return list(self.rules)
        matched = [rule_id for rule_id in self.rules if rule_id.startswith(prefix)]
        if matched or prefix in FAMILIES:
            return matched
        return []

    def suggest(self, selector: str) -> str | None:
        return did_you_mean(selector, [*self.rules, *self._by_name, *FAMILIES])


def _option(name: str, raw: Mapping[str, Any]) -> OptionSpec:
    kind = raw.get("type", "str")
    if kind not in OPTION_TYPES:
        raise ValueError(f"option {name}: unknown type {kind!r}")
    moved = raw.get("moved_to")
    target = None
    if moved is not None:
        rule_id, _, option = str(moved).partition(".")
        if not ID_PATTERN.match(rule_id) or not option:
            raise ValueError(f"option {name}: moved_to must be RULE.option, not {moved!r}")
        target = (rule_id, option)
    return OptionSpec(name, kind, raw.get("default"), str(raw.get("help", "")).strip(), target)


def _rule(raw: Mapping[str, Any]) -> RuleSpec:
    rule_id = str(raw["id"])
    if not ID_PATTERN.match(rule_id):
        raise ValueError(f"bad rule id {rule_id!r}")
    family = rule_id.rstrip("0123456789")
    return RuleSpec(
        id=rule_id,
        name=str(raw["name"]),
        family=family,
        severity=Severity.parse(str(raw["severity"])),
        summary=str(raw.get("summary", "")).strip(),
        why=str(raw.get("why", "")).strip(),
        example=str(raw.get("example", "")).rstrip(),
        instead=str(raw.get("instead", "")).rstrip(),
        options={n: _option(n, o) for n, o in (raw.get("options") or {}).items()},
        aliases=tuple(raw.get("aliases") or ()),
        always_on=bool(raw.get("always_on", False)),
        check=_check(rule_id, raw),
        runs_on=_runs_on(rule_id, raw),
        needs=_needs(rule_id, raw),
        scope=_scope(rule_id, raw),
    )


def _runs_on(rule_id: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("runs_on")
    subjects = tuple(value) if isinstance(value, list) else (value,)
    unknown = [s for s in subjects if s not in SUBJECTS]
    if not subjects or unknown:
        raise ValueError(f"{rule_id}: runs_on must be one or more of {', '.join(SUBJECTS)}")
    return subjects


def _check(rule_id: str, raw: Mapping[str, Any]) -> str | None:
    value = raw.get("check")
    engine_only = raw.get("runs_on") == "engine"
    if engine_only != (value is None):
        raise ValueError(f"{rule_id}: `check: module.function` is required unless runs_on: engine")
    if value is not None and not re.fullmatch(r"[a-z_][a-z_0-9]*(?:\.[a-z_0-9]+)+", str(value)):
        raise ValueError(f"{rule_id}: check {value!r} is not module.function")
    return None if value is None else str(value)


def _scope(rule_id: str, raw: Mapping[str, Any]) -> str:
    value = raw.get("scope", "template")
    if value not in SCOPES:
        raise ValueError(f"{rule_id}: scope must be one of {', '.join(SCOPES)}")
    return str(value)


def _needs(rule_id: str, raw: Mapping[str, Any]) -> str | None:
    value = raw.get("needs")
    if value is not None and value not in NEEDS:
        raise ValueError(f"{rule_id}: needs must be one of {', '.join(NEEDS)}")
    return None if value is None else str(value)


@functools.cache
def load_catalogue() -> Catalogue:
    rules: list[RuleSpec] = []
    for path in sorted(rules_dir().glob("*.yaml")):
        data = load_data(path)
        for raw in data.get("rules") or ():
            rules.append(_rule(raw))
    return Catalogue(rules)
