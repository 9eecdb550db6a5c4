"""The laid-out state machine drawn as SVG, each state coloured by its status
in one execution. Plain SVG 1.1 (no script, no external fonts): a browser, an
image viewer or a README shows it as is.

Each state is a ``<g class="state" data-state=NAME data-status=STATUS>`` with a
``<title>`` tooltip (status, time, error), so tests and scripts can read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable
from xml.sax.saxutils import escape, quoteattr

from . import text
from .definition import CATCH, Definition
from .execution import CANCELLED, FAILED, NOT_REACHED, RUNNING, STATUSES, SUCCEEDED, ExecutionView, StateRun
from .layout import END, START, Box, Route, layout

# status -> (fill, stroke, text)
COLOURS = {
    SUCCEEDED: ("#c8e6c9", "#2e7d32", "#1b5e20"),
    FAILED: ("#ffcdd2", "#c62828", "#b71c1c"),
    RUNNING: ("#bbdefb", "#1565c0", "#0d47a1"),
    CANCELLED: ("url(#cancelled)", "#ef6c00", "#5d4037"),
    NOT_REACHED: ("#f5f5f5", "#bdbdbd", "#9e9e9e"),
}
CONTAINER_FILL = {SUCCEEDED: "#f1f8f1", FAILED: "#fdf0f0", RUNNING: "#eef5fc", CANCELLED: "#fbf3ea", NOT_REACHED: "#fafafa"}
EDGE = "#78909c"
CATCH_EDGE = "#c62828"
TITLE_HEIGHT = 56.0
LEGEND_HEIGHT = 30.0
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


def render(view: ExecutionView, now: datetime | None = None) -> str:
    """An execution: its definition, states coloured by status."""
    title = f"{view.name} · {view.status}" + (f" · run date {view.run_date}" if view.run_date else "")
    failed = view.failed_state
    subtitle = f"{text.duration(view.seconds(now))}" + (f" · {failed.name}: {failed.error or view.error or ''}" if failed else "")
    return draw(view.definition, view.states, title, subtitle, now)


def render_definition(definition: Definition, title: str) -> str:
    """A state machine not tied to an execution: every state 'not reached'."""
    return draw(definition, {}, title, "definition", None)


def draw(definition: Definition, states: dict[str, StateRun], title: str, subtitle: str, now: datetime | None) -> str:
    lane = layout(definition)
    width = max(lane.x + lane.w + 20, 680.0)
    height = TITLE_HEIGHT + lane.y + lane.h + 20 + LEGEND_HEIGHT
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' {FONT} font-size='13'>",
        _defs(),
        "<rect width='100%' height='100%' fill='#ffffff'/>",
        f"<text x='20' y='24' font-size='16' font-weight='bold' fill='#263238'>{escape(title)}</text>",
        f"<text x='20' y='44' font-size='12' fill='#546e7a'>{escape(subtitle)}</text>",
        f"<g transform='translate(0,{TITLE_HEIGHT})'>",
    ]
    boxes = lane.all_boxes()
    for box in boxes:  # containers first, so their branches draw on top
        if box.lanes:
            parts.append(_container(box, states.get(box.name), now))
    for route in lane.all_routes():
        parts.append(_route(route))
    for box in boxes:
        if box.name in (START, END):
            parts.append(_marker(box))
        elif not box.lanes:
            parts.append(_state(box, states.get(box.name), now))
    parts.append("</g>")
    parts.append(_legend(20, height - LEGEND_HEIGHT + 6))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _defs() -> str:
    return (
        "<defs>"
        "<pattern id='cancelled' patternUnits='userSpaceOnUse' width='8' height='8' patternTransform='rotate(45)'>"
        "<rect width='8' height='8' fill='#eeeeee'/><rect width='4' height='8' fill='#cfcfcf'/></pattern>"
        f"<marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
        f"<path d='M 0 0 L 10 5 L 0 10 z' fill='{EDGE}'/></marker>"
        f"<marker id='arrow-catch' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
        f"<path d='M 0 0 L 10 5 L 0 10 z' fill='{CATCH_EDGE}'/></marker>"
        "</defs>"
    )


def _status(run: StateRun | None) -> str:
    return run.status if run is not None else NOT_REACHED


def _tooltip(name: str, kind: str, run: StateRun | None, now: datetime | None) -> str:
    status = _status(run)
    lines = [f"{name} ({kind})", status]
    if run is not None and run.entered is not None:
        lines.append(f"entered {text.when(run.entered)}, {text.duration(run.seconds(now))}")
        if run.attempts > 1:
            lines.append(f"{run.attempts} attempts")
    if run is not None and run.error:
        lines.append(f"{run.error}: {text.short_cause(run.cause, 300)}")
    return escape("\n".join(lines))


def _group(box: Box, run: StateRun | None, now: datetime | None, body: Iterable[str]) -> str:
    status = _status(run)
    return (f"<g class='state' data-state={quoteattr(box.name)} data-status={quoteattr(status)} data-type={quoteattr(box.type)}>"
            f"<title>{_tooltip(box.name, box.type, run, now)}</title>" + "".join(body) + "</g>")


def _state(box: Box, run: StateRun | None, now: datetime | None) -> str:
    status = _status(run)
    fill, stroke, ink = COLOURS[status]
    radius = 22 if box.type == "Choice" else 8
    dash = " stroke-dasharray='5 3'" if status == CANCELLED else ""
    pulse = ("<animate attributeName='stroke-opacity' values='1;0.25;1' dur='1.6s' repeatCount='indefinite'/>" if status == RUNNING else "")
    detail = status + (f" · {text.duration(run.seconds(now))}" if run is not None and run.seconds(now) is not None else "")
    if box.type not in ("Task", ""):
        detail = f"{box.type} · {detail}"
    body = [
        f"<rect x='{box.x:.1f}' y='{box.y:.1f}' width='{box.w:.1f}' height='{box.h:.1f}' rx='{radius}' fill='{fill}' stroke='{stroke}' stroke-width='2'{dash}>{pulse}</rect>",
        f"<text x='{box.cx:.1f}' y='{box.y + 19:.1f}' text-anchor='middle' font-weight='bold' fill='{ink}'>{escape(box.name)}</text>",
        f"<text x='{box.cx:.1f}' y='{box.y + 36:.1f}' text-anchor='middle' font-size='11' fill='{ink}'>{escape(detail)}</text>",
    ]
    return _group(box, run, now, body)


def _container(box: Box, run: StateRun | None, now: datetime | None) -> str:
    status = _status(run)
    _fill, stroke, ink = COLOURS[status]
    seconds = run.seconds(now) if run is not None else None
    label = f"{box.name}  ·  {box.type} · {status}" + (f" · {text.duration(seconds)}" if seconds is not None else "")
    body = [
        f"<rect x='{box.x:.1f}' y='{box.y:.1f}' width='{box.w:.1f}' height='{box.h:.1f}' rx='10' fill='{CONTAINER_FILL[status]}' "
        f"stroke='{stroke}' stroke-width='2' stroke-dasharray='{'6 3' if status == CANCELLED else 'none'}'/>",
        f"<text x='{box.x + 12:.1f}' y='{box.y + 18:.1f}' font-weight='bold' fill='{ink}'>{escape(label)}</text>",
    ]
    for left, right in zip(box.lanes, box.lanes[1:]):  # a thin rule between branches
        x = (left.x + left.w + right.x) / 2
        body.append(f"<line x1='{x:.1f}' y1='{box.y + 30:.1f}' x2='{x:.1f}' y2='{box.y + box.h - 8:.1f}' stroke='#cfd8dc' stroke-dasharray='3 3'/>")
    return _group(box, run, now, body)


def _marker(box: Box) -> str:
    label = "Start" if box.name == START else "End"
    return (f"<g class='marker' data-marker='{label.lower()}'><circle cx='{box.cx:.1f}' cy='{box.y + box.h / 2:.1f}' r='{box.w / 2:.1f}' "
            f"fill='#eceff1' stroke='#607d8b' stroke-width='2'/><text x='{box.cx:.1f}' y='{box.y + box.h / 2 + 4:.1f}' text-anchor='middle' "
            f"font-size='9' fill='#455a64'>{label}</text></g>")


def _route(route: Route) -> str:
    catch = route.kind == CATCH
    colour = CATCH_EDGE if catch else EDGE
    dash = " stroke-dasharray='6 4'" if catch or route.back else ""
    marker = "arrow-catch" if catch else "arrow"
    if catch or route.back:
        path = "M " + " L ".join(f"{x:.1f} {y:.1f}" for x, y in route.points)
    else:
        path = f"M {route.points[0][0]:.1f} {route.points[0][1]:.1f}"
        for (x1, y1), (x2, y2) in zip(route.points, route.points[1:]):
            middle = (y1 + y2) / 2
            path += f" C {x1:.1f} {middle:.1f} {x2:.1f} {middle:.1f} {x2:.1f} {y2:.1f}"
    parts = [f"<path class='edge edge-{route.kind}' data-from={quoteattr(route.source)} data-to={quoteattr(route.target)} d='{path}' "
             f"fill='none' stroke='{colour}' stroke-width='{1.4 if catch else 1.6}'{dash} marker-end='url(#{marker})' opacity='{0.7 if catch else 1}'/>"]
    if route.label and route.kind != CATCH:
        (x1, y1), (x2, y2) = route.points[0], route.points[1]
        x, y = (x1 + x2) / 2, y1 + min(16.0, (y2 - y1) / 2)
        parts.append(f"<text x='{x + 5:.1f}' y='{y:.1f}' font-size='10' font-style='italic' fill='#607d8b'>{escape(route.label)}</text>")
    return "".join(parts)


def _legend(x: float, y: float) -> str:
    items = []
    for index, status in enumerate(STATUSES):
        fill, stroke, _ink = COLOURS[status]
        items.append(f"<g transform='translate({105 * index},0)'><rect width='14' height='14' rx='3' fill='{fill}' stroke='{stroke}' stroke-width='1.5'/>"
                     f"<text x='20' y='11' font-size='11' fill='#455a64'>{escape(status)}</text></g>")
    items.append(f"<g transform='translate({105 * len(STATUSES)},0)'><path d='M 0 7 L 34 7' stroke='{CATCH_EDGE}' stroke-dasharray='6 4' stroke-width='1.4'/>"
                 "<text x='40' y='11' font-size='11' fill='#455a64'>on error (Catch)</text></g>")
    return f"<g class='legend' transform='translate({x:.0f},{y:.0f})'>" + "".join(items) + "</g>"
