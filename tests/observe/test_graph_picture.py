"""The execution graph: laid out from the definition (Parallel branches side
by side, Choice edges labelled, Catch edges dashed down a gutter, loops up
the other side), states coloured by status, well-formed SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from runners.observe import definition as definitions
from runners.observe.execution import STATUSES, ExecutionView, StateRun
from runners.observe.layout import END, START, Box, layout
from runners.observe.svg import COLOURS, render, render_definition
from runners.pipelines import PIPELINES_DIR, load_pipeline, pipeline_files
from runners.pipelines.asl import render_state_machine

SVG = "{http://www.w3.org/2000/svg}"


def shipped_definitions() -> list[tuple[str, dict]]:
    return [(path.stem, json.loads(render_state_machine(load_pipeline(path)).text)) for path in pipeline_files(PIPELINES_DIR)]


LOOP = {"StartAt": "Start Job", "States": {
    "Start Job": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done?"},
    "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.state", "StringEquals": "SUCCEEDED", "Next": "Ok"}], "Default": "Wait"},
    "Ok": {"Type": "Succeed"}}}


def inside(inner: Box, outer: Box) -> bool:
    return outer.x <= inner.x and inner.x + inner.w <= outer.x + outer.w and outer.y <= inner.y and inner.y + inner.h <= outer.y + outer.h


def overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def curve_points(points: list[tuple[float, float]], steps: int = 12) -> list[tuple[float, float]]:
    """The points of a drawn edge: svg draws C x1 m, x2 m, x2 y2 between consecutive points."""
    sampled = []
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        m = (y1 + y2) / 2
        for i in range(steps + 1):
            t = i / steps
            u = 1 - t
            sampled.append((u**3 * x1 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x2,
                            u**3 * y1 + 3 * u * u * t * m + 3 * u * t * t * m + t**3 * y2))
    return sampled


@pytest.mark.parametrize("name,data", shipped_definitions())
def test_no_two_states_overlap_and_branches_stay_inside_their_parallel(name, data):
    tree = definitions.parse(data)
    lane = layout(tree)
    boxes = {b.name: b for b in lane.all_boxes()}
    assert set(tree.states) | {START, END} == set(boxes)
    for state in tree.states.values():
        for ancestor in tree.ancestors(state.name):
            assert inside(boxes[state.name], boxes[ancestor]), (state.name, ancestor)
    unrelated = [(a, b) for a in tree.states for b in tree.states if a < b
                 and a not in tree.ancestors(b) and b not in tree.ancestors(a)]
    assert not [(a, b) for a, b in unrelated if overlap(boxes[a], boxes[b])]


@pytest.mark.parametrize("name,data", shipped_definitions())
def test_parallel_branches_sit_side_by_side(name, data):
    tree = definitions.parse(data)
    boxes = {b.name: b for b in layout(tree).all_boxes()}
    parallels = [s for s in tree.states.values() if s.type == "Parallel"]
    assert parallels
    for state in parallels:
        lanes = boxes[state.name].lanes
        assert len(lanes) == len(state.spec["Branches"]) >= 2
        assert len({round(lane.y) for lane in lanes}) == 1
        for left, right in zip(lanes, lanes[1:]):
            assert left.x + left.w <= right.x


@pytest.mark.parametrize("name,data", shipped_definitions())
def test_forward_edges_go_down_and_never_cut_through_a_state(name, data):
    tree = definitions.parse(data)
    lane = layout(tree)
    leaves = [b for b in lane.all_boxes() if not b.lanes]
    for route in lane.all_routes():
        if route.kind == "catch" or route.back:
            continue
        ys = [y for _x, y in route.points]
        assert ys == sorted(ys), route
        for x, y in curve_points(route.points):
            crossed = [b.name for b in leaves if b.name not in (route.source, route.target)
                       and b.x + 1 < x < b.x + b.w - 1 and b.y + 1 < y < b.y + b.h - 1]
            assert not crossed, (route.source, route.target, crossed)


def test_a_failure_path_is_drawn_below_what_it_catches_with_dashed_edges():
    # A hand-written state machine with Catch edges (rendered ones leave errors uncaught).
    from runners.definition import PIPELINE_DEFINITION_JSONATA

    tree = definitions.parse(json.loads(PIPELINE_DEFINITION_JSONATA.read_text()))
    lane = layout(tree)
    boxes = {b.name: b for b in lane.all_boxes()}
    catches = [r for r in lane.all_routes() if r.kind == "catch"]
    assert {r.target for r in catches} >= {"Notify Failure"}
    for route in catches:
        assert boxes[route.target].y > boxes[route.source].y
    picture = ET.fromstring(render_definition(tree, "sample"))
    catch_paths = [p for p in picture.iter(f"{SVG}path") if "edge-catch" in p.get("class", "")]
    assert len(catch_paths) == len(catches) and all(p.get("stroke-dasharray") for p in catch_paths)


def test_a_loop_is_drawn_back_up_and_choice_edges_are_labelled():
    tree = definitions.parse(LOOP)
    lane = layout(tree)
    boxes = {b.name: b for b in lane.all_boxes()}
    (back,) = [r for r in lane.all_routes() if r.back]
    assert (back.source, back.target) == ("Done?", "Wait")
    assert boxes["Wait"].y < boxes["Done?"].y < boxes["Ok"].y
    picture = render_definition(tree, "loop")
    assert "$.state StringEquals &quot;SUCCEEDED&quot;" in picture or '$.state StringEquals "SUCCEEDED"' in picture
    assert ">default<" in picture


def state_fills(picture: str) -> dict[str, tuple[str, str]]:
    """state -> (data-status, fill of its shape)"""
    root = ET.fromstring(picture)
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "state":
            rect = group.find(f"{SVG}rect")
            found[group.get("data-state")] = (group.get("data-status"), rect.get("fill"))
    return found


def test_each_state_is_coloured_by_its_status_in_the_execution():
    data = {"StartAt": "A", "States": {name: {"Type": "Pass", "Next": nxt} for name, nxt in zip("ABCD", "BCDE")} | {"E": {"Type": "Succeed"}}}
    tree = definitions.parse(data)
    states = {name: StateRun(name, "Pass", 0, status=status) for name, status in zip("ABCDE", STATUSES)}
    from datetime import datetime, timezone

    now = datetime(2026, 11, 16, tzinfo=timezone.utc)
    view = ExecutionView("arn:aws:states:us-east-1:123456789012:execution:m:e", "e", "arn:m", "RUNNING", now, None, '{"runDate": "2026-11-16"}',
                         None, None, None, tree, states)
    fills = state_fills(render(view, now))
    assert fills == {name: (status, COLOURS[status][0]) for name, status in zip("ABCDE", STATUSES)}
    assert len({COLOURS[s][0] for s in STATUSES}) == len(STATUSES)  # five statuses, five colours


def test_names_that_need_escaping_stay_well_formed():
    tree = definitions.parse({"StartAt": "Load <raw> & \"clean\"", "States": {"Load <raw> & \"clean\"": {"Type": "Succeed"}}})
    assert list(state_fills(render_definition(tree, "a & b"))) == ['Load <raw> & "clean"']
