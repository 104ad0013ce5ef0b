"""The distributed parts of ``pypvm-tx demo --worker-processes N``.

A local ``redis-server`` (when one is installed) holds the jobboard, a
SQLite file in a temporary folder the persistence, and N ``pypvm-tx
worker`` processes run the demo's FeedTasks against the embedded
emulator.  The demo's Subtasks are module-level functions, so they
travel to the workers by reference; the out-of-band writer, which in one
process strikes from inside a Subtask, here renames entries from a
thread of the demo while the workers run.
"""

import contextlib
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

from pypvm_tx.i18n import _

#: Seconds a starting redis-server may take to answer.
REDIS_START_TIMEOUT = 10.0
#: Entries per chunk job in the demo.
CHUNK_SIZE = 25
#: The out-of-band writer's pause between two entries, in seconds.
STRIKE_PAUSE = 0.005


def short_delay(attempt: int, max_attempts: int, *args: Any,
                **kwargs: Any) -> None:
    """The demo's wait between redrives (0-10 ms), module-level so that
    it travels to the workers."""
    time.sleep(random.uniform(0, 0.01))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _LocalRedis:
    """A throw-away ``redis-server`` on 127.0.0.1, without persistence."""

    def __init__(self, workdir: str):
        binary = shutil.which("redis-server")
        if binary is None:
            raise ValueError(_(
                "--worker-processes needs a local redis-server for the "
                "jobboard, and none is installed (apt-get install "
                "redis-server, or your system's package)."))
        self.port = _free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port,
                             socket_timeout=1)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if (self.process.poll() is not None
                        or time.monotonic() > deadline):
                    self.stop()
                    raise RuntimeError(_("redis-server did not start"))
                time.sleep(0.02)
            finally:
                client.close()

    @property
    def url(self) -> str:
        return "redis://127.0.0.1:%d/pypvm-tx-demo" % self.port

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()


class DistributedParts:
    """Redis, persistence and worker processes for one demo run."""

    def __init__(self, count: int, threads: int):
        self.count = count
        self.threads = threads
        self.workdir = tempfile.mkdtemp(prefix="pypvm-tx-demo-")
        self.redis: Optional[_LocalRedis] = None
        self.workers: Any = None

    @property
    def persistence(self) -> str:
        return "sqlite:///%s/runs.db" % self.workdir

    def start(self, console_url: str) -> None:
        """Start Redis and the workers (each logged on to the console)."""
        from pypvm_tx.distributed.persistence import fetch_backend
        from pypvm_tx.testing.workers import WorkerProcesses

        self.redis = _LocalRedis(self.workdir)
        fetch_backend(self.persistence)  # the schema, before the workers
        self.workers = WorkerProcesses(console_url, self.redis.url,
                                       self.persistence, self.count,
                                       threads=self.threads,
                                       log_dir=self.workdir)
        self.workers.start()

    def feed_task_options(self) -> Dict[str, Any]:
        """What makes a demo FeedTask distributed."""
        assert self.redis is not None  # started first
        return {"jobboard": self.redis.url, "persistence": self.persistence,
                "chunk_size": CHUNK_SIZE, "delay_func": short_delay}

    @contextlib.contextmanager
    def out_of_band(self, writer: Any, emulator: Any, uuids: List[str],
                    display: Any) -> Iterator[None]:
        """While the body runs, ``writer`` renames entries (at its rate)
        from a thread, so the workers meet etag conflicts; then a note
        on ``display`` says whose REST calls the summary counts."""
        stop = threading.Event()

        def strike_all():
            order = list(uuids)
            random.Random(writer.seed).shuffle(order)
            for uuid in order:
                if stop.wait(STRIKE_PAUSE):
                    return
                writer.strike_uuid(uuid, emulator)

        thread = threading.Thread(target=strike_all, daemon=True,
                                  name="pypvm-tx-demo-oob")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
        display.note(_("REST calls below are this process's; the worker "
                       "processes made each entry's GET and POST."))

    def close(self) -> None:
        """Stop the workers and Redis, and remove the temporary folder."""
        if self.workers is not None:
            self.workers.stop()
        if self.redis is not None:
            self.redis.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
