"""An action the embedded AWS does not implement answers one clear AWS-shaped
error naming it, never a Python traceback in the server's terminal.

moto raises ``NotImplementedError`` for an action it has no method for (and
for some parameters it does not support); Flask would turn that into an HTML
500 page and print the traceback. Here it becomes the service's own error
format (JSON or XML, as botocore expects for that service) with the code
``NotImplemented``, HTTP 501, and a message that says it is a local limit.
"""

from __future__ import annotations

import warnings
from typing import Any

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
    """Wrap moto's dispatch once (idempotent)."""
    if not hasattr(BaseResponse.call_action, "__wrapped__"):
        BaseResponse.call_action = _call_action(BaseResponse.call_action)  # type: ignore[method-assign]
