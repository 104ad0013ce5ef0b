"""A real ``redis-server`` on 127.0.0.1 for tests of distributed locks (D1).

:class:`RedisServer` starts the binary from Debian's ``redis-server``
package on a free loopback port, with no persistence, in a temporary
directory, and waits until it answers PING.  It can be killed in the
middle of a test and started again on the same port.

:func:`running` starts one and kills it on exit (a test module's
fixture).  Without the binary the test is skipped with the command
that installs it -- except under CI (``CI=true``), where a missing
server is a failure: ``.ci/run`` installs it, and the Redis tests must
run there, never skip.

``benchmarks/bench_processes.py`` uses :class:`RedisServer` too (this
module imports pytest only where it skips).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from typing import Iterator

#: How long a starting server may take to answer PING (seconds).
START_TIMEOUT = 10.0

INSTALL_HINT = ("redis-server is not installed; install it with "
                "'apt-get install redis-server' (Debian/Ubuntu) to run the "
                "distributed lock tests")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(port: int, password: str = "", timeout: float = 0.5) -> bool:
    """Whether a Redis server on 127.0.0.1:``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout) as sock:
            sock.settimeout(timeout)
            if password:
                sock.sendall(b"AUTH %s\r\n" % password.encode())
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1 (start, kill, start again).

    :param binary: the path of ``redis-server``.
    :param workdir: its working directory (it writes nothing there: no
        snapshots, no append-only file).
    :param password: if not empty, clients must AUTH with it.
    """

    def __init__(self, binary: str, workdir: str, password: str = ""):
        self.binary = binary
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        """The tooz URL of this server (with its password, if any)."""
        auth = ":%s@" % self.password if self.password else ""
        return "redis://%s127.0.0.1:%d" % (auth, self.port)

    def client(self):
        """A redis-py client of this server (to look at keys)."""
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port,
                           password=self.password or None, socket_timeout=5)

    def start(self) -> None:
        """Start the server (on the same port as before) and wait for PING."""
        assert self.process is None, "already running"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.workdir,
                "--daemonize", "no", "--loglevel", "warning"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            args, cwd=self.workdir, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not ping(self.port, self.password):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("redis-server did not start on port %d"
                                   % self.port)
            time.sleep(0.02)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL) and reap it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait()


def redis_binary() -> str:
    """The ``redis-server`` binary; skip (or fail under CI) without it."""
    import pytest  # here, so that benchmarks can use this module
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but " + INSTALL_HINT + " (.ci/run installs "
                        "it)", pytrace=False)
        pytest.skip(INSTALL_HINT)
    return binary


#: The password of :func:`running`'s server: its URL carries
#: credentials, so tests can check that no message shows them.
PASSWORD = "s3cret-pw"


@contextlib.contextmanager
def running(workdir) -> Iterator[RedisServer]:
    """A started :class:`RedisServer` (password :data:`PASSWORD`) in
    ``workdir``, killed on exit.  A test module makes it a fixture::

        @pytest.fixture
        def redis_server(tmp_path):
            with running(tmp_path) as server:
                yield server
    """
    server = RedisServer(redis_binary(), str(workdir), PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.kill()
