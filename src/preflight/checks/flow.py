"""FLOW: the structure of a workflow — steps nobody reaches, references to nothing,
splits that do not add up, branches with one side."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from preflight.fsutil import is_file
from preflight.graphs import (
    dominates,
    dominators,
    edge_location,
    holds,
    path_to,
    reachable,
    show_path,
    strongly_connected,
)
from preflight.model import Related, Step, Violation, Workflow
from preflight.suggest import did_you_mean

Options = Mapping[str, Any]


# -- FLOW001 unreachable-step -----------------------------------------------------------


def unreachable_step(workflow: Workflow, options: Options) -> Iterator[Violation]:
    if not workflow.steps:
        return
    seen = reachable(workflow, workflow.steps[0].id, through_broken=True)
    for step in workflow.steps:
        if step.id not in seen and not step.broken:
            yield Violation(
                'step "{step}" is never reached: no step leads to it',
                step.location,
                {"step": step.id},
                help="point a `next`, branch or split at it, or remove it",
            )


# -- FLOW002 dangling-reference ---------------------------------------------------------


def dangling_reference(workflow: Workflow, options: Options) -> Iterator[Violation]:
    steps = workflow.by_id
    ids = list(steps)
    sends = [s.id for s in workflow.steps if s.kind == "send"]
    templates: list[str] | None = None
    for step in workflow.steps:
        for key, target in _references(step):
            if target in steps:
                continue
            match = did_you_mean(target, ids)
            yield Violation(
                '{what} "{target}" of step "{step}" is not a step of this workflow',
                step.target_locations.get(key, step.location),
                {"what": _WHAT.get(key.split(":")[0], key), "target": target, "step": step.id},
                help=f'did you mean "{match}"?' if match else "steps: " + ", ".join(ids[:12]),
            )
        if step.engagement is not None:
            verb, send = step.engagement
            if send in steps and steps[send].kind != "send" and not steps[send].broken:
                yield Violation(
                    'step "{step}" checks whether contacts {verb} "{send}", which sends nothing',
                    step.target_locations.get("engagement", step.location),
                    {"step": step.id, "verb": verb, "send": send},
                    help="name a send step: " + ", ".join(sends[:12]),
                )
        if step.template is not None and _template_missing(workflow.path, step.template):
            if templates is None:  # the folder is listed once, for every missing template
                folder = workflow.path.parent
                templates = [p.name for p in folder.glob("*.htm*")] if folder.is_dir() else []
            match = did_you_mean(Path(step.template).name, templates)
            yield Violation(
                'step "{step}" sends "{template}", which does not exist',
                step.target_locations.get("template", step.location),
                {"step": step.id, "template": step.template},
                help=f'did you mean "{match}"?'
                if match
                else "template paths are relative to the workflow file",
            )


_WHAT = {
    "next": "next",
    "then": "the then-target",
    "else": "the else-target",
    "split": "the split target",
    "engagement": "the send checked",
}


def _references(step: Step) -> Iterator[tuple[str, str]]:
    if step.next is not None:
        yield "next", step.next
    for target in step.also:  # the further targets of a `next` list (imported fan-outs)
        yield "next", target
    if step.yes is not None:
        yield "then", step.yes
    if step.no is not None:
        yield "else", step.no
    for target in step.split:
        yield f"split:{target}", target
    if step.engagement is not None:
        yield "engagement", step.engagement[1]


def _template_missing(workflow_path: Path, template: str) -> bool:
    return not is_file(workflow_path.parent / template)


# -- FLOW006 split-not-100 ---------------------------------------------------------------


def split_not_100(workflow: Workflow, options: Options) -> Iterator[Violation]:
    for step in workflow.steps:
        if step.kind != "split" or not step.split:
            continue
        total = sum(step.split.values())
        if abs(total - 100.0) > 1e-6:
            yield Violation(
                'the split "{step}" adds up to {total:g}%, not 100%',
                step.location,
                {"step": step.id, "total": total},
                help="make the shares add up to 100"
                + (": the rest of the contacts go nowhere" if total < 100 else ""),
            )


# -- FLOW007 missing-branch ---------------------------------------------------------------


def missing_branch(workflow: Workflow, options: Options) -> Iterator[Violation]:
    for step in workflow.steps:
        if step.kind != "branch":
            continue
        missing = [side for side, target in (("then", step.yes), ("else", step.no)) if not target]
        if not missing:
            continue
        yield Violation(
            'the branch "{step}" has no {sides}: contacts on that side leave the workflow silently',
            step.location,
            {"step": step.id, "sides": " and no ".join(missing)},
            help="give both sides a step (an `exit` step if leaving is intended)",
        )


# -- FLOW003 loop-without-wait -------------------------------------------------------------


def loop_without_wait(workflow: Workflow, options: Options) -> Iterator[Violation]:
    """Strongly connected components of the steps that hold nobody: a component with a send
    and a cycle sends that email again and again at once."""
    steps = workflow.by_id

    def successors(step_id: str) -> Iterator[str]:
        for edge in workflow.edges(steps[step_id]):
            target = steps.get(edge.target)
            if target is not None and not holds(target) and not target.broken:
                yield edge.target

    # a broken step's hold is unknown: no loop through it is judged
    quick = [s.id for s in workflow.steps if not holds(s) and not s.broken and steps[s.id] is s]
    for component in strongly_connected(quick, successors):
        members = set(component)
        if len(component) == 1 and component[0] not in successors(component[0]):
            continue  # one step that does not lead back to itself: no loop
        send = next((s for s in workflow.steps if s.id in members and s.kind == "send"), None)
        if send is None:
            continue
        cycle = _cycle_through(workflow, send.id, members)
        closing = steps[cycle[-2]]
        edge = next(e for e in workflow.edges(closing) if e.target == send.id)
        yield Violation(
            'the loop {cycle} has no wait: contacts go round it at once and are sent "{send}"'
            " every time",
            edge_location(closing, edge),
            {"cycle": show_path(workflow, cycle), "send": send.id, "steps": cycle[:-1]},
            help=f'put a wait in the loop, so "{send.id}" goes out at most once per wait'
            " (or leave the loop with an exit)",
            related=(Related(send.location, "the send repeated"),),
        )


def _cycle_through(workflow: Workflow, start: str, members: set[str]) -> list[str]:
    """The shortest way from ``start`` back to itself inside one component: [start, …, start]."""
    steps = workflow.by_id
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for edge in workflow.edges(steps[current]):
            if edge.target == start:
                path = [current]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*path[::-1], start]
            if edge.target in members and edge.target not in parents:
                parents[edge.target] = current
                queue.append(edge.target)
    return [start, start]  # not reached: a component's members lead back to each other


# -- FLOW004 condition-on-unsent-email ------------------------------------------------------


def condition_on_unsent_email(workflow: Workflow, options: Options) -> Iterator[Violation]:
    """An engagement branch on a send that does not dominate it: some path from the entry
    reaches the branch without passing the send. The dominator tree is built once; only a
    branch that fails costs a search more (for the path the message shows)."""
    if not workflow.steps:
        return
    steps = workflow.by_id
    entry = workflow.steps[0].id
    idom = dominators(workflow, entry)
    from_entry: dict[str, str | None] | None = None
    for branch in workflow.steps:
        if branch.engagement is None or branch.id not in idom:
            continue  # FLOW001 reports a branch nobody reaches
        verb, send = branch.engagement
        if send not in steps or steps[send].kind != "send":
            continue  # FLOW002 reports a check on a missing send
        if dominates(idom, send, branch.id):
            continue
        data = {"step": branch.id, "verb": verb, "send": send}
        if branch.id not in reachable(workflow, send, through_broken=True):
            if from_entry is None:
                from_entry = reachable(workflow, entry, through_broken=True)
            yield Violation(
                'step "{step}" checks whether contacts {verb} "{send}", which is never sent'
                " before it ({path})",
                branch.target_locations.get("engagement", branch.location),
                {**data, **_path(workflow, path_to(from_entry, branch.id))},
                help=f'check a send that comes before it, or move "{send}" in front of it',
                related=(Related(steps[send].location, "the send it checks"),),
            )
            continue
        around = reachable(workflow, entry, stop=_is_step(send))  # the send taken out
        if branch.id not in around:
            continue  # only across a broken step: that path is not judged
        yield Violation(
            'step "{step}" checks whether contacts {verb} "{send}", but some reach it'
            ' without being sent "{send}" ({path})',
            branch.target_locations.get("engagement", branch.location),
            {**data, **_path(workflow, path_to(around, branch.id))},
            help=f'put the check only on paths through "{send}": those who never got it'
            " take the no side",
            related=(Related(steps[send].location, "the send it checks"),),
        )


def _path(workflow: Workflow, path: list[str]) -> dict[str, Any]:
    """The path as the message shows it, and its step ids (the HTML report draws it)."""
    return {"path": show_path(workflow, path), "path_steps": path}


def _is_step(step_id: str) -> Callable[[Step], bool]:
    return lambda step: step.id == step_id


# -- FLOW005 link-not-in-email ---------------------------------------------------------------


def link_not_in_email(workflow: Workflow, options: Options) -> Iterator[Violation]:
    from preflight.linkscan import links
    from preflight.model import TAG_MARK
    from preflight.urls import normal_url, same_url

    for branch in workflow.steps:
        if branch.engagement is None or branch.engagement_url is None:
            continue
        send = branch.engagement[1]
        template = workflow.templates.get(send)
        if template is None:
            continue  # no template (FLOW002), unreadable, or written inline: nothing to compare
        found = [link for link in links(template) if link.kind == "link" and link.url]
        wanted = normal_url(branch.engagement_url)
        if any(same_url(wanted, normal_url(link.opaque), TAG_MARK) for link in found):
            continue
        urls = list(dict.fromkeys(link.url for link in found))
        match = did_you_mean(wanted, [normal_url(u) for u in urls], cutoff=0.5)
        closest = next((u for u in urls if normal_url(u) == match), None)
        if closest is not None:
            shown_help = f'did you mean "{closest}"?'
        elif urls:
            shown_help = "its links: " + ", ".join(urls[:5])
        else:
            shown_help = "the email has no links"
        yield Violation(
            'step "{step}" checks for clicks on "{url}", which is not a link in "{template}"'
            ' (sent by "{send}"): nobody can click it, so everyone takes the no side',
            branch.target_locations.get("url", branch.location),
            {
                "step": branch.id,
                "url": branch.engagement_url,
                "send": send,
                "template": workflow.by_id[send].template or send,
            },
            help=shown_help,
            related=(Related(workflow.by_id[send].location, "the send it checks"),),
        )
