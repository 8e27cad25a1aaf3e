"""TIME: when a workflow's steps happen — checks before anyone could respond, reminders
nobody guarded. Paths are found with graph searches (breadth-first, Dijkstra), never by
listing every path."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.checks.flow import path_to, reachable, shortest_waits, show_path
from preflight.durations import describe
from preflight.model import Related, Template, Violation, Workflow

Options = Mapping[str, Any]


# -- TIME001 check-before-response ---------------------------------------------------------


def check_before_response(workflow: Workflow, options: Options) -> Iterator[Violation]:
    window = float(options["min_response_window"])
    steps = workflow.by_id
    for branch in workflow.steps:
        if branch.engagement is None:
            continue
        verb, send = branch.engagement
        if send not in steps or steps[send].kind != "send":
            continue  # FLOW002 says so
        waits, parents = shortest_waits(workflow, send, window)
        if branch.id not in waits or waits[branch.id] >= window:
            continue
        path = path_to(parents, branch.id)
        seconds = waits[branch.id]
        yield Violation(
            'step "{step}" checks whether contacts {verb} "{send}" {when} ({path});'
            " nobody could have yet, so everyone takes the no side",
            branch.location,
            {
                "step": branch.id,
                "verb": verb,
                "send": send,
                "when": f"only {describe(seconds)} after it" if seconds else "right after it",
                "seconds": seconds,
                "path": show_path(workflow, path),
                "window": describe(window),
            },
            help=f"put a wait of at least {describe(window)} between them"
            " (or wait until the event, with a timeout)",
            related=(Related(steps[send].location, "the send it checks"),),
        )


# -- TIME002 unguarded-reminder ------------------------------------------------------------


def _copy(template: Template | None) -> str:
    if template is None:
        return ""
    pieces = [template.subject.value if template.subject else ""]
    if template.preheader:
        pieces.append(template.preheader.value)
    if template.text is not None:
        pieces.append(template.text.text)
    elif template.html is not None:
        pieces.append(" ".join(text for _, text, _ in template.html.visible_text()))
    return " ".join(pieces)


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    escaped = sorted((re.escape(p.lower()).replace(r"\ ", r"\s+") for p in phrases), key=len)
    return re.compile(r"(?<!\w)(?:" + "|".join(escaped[::-1]) + r")(?!\w)", re.IGNORECASE)


def unguarded_reminder(workflow: Workflow, options: Options) -> Iterator[Violation]:
    pattern = _phrase_pattern(tuple(options["phrases"]))
    sends = [s for s in workflow.steps if s.kind == "send"]
    reach: dict[str, dict[str, str | None]] = {}
    for reminder in sends:
        match = pattern.search(_copy(workflow.templates.get(reminder.id)))
        if match is None:
            continue
        for send in sends:  # what each send reaches, worked out only once a reminder needs it
            if send.id not in reach:
                reach[send.id] = reachable(workflow, send.id)
        earlier = [s for s in sends if s.id != reminder.id and reminder.id in reach[s.id]]
        if not earlier:
            continue
        guarded = False
        for send in earlier:
            no_sides = frozenset(  # remove the "no" sides: can the reminder still be reached?
                (b.id, "no")
                for b in workflow.steps
                if b.engagement is not None and b.engagement[1] == send.id
            )
            if reminder.id not in reachable(workflow, send.id, no_sides):
                guarded = True  # every way from this send passes the "no" side of a check on it
                break
        if guarded:
            continue
        nearest = min(earlier, key=lambda s: len(path_to(reach[s.id], reminder.id)))
        path = path_to(reach[nearest.id], reminder.id)
        yield Violation(
            'step "{step}" reads like a reminder ("{phrase}") but reaches contacts without a'
            ' check that they did not respond to "{send}" ({path})',
            reminder.location,
            {
                "step": reminder.id,
                "phrase": match.group(0),
                "send": nearest.id,
                "path": show_path(workflow, path),
            },
            help=f'put a wait and a branch on "{nearest.id}" (opened, clicked, downloaded…)'
            " in front of it, and send it only on the no side",
            related=(Related(nearest.location, "the earlier send"),),
        )
