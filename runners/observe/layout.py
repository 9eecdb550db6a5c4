"""A state machine definition laid out for drawing: a simple layered layout.

Each flow (the top level, each branch) is laid out on its own:
  1. edges: Next, Choice rules, Default, Catch; loops found by a depth-first
     walk are turned back (drawn up the left side);
  2. layers: the longest path from StartAt, so every state sits below all
     states that lead to it (a failure path ends up below what it catches);
  3. order within a layer: discovery order, then a few barycenter sweeps;
  4. positions: each state centred under its predecessors, never overlapping,
     rows top-aligned (an edge leaves a short state straight down and bends
     only in the gap between rows);
     an edge longer than one layer runs through a reserved slot in each layer
     it crosses, so it never cuts through a state;
  5. Catch edges run down a gutter on the right, dashed.
A Parallel (or Map) is a box holding its branches' layouts side by side.
Sizes are in SVG user units; text width is estimated (no font metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .definition import CATCH, Definition, Flow, StateDef

CHAR_WIDTH = 8.0  # 13px bold sans-serif, average (DejaVu Sans is wide)
NODE_HEIGHT = 46.0
MIN_NODE_WIDTH = 150.0
NODE_PADDING = 14.0
H_GAP = 28.0
V_GAP = 44.0
DUMMY_WIDTH = 14.0
CONTAINER_HEADER = 26.0
CONTAINER_PAD = 14.0
GUTTER = 26.0
MARKER = 30.0  # the Start and End circles
START, END = "__start__", "__end__"


@dataclass
class Box:
    name: str
    type: str  # a state's Type, or "Start"/"End"
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    lanes: list["Lane"] = field(default_factory=list)  # a container's branches

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def shift(self, dx: float, dy: float) -> None:
        self.x += dx
        self.y += dy
        for lane in self.lanes:
            lane.shift(dx, dy)


@dataclass
class Route:
    source: str
    target: str
    kind: str  # next, default, choice, catch, end
    label: str
    points: list[tuple[float, float]]
    back: bool = False  # a loop, drawn upwards

    def shift(self, dx: float, dy: float) -> None:
        self.points = [(x + dx, y + dy) for x, y in self.points]


@dataclass
class Lane:
    """One laid-out flow; coordinates are absolute once placed."""

    x: float
    y: float
    w: float
    h: float
    boxes: dict[str, Box]
    routes: list[Route]

    def shift(self, dx: float, dy: float) -> None:
        self.x += dx
        self.y += dy
        for box in self.boxes.values():
            box.shift(dx, dy)
        for route in self.routes:
            route.shift(dx, dy)

    def all_boxes(self) -> list[Box]:
        found: list[Box] = []
        for box in self.boxes.values():
            found.append(box)
            for lane in box.lanes:
                found.extend(lane.all_boxes())
        return found

    def all_routes(self) -> list[Route]:
        found = list(self.routes)
        for box in self.boxes.values():
            for lane in box.lanes:
                found.extend(lane.all_routes())
        return found


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def layout(definition: Definition, margin: float = 20.0) -> Lane:
    """The whole state machine, with Start and End markers, placed at (margin, margin)."""
    lane = _layout_flow(definition.flow, definition, top_level=True)
    lane.shift(margin, margin)
    return lane


@dataclass
class _Edge:
    source: str
    target: str
    kind: str
    label: str
    back: bool = False


def _layout_flow(flow: Flow, definition: Definition, top_level: bool) -> Lane:
    names = list(flow.names)
    boxes = {name: _box(definition.states[name], definition) for name in names}
    edges: list[_Edge] = []
    for name in names:
        state = definition.states[name]
        for edge in state.edges:
            if edge.target in boxes:
                edges.append(_Edge(name, edge.target, edge.kind, edge.label))
        if top_level and _ends(state):
            edges.append(_Edge(name, END, "end", ""))
    if top_level:
        boxes[START] = Box(START, "Start", w=MARKER, h=MARKER)
        boxes[END] = Box(END, "End", w=MARKER, h=MARKER)
        if flow.start_at in boxes:
            edges.insert(0, _Edge(START, flow.start_at, "next", ""))
    order = _discovery_order(boxes, edges, START if top_level else flow.start_at)
    if top_level and END in boxes:  # the End marker goes last
        order.remove(END)
        order.append(END)
    _mark_back_edges(order, edges)
    layers = _layers(order, edges)
    if top_level:
        layers[END] = max(layers.values()) + (1 if len(layers) > 1 else 0)
    rows, slots = _rows(order, edges, layers)
    preds = _predecessors(edges, slots)
    _order_rows(rows, preds)
    routes = _place(rows, boxes, slots, edges, preds)
    return _finish(boxes, routes)


def _box(state: StateDef, definition: Definition) -> Box:
    if not state.branches:
        width = max(MIN_NODE_WIDTH, text_width(state.name) + 2 * NODE_PADDING)
        return Box(state.name, state.type, w=width, h=NODE_HEIGHT)
    lanes = [_layout_flow(branch, definition, top_level=False) for branch in state.branches]
    x = CONTAINER_PAD
    for lane in lanes:
        lane.shift(x - lane.x, CONTAINER_HEADER + CONTAINER_PAD - lane.y)
        x += lane.w + H_GAP
    width = max(x - H_GAP + CONTAINER_PAD, text_width(state.name) + 2 * NODE_PADDING)
    height = CONTAINER_HEADER + CONTAINER_PAD + max((lane.h for lane in lanes), default=0) + CONTAINER_PAD
    if x - H_GAP + CONTAINER_PAD < width:  # a name wider than the branches: centre them
        for lane in lanes:
            lane.shift((width - (x - H_GAP + CONTAINER_PAD)) / 2, 0)
    return Box(state.name, state.type, w=width, h=height, lanes=lanes)


def _ends(state: StateDef) -> bool:
    return state.type in ("Succeed", "Fail") or bool(state.spec.get("End"))


def _discovery_order(boxes: dict[str, Box], edges: list[_Edge], start: str) -> list[str]:
    """Depth-first from the start, following edges in definition order
    (Catch last); states never reached that way follow in reading order."""
    successors: dict[str, list[str]] = {name: [] for name in boxes}
    for edge in sorted(edges, key=lambda e: e.kind == CATCH):
        successors[edge.source].append(edge.target)
    seen: list[str] = []
    visited: set[str] = set()

    def visit(name: str) -> None:
        stack = [name]
        while stack:
            current = stack.pop()
            if current in visited:
                continue
            visited.add(current)
            seen.append(current)
            stack.extend(reversed([s for s in successors[current] if s not in visited]))

    if start in boxes:
        visit(start)
    for name in boxes:
        if name not in visited:
            visit(name)
    return seen


def _mark_back_edges(order: list[str], edges: list[_Edge]) -> None:
    """An edge to a state on the current depth-first path closes a loop."""
    successors: dict[str, list[_Edge]] = {name: [] for name in order}
    for edge in edges:
        successors[edge.source].append(edge)
    state: dict[str, int] = {}  # 1 on the path, 2 done

    for root in order:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, index = stack.pop()
            if index < len(successors[node]):
                stack.append((node, index + 1))
                edge = successors[node][index]
                mark = state.get(edge.target)
                if mark == 1:
                    edge.back = True
                elif mark is None:
                    state[edge.target] = 1
                    stack.append((edge.target, 0))
            else:
                state[node] = 2


def _layers(order: list[str], edges: list[_Edge]) -> dict[str, int]:
    """Longest path over the forward edges (Kahn's order)."""
    forward = [e for e in edges if not e.back and e.source != e.target]
    incoming = {name: 0 for name in order}
    for edge in forward:
        incoming[edge.target] += 1
    layer = {name: 0 for name in order}
    ready = [name for name in order if incoming[name] == 0]
    while ready:
        name = ready.pop(0)
        for edge in forward:
            if edge.source == name:
                layer[edge.target] = max(layer[edge.target], layer[name] + 1)
                incoming[edge.target] -= 1
                if incoming[edge.target] == 0:
                    ready.append(edge.target)
    return layer


def _rows(order: list[str], edges: list[_Edge], layers: dict[str, int]) -> tuple[list[list[str]], dict[int, list[str]]]:
    """Layers as rows of names, with a slot (``edge#n@layer``) in every layer a
    long forward, non-Catch edge crosses."""
    depth = max(layers.values(), default=0) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for name in order:
        rows[layers[name]].append(name)
    slots: dict[int, list[str]] = {}
    for index, edge in enumerate(edges):
        if edge.back or edge.kind == CATCH:
            continue
        start, end = layers[edge.source], layers[edge.target]
        slots[index] = []
        for row in range(start + 1, end):
            slot = f"edge#{index}@{row}"
            rows[row].append(slot)
            slots[index].append(slot)
    return rows, slots


def _predecessors(edges: list[_Edge], slots: dict[int, list[str]]) -> dict[str, list[str]]:
    """What each box (or slot) hangs from: forward, non-Catch edges, through their slots."""
    preds: dict[str, list[str]] = {}
    for index, edge in enumerate(edges):
        if edge.back or edge.kind == CATCH:
            continue
        chain = [edge.source] + slots.get(index, []) + [edge.target]
        for a, b in zip(chain, chain[1:]):
            preds.setdefault(b, []).append(a)
    return preds


def _order_rows(rows: list[list[str]], preds: dict[str, list[str]], sweeps: int = 3) -> None:
    """Barycenter sweeps downwards: each row ordered by where its predecessors sit."""
    for _ in range(sweeps):
        for above, row in zip(rows, rows[1:]):
            position = {name: i for i, name in enumerate(above)}
            current = {name: i for i, name in enumerate(row)}

            def key(name: str) -> float:
                linked = [position[p] for p in preds.get(name, []) if p in position]
                return sum(linked) / len(linked) if linked else current[name]

            row.sort(key=lambda n: (key(n), current[n]))


def _place(rows: list[list[str]], boxes: dict[str, Box], slots: dict[int, list[str]], edges: list[_Edge], preds: dict[str, list[str]]) -> list[Route]:
    """Positions row by row: each box centred under its predecessors, pushed right to avoid overlap."""
    slot_boxes = {slot: Box(slot, "slot", w=DUMMY_WIDTH, h=0) for names in slots.values() for slot in names}
    every = {**boxes, **slot_boxes}
    placed: set[str] = set()
    spans: dict[str, tuple[float, float]] = {}  # name -> its row's top and bottom
    y = 0.0
    for row in rows:
        height = max((every[n].h for n in row), default=0)
        right = float("-inf")
        for name in row:
            box = every[name]
            centres = [every[p].cx for p in preds.get(name, []) if p in placed]
            want = sum(centres) / len(centres) - box.w / 2 if centres else (right + H_GAP if right > float("-inf") else 0.0)
            box.shift(max(want, right + H_GAP) - box.x, y - box.y)  # rows are top-aligned: edges arrive in the gap above
            right = box.x + box.w
            placed.add(name)
            spans[name] = (y, y + height)
        y += height + V_GAP
    left = min((b.x for b in every.values()), default=0.0)
    for box in every.values():
        box.shift(-left, 0)
    right_gutter = max((b.x + b.w for b in boxes.values()), default=0.0) + GUTTER / 2
    routes = []
    for index, edge in enumerate(edges):
        source, target = every[edge.source], every[edge.target]
        if edge.back or edge.kind == CATCH:
            # Down into the gap below the source's row, along it to a gutter
            # (right: Catch; left: loops), then into the gap above the target's
            # row and down into it: the horizontal runs cross no state.
            below, above = spans[edge.source][1] + V_GAP * 0.3, spans[edge.target][0] - V_GAP * 0.3
            inset = min(14.0, source.w / 4)
            if edge.back:
                sx, tx, gutter = source.x + inset, target.x + min(14.0, target.w / 4), -GUTTER / 2
            else:
                sx, tx, gutter = source.x + source.w - inset, target.x + target.w - min(14.0, target.w / 4), right_gutter
            points = [(sx, source.bottom), (sx, below), (gutter, below), (gutter, above), (tx, above), (tx, target.y)]
        else:
            points = [(source.cx, source.bottom)]
            if source.bottom < spans[edge.source][1]:  # a short state in a tall row: straight down to the gap first
                points.append((source.cx, spans[edge.source][1]))
            for slot in slots.get(index, []):
                top, bottom = spans[slot]
                points += [(every[slot].cx, top), (every[slot].cx, bottom)]
            points.append((target.cx, target.y))
        routes.append(Route(edge.source, edge.target, edge.kind, edge.label, points, edge.back))
    return routes


def _finish(boxes: dict[str, Box], routes: list[Route]) -> Lane:
    """Gutters for Catch edges (right) and loops (left); the lane's size."""
    has_catch = any(r.kind == CATCH and not r.back for r in routes)
    has_back = any(r.back for r in routes)
    left_pad = GUTTER if has_back else 0.0
    if left_pad:
        for box in boxes.values():
            box.shift(left_pad, 0)
        for route in routes:
            route.shift(left_pad, 0)
    right = max((b.x + b.w for b in boxes.values()), default=0.0)
    width = right + (GUTTER if has_catch else 0.0)
    height = max([b.y + b.h for b in boxes.values()] + [y for r in routes for _x, y in r.points], default=0.0)
    return Lane(0.0, 0.0, width, height, boxes, routes)
