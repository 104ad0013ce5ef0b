"""Worker processes of distributed FeedTasks, for tests, benchmarks and
the demo.

:class:`WorkerProcesses` starts ``pypvm-tx worker`` processes (the real
command line) against a console URL, a jobboard and a persistence URL,
waits until each says it is ready, and stops them (SIGTERM, or SIGKILL
for the kill test).  :func:`set_label` is a Subtask function a
distributed FeedTask can send to them: module-level, so it travels by
reference; :func:`owned_jobs` tells which chunks a worker holds.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from typing import List, Optional

from pypvm_tx.testing.emulator import DEFAULT_PASSWORD, DEFAULT_USER

#: The environment variable the workers read the console password from.
PASSWORD_ENV = "PYPVM_TX_TEST_PASSWORD"
#: Seconds a worker may take to say it is ready.
READY_TIMEOUT = 30.0


def label_of(uuid: str, label: str) -> str:
    """The name :func:`set_label` gives the LPAR ``uuid``."""
    return "%s-%s" % (label, uuid[:8])


def set_label(lpar, label: str) -> bool:
    """Name the LPAR ``<label>-<uuid prefix>``; True when that is a change
    (so an entry already at its target is never POSTed again)."""
    target = label_of(lpar.uuid, label)
    if lpar.name == target:
        return False
    lpar.name = target
    return True


def owned_jobs(board, pid: int) -> list:
    """The jobs on ``board`` claimed now by the worker process ``pid``
    (a worker's name ends with its process id)."""
    mine = []
    for job in board.iterjobs():
        try:
            owner = board.find_owner(job)
        except TypeError:  # TaskFlow's answer once the job is consumed
            continue
        if owner and owner.endswith("-%d" % pid):
            mine.append(job)
    return mine


class WorkerProcesses:
    """``count`` ``pypvm-tx worker`` processes on one console.

    :param url: the console (or emulator) URL.
    :param jobboard: the jobboard URL.
    :param persistence: the persistence URL.
    :param threads: ``--workers`` of each process.
    :param extra: more command-line options for each.
    :param log_dir: where each worker's stderr goes (``worker-<i>.log``),
        or None to discard it.
    """

    def __init__(self, url: str, jobboard: str, persistence: str,
                 count: int, threads: int = 10,
                 extra: Optional[List[str]] = None,
                 log_dir: Optional[str] = None,
                 user: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD):
        self.args = [sys.executable, "-m", "pypvm_tx", "worker",
                     "--jobboard", jobboard, "--persistence", persistence,
                     "--url", url, "--user", user,
                     "--password-env", PASSWORD_ENV,
                     "--workers", str(threads)] + list(extra or [])
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.env[PASSWORD_ENV] = password
        self.count = count
        self.log_dir = log_dir
        self.procs: List[subprocess.Popen] = []

    def start(self) -> "WorkerProcesses":
        """Start every worker and wait until each is ready."""
        for index in range(self.count):
            self.procs.append(self._spawn(index))
        deadline = time.monotonic() + READY_TIMEOUT
        for proc in self.procs:
            self._wait_ready(proc, deadline)
        return self

    def _spawn(self, index: int) -> subprocess.Popen:
        if self.log_dir is None:
            return subprocess.Popen(self.args, env=self.env,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        path = os.path.join(self.log_dir, "worker-%d.log" % index)
        with open(path, "ab") as log:
            return subprocess.Popen(self.args + ["-v"], env=self.env,
                                    stdout=subprocess.PIPE, stderr=log,
                                    text=True)

    @staticmethod
    def _wait_ready(proc: subprocess.Popen, deadline: float) -> None:
        line: List[str] = []
        stdout = proc.stdout
        assert stdout is not None  # started with stdout=PIPE
        reader = threading.Thread(
            target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        if not line or "ready" not in line[0]:
            proc.kill()
            raise RuntimeError("worker %d did not start (exit status %s)"
                               % (proc.pid, proc.poll()))

    def kill(self, index: int) -> None:
        """SIGKILL worker ``index`` and reap it."""
        proc = self.procs[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self, timeout: float = 30.0) -> List[Optional[int]]:
        """SIGTERM every worker still running; their exit statuses."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        statuses: List[Optional[int]] = []
        for proc in self.procs:
            try:
                statuses.append(proc.wait(timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                statuses.append(proc.wait())
            if proc.stdout is not None:
                proc.stdout.close()
        return statuses

    def __enter__(self) -> "WorkerProcesses":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
