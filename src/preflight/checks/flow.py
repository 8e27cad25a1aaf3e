"""FLOW: the structure of a workflow — steps nobody reaches, references to nothing,
splits that do not add up, branches with one side."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from preflight.model import Step, Violation, Workflow
from preflight.suggest import did_you_mean

Options = Mapping[str, Any]


# -- graph helpers shared with the TIME rules -----------------------------------------


def reachable(
    workflow: Workflow, start: str, skip: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, str | None]:
    """Step ids reachable from ``start`` (itself included), and each one's parent on a
    shortest-hop path; ``skip`` holds (step id, edge label) pairs not to follow."""
    steps = workflow.by_id
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        step = steps.get(current)
        if step is None:
            continue
        for edge in workflow.edges(step):
            if (current, edge.label) in skip or edge.target in parents:
                continue
            if edge.target in steps:
                parents[edge.target] = current
                queue.append(edge.target)
    return parents


def path_to(parents: Mapping[str, str | None], end: str) -> list[str]:
    """The path from the search's start to ``end``, read back through each step's parent."""
    path = [end]
    while parents.get(path[-1]) is not None:
        path.append(parents[path[-1]])  # type: ignore[arg-type]
    return path[::-1]


def shortest_waits(
    workflow: Workflow, start: str, limit: float = float("inf")
) -> tuple[dict[str, float], dict[str, str]]:
    """Dijkstra over the steps: the least total wait from ``start`` to every step it reaches
    in less than ``limit``.

    A wait step adds its shortest wait to the steps after it; nothing is enumerated path by
    path, so a workflow with many branches stays linear-logarithmic.
    """
    steps = workflow.by_id
    best: dict[str, float] = {start: 0.0}
    parents: dict[str, str] = {}
    heap = [(0.0, start)]
    while heap:
        distance, current = heapq.heappop(heap)
        if distance > best.get(current, float("inf")):
            continue
        step = steps.get(current)
        if step is None:
            continue
        leaving = distance + (step.wait_seconds or 0.0 if step.kind == "wait" else 0.0)
        for edge in workflow.edges(step):
            if leaving >= limit:
                break
            if edge.target in steps and leaving < best.get(edge.target, float("inf")):
                best[edge.target] = leaving
                parents[edge.target] = current
                heapq.heappush(heap, (leaving, edge.target))
    return best, parents


def show_path(workflow: Workflow, path: list[str]) -> str:
    """offer → wait 7 minutes → downloaded?"""
    shown = []
    for step_id in path:
        step = workflow.by_id[step_id]
        shown.append(f"wait {step.wait_text}" if step.kind == "wait" else step_id)
    return " → ".join(shown)


# -- FLOW001 unreachable-step -----------------------------------------------------------


def unreachable_step(workflow: Workflow, options: Options) -> Iterator[Violation]:
    if not workflow.steps:
        return
    seen = reachable(workflow, workflow.steps[0].id)
    for step in workflow.steps:
        if step.id not in seen:
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
            if send in steps and steps[send].kind != "send":
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
    if step.yes is not None:
        yield "then", step.yes
    if step.no is not None:
        yield "else", step.no
    for target in step.split:
        yield f"split:{target}", target
    if step.engagement is not None:
        yield "engagement", step.engagement[1]


def _template_missing(workflow_path: Path, template: str) -> bool:
    return not (workflow_path.parent / template).is_file()


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
