"""A workflow drawn as inline SVG: its steps in layers, top to bottom, and the ways between.

The layers come from networkx (BSD-3-Clause, pure Python, no system packages): a depth-first
search from the entry finds the edges that close a loop, and with those set aside the rest
is a DAG whose topological generations are the rows. networkx's ``multipartite_layout``
would only space each row evenly, and it needs numpy for that; the same spacing is a line
here, after a barycentre pass that orders each row under its parents to cut crossings.
Imported only for ``--format html``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

# text from inputs is shown with its control and bidi characters as visible escapes
from preflight.reporters.safe import html_text as escape

if TYPE_CHECKING:
    from preflight.model.report import StepView, WorkflowView

NODE_W, NODE_H = 184, 50
H_GAP, V_GAP = 28, 46
PAD = 16
LOOP_OUT = 44
"""How far right of the steps a loop's way back runs."""
_CHARS = 24
"""About as many characters of a 12px label as fit in a step's box."""
ICONS = {
    "send": "✉",
    "wait": "⏱",
    "branch": "◇",
    "split": "⑂",
    "exit": "■",
    "goal": "★",
    "update": "✎",
    "notify": "🔔",
    "missing": "?",
}


@dataclass(frozen=True)
class Layout:
    position: dict[str, tuple[float, float]]
    """Step id -> the centre of its box."""
    back: frozenset[tuple[str, str]]
    """Edges that close a loop (drawn around the side, upwards)."""
    bends: dict[tuple[str, str], list[tuple[float, float]]]
    """An edge that spans several rows -> the points it passes through on the rows between
    (where it has a place of its own, so it never runs through a step's box)."""
    width: float
    height: float


