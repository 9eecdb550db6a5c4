"""An action the embedded AWS does not implement answers one clear AWS-shaped
error naming it, never a Python traceback in the server's terminal.

moto raises ``NotImplementedError`` for an action it has no method for (and
for some parameters it does not support); Flask would turn that into an HTML
500 page and print the traceback. Here it becomes the service's own error
format (JSON or XML, as botocore expects for that service) with the code
``NotImplemented``, HTTP 501, and a message that says it is a local limit.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from typing import Any
from xml.sax.saxutils import escape

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

ERROR_CODE = "NotImplemented"


class NotSupportedLocally(ServiceException):
    """What a client sees for an action the embedded AWS cannot perform."""

    code = ERROR_CODE


def _service(response: BaseResponse) -> str:
    name = getattr(response, "service_name", None) or type(response).__module__.split(".")[1]
    return str(name)


def _call_action(original: Any) -> Any:
    def call_action(self: BaseResponse) -> Any:
        try:
            return original(self)
        except NotImplementedError as exc:
            action = self._get_action() or "(unknown action)"
            error = NotSupportedLocally(
                f"{_service(self)}:{action} is not supported locally by the embedded AWS ({exc}); "
                "it works on AWS. Report it if your pipeline needs it."
            )
            with warnings.catch_warnings():  # the code is ours, not in the service's model
                warnings.simplefilter("ignore")
                _, headers, body = self.serialized(ActionResult(error))
            return 501, headers, body

    call_action.__wrapped__ = original  # type: ignore[attr-defined]
    return call_action


def install() -> None:
    """Wrap moto's dispatch and its REST routing once (idempotent)."""
    if not hasattr(BaseResponse.call_action, "__wrapped__"):
        BaseResponse.call_action = _call_action(BaseResponse.call_action)  # type: ignore[method-assign]
    install_routes()


# --- REST services: a path no route knows ---------------------------------------
# For REST protocols (Lambda, S3, ...) an unimplemented action is a URL moto has
# no route for, and Flask answers an HTML 404. Requests signed for an AWS
# service get the same NotImplemented error as above, in the service's format.

_SIGNING_NAME = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@functools.lru_cache(maxsize=None)
def _protocol(signing_name: str) -> str | None:
    """The protocol of the service a request was signed for. The signing name
    is nearly always the service's name; only otherwise are models scanned."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    session = botocore.session.get_session()
    try:
        return session.get_service_model(signing_name).protocol
    except UnknownServiceError:
        pass
    for service in session.get_available_services():
        model = session.get_service_model(service)
        if model.signing_name == signing_name:
            return model.protocol
    return None


def _unrouted(error: Exception) -> Any:
    from flask import Response, request

    match = _SIGNING_NAME.search(request.headers.get("Authorization", ""))
    if not match:
        return error  # not an AWS SDK call: Flask's own 404
    service = match.group(1)
    message = (
        f"{service}: {request.method} {request.path} is not supported locally by the embedded AWS "
        "(no such action here); it works on AWS. Report it if your pipeline needs it."
    )
    protocol = _protocol(service)
    if protocol in ("rest-xml", "query", "ec2"):
        body = f"<Error><Code>{ERROR_CODE}</Code><Message>{escape(message)}</Message></Error>"
        return Response(body, status=501, content_type="application/xml")
    body = json.dumps({"__type": ERROR_CODE, "message": message})
    return Response(body, status=501, content_type="application/json", headers={"x-amzn-ErrorType": ERROR_CODE})


def _create_backend_app(original: Any) -> Any:
    def create(service: Any) -> Any:
        app = original(service)
        app.register_error_handler(404, _unrouted)
        return app

    create.__wrapped__ = original  # type: ignore[attr-defined]
    return create


def install_routes() -> None:
    from moto.moto_server import threaded_moto_server, werkzeug_app

    if not hasattr(werkzeug_app.create_backend_app, "__wrapped__"):
        werkzeug_app.create_backend_app = _create_backend_app(werkzeug_app.create_backend_app)
    # The threaded server imported the factory by name.
    threaded_moto_server.create_backend_app = werkzeug_app.create_backend_app  # type: ignore[attr-defined]
