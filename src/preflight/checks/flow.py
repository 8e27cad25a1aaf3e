"""FLOW: the structure of a workflow — steps nobody reaches, references to nothing,
splits that do not add up, branches with one side."""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from preflight.model import Edge, Location, Related, Step, Violation, Workflow
from preflight.suggest import did_you_mean

Options = Mapping[str, Any]


# -- graph helpers shared with the TIME rules -----------------------------------------


def reachable(
    workflow: Workflow,
    start: str,
    skip: frozenset[tuple[str, str]] = frozenset(),
    stop: Callable[[Step], bool] | None = None,
) -> dict[str, str | None]:
    """Step ids reachable from ``start`` (itself included), and each one's parent on a
    shortest-hop path; ``skip`` holds (step id, edge label) pairs not to follow, and steps
    for which ``stop`` is true are reached but not gone through (``start`` always is)."""
    steps = workflow.by_id
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        step = steps.get(current)
        if step is None or (stop is not None and current != start and stop(step)):
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
    workflow: Workflow,
    start: str,
    limit: float = float("inf"),
    stop: Callable[[Step], bool] | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Dijkstra over the steps: the least total wait from ``start`` to every step it reaches
    in less than ``limit`` (steps for which ``stop`` is true are reached, not gone through).

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
        if step is None or (stop is not None and current != start and stop(step)):
            continue
        leaving = distance + wait_of(step)
        for edge in workflow.edges(step):
            if leaving >= limit:
                break
            if edge.target in steps and leaving < best.get(edge.target, float("inf")):
                best[edge.target] = leaving
                parents[edge.target] = current
                heapq.heappush(heap, (leaving, edge.target))
    return best, parents


def wait_of(step: Step) -> float:
    """The least time a contact spends in a step: a wait's shortest duration, else nothing."""
    return (step.wait_seconds or 0.0) if step.kind == "wait" else 0.0


def holds(step: Step) -> bool:
    """True when a step keeps contacts a while: a wait with a duration, or one that ends at a
    time of day, on a weekday or at an event. A date field's wait ends at once once the date
    has passed, so it holds nobody on a second time round a loop."""
    if step.kind != "wait":
        return False
    if step.wait_seconds:
        return True
    until = step.until
    return until is not None and (until.time or until.weekday or until.event) is not None


def strongly_connected(
    nodes: Iterable[str], successors: Callable[[str], Iterable[str]]
) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on big flows)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            node, pending = work[-1]
            descended = False
            for successor in pending:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(successors(successor))))
                    descended = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component[::-1])
    return components


def edge_location(step: Step, edge: Edge) -> Location:
    """Where the edge is written: its `next`, `then`, `else` or split key, else the step."""
    key = {"next": "next", "yes": "then", "no": "else"}.get(edge.label, f"split:{edge.target}")
    return step.target_locations.get(key, step.location)


def show_path(workflow: Workflow, path: list[str]) -> str:
    """offer → wait 7 minutes → downloaded?"""
    shown = []
    for step_id in path:
        step = workflow.by_id[step_id]
        if step.kind != "wait":
            shown.append(step_id)
        elif step.wait_text == "no wait" and step.wait_written:
            shown.append(f"wait {step.wait_written}")  # "wait 0 days", not "wait no wait"
        else:
            shown.append(f"wait {step.wait_text}")
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


# -- FLOW003 loop-without-wait -------------------------------------------------------------


def loop_without_wait(workflow: Workflow, options: Options) -> Iterator[Violation]:
    """Strongly connected components of the steps that hold nobody: a component with a send
    and a cycle sends that email again and again at once."""
    steps = workflow.by_id

    def successors(step_id: str) -> Iterator[str]:
        for edge in workflow.edges(steps[step_id]):
            target = steps.get(edge.target)
            if target is not None and not holds(target):
                yield edge.target

    quick = [s.id for s in workflow.steps if not holds(s) and steps[s.id] is s]
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
        if _dominates(idom, send, branch.id):
            continue
        data = {"step": branch.id, "verb": verb, "send": send}
        if branch.id not in reachable(workflow, send):
            if from_entry is None:
                from_entry = reachable(workflow, entry)
            yield Violation(
                'step "{step}" checks whether contacts {verb} "{send}", which is never sent'
                " before it ({path})",
                branch.target_locations.get("engagement", branch.location),
                {**data, "path": show_path(workflow, path_to(from_entry, branch.id))},
                help=f'check a send that comes before it, or move "{send}" in front of it',
                related=(Related(steps[send].location, "the send it checks"),),
            )
            continue
        around = reachable(workflow, entry, stop=_is_step(send))  # the send taken out
        yield Violation(
            'step "{step}" checks whether contacts {verb} "{send}", but some reach it'
            ' without being sent "{send}" ({path})',
            branch.target_locations.get("engagement", branch.location),
            {**data, "path": show_path(workflow, path_to(around, branch.id))},
            help=f'put the check only on paths through "{send}": those who never got it'
            " take the no side",
            related=(Related(steps[send].location, "the send it checks"),),
        )


