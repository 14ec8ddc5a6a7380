"""A Spark standalone cluster on this machine: one master and one worker on 127.0.0.1.

Started from the installed pyspark's ``bin/spark-class`` (no Spark download), on free ports,
its web UIs on loopback; stopped by PID. The tests and ``bench.scale_bench`` submit to it
the way a deployment submits to a real cluster (``CDP_SPARK_MASTER=spark://...``).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
_MASTER = "org.apache.spark.deploy.master.Master"
_WORKER = "org.apache.spark.deploy.worker.Worker"


def spark_home() -> Path:
    """The installed pyspark's folder: it carries ``bin/spark-class`` and Spark's jars."""
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    """A TCP port nobody listens on at this moment (on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalCluster:
    """One master and one worker of ``cores`` cores and ``memory`` for executors."""

    work_dir: Path
    cores: int = 1
    memory: str = "1g"
    timeout: float = 120.0
    # where the executors spill shuffles (SPARK_LOCAL_DIRS; default: the system's temporary
    # folder): a large run needs tens of GB there
    local_dir: Path | None = None
    master_port: int = field(default_factory=free_port)
    pids: list[int] = field(default_factory=list)

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOG_DIR=str(self.work_dir / "logs"),
            SPARK_WORKER_DIR=str(self.work_dir / "worker"),
            # the daemons' own heap; executors get `memory` from the worker
            SPARK_DAEMON_MEMORY="256m",
        )
        if self.local_dir is not None:
            self.local_dir.mkdir(parents=True, exist_ok=True)
            env["SPARK_LOCAL_DIRS"] = str(self.local_dir)
        return env

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log_path = self.work_dir / "logs" / f"{name}.out"
        with log_path.open("ab") as out:
            process = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), *args],
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C of the caller does not orphan half of it
            )
        self.pids.append(process.pid)
        return process

    def _wait(self, what: str, ready, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + self.timeout
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(
                    f"the Spark {what} exited with code {process.returncode}; its log: "
                    f"{self.work_dir / 'logs'}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Spark {what} was not ready after {self.timeout:.0f} s; its log: "
                    f"{self.work_dir / 'logs'}"
                )
            time.sleep(0.5)

    def start(self) -> LocalCluster:
        """Start the master, then the worker; returns when the worker has registered."""
        (self.work_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.work_dir / "worker").mkdir(parents=True, exist_ok=True)
        try:
            master = self._start(
                "master",
                _MASTER,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.master_port),
                "--webui-port",
                str(free_port()),
            )
            self._wait("master", lambda: _listening(self.master_port), master)
            worker = self._start(
                "worker",
                _WORKER,
                self.master_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
                "--webui-port",
                str(free_port()),
                "--cores",
                str(self.cores),
                "--memory",
                self.memory,
                "--work-dir",
                str(self.work_dir / "worker"),
            )
            master_log = self.work_dir / "logs" / "master.out"
            self._wait(
                "worker",
                lambda: "Registering worker" in master_log.read_text(errors="replace"),
                worker,
            )
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)  # an interpreter exiting without `stop` still stops them
        log.info("Spark standalone cluster at %s (pids %s)", self.master_url, self.pids)
        return self

    def stop(self) -> None:
        """Stop worker and master by PID: TERM, then KILL after 20 s."""
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 20
        for pid in reversed(self.pids):
            while time.monotonic() < deadline:
                try:
                    if os.waitpid(pid, os.WNOHANG) != (0, 0):
                        break
                except ChildProcessError:
                    break
                time.sleep(0.2)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        self.pids.clear()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
