"""Local PySpark for Glue ``glueetl`` job runs: one warm Spark driver serves every run.

Starting Spark takes seconds, so the embedded Glue keeps one Spark driver
process warm and hands it each ``glueetl`` run::

    GlueEngine ──launch──▶ run process (one per run, stdlib only) ──unix socket──▶ driver process (one, warm)
    supervises it          sends the run, plus its own stdout and      runs the scripts one at a time
    (kill = stop)          stderr descriptors; exits 0 or 1 with       with runpy in local[2] Spark
                           the run's outcome

The run process is what the engine supervises, so the engine's states,
timeouts and stops work unchanged: its exit code decides SUCCEEDED or FAILED
and the last line of its stderr, ``ExceptionType: message``, becomes the
run's ErrorMessage. The driver writes the script's output straight into the
run's log files (descriptors passed over the socket). Killing the run process
(BatchStopJobRun, Timeout) closes its socket; the driver then cancels the
run's Spark job group and interrupts the script, and if the script has not
stopped after ``stop_grace_seconds`` the driver exits; the next run starts a
fresh one. Scripts and the driver are separate processes, so neither a
crashing script nor a stuck JVM can take down the emulator. Runs sent while
another is running queue inside the driver (fine on 2 cores).

Each run gets a new SparkSession (``newSession()``: its own SQL settings and
temporary views, the shared SparkContext), ``sys.argv`` = the script and its
Glue arguments, the job's environment, the run directory as working
directory; the cache is cleared afterwards.

Glue's Python environment: the local ``awsglue`` package (``job_runtime/``)
comes first on ``sys.path``, before any ``awsglue`` installed from PyPI, then
the job's ``--extra-py-files`` and ``--additional-python-modules`` (staged by
the engine, ``EMBEDDED_GLUE_PYTHON_PATHS``).

S3 and SparkContext: ``spark_paths`` makes every ``s3://`` path the script
hands Spark (an argument, a literal, a catalog table's location) read and
write the embedded S3 through the run's ``S3Stage``, and ``SparkContext()``
return the running context (the console template's first line).

This file runs in three roles: imported by the emulator
(``SparkScriptExecutor``), and as a script: ``driver`` and ``run``. The
``run`` role needs only the standard library, so a run process starts in
milliseconds; the driver imports pyspark, boto3 and ``spark_paths``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedded_aws.glue import glue_metastore, spark_paths  # small, stdlib-only modules (boto3 and pyspark load lazily)
from embedded_aws.glue.job_env import JOB_RUNTIME, PYTHON_PATHS_ENV
from embedded_aws.glue.s3_stage import S3Stage

#: Exit code of a run process whose script failed (or whose driver died).
RUN_FAILED = 1
#: The driver exits with this code when a stopped script would not stop.
DRIVER_ABANDONED = 70

#: Environment variables of the driver that a run's environment must not override.
DRIVER_ENV_PREFIXES = ("SPARK_", "PYSPARK_", "JAVA_", "PY4J")


# =============================================================================
# The run process: one per Glue run, what the engine starts, waits for and kills.
# =============================================================================


def _connect(socket_path: str, timeout: float) -> socket.socket | None:
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(socket_path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 8192))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_process_main(argv: list[str]) -> int:
    """``run SOCKET DRIVER_LOG CONNECT_TIMEOUT RUN_ID SCRIPT -- ARGS...``: hand one run to the driver."""
    socket_path, driver_log, connect_timeout, run_id, script = argv[:5]
    arguments = argv[6:] if argv[5:6] == ["--"] else argv[5:]
    sock = _connect(socket_path, float(connect_timeout))
    if sock is None:
        print(_tail(driver_log), file=sys.stderr)
        print(f"RuntimeError: the local Spark driver did not accept the run (log: {driver_log})", file=sys.stderr)
        return RUN_FAILED
    request = {"run_id": run_id, "script": script, "argv": arguments, "env": dict(os.environ), "cwd": os.getcwd()}
    sys.stdout.flush()
    sys.stderr.flush()
    payload = json.dumps(request).encode() + b"\n"
    with sock:
        sent = socket.send_fds(sock, [payload], [1, 2])  # the driver writes the run's output itself
        sock.sendall(payload[sent:])
        for line in sock.makefile("rb"):
            message = json.loads(line)
            if message.get("event") == "ended":
                return 0 if message["ok"] else RUN_FAILED
    print(_tail(driver_log), file=sys.stderr)
    print(f"RuntimeError: the local Spark driver exited during the run (log: {driver_log})", file=sys.stderr)
    return RUN_FAILED


# =============================================================================
# The driver process: one warm SparkContext, runs executed one at a time.
# =============================================================================


class _RunStopped(BaseException):
    """Raised inside a script whose run process went away (stop or timeout)."""


@dataclass(eq=False)
class _Run:
    conn: socket.socket
    run_id: str
    script: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    stdout_fd: int
    stderr_fd: int
    received: float = field(default_factory=time.monotonic)
    stopped: threading.Event = field(default_factory=threading.Event)
    #: Guards ``in_script`` against the stop watcher.
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_script: bool = False


class SparkDriver:
    """Runs Glue scripts one at a time in one warm local SparkContext (the driver process)."""

    def __init__(self, stage: Path, config: dict[str, Any], log: Any):
        self.stage = stage
        self.config = config
        self.log = log
        self.runs: queue.Queue[_Run] = queue.Queue()
        self._spark: Any = None
        self._spark_lock = threading.Lock()
        self._main_thread = threading.get_ident()

    # --- Spark ----------------------------------------------------------------

    def base_session(self) -> Any:
        """The one SparkSession the driver keeps (created on first use, again if a script stopped it)."""
        with self._spark_lock:
            if self._spark is None or self._spark.sparkContext._jsc is None:
                from pyspark.sql import SparkSession

                started = time.monotonic()
                work = self.stage.parent / "spark"
                builder = (
                    SparkSession.builder.master(self.config["master"])
                    .appName("etl-runner-local-glue")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", str(self.config["shuffle_partitions"]))
                    .config("spark.driver.memory", self.config["driver_memory"])
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.warehouse.dir", str(work / "warehouse"))
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                )
                self._spark = builder.getOrCreate()
                self._spark.sparkContext.setLogLevel("ERROR")
                self.log.write(f"Spark {self._spark.version} started in {time.monotonic() - started:.1f}s\n")
            return self._spark

    def _new_session(self) -> Any:
        """A fresh session for one run; ``SparkSession.builder.getOrCreate()`` in the script returns it."""
        from pyspark.sql import SparkSession

        session = self.base_session().newSession()
        SparkSession._instantiatedSession = session
        SparkSession._activeSession = session
        session._jvm.SparkSession.setDefaultSession(session._jsparkSession)
        session._jvm.SparkSession.setActiveSession(session._jsparkSession)
        return session

    # --- runs -----------------------------------------------------------------

    def serve(self, server: socket.socket, parent_pid: int) -> None:
        threading.Thread(target=self._accept, args=(server,), daemon=True, name="accept").start()
        threading.Thread(target=self._warm_up, daemon=True, name="warm-up").start()
        threading.Thread(target=self._exit_with_parent, args=(parent_pid,), daemon=True, name="parent").start()
        while True:  # scripts run on the main thread, one at a time
            self._serve_run(self.runs.get())

    def _exit_with_parent(self, parent_pid: int) -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        self.log.write("the emulator process is gone; the driver exits\n")
        os._exit(0)

    def _warm_up(self) -> None:
        try:
            self.base_session()
        except Exception as exc:  # reported again to the first run, which retries
            self.log.write(f"Spark did not start: {exc!r}\n")

    def _accept(self, server: socket.socket) -> None:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=self._receive, args=(conn,), daemon=True, name="run-conn").start()

    def _receive(self, conn: socket.socket) -> None:
        """Read one run request, queue it, then watch the connection: EOF means stop."""
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 2)
        while data and not data.endswith(b"\n"):
            more = conn.recv(1 << 16)
            if not more:
                break
            data += more
        if len(fds) != 2 or not data.endswith(b"\n"):
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        request = json.loads(data)
        run = _Run(
            conn=conn,
            run_id=request["run_id"],
            script=request["script"],
            argv=list(request["argv"]),
            env=dict(request["env"]),
            cwd=request["cwd"],
            stdout_fd=fds[0],
            stderr_fd=fds[1],
        )
        self.runs.put(run)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        # The run process is gone: it read its result, or it was killed (stop, timeout).
        self._stop(run)
        conn.close()

    def _stop(self, run: _Run) -> None:
        if run.stopped.is_set():
            return
        run.stopped.set()
        with run.lock:
            if not run.in_script:
                return
            _raise_in_thread(self._main_thread, _RunStopped)
        threading.Thread(target=self._enforce_stop, args=(run,), daemon=True, name="stop").start()

    def _enforce_stop(self, run: _Run) -> None:
        """Cancel the run's Spark jobs until the script ends; give up on the driver after the grace period."""
        deadline = time.monotonic() + float(self.config["stop_grace_seconds"])
        while time.monotonic() < deadline:
            with run.lock:
                if not run.in_script:
                    return
            try:
                self._spark.sparkContext.cancelJobGroup(run.run_id)
            except Exception:
                pass
            time.sleep(0.2)
        self.log.write(f"run {run.run_id} did not stop within the grace period; the driver exits\n")
        self.log.flush()
        os._exit(DRIVER_ABANDONED)

    def _serve_run(self, run: _Run) -> None:
        try:
            if run.stopped.is_set():
                return
            ok = self._execute(run)
            try:
                run.conn.sendall(json.dumps({"event": "ended", "ok": ok}).encode() + b"\n")
            except OSError:
                pass
        finally:
            for fd in (run.stdout_fd, run.stderr_fd):
                os.close(fd)

    def _execute(self, run: _Run) -> bool:
        """Run one script with the run's argv, environment, directory and output; True if it succeeded."""
        queued_for = time.monotonic() - run.received
        spark_error: BaseException | None = None
        try:  # before anything is redirected: a JVM started now inherits the driver's env and fds
            self.base_session()
        except Exception as exc:
            spark_error = exc
        saved_fds = (os.dup(1), os.dup(2))
        saved_env = dict(os.environ)
        saved = (list(sys.argv), list(sys.path), os.getcwd(), sys.stdout, sys.stderr, set(sys.modules))
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(run.stdout_fd, 1)
        os.dup2(run.stderr_fd, 2)
        os.environ.clear()
        os.environ.update({k: v for k, v in run.env.items() if not k.startswith(DRIVER_ENV_PREFIXES)})
        os.environ.update({k: v for k, v in saved_env.items() if k.startswith(DRIVER_ENV_PREFIXES)})
        stage = S3Stage(self.stage, run.env)
        error: BaseException | None = None
        session = None
        started = time.monotonic()
        script_dir = os.path.dirname(os.path.abspath(run.script))
        python_paths = [script_dir, str(JOB_RUNTIME), *_extra_paths(run.env)]
        try:
            if spark_error is not None:
                raise RuntimeError(f"local Spark did not start: {spark_error}") from spark_error
            os.chdir(run.cwd)
            session = self._new_session()
            session.sparkContext.setJobGroup(run.run_id, f"Glue run {run.run_id}", interruptOnCancel=True)
            sys.argv = [run.script, *run.argv]
            sys.path[:0] = python_paths
            spark_paths.activate(stage, [script_dir, *_extra_paths(run.env)])
            if glue_metastore.enabled(run.argv):
                glue_metastore.start(session, stage, run.env)
            error = self._run_script(run)
        except BaseException as exc:  # Spark failed before the script ran
            error = exc
        finally:
            spark_paths.deactivate()
            glue_metastore.stop()
            sys.stdout, sys.stderr = saved[3], saved[4]
            ran_for = time.monotonic() - started
            stage.discard()
            print(f"[local glue] {ran_for:.2f}s in local Spark after {queued_for:.2f}s in the queue", flush=True)
            if error is not None:
                self._report(error, stage)
            self._clean_up(session)
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, original in zip((1, 2), saved_fds):
                os.dup2(original, fd)
                os.close(original)
            sys.argv[:] = saved[0]
            sys.path[:] = saved[1]
            os.chdir(saved[2])
            os.environ.clear()
            os.environ.update(saved_env)
            job_dirs = tuple(path + os.sep for path in python_paths)
            for name in set(sys.modules) - saved[5]:
                module_file = getattr(sys.modules[name], "__file__", None) or ""
                if module_file.startswith(job_dirs):
                    del sys.modules[name]  # the job's modules and awsglue: nothing leaks into the next run
        return error is None

    def _run_script(self, run: _Run) -> BaseException | None:
        """runpy the script; the watcher may raise _RunStopped in here (at most once per run)."""
        import runpy

        error: BaseException | None = None
        try:
            try:
                with run.lock:
                    run.in_script = True
                if run.stopped.is_set():
                    raise _RunStopped()
                runpy.run_path(run.script, run_name="__main__")
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    error = exc
            except BaseException as exc:
                error = exc
        except _RunStopped as exc:  # raised while the script's own exception was being handled
            error = exc
        # The stop may also land just after the script: leave the state in which it can be
        # raised, then drop it if it is still pending.
        while True:
            try:
                with run.lock:
                    run.in_script = False
                    _raise_in_thread(self._main_thread, None)
                break
            except _RunStopped as exc:
                error = error or exc
        return error

    def _report(self, error: BaseException, stage: S3Stage) -> None:
        """The traceback, then ``Type: message`` as the last line (the engine's ErrorMessage)."""
        if isinstance(error, _RunStopped):
            print("RunStopped: the job run was stopped", file=sys.stderr, flush=True)
            return
        text = "".join(traceback.format_exception(error))
        message = str(error.code if isinstance(error, SystemExit) else error).strip()
        first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
        summary = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
        print(stage.to_uris(text).rstrip(), file=sys.stderr)
        print(stage.to_uris(summary), file=sys.stderr, flush=True)

    def _clean_up(self, session: Any) -> None:
        if session is None:
            return
        try:
            session.catalog.clearCache()
        except Exception as exc:  # e.g. the script stopped Spark; the next run starts it again
            self.log.write(f"cleanup after a run failed: {exc!r}\n")