def dominators(workflow: Workflow, entry: str) -> dict[str, str]:
    """Each step reachable from ``entry`` -> its immediate dominator (the entry -> itself):
    the iterative algorithm of Cooper, Harvey and Kennedy over reverse postorder."""
    steps = workflow.by_id
    order: list[str] = []  # postorder
    seen = {entry}
    work = [(entry, iter(workflow.edges(steps[entry])))]
    while work:
        node, pending = work[-1]
        for edge in pending:
            if edge.target in steps and edge.target not in seen:
                seen.add(edge.target)
                work.append((edge.target, iter(workflow.edges(steps[edge.target]))))
                break
        else:
            work.pop()
            order.append(node)
    number = {node: index for index, node in enumerate(order)}
    predecessors: dict[str, list[str]] = {node: [] for node in order}
    for node in order:
        for edge in workflow.edges(steps[node]):
            if edge.target in number:
                predecessors[edge.target].append(node)
    idom = {entry: entry}

    def intersect(a: str, b: str) -> str:
        while a != b:
            while number[a] < number[b]:
                a = idom[a]
            while number[b] < number[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for node in reversed(order):
            if node == entry:
                continue
            done = [p for p in predecessors[node] if p in idom]
            new = done[0]
            for other in done[1:]:
                new = intersect(other, new)
            if idom.get(node) != new:
                idom[node] = new
                changed = True
    return idom


def _dominates(idom: Mapping[str, str], dominator: str, node: str) -> bool:
    """True when every path from the entry to ``node`` passes ``dominator``."""
    while True:
        if node == dominator:
            return True
        parent = idom[node]
        if parent == node:
            return False
        node = parent


def _is_step(step_id: str) -> Callable[[Step], bool]:
    return lambda step: step.id == step_id


# -- FLOW005 link-not-in-email ---------------------------------------------------------------


def link_not_in_email(workflow: Workflow, options: Options) -> Iterator[Violation]:
    from preflight.checks.links import TAG_MARK, links

    for branch in workflow.steps:
        if branch.engagement is None or branch.engagement_url is None:
            continue
        send = branch.engagement[1]
        template = workflow.templates.get(send)
        if template is None:
            continue  # no template (FLOW002), unreadable, or written inline: nothing to compare
        found = [link for link in links(template) if link.kind == "link" and link.url]
        wanted = normal_url(branch.engagement_url)
        if any(_same_url(wanted, normal_url(link.opaque), TAG_MARK) for link in found):
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


def normal_url(url: str) -> str:
    """A URL for comparing clicks: no scheme, lower-case host with its port (a default one
    left out), no trailing slash, no fragment, no utm_* parameters, the others sorted. Read
    with checks/links.py's parser, as the LINK rules read it."""
    from preflight.checks.links import parse_url

    text = url.strip()
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    parsed = parse_url(text)
    if parsed is None:
        return url.strip()
    authority = parsed.authority
    if (parsed.scheme, parsed.port) in (("http", 80), ("https", 443)):
        authority = authority.rpartition(":")[0]
    query = sorted(
        (key, value) for key, value in parsed.query if not key.lower().startswith("utm_")
    )
    shown = authority + unquote(parsed.path).rstrip("/")
    if query:
        shown += "?" + "&".join(f"{key}={value}" for key, value in query)
    return shown


def _same_url(wanted: str, link: str, mark: str) -> bool:
    """True when the link is the wanted URL; a merge tag in the link matches anything, and a
    parameter a tag fills in is left out of both (it says nothing about which page it is)."""
    if mark not in link:
        return wanted == link
    base, _, query = link.partition("?")
    pairs = [pair for pair in query.split("&") if pair]
    filled = {pair.partition("=")[0] for pair in pairs if mark in pair.partition("=")[2]}
    link = _joined(base, [pair for pair in pairs if pair.partition("=")[0] not in filled])
    wanted_base, _, wanted_query = wanted.partition("?")
    wanted_pairs = [pair for pair in wanted_query.split("&") if pair]
    wanted = _joined(wanted_base, [p for p in wanted_pairs if p.partition("=")[0] not in filled])
    pattern = ".*".join(re.escape(piece) for piece in link.split(mark))
    return re.fullmatch(pattern, wanted) is not None


def _joined(base: str, pairs: list[str]) -> str:
    return base + ("?" + "&".join(pairs) if pairs else "")
