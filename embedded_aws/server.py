"""The embedded AWS: moto's threaded HTTP server plus the embedded_aws extensions.

Workers and tests talk to it with ordinary boto3 clients pointed at
``endpoint_url``. moto's backends are process-wide, so every EmbeddedAws in
a process serves the same data and shares the extension settings
(``activity_poll_seconds``, ``glue_minute_seconds``: the last start or
assignment wins). Live Glue processes and Athena queries are ended when the
last running EmbeddedAws stops.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Callable, TextIO

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.config import default_user_config
from moto.glue.models import glue_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from embedded_aws.athena import engine as athena_engine
from embedded_aws import extensions
from embedded_aws.events import faults as event_faults
from embedded_aws.events.faults import ServiceEventFaults
from embedded_aws.glue import engine as glue_engine
from embedded_aws.stepfunctions import activities as sfn_activities
from embedded_aws.stepfunctions import integrations as sfn_integrations
from embedded_aws.glue.launch import JobExecutor
from embedded_aws.service_log import route_service_logs
from embedded_aws.lambda_local import event_sources as lambda_event_sources
from embedded_aws.lambda_local.functions import LambdaSettings

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class GlueControl:
    """Emulator-only controls over Glue job runs (no AWS API equivalent)."""

    def __init__(self, aws: "EmbeddedAws"):
        self._aws = aws

    def _backend(self) -> Any:
        return glue_backends[self._aws.account_id][self._aws.region]

    def force_run_state(self, job_name: str, run_id: str, state: str, error_message: str | None = None) -> None:
        """End a run in a state a local process cannot reach (ERROR, EXPIRED, TIMEOUT, ...)."""
        glue_engine.engine().force_run_state(self._backend(), job_name, run_id, state, error_message)

    def run_logs(self, job_name: str, run_id: str) -> tuple[str, str]:
        """(stdout, stderr) of a run's process, for debugging tests."""
        return glue_engine.engine().run_logs(self._backend(), job_name, run_id)

    def register_executor(self, command_name: str, executor: JobExecutor) -> None:
        """Run jobs with this Command.Name through ``executor`` (e.g. local Spark for glueetl)."""
        glue_engine.engine().register_executor(command_name, executor)


