"""The ``pypvm-tx`` command line: argument parsing and dispatch.

``pypvm-tx demo``
    Runs :mod:`pypvm_tx.demo`: a FeedTask over many partitions while
    other writers cause etag conflicts, then a check that nothing was
    lost.

``pypvm-tx worker``
    Runs a worker of distributed FeedTasks (:mod:`pypvm_tx.distributed`):
    a TaskFlow conductor on a jobboard, updating entries on a console
    until SIGTERM or Ctrl-C.

``pypvm-tx emulator``
    Serves the emulator in the foreground, with the options of
    ``python -m pypvm_tx.testing.emulator`` (the same parser, as a
    parent).
"""

import argparse
import sys
from typing import Dict, List, Optional, Union

from pypvm_tx import __version__
from pypvm_tx import demo as demo_mod
from pypvm_tx._console_options import add_console_options
from pypvm_tx.demo import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pypvm_tx.i18n import _
from pypvm_tx.testing import emulator as emu
from pypvm_tx.testing.emulator import cli as emu_cli

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_USAGE", "build_parser", "main"]

#: Exit status when stdout's reader went away (``demo --json | head``).
EXIT_BROKEN_PIPE = emu.EXIT_BROKEN_PIPE
EXIT_INTERRUPTED = 130

_positive_int = emu.BoundedArg(int, 1)
_positive_float = emu.BoundedArg(float, 0.001)
_non_negative_float = emu.BoundedArg(float, 0)
_rate = emu.BoundedArg(float, 0, 1)
_worker_count = emu.BoundedArg(int, 0, 32)
_lpar_count = emu.BoundedArg(int, 0, emu.MAX_LPARS)
_vios_count = emu.BoundedArg(int, 0, emu.MAX_VIOSES)


#: Keyword arguments of Emulator.inject_fault, as ``--fault`` gives them.
FaultSpec = Dict[str, Union[str, int, float, List[str]]]


def _fault(text: str) -> FaultSpec:
    """``key=value,...`` of Emulator.inject_fault; lists joined by ``+``."""
    spec: FaultSpec = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(_(
                "a fault is key=value pairs separated by commas, e.g. "
                "status=500,methods=POST,types=VirtualIOServer; got %r")
                % text)
        key = key.strip()
        if key in ("methods", "types"):
            spec[key] = [v for v in value.split("+") if v]
        elif key in ("status", "count", "seed"):
            spec[key] = int(value)
        elif key in ("rate", "delay"):
            spec[key] = float(value)
        elif key == "kind":
            spec[key] = value
        else:
            raise argparse.ArgumentTypeError(_(
                "unknown fault key %(key)r; use kind, status, rate, count, "
                "methods, types, delay or seed") % {"key": key})
    return spec


def build_parser() -> argparse.ArgumentParser:
    """The ``pypvm-tx`` parser; each command sets ``run(args)``."""
    parser = argparse.ArgumentParser(
        prog="pypvm-tx",
        description=_("Transactional updates of PowerVM REST objects: a "
                      "demo and a local emulator."))
    parser.add_argument("--version", action="version",
                        version="pypvm-tx %s" % __version__)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(subs)
    _add_worker(subs)
    emulator = subs.add_parser(
        "emulator", parents=[emu_cli.options_parser()],
        help=_("serve the PowerVM REST emulator in the foreground "
               "(see 'pypvm-tx emulator --help')"),
        description=emu_cli.DESCRIPTION)
    emulator.set_defaults(run=lambda args: emu_cli.serve(emulator, args))
    return parser


