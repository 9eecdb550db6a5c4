"""`etl-runner console`: a small read-only web console on the standard
library's HTTP server. Every page is rendered on the server from AWS reads
made when it is asked for, so it shows the embedded AWS or an account alike.

  /                          pipelines, running now, failed recently, runner tasks
  /pipeline?name=P           a pipeline's executions
  /execution?arn=A           an execution: its live graph, states, timings, input/output
  /graph.svg?arn=A           the graph alone (SVG)
  /logs?arn=A[&state=S]      Glue driver output, query results, errors
  /logs?target=jr_...        a Glue run or an Athena query by id
  /status.json, /execution.json?arn=A   the same data as JSON

Only GET and HEAD are served; it binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from . import execution, history, logs, pages, status, svg
from .source import Source


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], source: Source, refresh_seconds: float = 3.0) -> None:
        super().__init__(address, ConsoleHandler)
        self.source = source
        self.refresh_seconds = refresh_seconds

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start_background(self) -> threading.Thread:
        """Serve on a daemon thread (tests, embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="etl-runner-console", daemon=True)
        thread.start()
        return thread


def make_server(source: Source, host: str = "127.0.0.1", port: int = 8765, refresh_seconds: float = 3.0) -> ConsoleServer:
    return ConsoleServer((host, port), source, refresh_seconds)


class ConsoleHandler(BaseHTTPRequestHandler):
    server: ConsoleServer
    server_version = "etl-runner-console"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        route = ROUTES.get(url.path)
        where = self.server.source.where
        if route is None:
            self._send(HTTPStatus.NOT_FOUND, "text/html", pages.problem(404, f"no page {url.path}", where), send_body)
            return
        try:
            code, content_type, body = route(self.server, query)
        except KeyError as exc:
            code, content_type, body = HTTPStatus.BAD_REQUEST, "text/html", pages.problem(400, f"missing parameter {exc}", where)
        except ValueError as exc:  # no such pipeline, state...
            code, content_type, body = HTTPStatus.NOT_FOUND, "text/html", pages.problem(404, str(exc), where)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, content_type, body = HTTPStatus.BAD_GATEWAY, "text/html", pages.problem(502, f"{error.get('Code')}: {error.get('Message')}", where)
        except BotoCoreError as exc:
            code, content_type, body = HTTPStatus.BAD_GATEWAY, "text/html", pages.problem(502, str(exc), where)
        self._send(code, content_type, body, send_body)

    def _send(self, code: int, content_type: str, body: str, send_body: bool) -> None:
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        """Quiet: the console is a viewer, not a service with an access log."""


Response = tuple[int, str, str]


def _home(server: ConsoleServer, query: dict[str, str]) -> Response:
    return HTTPStatus.OK, "text/html", pages.home(status.build(server.source), server.refresh_seconds)


def _pipeline(server: ConsoleServer, query: dict[str, str]) -> Response:
    report = history.build(server.source, query["name"], limit=int(query.get("limit", "25")))
    return HTTPStatus.OK, "text/html", pages.pipeline(report)


def _execution(server: ConsoleServer, query: dict[str, str]) -> Response:
    view = execution.load(server.source.sfn, server.source.execution_arn(query["arn"]))
    return HTTPStatus.OK, "text/html", pages.execution(view, svg.render(view), server.source.where, server.refresh_seconds)


def _graph(server: ConsoleServer, query: dict[str, str]) -> Response:
    view = execution.load(server.source.sfn, server.source.execution_arn(query["arn"]))
    return HTTPStatus.OK, "image/svg+xml", svg.render(view)


def _logs(server: ConsoleServer, query: dict[str, str]) -> Response:
    target = query.get("target") or query["arn"]
    report = logs.build(server.source, target, state=query.get("state") or None)
    return HTTPStatus.OK, "text/html", pages.logs(report, server.source.where)


def _status_json(server: ConsoleServer, query: dict[str, str]) -> Response:
    return HTTPStatus.OK, "application/json", json.dumps(status.build(server.source), indent=2, default=str)


def _execution_json(server: ConsoleServer, query: dict[str, str]) -> Response:
    view = execution.load(server.source.sfn, server.source.execution_arn(query["arn"]))
    return HTTPStatus.OK, "application/json", json.dumps(view.to_json(), indent=2, default=str)


ROUTES: dict[str, Callable[[ConsoleServer, dict[str, str]], Response]] = {
    "/": _home,
    "/pipeline": _pipeline,
    "/execution": _execution,
    "/graph.svg": _graph,
    "/logs": _logs,
    "/status.json": _status_json,
    "/execution.json": _execution_json,
}