class EmbeddedAws:
    """moto server on 127.0.0.1 with real SFN activities, Glue runs and Athena queries."""

    _running: set["EmbeddedAws"] = set()
    _running_lock = threading.Lock()

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        port: int = 0,
        activity_poll_seconds: float = sfn_activities.DEFAULT_POLL_SECONDS,
        glue_minute_seconds: float = 60.0,
        quiet: bool = True,
    ):
        self.region = region
        self.account_id = DEFAULT_ACCOUNT_ID  # what moto maps dummy credentials to
        self._host = host
        self._port = port
        self._activity_poll_seconds = activity_poll_seconds
        self._glue_minute_seconds = glue_minute_seconds
        self._quiet = quiet
        self._server: ThreadedMotoServer | None = None
        self._endpoint_url: str | None = None
        self.glue = GlueControl(self)
        self.log_path: Path | None = None  # the services' own diagnostics (embedded_aws.service_log)

    # --- settings ------------------------------------------------------------

    @property
    def activity_poll_seconds(self) -> float:
        """How long GetActivityTask waits for a task (AWS: 60 s)."""
        return self._activity_poll_seconds

    @activity_poll_seconds.setter
    def activity_poll_seconds(self, value: float) -> None:
        self._activity_poll_seconds = float(value)
        if self.running:
            sfn_activities.ActivitySettings.poll_seconds = self._activity_poll_seconds

    @property
    def glue_minute_seconds(self) -> float:
        """Wall-clock seconds in one Glue Timeout minute (AWS: 60 s)."""
        return self._glue_minute_seconds

    @glue_minute_seconds.setter
    def glue_minute_seconds(self, value: float) -> None:
        self._glue_minute_seconds = float(value)
        if self.running:
            glue_engine.engine().minute_seconds = self._glue_minute_seconds

    @property
    def service_event_faults(self) -> "ServiceEventFaults":
        """Test-only: drop, repeat or delay the events S3, Step Functions, Glue
        and Athena put on EventBridge (process-wide; see ``events.faults``)."""
        return event_faults.FAULTS

    # --- lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("EmbeddedAws is not started")
        return self._endpoint_url

    def start(self) -> "EmbeddedAws":
        if self.running:
            return self
        extensions.install()
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        if self._quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
            self.log_path = route_service_logs()
        server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=not self._quiet)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self._endpoint_url = f"http://{host}:{port}"
        self._apply_settings()
        with self._running_lock:
            self._running.add(self)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self._running_lock:
            self._running.discard(self)
            survivor = next(iter(self._running), None)
        if survivor is None:
            self._end_live_work()
        else:  # the settings are process-wide: hand them back to a running server
            survivor._apply_settings()
        server.stop()
        if server._server is not None:
            server._server.server_close()

    def reset(self) -> None:
        """Forget all emulated resources (moto's reset) and end live runs and polls."""
        from moto.moto_api._internal.models import moto_api_backend

        self._end_live_work()
        moto_api_backend.reset()

    def __enter__(self) -> "EmbeddedAws":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- conveniences ------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """Environment variables that point a boto3 process (e.g. a worker) here."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **DUMMY_CREDENTIALS,
        }

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service_name`` against this endpoint, with dummy credentials."""
        session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=self.region,
        )
        return session.client(service_name, endpoint_url=self.endpoint_url, **kwargs)

    # --- internals -----------------------------------------------------------------

    def _apply_settings(self) -> None:
        sfn_activities.ActivitySettings.poll_seconds = self._activity_poll_seconds
        glue = glue_engine.engine()
        glue.minute_seconds = self._glue_minute_seconds
        glue.endpoint_url = self._endpoint_url
        LambdaSettings.endpoint_url = self._endpoint_url
        sfn_integrations.IntegrationSettings.endpoint_url = self._endpoint_url

    @staticmethod
    def _end_live_work() -> None:
        event_faults.FAULTS.clear()
        sfn_activities.close_all_pollers()
        lambda_event_sources.stop_all()
        glue_engine.engine().shutdown()
        athena_engine.engine().shutdown()


def serve_forever(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    region: str = "us-east-1",
    activity_poll_seconds: float = sfn_activities.DEFAULT_POLL_SECONDS,
    glue_minute_seconds: float = 60.0,
    out: TextIO | None = None,
    on_ready: Callable[[EmbeddedAws], Callable[[], None] | None] | None = None,
) -> None:
    """Run the embedded AWS until SIGINT/SIGTERM (entry point of ``etl-runner local up``).

    Prints ``AWS_ENDPOINT_URL=http://HOST:PORT`` as soon as it listens, so a
    caller can read the endpoint from the first line of output, then one
    ``export`` line with everything an AWS CLI or SDK needs to use it.

    This process is the emulator's own, so its environment points at itself:
    service integrations a state machine calls from inside the server
    (``sns:publish``, ``aws-sdk:*``) reach the same embedded AWS.
    ``on_ready`` runs once it listens (e.g. to deploy a pipeline); what it
    returns is called on the way out.
    """
    out = out or sys.stdout
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    cleanup: Callable[[], None] | None = None
    try:
        with EmbeddedAws(
            region=region,
            host=host,
            port=port,
            activity_poll_seconds=activity_poll_seconds,
            glue_minute_seconds=glue_minute_seconds,
        ) as aws:
            environment = aws.environment()
            os.environ.update(environment)
            os.environ["MOTO_PORT"] = aws.endpoint_url.rsplit(":", 1)[-1]
            print(f"AWS_ENDPOINT_URL={aws.endpoint_url}", file=out, flush=True)
            print("export " + " ".join(f"{k}={v}" for k, v in environment.items()), file=out, flush=True)
            if on_ready is not None:
                cleanup = on_ready(aws)
            while not stop.wait(1.0):  # wake up now and then so signals are handled promptly
                pass
            if cleanup is not None:
                cleanup()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