def _add_demo(subs) -> None:
    demo = subs.add_parser(
        "demo", help=_("run a FeedTask over many partitions while other "
                       "writers cause etag conflicts, then verify nothing "
                       "was lost"),
        description=_("Start the emulator (or use --url), update every LPAR "
                      "and VIOS with FeedTasks while an out-of-band writer "
                      "causes etag conflicts, show progress, and verify that "
                      "every change landed exactly once and no out-of-band "
                      "change was lost."))
    demo.add_argument("--lpars", type=_lpar_count, default=50,
                      help=_("LPARs to create, at most %(max)d (default "
                             "%%(default)s)") % {"max": emu.MAX_LPARS})
    demo.add_argument("--vioses", type=_vios_count, default=2,
                      help=_("VIOSes to create, at most %(max)d (default "
                             "%%(default)s)") % {"max": emu.MAX_VIOSES})
    demo.add_argument("--workers", type=_positive_int, default=10,
                      help=_("entries updated in parallel (default "
                             "%(default)s)"))
    demo.add_argument("--worker-processes", type=_worker_count, default=0,
                      metavar="N",
                      help=_("run the FeedTasks in N 'pypvm-tx worker' "
                             "processes on a local Redis jobboard (each with "
                             "--workers threads); needs redis-server"))
    demo.add_argument("--conflict-rate", type=_rate, default=0.3,
                      help=_("chance that another writer changes an entry "
                             "between the demo's GET and POST (default "
                             "%(default)s)"))
    demo.add_argument("--latency-ms", type=_non_negative_float, default=0.0,
                      help=_("emulated latency of every REST request"))
    demo.add_argument("--seed", type=int, default=0,
                      help=_("seed of the generated objects and conflicts"))
    demo.add_argument("--fault", type=_fault, action="append", default=[],
                      metavar="FAULT",
                      help=_("inject an emulator fault, e.g. status=500,"
                             "methods=POST,types=VirtualIOServer (repeatable)"))
    demo.add_argument("--timeout", type=_positive_float,
                      default=demo_mod.DEFAULT_TIMEOUT, metavar="SECONDS",
                      help=_("seconds to wait for each REST answer before "
                             "giving up (default %(default)s)"))
    demo.add_argument("--json", action="store_true",
                      help=_("print a machine-readable JSON summary"))
    demo.add_argument("-v", "--verbose", action="store_true",
                      help=_("log warnings from the library"))
    _add_real_console_options(demo)
    demo.set_defaults(run=_run_demo_command)


def _add_real_console_options(demo) -> None:
    real = demo.add_argument_group(
        _("a real console (read-only unless --apply)"))
    add_console_options(real, required=False)
    real.add_argument("--apply", action="store_true",
                      help=_("POST every entry back (values unchanged) to "
                             "exercise the etag transaction; without it "
                             "nothing is written"))


def _add_worker(subs) -> None:
    worker = subs.add_parser(
        "worker", help=_("run chunks of distributed FeedTasks posted on a "
                         "jobboard, until SIGTERM"),
        description=_("Claim the chunks that distributed FeedTasks post on "
                      "a TaskFlow jobboard and update their entries on the "
                      "console, recording each outcome in the shared "
                      "persistence.  SIGTERM or Ctrl-C: finish the chunks "
                      "in hand, then exit."))
    worker.add_argument("--jobboard", required=True, metavar="URL",
                        help=_("the jobboard, e.g. redis://:password@host:"
                               "6379/namespace"))
    worker.add_argument("--persistence", required=True, metavar="URL",
                        help=_("the persistence the FeedTasks use, e.g. "
                               "sqlite:////srv/pypvm/runs.db or a "
                               "MySQL/PostgreSQL URL"))
    add_console_options(worker, required=True)
    worker.add_argument("--workers", type=_positive_int, default=10,
                        help=_("entries updated in parallel (default "
                               "%(default)s)"))
    worker.add_argument("--chunks-at-once", type=_positive_int, default=2,
                        help=_("chunks held at a time, sharing the "
                               "--workers threads (default %(default)s)"))
    worker.add_argument("--claim-expiry", type=_positive_float, default=5.0,
                        metavar="SECONDS",
                        help=_("seconds a claim lasts unless this worker "
                               "extends it: how soon another worker takes "
                               "over a dead one's chunk (default "
                               "%(default)s)"))
    worker.add_argument("--lock-url", metavar="URL",
                        help=_("tooz URL of a lock service shared with other "
                               "agents changing the same objects, e.g. "
                               "redis://host:6379 (default: locks within "
                               "this process)"))
    worker.add_argument("--timeout", type=_positive_float,
                        default=demo_mod.DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=_("seconds to wait for each REST answer "
                               "(default %(default)s)"))
    worker.add_argument("-v", "--verbose", action="store_true",
                        help=_("log what the worker does (INFO)"))
    worker.set_defaults(run=_run_worker_command)


def _run_worker_command(args: argparse.Namespace) -> int:
    from pypvm_tx import worker_cli
    return worker_cli.run(args)


def _run_demo_command(args: argparse.Namespace) -> int:
    try:
        return demo_mod.run_demo(args)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``pypvm-tx`` and ``python -m pypvm_tx``."""
    return emu.exit_quietly_on_broken_pipe(_main, argv)


def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_USAGE
    return run(args)
