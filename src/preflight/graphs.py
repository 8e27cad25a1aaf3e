"""Graph algorithms over a workflow's steps: reachability, least waits, components,
dominators, and how a path is shown. Shared by the FLOW and TIME rules and the HTML
report's drawing; nothing here reports anything.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from preflight.model import Edge, Location, Step, Workflow


def reachable(
    workflow: Workflow,
    start: str,
    skip: frozenset[tuple[str, str]] = frozenset(),
    stop: Callable[[Step], bool] | None = None,
    through_broken: bool = False,
) -> dict[str, str | None]:
    """Step ids reachable from ``start`` (itself included), and each one's parent on a
    shortest-hop path; ``skip`` holds (step id, edge label) pairs not to follow, and steps
    for which ``stop`` is true are reached but not gone through (``start`` always is).

    A broken step (one that does not fit the format) is reached but not gone through: no
    path across it is judged. ``through_broken`` passes through it, for rules that only
    ask whether a step can be reached at all."""
    steps = workflow.by_id
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        step = steps.get(current)
        if step is None or (
            current != start
            and ((stop is not None and stop(step)) or (step.broken and not through_broken))
        ):
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
    cost: Callable[[Step], float] | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Dijkstra over the steps: the least total wait from ``start`` to every step it reaches
    in less than ``limit`` (steps for which ``stop`` is true, and broken steps, are reached,
    not gone through). ``cost`` is the time a contact spends in a step (default `wait_of`).

    A wait step adds its shortest wait to the steps after it; nothing is enumerated path by
    path, so a workflow with many branches stays linear-logarithmic.
    """
    spend = cost or wait_of
    steps = workflow.by_id
    best: dict[str, float] = {start: 0.0}
    parents: dict[str, str] = {}
    heap = [(0.0, start)]
    while heap:
        distance, current = heapq.heappop(heap)
        if distance > best.get(current, float("inf")):
            continue
        step = steps.get(current)
        if step is None or (
            current != start and ((stop is not None and stop(step)) or step.broken)
        ):
            continue
        leaving = distance + spend(step)
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
    if step.kind != "wait" or step.broken:
        return False
    if step.wait_seconds:
        return True
    until = step.until
    return until is not None and bool(until.time or until.weekdays or until.event)


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


def dominates(idom: Mapping[str, str], dominator: str, node: str) -> bool:
    """True when every path from the entry to ``node`` passes ``dominator``."""
    while True:
        if node == dominator:
            return True
        parent = idom[node]
        if parent == node:
            return False
        node = parent