def back_edges(order: list[str], edges: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges a depth-first search from the entry (then from each step not yet reached,
    in file order) finds going back to a step on its stack: removing them leaves a DAG."""
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(order)
    graph.add_edges_from(edges)
    back: set[tuple[str, str]] = set()
    stack: set[str] = set()
    for source, target, kind in nx.dfs_labeled_edges(graph):  # every root, in file order
        if kind == "forward":
            stack.add(target)
        elif kind == "reverse":
            stack.discard(target)
        elif kind == "nontree" and target in stack:  # self-loops included
            back.add((source, target))
    return back


def layout(order: list[str], edges: list[tuple[str, str]]) -> Layout:
    import networkx as nx

    back = back_edges(order, edges)
    dag: nx.DiGraph[str] = nx.DiGraph()
    dag.add_nodes_from(order)
    dag.add_edges_from(e for e in edges if e not in back and e[0] != e[1])
    rank: dict[str, float] = {step: i for i, step in enumerate(order)}
    rows = [sorted(row, key=rank.__getitem__) for row in nx.topological_generations(dag)]
    row_of = {step: number for number, row in enumerate(rows) for step in row}
    parents: dict[str, list[str]] = {step: [] for step in order}
    chains: dict[tuple[str, str], list[str]] = {}
    for source, target in dag.edges:
        previous = source
        chain = []
        for between in range(row_of[source] + 1, row_of[target]):  # a point on each row
            point = f"\x00{source}\x00{target}\x00{between}"
            rows[between].append(point)
            rank[point] = rank[source] + 0.5
            parents[point] = [previous]
            chain.append(point)
            previous = point
        chains[(source, target)] = chain
        parents[target].append(previous)
    column: dict[str, float] = {}
    for number, row in enumerate(rows):
        if number:  # under the mean place of its parents, ties in file order
            row.sort(key=lambda s: (_mean(column[p] for p in parents[s] if p in column), rank[s]))
        for index, step in enumerate(row):
            column[step] = index - (len(row) - 1) / 2
    widest = max((len(row) for row in rows), default=1)
    width = widest * NODE_W + (widest - 1) * H_GAP + 2 * PAD + (LOOP_OUT if back else 0)
    middle = PAD + (widest * NODE_W + (widest - 1) * H_GAP) / 2
    position = {}
    for number, row in enumerate(rows):
        y = PAD + NODE_H / 2 + number * (NODE_H + V_GAP)
        for step in row:
            position[step] = (middle + column[step] * (NODE_W + H_GAP), y)
    bends = {edge: [position[point] for point in chain] for edge, chain in chains.items()}
    for chain in chains.values():
        for point in chain:
            del position[point]
    height = 2 * PAD + len(rows) * NODE_H + max(0, len(rows) - 1) * V_GAP
    return Layout(position, frozenset(back), bends, width, height)


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def _cut(text: str, size: int = _CHARS) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def svg(
    view: WorkflowView,
    prefix: str,
    named: dict[str, int] | None = None,
    title: str = "",
) -> str:
    """The drawing; ``named`` counts the findings that name each step (marked, with the
    count written, so the mark does not rely on colour); ids in it start with ``prefix``."""
    named = named or {}
    steps: dict[str, StepView] = {}
    for step in view.steps:
        steps.setdefault(step.id, step)
    order = list(steps)
    labels: dict[tuple[str, str], list[str]] = {}  # parallel ways are one line, "yes / no"
    missing: list[str] = []
    for step in steps.values():
        for target, label in step.edges:
            if target not in steps and target not in missing:
                missing.append(target)
            labels.setdefault((step.id, target), [])
            if label != "next":
                labels[(step.id, target)].append(label)
    edges = [(a, b, " / ".join(said)) for (a, b), said in labels.items()]
    order += missing
    shape = layout(order, [(a, b) for a, b, _ in edges])
    parts = [
        f'<svg class="wf" role="img" aria-labelledby="{prefix}-t {prefix}-d"'
        f' viewBox="0 0 {shape.width:.0f} {shape.height:.0f}"'
        f' width="{shape.width:.0f}" height="{shape.height:.0f}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{prefix}-t">{escape(title or f"Workflow {view.name}")}</title>',
        f'<desc id="{prefix}-d">{escape(_describe(steps, missing))}</desc>',
        "<defs>"
        f'<marker id="{prefix}-a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"'
        ' class="arrow"/></marker></defs>',
    ]
    for source, target, label in edges:
        parts.append(_edge(shape, source, target, label, prefix, (source, target) in shape.back))
    for step_id in order:
        parts.append(_node(shape, step_id, steps.get(step_id), named.get(step_id, 0)))
    parts.append("</svg>")
    return "".join(parts)


def _describe(steps: dict[str, StepView], missing: list[str]) -> str:
    said = []
    for step in steps.values():
        ways = ", ".join(
            f"{label} to {target}" if label != "next" else f"then {target}"
            for target, label in step.edges
        )
        said.append(f"{step.id} ({step.kind}: {step.label})" + (f", {ways}" if ways else ""))
    said += [f"{target} (missing: no step has this id)" for target in missing]
    return "; ".join(said)


def _edge(shape: Layout, source: str, target: str, label: str, prefix: str, back: bool) -> str:
    x1, y1 = shape.position[source]
    x2, y2 = shape.position[target]
    if back:  # around the right side of both boxes, upwards
        right = max(x1, x2) + NODE_W / 2
        sx, ex = x1 + NODE_W / 2, x2 + NODE_W / 2
        bulge = right + LOOP_OUT - 6
        d = f"M{sx:.0f},{y1:.0f} C{bulge:.0f},{y1:.0f} {bulge:.0f},{y2:.0f} {ex:.0f},{y2:.0f}"
        lx, ly = bulge - 4, (y1 + y2) / 2
    else:
        points = [
            (x1, y1 + NODE_H / 2),
            *shape.bends.get((source, target), []),
            (x2, y2 - NODE_H / 2),
        ]
        d = f"M{points[0][0]:.0f},{points[0][1]:.0f}"
        for (px, py), (qx, qy) in itertools.pairwise(points):
            bend = max(12.0, (qy - py) / 2)
            d += f" C{px:.0f},{py + bend:.0f} {qx:.0f},{qy - bend:.0f} {qx:.0f},{qy:.0f}"
        (px, py), (qx, _) = points[0], points[1]
        lx, ly = px + (qx - px) * 0.3 + 6, py + 15
    text = f'<text x="{lx:.0f}" y="{ly:.0f}" class="elabel">{escape(label)}</text>' if label else ""
    return (
        f'<g class="edge{" back" if back else ""}" data-from="{escape(source)}"'
        f' data-to="{escape(target)}"><path d="{d}" marker-end="url(#{prefix}-a)"/>{text}</g>'
    )


def _node(shape: Layout, step_id: str, step: StepView | None, named: int) -> str:
    x, y = shape.position[step_id]
    kind = step.kind if step is not None else "missing"
    label = step.label if step is not None else "no step has this id"
    icon = ICONS.get(kind, "•")
    left, top = x - NODE_W / 2, y - NODE_H / 2
    classes = f"step kind-{kind}" + (" named" if named else "")
    badge = (
        f'<text x="{left + NODE_W - 8:.0f}" y="{top + 16:.0f}" class="badge"'
        f' text-anchor="end">⚠ {named}</text>'
        if named
        else ""
    )
    full = f"{step_id}: {kind}, {label}" + (
        f" ({named} problem{'s' if named != 1 else ''})" if named else ""
    )
    return (
        f'<g class="{classes}" data-step="{escape(step_id)}"><title>{escape(full)}</title>'
        f'<rect x="{left:.0f}" y="{top:.0f}" width="{NODE_W}" height="{NODE_H}" rx="7"/>'
        f'<text x="{left + 10:.0f}" y="{top + 20:.0f}" class="sid">'
        f"{escape(icon)} {escape(_cut(step_id, _CHARS - 6 if named else _CHARS - 2))}</text>"
        f'<text x="{left + 10:.0f}" y="{top + 39:.0f}" class="slabel">'
        f"{escape(kind)} · {escape(_cut(label, _CHARS - len(kind) - 2))}</text>"
        f"{badge}</g>"
    )
