"""``pypvm-tx worker``: one worker process of distributed FeedTasks.

Logs on to the console with its own Session (a pool of ``--workers``
connections), opens the jobboard and the persistence, and runs a
:class:`~pypvm_tx.distributed.worker.Worker` until SIGTERM or Ctrl-C,
which let the chunks in hand finish.  Prints one line,
``worker <name> ready``, once it takes chunks (scripts and tests wait
for it).
"""

import argparse
import logging
import signal
import sys
from typing import Any, Optional

from pypvm_tx import adapter as adp
from pypvm_tx import exceptions as pvmex
from pypvm_tx._console_options import session_arguments
from pypvm_tx.demo import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pypvm_tx.i18n import _

#: The line printed when the worker takes chunks (``READY % name``).
READY = "worker %s ready"


def _session(args: argparse.Namespace) -> adp.Session:
    """A Session on ``--url`` as ``--user``.

    :raises ValueError: a bad option (see :func:`session_arguments`).
    """
    return adp.Session(**session_arguments(args))


def _lock_provider(args: argparse.Namespace) -> Optional[Any]:
    if not args.lock_url:
        return None
    from pypvm_tx.locks import ToozLockProvider
    return ToozLockProvider(args.lock_url)


def run(args: argparse.Namespace) -> int:
    """Run the worker; the exit status."""
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(process)d %(levelname)s "
                                   "%(name)s: %(message)s")
        # TaskFlow's own INFO lines repeat each job's whole store.
        logging.getLogger("taskflow").setLevel(logging.WARNING)
    try:
        from pypvm_tx.distributed.worker import Worker
    except ImportError as exc:
        print(_("pypvm-tx worker needs the 'distributed' extra (pip install "
                "'pypvm_tx[distributed]'): %s") % exc, file=sys.stderr)
        return EXIT_USAGE
    try:
        session = _session(args)
    except ValueError as exc:
        print(_("pypvm-tx worker: %s") % exc, file=sys.stderr)
        return EXIT_USAGE
    except pvmex.Error as exc:
        print(_("pypvm-tx worker: cannot log on to %(url)s: %(exc)s") % {
            "url": args.url, "exc": exc}, file=sys.stderr)
        return EXIT_FAILED
    try:
        return _serve(args, session, Worker)
    finally:
        session.logoff()


def _serve(args: argparse.Namespace, session: adp.Session,
           worker_class: Any) -> int:
    provider = _lock_provider(args)
    try:
        worker = worker_class(args.jobboard, args.persistence,
                              adp.Adapter(session), max_workers=args.workers,
                              lock_provider=provider,
                              claim_expiry=args.claim_expiry,
                              chunks_at_once=args.chunks_at_once)
    except Exception as exc:
        print(_("pypvm-tx worker: cannot start: %s") % exc, file=sys.stderr)
        return EXIT_FAILED
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: worker.stop())
        print(READY % worker.name, flush=True)
        worker.run()
    finally:
        worker.close()
        if provider is not None:
            provider.close()
    return EXIT_OK
