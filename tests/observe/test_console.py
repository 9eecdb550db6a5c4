"""`etl-runner console`: read-only pages over the embedded AWS, checked over
HTTP and in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from browser_support import dump_dom, pixel, png_pixels, require_chromium, screenshot
from observe_support import FAIL_DATE, OK_DATE
from runners.observe import execution, pages, svg
from runners.observe.console import make_server
from runners.observe.layout import layout


@pytest.fixture(scope="module")
def console(observed):
    server = make_server(observed.source, port=0)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def get(console, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(console.url + path.lstrip("/"), timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_it_binds_to_this_machine_only_unless_told(observed):
    server = make_server(observed.source, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_the_home_page_lists_pipelines_what_runs_and_what_failed(observed, console):
    code, kind, page = get(console, "/")
    assert code == 200 and kind.startswith("text/html")
    assert observed.pipeline in page and f"failed-{FAIL_DATE}" in page and "GlueJobFailedError" in page
    assert "http-equiv='refresh'" not in page  # nothing runs: no reloading


def test_a_pipeline_page_lists_its_executions(observed, console):
    code, _, page = get(console, f"/pipeline?name={quote(observed.state_machine_arn)}")
    assert code == 200 and page.index(f"failed-{FAIL_DATE}") < page.index(f"ok-{OK_DATE}")


def test_logs_and_query_results_are_pages_too(observed, console):
    _, _, glue = get(console, f"/logs?arn={quote(observed.failed)}&state={quote('Say Hello')}")
    assert f"hello from glue for {FAIL_DATE}" in glue and f"no data for {FAIL_DATE}" in glue
    _, _, query = get(console, f"/logs?arn={quote(observed.ok)}&state=Summarise")
    assert "class='query-result'" in query and "<th>one</th>" in query and "<td>1</td>" in query


def test_the_graph_and_the_data_are_served_as_svg_and_json(observed, console):
    code, kind, picture = get(console, f"/graph.svg?arn={quote(observed.failed)}")
    assert code == 200 and kind.startswith("image/svg+xml") and picture.startswith("<svg")
    code, kind, body = get(console, f"/execution.json?arn={quote(observed.failed)}")
    assert code == 200 and kind.startswith("application/json") and json.loads(body)["failedState"] == "Say Hello"
    assert json.loads(get(console, "/status.json")[2])["failed"][0]["executionArn"] == observed.failed


def test_unknown_pages_and_executions_are_errors_not_tracebacks(observed, console):
    assert get(console, "/nope")[0] == 404
    code, _, page = get(console, f"/execution?arn={quote(observed.failed + '-nope')}")
    assert code == 502 and "ExecutionDoesNotExist" in page and "Traceback" not in page
    assert get(console, "/execution")[0] == 400


def test_it_is_read_only(console):
    request = urllib.request.Request(console.url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 501


def test_a_running_execution_page_reloads_itself_and_a_finished_one_does_not(observed):
    view = observed.running_view
    running = pages.execution(view, svg.render(view), "here", refresh=2)
    assert "<meta http-equiv='refresh' content='2'>" in running and "data-status='running'" in running
    finished = execution.load(observed.source.sfn, observed.ok)
    assert "http-equiv='refresh'" not in pages.execution(finished, svg.render(finished), "here", refresh=2)


# -- in a real browser ---------------------------------------------------------------------------
class StateShapes(HTMLParser):
    """From the DOM chromium built: each drawn state's status and the fill and stroke of its shape."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, dict[str, str]] = {}
        self._current: str | None = None
        self.failure = ""
        self._in_failure = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "g" and values.get("class") == "state":
            self._current = values["data-state"]
            self.states[self._current] = {"status": values["data-status"], "type": values["data-type"]}
        elif tag == "rect" and self._current and "fill" not in self.states[self._current]:
            self.states[self._current].update(fill=values["fill"], stroke=values["stroke"])
        elif tag == "div" and values.get("id") == "failure":
            self._in_failure = 1
        elif self._in_failure:
            self._in_failure += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._current = None
        if self._in_failure:
            self._in_failure -= 1

    def handle_data(self, data: str) -> None:
        if self._in_failure:
            self.failure += data


def browse(observed, console, tmp_path, arn: str) -> StateShapes:
    browser = require_chromium()
    parser = StateShapes()
    parser.feed(dump_dom(browser, tmp_path / "profile", f"{console.url}execution?arn={quote(arn)}"))
    return parser


def check_colours(parser: StateShapes, view: execution.ExecutionView, wanted: dict[str, str]) -> None:
    """Every state of the definition is drawn, in the colours of its status; ``wanted`` pins the ones this run decides."""
    assert set(parser.states) == set(view.definition.states)
    for name, drawn in parser.states.items():
        status = view.states[name].status
        fill, stroke, _ = svg.COLOURS[status]
        assert (drawn["status"], drawn["stroke"]) == (status, stroke), name
        assert drawn["type"] == "Parallel" or drawn["fill"] == fill, name
    for name, status in wanted.items():
        assert parser.states[name]["status"] == status, name


def test_the_page_of_a_successful_execution_shows_every_state_in_its_colour(observed, console, tmp_path):
    parser = browse(observed, console, tmp_path, observed.ok)
    view = execution.load(observed.source.sfn, observed.ok)
    check_colours(parser, view, {"Say Hello": "succeeded", "Wait A Bit": "succeeded", "Count Things": "succeeded", "Summarise": "succeeded",
                                 "Pipeline Succeeded": "succeeded"})
    assert parser.failure == ""


def test_the_page_of_a_failed_execution_shows_the_failed_state_and_its_error(observed, console, tmp_path):
    parser = browse(observed, console, tmp_path, observed.failed)
    view = execution.load(observed.source.sfn, observed.failed)
    check_colours(parser, view, {"Say Hello": "failed", "Wait A Bit": "cancelled", "Summarise": "not reached"})
    failure = " ".join(parser.failure.split())
    assert failure.startswith("Say Hello failed: GlueJobFailedError") and f"no data for {FAIL_DATE}" in failure


def test_the_browser_paints_each_state_in_its_status_colour(observed, console, tmp_path):
    """Pixels, not attributes: the graph of the failed run as chromium renders it."""
    browser = require_chromium()
    view = execution.load(observed.source.sfn, observed.failed)
    boxes = {b.name: b for b in layout(view.definition).all_boxes()}
    picture = svg.render(view)
    width, height = (int(float(v)) for v in picture.split("viewBox='0 0 ", 1)[1].split("'", 1)[0].split())
    image = png_pixels(screenshot(browser, tmp_path / "profile", f"{console.url}graph.svg?arn={quote(observed.failed)}",
                                  tmp_path / "graph.png", width, height))

    def striped(colour: str) -> bool:  # the cancelled pattern: greys from #cfcfcf to #eeeeee (antialiased at the edges)
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return r == g == b and 0xCF <= r <= 0xEE

    for name in ("Say Hello", "Wait A Bit", "Summarise"):
        box, status = boxes[name], view.states[name].status
        colour = pixel(image, box.x + 8, svg.TITLE_HEIGHT + box.y + box.h / 2)
        assert striped(colour) if status == "cancelled" else colour == svg.COLOURS[status][0], (name, status, colour)