def _raise_in_thread(thread_id: int, exc_type: type[BaseException] | None) -> None:
    """Raise ``exc_type`` asynchronously in a thread; None clears a pending one."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None
    )


def _extra_paths(env: dict[str, str]) -> list[str]:
    return [path for path in env.get(PYTHON_PATHS_ENV, "").split(os.pathsep) if path]


def driver_main(argv: list[str]) -> int:
    """``driver SOCKET STAGE CONFIG_JSON PARENT_PID``: serve runs until the parent process exits."""
    socket_path, stage, config, parent_pid = argv[0], Path(argv[1]), json.loads(argv[2]), int(argv[3])
    log = open(os.dup(2), "w", buffering=1)  # fd 2 itself is lent to each run
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python UDF workers use this venv
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no host name lookups, no network needed
    # Spark's Python workers unpickle functions of the local awsglue (DynamicFrame.filter/map):
    # they inherit this when Spark starts.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(JOB_RUNTIME), os.environ.get("PYTHONPATH", "")) if p)
    stage.mkdir(parents=True, exist_ok=True)
    spark_paths.install()
    glue_metastore.install()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(64)
    log.write(f"local Spark driver {os.getpid()} listening on {socket_path}\n")
    SparkDriver(stage, config, log).serve(server, parent_pid)
    return 0


if __name__ == "__main__":
    _roles = {"driver": driver_main, "run": run_process_main}
    if len(sys.argv) < 2 or sys.argv[1] not in _roles:
        sys.exit(f"usage: {sys.argv[0]} driver|run ...")
    sys.exit(_roles[sys.argv[1]](sys.argv[2:]))


# =============================================================================
# The emulator side (imported only; the script roles above never get here).
# =============================================================================

import atexit  # noqa: E402
import signal  # noqa: E402

from embedded_aws.glue.launch import JobExecutor, RunLaunch  # noqa: E402


class SparkScriptExecutor(JobExecutor):
    """Runs ``glueetl`` scripts in one warm local Spark driver (see the module docstring)."""

    def __init__(
        self,
        *,
        master: str = "local[2]",
        shuffle_partitions: int = 4,
        driver_memory: str = "1g",
        stop_grace_seconds: float = 10.0,
        idle_seconds: float | None = 900.0,
        connect_timeout: float = 60.0,
        python: str | None = None,
    ):
        self.config = {
            "master": master,
            "shuffle_partitions": shuffle_partitions,
            "driver_memory": driver_memory,
            "stop_grace_seconds": stop_grace_seconds,
        }
        #: The driver exits after this long without runs (None: never); the next run starts a new one.
        self.idle_seconds = idle_seconds
        self.connect_timeout = connect_timeout
        self._python = python or sys.executable
        self._lock = threading.Lock()
        self._home: Path | None = None
        self._driver: subprocess.Popen[bytes] | None = None
        self._socket_path = ""
        self._runs: list[subprocess.Popen[bytes]] = []
        self._last_used = time.monotonic()
        self._watcher: threading.Thread | None = None
        self._closed = threading.Event()

    @property
    def stage_dir(self) -> Path:
        """Where s3:// prefixes are mirrored: ``<stage_dir>/<bucket>/<key>``."""
        return self._ensure_home() / "stage"

    @property
    def driver_log(self) -> Path:
        return self._ensure_home() / "driver.log"

    def launch(self, launch: RunLaunch) -> subprocess.Popen[bytes]:
        with self._lock:
            self._ensure_driver()
            process = subprocess.Popen(
                [
                    self._python, __file__, "run", self._socket_path, str(self.driver_log),
                    str(self.connect_timeout), launch.run_id, str(launch.script_path), "--", *launch.arguments,
                ],
                cwd=launch.workdir,
                env=launch.env,
                stdin=subprocess.DEVNULL,
                stdout=launch.stdout,
                stderr=launch.stderr,
                start_new_session=True,
            )
            self._runs = [run for run in self._runs if run.poll() is None] + [process]
            self._last_used = time.monotonic()
        return process

    def warm(self) -> None:
        """Start the driver (and Spark, in the background) now rather than at the first run."""
        with self._lock:
            self._ensure_driver()

    def driver_pid(self) -> int | None:
        """Process id of the live driver, if any (tests use it to check reuse)."""
        with self._lock:
            alive = self._driver is not None and self._driver.poll() is None
            return self._driver.pid if alive and self._driver is not None else None

    def close(self) -> None:
        """Stop the driver and delete the staging area."""
        self._closed.set()
        with self._lock:
            self._stop_driver()
            if self._home is not None:
                shutil.rmtree(self._home, ignore_errors=True)
                self._home = None

    # --- internals --------------------------------------------------------------

    def _ensure_home(self) -> Path:
        if self._home is None:
            self._home = Path(tempfile.mkdtemp(prefix="etl-local-spark-"))
            atexit.register(self.close)
        return self._home

    def _ensure_driver(self) -> None:
        # Caller holds the lock.
        if self._driver is not None and self._driver.poll() is None:
            return
        home = self._ensure_home()
        self._socket_path = str(home / f"driver-{time.monotonic_ns()}.sock")
        with open(home / "driver.log", "ab") as log:
            self._driver = subprocess.Popen(
                [self._python, __file__, "driver", self._socket_path, str(home / "stage"), json.dumps(self.config), str(os.getpid())],
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._last_used = time.monotonic()
        if self.idle_seconds is not None and (self._watcher is None or not self._watcher.is_alive()):
            self._watcher = threading.Thread(target=self._stop_when_idle, daemon=True, name="spark-idle")
            self._watcher.start()

    def _stop_when_idle(self) -> None:
        assert self.idle_seconds is not None
        while not self._closed.wait(min(5.0, self.idle_seconds)):
            with self._lock:
                if self._driver is None or self._driver.poll() is not None:
                    return
                if any(run.poll() is None for run in self._runs):
                    self._last_used = time.monotonic()
                elif time.monotonic() - self._last_used >= self.idle_seconds:
                    self._stop_driver()
                    return

    def _stop_driver(self) -> None:
        # Caller holds the lock.
        driver, self._driver = self._driver, None
        if driver is None or driver.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(driver.pid, sig)  # the driver and its JVM
            except OSError:
                break
            try:
                driver.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.unlink(self._socket_path)
        except OSError:
            pass
