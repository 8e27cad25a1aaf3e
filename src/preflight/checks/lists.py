"""LIST: who a send goes to — unknown, test and suppression audiences, overlaps, and
templates whose language, intent or consent do not fit the audience.

The workflow rules read a workflow's `audience` and its send steps' own audiences
against ``Workflow.targeting`` (the run's audiences file, filled in by the engine). A
send step's audience is its own `audience` include when it has one, else the
workflow's; its exclusions are the workflow's plus its own. The template rules judge a
sidecar's `audience` for templates no workflow of the run sends (``Template.sent_to``
with origin "sidecar"): a template a workflow sends is judged at the send step, once.
LIST008 reads an audience's members CSV (formats/members.py), streamed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.fields import meaning
from preflight.formats.members import field_columns
from preflight.language import language_name, primary, template_language
from preflight.model import (
    Audience,
    Location,
    Part,
    Related,
    Severity,
    Span,
    Step,
    Targeting,
    Template,
    Violation,
    Workflow,
)
from preflight.suggest import did_you_mean

Options = Mapping[str, Any]


# -- what a send goes to ------------------------------------------------------------------


@dataclass(frozen=True)
class _Send:
    step: Step
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    own_include: bool
    template: Template | None

    @property
    def own(self) -> bool:
        """The step writes an audience of its own (include or exclude)."""
        return self.own_include or bool(self.step.exclude)

    @property
    def shown(self) -> str:
        return self.step.template or "its inline content"

    def at(self, workflow: Workflow) -> Location:
        """Where to point for the send as a whole: its template, else the step."""
        return self.step.target_locations.get("template", self.step.location)

    def name_at(self, workflow: Workflow, side: str, name: str) -> Location:
        key = f"{side}:{name}"
        if key in self.step.target_locations:
            return self.step.target_locations[key]
        return workflow.audience_locations.get(key, workflow.location or self.step.location)


def _sends(workflow: Workflow) -> Iterator[_Send]:
    for step in workflow.steps:
        if step.kind != "send":
            continue
        include = step.include if step.include is not None else workflow.include
        exclude = tuple(dict.fromkeys((*workflow.exclude, *step.exclude)))
        yield _Send(
            step, include, exclude, step.include is not None, workflow.templates.get(step.id)
        )


def _written(workflow: Workflow) -> Iterator[tuple[str, str, Location, Step | None]]:
    """(side, name, where, step) for every audience name the workflow writes."""
    for key, location in workflow.audience_locations.items():
        side, _, name = key.partition(":")
        if name:
            yield side, name, location, None
    for step in workflow.steps:
        for key, location in step.target_locations.items():
            side, _, name = key.partition(":")
            if side in ("include", "exclude") and name:
                yield side, name, location, step


def _defined(audience: Audience) -> tuple[Related, ...]:
    return (Related(audience.location, f'audience "{audience.name}" defined here'),)


def _is_marketing(template: Template | None) -> bool:
    """Marketing unless the template says it is transactional (the category's default)."""
    return template is None or not template.is_transactional


def _quoted(names: Any) -> str:
    return ", ".join(f'"{n}"' for n in names)


# -- LIST001 unknown-audience -------------------------------------------------------------


def _unknown(name: str, targeting: Targeting, where: Location, place: str) -> Violation:
    match = did_you_mean(name, list(targeting.audiences))
    return Violation(
        'audience "{audience}" {place} is not in {file}',
        where,
        {"audience": name, "place": place, "file": targeting.path.name, "suggestion": match},
        help=f'did you mean "{match}"?'
        if match
        else "audiences there: " + (", ".join(targeting.audiences) or "none"),
        related=(Related(Location(targeting.path), "audiences defined here"),),
    )


def unknown_audience(subject: Workflow | Template, options: Options) -> Iterator[Violation]:
    """Audience names a workflow writes, and a sidecar's `audience` for a template no send
    step of the run sends (a send step decides there, and is judged with its workflow)."""
    if isinstance(subject, Template):
        yield from _unknown_sidecar_audience(subject)
        return
    workflow = subject
    targeting = workflow.targeting
    if targeting is None:
        return
    for side, name, where, step in _written(workflow):
        if name in targeting.audiences:
            continue
        place = f'{side}d by step "{step.id}"' if step else f"{side}d by the workflow"
        yield _unknown(name, targeting, where, place)


def _unknown_sidecar_audience(template: Template) -> Iterator[Violation]:
    targeting = template.targeting
    audience = template.audience
    if targeting is None or audience is None or audience.origin != "sidecar":
        return
    if audience.value not in targeting.audiences:
        where = audience.location or Location(template.path)
        yield _unknown(audience.value, targeting, where, "named in the sidecar")


# -- LIST002 test-audience-in-production --------------------------------------------------


def test_audience_in_production(workflow: Workflow, options: Options) -> Iterator[Violation]:
    targeting = workflow.targeting
    if targeting is None:
        return
    for side, name, where, _ in _written(workflow):
        audience = targeting.audiences.get(name)
        if side != "include" or audience is None:
            continue
        if workflow.kind == "test" and audience.kind == "production":
            yield Violation(
                'test workflow "{workflow}" sends to production audience "{audience}"',
                where,
                {"workflow": workflow.name, "audience": name, "kind": audience.kind},
                help="send tests to a test audience, or make the workflow `kind: production`",
                related=_defined(audience),
            )
        elif workflow.kind != "test" and audience.kind in ("test", "seed"):
            yield Violation(
                'production workflow "{workflow}" sends to {kind} audience "{audience}"',
                where,
                {"workflow": workflow.name, "audience": name, "kind": audience.kind},
                help="remove it from the production audience"
                + (
                    " (a seed list that monitors inbox placement can stay: suppress this)"
                    if audience.kind == "seed"
                    else ", or make the workflow `kind: test`"
                ),
                related=_defined(audience),
                severity=Severity.WARNING if audience.kind == "seed" else None,
            )


# -- LIST003 missing-suppression ----------------------------------------------------------


def missing_suppression(workflow: Workflow, options: Options) -> Iterator[Violation]:
    targeting = workflow.targeting
    if targeting is None:
        return
    required = targeting.suppressions()
    shared: list[_Send] = []  # marketing sends that use the workflow's audience as it is
    for send in _sends(workflow):
        if not _is_marketing(send.template):
            continue
        for name in send.include if send.own_include else ():
            audience = targeting.audiences.get(name)
            if audience is not None and audience.kind == "suppression":
                yield _includes_suppression(workflow, send.name_at(workflow, "include", name), name)
        missing = [name for name in required if name not in send.exclude]
        if not missing:
            continue
        if not send.own:
            shared.append(send)
            continue
        yield Violation(
            'the audience of send step "{step}" does not exclude {missing}',
            send.step.target_locations.get("audience", send.step.location),
            {"step": send.step.id, "missing": _quoted(missing), "names": missing},
            help=f"add them to its exclusions: exclude: [{', '.join(missing)}]",
        )
    for name in workflow.include:
        audience = targeting.audiences.get(name)
        if audience is not None and audience.kind == "suppression":
            where = workflow.audience_locations.get(f"include:{name}", workflow.location)
            yield _includes_suppression(workflow, where, name)
    if shared:
        missing = [name for name in required if name not in workflow.exclude]
        steps = [send.step.id for send in shared]
        yield Violation(
            'the audience of workflow "{workflow}" does not exclude {missing}; it sends'
            " marketing email at {steps}",
            workflow.audience_locations.get(
                "audience", workflow.location or shared[0].at(workflow)
            ),
            {
                "workflow": workflow.name,
                "missing": _quoted(missing),
                "names": missing,
                "steps": _quoted(steps[:3])
                + (f" and {len(steps) - 3} more" if len(steps) > 3 else ""),
            },
            help="exclude them in the workflow's audience: audience: {include: [...], exclude: ["
            + ", ".join(missing)
            + "]}",
        )


def _includes_suppression(workflow: Workflow, where: Location | None, name: str) -> Violation:
    return Violation(
        'suppression audience "{audience}" is included, not excluded',
        where or Location(workflow.path),
        {"audience": name, "workflow": workflow.name},
        help=f"move it to exclude: [{name}]",
    )


# -- LIST004 include-exclude-overlap ------------------------------------------------------


def include_exclude_overlap(workflow: Workflow, options: Options) -> Iterator[Violation]:
    both = [name for name in workflow.include if name in workflow.exclude]
    for name in both:
        yield _overlap(
            workflow.audience_locations.get(f"include:{name}", workflow.location),
            name,
            "the workflow",
            nobody=set(workflow.include) <= set(workflow.exclude),
            workflow=workflow,
        )
    for send in _sends(workflow):
        if not send.own:
            continue
        if send.own_include:
            overlap = [name for name in send.include if name in send.exclude]
        else:  # a step may exclude part of the workflow's audience; all of it is a mistake
            covered = bool(send.include) and set(send.include) <= set(send.exclude)
            overlap = [n for n in send.include if n in send.step.exclude] if covered else []
        for name in overlap:
            if name in both:
                continue
            side = "include" if send.own_include else "exclude"
            yield _overlap(
                send.name_at(workflow, side, name),
                name,
                f'send step "{send.step.id}"',
                nobody=set(send.include) <= set(send.exclude),
                workflow=workflow,
            )


def _overlap(
    where: Location | None, name: str, owner: str, nobody: bool, workflow: Workflow
) -> Violation:
    return Violation(
        'audience "{audience}" is both included and excluded by {owner}: exclusion wins,'
        " so {outcome}",
        where or Location(workflow.path),
        {
            "audience": name,
            "owner": owner,
            "outcome": "the send goes to nobody" if nobody else "its members get nothing",
        },
        help="remove it from one of the two lists",
    )


# -- LIST005 locale-mismatch --------------------------------------------------------------


def _locale_mismatch(
    template: Template, audience: Audience, where: Location, who: str, options: Options
) -> Violation | None:
    if not audience.locale:
        return None
    found = template_language(template, options["min_words"])
    if found is None or found.code == primary(audience.locale):
        return None
    language, how, source = found.code, found.how, found.where
    return Violation(
        '{who} is in {language} ({how}), but audience "{audience}" has locale "{locale}"',
        where,
        {
            "who": who,
            "language": language_name(language),
            "how": how,
            "audience": audience.name,
            "locale": audience.locale,
            "template_language": language,
        },
        help="send the audience's language version, or target the audience of this language",
        related=(Related(source, "the template's language"), *_defined(audience)),
    )


def locale_mismatch(subject: Workflow | Template, options: Options) -> Iterator[Violation]:
    """Each send step's audiences (a workflow), or a sidecar's (a template no send step sends)."""
    if isinstance(subject, Template):
        yield from _per_sidecar(subject, options, _locale_mismatch)
    else:
        yield from _per_send(subject, options, _locale_mismatch)


# -- LIST006 audience-intent-mismatch -----------------------------------------------------


def _intent_mismatch(
    template: Template, audience: Audience, where: Location, who: str, options: Options
) -> Violation | None:
    written_for = template.audience_tags
    if not written_for or not audience.tags or set(written_for) & set(audience.tags):
        return None
    return Violation(
        '{who} is written for {tags}, but audience "{audience}" is {audience_tags}',
        where,
        {
            "who": who,
            "tags": ", ".join(written_for),
            "audience": audience.name,
            "audience_tags": ", ".join(audience.tags),
        },
        help="send it to an audience with one of those tags, or change its `audience_tags`",
        related=_defined(audience),
    )


def intent_mismatch(subject: Workflow | Template, options: Options) -> Iterator[Violation]:
    """Each send step's audiences (a workflow), or a sidecar's (a template no send step sends)."""
    if isinstance(subject, Template):
        yield from _per_sidecar(subject, options, _intent_mismatch)
    else:
        yield from _per_send(subject, options, _intent_mismatch)


# -- LIST007 consent-mismatch -------------------------------------------------------------


def _consent_mismatch(
    template: Template | None, audience: Audience, where: Location, who: str, options: Options
) -> Violation | None:
    if audience.consent != "transactional" or not _is_marketing(template):
        return None
    return Violation(
        '{who} is marketing email, but audience "{audience}" only agreed to transactional email',
        where,
        {"who": who, "audience": audience.name},
        help="send it to an audience with marketing consent, or mark a genuinely"
        " transactional email `category: transactional`",
        related=_defined(audience),
    )


def consent_mismatch(subject: Workflow | Template, options: Options) -> Iterator[Violation]:
    """Each send step's audiences (a workflow), or a sidecar's (a template no send step sends)."""
    # a send of unknown content is judged too: it is marketing by default
    if isinstance(subject, Template):
        yield from _per_sidecar(subject, options, _consent_mismatch)
    else:
        yield from _per_send(subject, options, _consent_mismatch, needs_template=False)


# -- shared by LIST005-007 ----------------------------------------------------------------


def _per_send(
    workflow: Workflow, options: Options, judge: Any, needs_template: bool = True
) -> Iterator[Violation]:
    targeting = workflow.targeting
    if targeting is None:
        return
    for send in _sends(workflow):
        if send.template is None and needs_template:
            continue
        for name in send.include:
            audience = targeting.audiences.get(name)
            if audience is None:
                continue
            who = f'step "{send.step.id}" sends "{send.shown}", which'
            found = judge(send.template, audience, send.at(workflow), who, options)
            if found is not None:
                yield found


def _per_sidecar(template: Template, options: Options, judge: Any) -> Iterator[Violation]:
    for sent in template.sent_to:
        if sent.via.origin != "sidecar":
            continue  # a send step decides: the workflow rule reports it there
        where = sent.via.location or Location(template.path)
        found = judge(template, sent.audience, where, "this template", options)
        if found is not None:
            yield found


# -- LIST008 suspicious-members -----------------------------------------------------------

_EMAIL = re.compile(
    r"^[^@\s,;<>()\[\]\\\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
_TEST_LOCAL = re.compile(r"(?:test|testing|tester|qa|seed|dummy|fake|asdf)[0-9._-]*$")
_RESERVED_TLDS = (".test", ".example", ".invalid", ".localhost")
_PROBLEMS = {
    "test": "test or seed addresses",
    "invalid": "invalid email addresses",
    "duplicate": "duplicate email addresses",
    "role": "role accounts",
    "email_in_name": "name fields holding an email address",
    "caps": "names in all capitals",
    "swapped": "first and last names that look swapped",
}


class _Tally:
    def __init__(self, examples: int) -> None:
        self.examples = examples
        self.counts: dict[str, int] = {}
        self.lines: dict[str, list[int]] = {}

    def add(self, kind: str, line: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        shown = self.lines.setdefault(kind, [])
        if len(shown) < self.examples:
            shown.append(line)


def suspicious_members(audience: Audience, options: Options) -> Iterator[Violation]:
    members = audience.member_facts
    if audience.kind != "production" or members is None or members.rows is None:
        return
    tally = _Tally(max(1, options["examples"]))
    columns = field_columns(members.header, meaning)
    email = columns.get("email", ())
    firsts, lasts = columns.get("first_name", ()), columns.get("last_name", ())
    names = [*firsts, *lasts, *columns.get("full_name", ())]
    seed = [re.compile(p, re.IGNORECASE) for p in options["seed_patterns"]]
    test_domains = tuple(
        "." + d.lower().lstrip(".") for d in (*options["test_domains"], *_RESERVED_TLDS)
    )
    roles = {r.lower() for r in options["role_accounts"]}
    seen: set[int] = set()
    pairs: set[int] = set()
    judge_names = bool(firsts and lasts)

    def judge(line: int, cells: list[str]) -> None:
        if email:
            address = cells[email[0]].strip() if email[0] < len(cells) else ""
            _judge_address(address, line, tally, seen, seed, test_domains, roles)
        for index in names:
            value = cells[index].strip() if index < len(cells) else ""
            if "@" in value:
                tally.add("email_in_name", line)
                break
            if value.isupper() and sum(c.isalpha() for c in value) >= 3:
                tally.add("caps", line)
                break
        if judge_names:
            given = cells[firsts[0]].strip().casefold() if firsts[0] < len(cells) else ""
            family = cells[lasts[0]].strip().casefold() if lasts[0] < len(cells) else ""
            if "," in given or "," in family:
                tally.add("swapped", line)
            elif given and family and given != family:
                if hash((family, given)) in pairs:
                    tally.add("swapped", line)
                pairs.add(hash((given, family)))

    for line, cells in members.rows:
        judge(line, list(cells))
    where = Location(members.path, None, Part.AUDIENCE)
    if members.problem is not None:
        stopped = members.problem_line
        yield Violation(
            'the members file of audience "{audience}" {problem}',
            Location(members.path, _line_span(stopped) if stopped else None, Part.AUDIENCE),
            {"audience": audience.name, "problem": members.problem, "file": members.path.name},
            help="export it again as UTF-8 CSV with a header row of field names",
            related=_defined(audience),
        )
    sampled = f" in the first {members.total:,} rows" if members.sampled else ""
    for kind, label in _PROBLEMS.items():
        count = tally.counts.get(kind)
        if not count:
            continue
        lines = tally.lines[kind]
        more = ", …" if count > len(lines) else ""
        yield Violation(
            '{count} {label} in the members of production audience "{audience}"{sampled}'
            " ({line_word} {lines})",
            Location(members.path, _line_span(lines[0]), Part.AUDIENCE) if lines else where,
            {
                "count": f"{count:,}",
                "label": label if count > 1 else _singular(label),
                "audience": audience.name,
                "sampled": sampled,
                "lines": ", ".join(map(str, lines)) + more,
                "line_word": "line" if count == 1 else "lines",
                "kind": kind,
                "rows": members.total,
            },
            help=_MEMBER_HELP[kind],
            related=_defined(audience),
        )


def _singular(label: str) -> str:
    return {
        "test or seed addresses": "test or seed address",
        "invalid email addresses": "invalid email address",
        "duplicate email addresses": "duplicate email address",
        "role accounts": "role account",
        "name fields holding an email address": "name field holding an email address",
        "names in all capitals": "name in all capitals",
        "first and last names that look swapped": "first and last name that look swapped",
    }[label]


_MEMBER_HELP = {
    "test": "remove test and seed addresses from production audiences (keep them in a test"
    " audience)",
    "invalid": "fix or remove them: they bounce, and bounces hurt the sender's reputation",
    "duplicate": "deduplicate the list: duplicates get every email twice",
    "role": "role addresses reach a team, not a person who opted in; remove them or keep"
    " them out of marketing",
    "email_in_name": "a form put the address in the name field: clear it, or greetings read"
    ' "Hi anna@…"',
    "caps": 'normalise the capitalisation: "Hi JOHN" reads as spam',
    "swapped": 'put the first name in the first-name field: greetings read "Hi Smith"',
}


def _judge_address(
    address: str,
    line: int,
    tally: _Tally,
    seen: set[int],
    seed: list[re.Pattern[str]],
    test_domains: tuple[str, ...],
    roles: set[str],
) -> None:
    if not address:
        return
    if not _EMAIL.match(address):
        tally.add("invalid", line)
        return
    folded = address.casefold()
    key = hash(folded)
    if key in seen:
        tally.add("duplicate", line)
    else:
        seen.add(key)
    local, _, domain = folded.rpartition("@")
    if (
        "+test" in local
        or _TEST_LOCAL.match(local)
        or ("." + domain).endswith(test_domains)  # the domain or one under it
        or any(p.search(address) for p in seed)
    ):
        tally.add("test", line)
    elif local.split("+", 1)[0] in roles:
        tally.add("role", line)


def _line_span(line: int) -> Span:
    return Span.point(line, 1)
