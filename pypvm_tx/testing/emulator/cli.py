"""The emulator's command line (``python -m pypvm_tx.testing.emulator``;
``pypvm-tx emulator`` is built from the same options)."""

import argparse
import errno
import os
import signal
import sys
import threading
from typing import List, Optional

from pypvm_tx import const as c
from pypvm_tx.i18n import _
from pypvm_tx.testing.emulator.common import (CONTROL_PREFIX,
                                              DEFAULT_PASSWORD, DEFAULT_USER,
                                              EXIT_BROKEN_PIPE, MAX_LPARS,
                                              MAX_PORT, MAX_VIOSES)
from pypvm_tx.testing.emulator.facade import Emulator

PROG = "python -m pypvm_tx.testing.emulator"
DESCRIPTION = ("Serve the PowerVM REST emulator in the foreground "
               "(loopback only, in memory).")


class BoundedArg:
    """An argparse ``type``: a number of ``kind`` between ``low`` and
    ``high`` (inclusive; None means unbounded above), refused with a
    message naming the range (``pypvm-tx`` uses it too)."""

    def __init__(self, kind, low, high=None):
        self.kind, self.low, self.high = kind, low, high
        self.__name__ = kind.__name__  # argparse names the type in errors

    def __call__(self, text: str):
        value = self.kind(text)
        if not value >= self.low or (self.high is not None
                                     and value > self.high):
            if self.high is None:
                raise argparse.ArgumentTypeError(
                    _("must be at least %(low)s, got %(got)s") % {
                        "low": self.low, "got": text})
            raise argparse.ArgumentTypeError(
                _("must be between %(low)s and %(high)s, got %(got)s") % {
                    "low": self.low, "high": self.high, "got": text})
        return value


def _existing_file(text: str) -> str:
    """An argparse ``type``: the path of a file that exists."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(_("no such file: %s") % text)
    return text


def options_parser() -> argparse.ArgumentParser:
    """The emulator's options alone (no help option), to be used as a
    ``parents=`` parser: by :func:`build_parser` and ``pypvm-tx
    emulator``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=BoundedArg(int, 0, MAX_PORT),
                        default=c.DEFAULT_HTTP_PORT,
                        help="port; 0 picks a free one (default %(default)s)")
    parser.add_argument("--lpars", type=BoundedArg(int, 0, MAX_LPARS),
                        default=10,
                        help="LPARs to create, at most %d (default "
                             "%%(default)s)" % MAX_LPARS)
    parser.add_argument("--vioses", type=BoundedArg(int, 0, MAX_VIOSES),
                        default=2,
                        help="VIOSes to create, at most %d (default "
                             "%%(default)s)" % MAX_VIOSES)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the generated objects")
    parser.add_argument("--user", default=DEFAULT_USER,
                        help="accepted user (default %(default)s)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD,
                        help="accepted password (default %(default)s)")
    parser.add_argument("--latency", type=BoundedArg(float, 0), default=0.0,
                        help="least seconds between a REST request and its "
                             "answer")
    parser.add_argument("--certfile", type=_existing_file,
                        help="PEM certificate: serve HTTPS")
    parser.add_argument("--keyfile", type=_existing_file,
                        help="PEM private key of --certfile")
    return parser


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                   parents=[options_parser()])


def main(argv: Optional[List[str]] = None, prog: str = PROG) -> int:
    """``python -m pypvm_tx.testing.emulator``: see :func:`serve`."""
    parser = build_parser(prog)
    return serve(parser, parser.parse_args(argv))


def serve(parser: argparse.ArgumentParser, args) -> int:
    """Serve in the foreground until SIGTERM or Ctrl-C.

    Bad arguments exit 2, an address that cannot be bound 1, each with
    one line on stderr (after the usage, for argument errors).
    """
    if args.keyfile and not args.certfile:
        parser.error("--keyfile needs --certfile")
    try:
        emulator = Emulator(host=args.host, port=args.port, lpars=args.lpars,
                            vioses=args.vioses, seed=args.seed,
                            user=args.user, password=args.password,
                            latency=args.latency, certfile=args.certfile,
                            keyfile=args.keyfile)
    except (ValueError, TypeError) as exc:
        print("%s: error: %s" % (parser.prog, exc), file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: done.set())
    try:
        url = emulator.start()
    except OSError as exc:
        print("%s: error: cannot listen on %s port %d: %s" % (
            parser.prog, args.host, args.port, _os_reason(exc)),
            file=sys.stderr)
        return 1
    try:
        # The first line is machine-readable: scripts read the URL from it.
        print(url, flush=True)
        print("PowerVM REST emulator: %d LPARs, %d VIOSes, user %s; "
              "control path %s%s; Ctrl-C stops." % (
                  args.lpars, args.vioses, args.user, url, CONTROL_PREFIX),
              flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def exit_quietly_on_broken_pipe(func, *args, **kwargs) -> int:
    """``func(*args, **kwargs)``, its output flushed; when the reader of
    stdout went away (``... | head``), no traceback: stdout is pointed
    at /dev/null and the exit status is 128 + SIGPIPE, as for a process
    the signal ended."""
    try:
        code = func(*args, **kwargs)
        sys.stdout.flush()  # a broken pipe shows here, not at exit
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _os_reason(exc: OSError) -> str:
    """What went wrong, in words (``address already in use``)."""
    if exc.errno == errno.EADDRINUSE:
        return "the address is already in use"
    return exc.strerror or str(exc)
