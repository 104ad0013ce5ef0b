"""``pypvm-tx demo``: the library doing its job.

It starts the emulator (or, with ``--url``, talks to a real console),
runs a TaskFlow flow of two FeedTasks -- every LPAR gets 256 MB more
desired memory, every VIOS a new virtual SCSI mapping -- while an
out-of-band writer renames entries between the demo's GET and its POST,
causing etag conflicts that the transactions retry.  A live progress
bar, then a summary: entries updated / unchanged / failed, conflicts
retried, REST calls by method (counted with the Session's event hooks),
wall time, and a check that re-reads every entry and verifies that each
got the demo's change exactly once and that every out-of-band change
survived.  The exit status is non-zero when any entry failed or any
change was lost.

The demo leaves the library's loggers alone.  Its conflicts are logged
as warnings on purpose, so when logging is not configured (the command
line) it shows only critical messages on stderr, and warnings too with
``--verbose``; a process that configured logging keeps its own set-up.
"""

import argparse
import contextlib
import logging
import sys
import time
from typing import Any, Dict, Iterator, Optional

from pypvm_tx import adapter as adp
from pypvm_tx import exceptions as pvmex
from pypvm_tx import retry
from pypvm_tx._console_options import session_arguments
from pypvm_tx._demo_display import Display
from pypvm_tx._demo_parts import (DEMO_DISK, LPAR_TYPE,  # noqa: F401
                                  MEMORY_DELTA_MB, VIOS_TYPE,
                                  OutOfBandWriter, RestCallCounter,
                                  add_demo_mapping, add_memory,
                                  feed_report_task, read_only, touch)
from pypvm_tx._demo_verify import (Status, summary,  # noqa: F401
                                   times_applied, verify)
from pypvm_tx.i18n import _
from pypvm_tx.testing import emulator as emu

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: Default of --timeout: seconds to wait for each REST answer.
DEFAULT_TIMEOUT = 60.0


#: The library's words for what the user typed as options.
_OPTION_WORDS = (("given as 'verify'", "given with --ca-bundle"),
                 ("'verify'", "--ca-bundle"))


class Demo:
    """One run of ``pypvm-tx demo`` (see the module documentation)."""

    def __init__(self, args: argparse.Namespace, display: Display):
        self.args = args
        self.display = display
        self.emulator: Optional[emu.Emulator] = None
        self.adapter: Optional[adp.Adapter] = None
        self.counter = RestCallCounter()
        #: With --worker-processes: Redis, persistence and the workers.
        self.parts: Optional[Any] = None
        self.writer: Optional[OutOfBandWriter] = None
        self.ms_uuid: Optional[str] = None
        self.before: Dict[str, Dict] = {}
        self.report: Dict = {}
        #: What the demo is doing, for error messages ("reading the
        #: feeds").
        self.step = _("starting")

    def _stage(self, step: str, shown: Optional[str] = None):
        """Enter ``step`` (shown as ``shown``, default ``step``...)."""
        self.step = step
        return self.display.stage(shown or (step[:1].upper() + step[1:]
                                            + "..."))

    # -- set-up ------------------------------------------------------------

    def connect(self):
        args = self.args
        if args.worker_processes and args.url:
            raise ValueError(_("--worker-processes runs on the embedded "
                               "emulator; leave out --url."))
        if args.url:
            self.adapter = self._real_adapter()
            self.writer = OutOfBandWriter(None, 0, args.seed)
        else:
            self.emulator = emu.Emulator(
                lpars=args.lpars, vioses=args.vioses, seed=args.seed,
                latency=args.latency_ms / 1000.0)
            with self._stage(_("starting the emulator (LPARs: %(l)d, "
                               "VIOSes: %(v)d)") % {"l": args.lpars,
                                                    "v": args.vioses}):
                self.emulator.start()
            for fault in args.fault:
                self.emulator.inject_fault(**fault)
            with self._stage(_("logging on to %s") % self.emulator.url):
                self.adapter = self.emulator.adapter(
                    pool_maxsize=max(args.workers, 2), timeout=args.timeout,
                    **self.counter.session_options())
            self.writer = OutOfBandWriter(self.emulator, args.conflict_rate,
                                          args.seed)
            if args.worker_processes:
                from pypvm_tx._demo_distributed import DistributedParts
                self.parts = DistributedParts(args.worker_processes,
                                              args.workers)
                with self._stage(_("starting Redis and %d worker processes")
                                 % args.worker_processes):
                    self.parts.start(self.emulator.url)

    def _real_adapter(self):
        args = self.args
        session_args = session_arguments(args)
        with self._stage(
                _("logging on as %s") % args.user,
                _("Connecting to %(url)s as %(user)s (waiting up to "
                  "%(t)s s for each answer)...") % {
                    "url": args.url, "user": args.user,
                    "t": _seconds(args.timeout)}):
            session = adp.Session(**session_args,
                                  **self.counter.session_options())
        return adp.Adapter(session)

    def close(self):
        if self.parts is not None:
            self.parts.close()
        if self.adapter is not None:
            self.adapter.session.logoff()
        if self.emulator is not None:
            self.emulator.stop()

    # -- the run -----------------------------------------------------------

    def _feed_tasks(self):
        from pypvm_tx import transaction as tx
        from pypvm_tx.wrappers import logical_partition as lpar
        from pypvm_tx.wrappers import managed_system as ms
        from pypvm_tx.wrappers import virtual_io_server as vios

        args = self.args
        systems = ms.System.get(self.adapter)
        if not systems:
            raise ValueError(_("The server has no ManagedSystem."))
        self.ms_uuid = systems[0].uuid
        common = dict(max_workers=args.workers, continue_on_error=True,
                      tries=20, delay_func=retry.gen_random_delay(0, 0.01))
        if self.parts is not None:
            common.update(self.parts.feed_task_options())
        lpar_ft = tx.FeedTask(
            "demo_lpars", lpar.LPAR.getter(self.adapter, parent=systems[0]),
            progress=self._progress("LPARs"), **common)
        vios_ft = tx.FeedTask(
            "demo_vioses", vios.VIOS.getter(
                self.adapter, parent=systems[0],
                xag=[vios.VIOS.xags.SCSI_MAPPING]),
            progress=self._progress("VIOSes"), **common)
        if args.url:
            change = touch if args.apply else read_only
            lpar_ft.add_functor_subtask(change)
            vios_ft.add_functor_subtask(change)
        else:
            if self.parts is None:  # workers: the writer runs beside them
                for task in (lpar_ft, vios_ft):
                    task.add_functor_subtask(self.writer.strike,
                                             flag_update=False)
            lpar_ft.add_functor_subtask(add_memory, MEMORY_DELTA_MB)
            vios_ft.add_functor_subtask(add_demo_mapping, 2)
        lpar_ft.add_post_execute(feed_report_task(
            "demo_lpars_report", self.report, LPAR_TYPE))
        vios_ft.add_post_execute(feed_report_task(
            "demo_vioses_report", self.report, VIOS_TYPE))
        return lpar_ft, vios_ft

    def _progress(self, label):
        def progress(outcome, done, total):
            self.display.advance(label, outcome)
        return progress

    def _snapshot(self) -> Dict[str, Dict]:
        """What every entry looks like now, read through REST."""
        from pypvm_tx.wrappers import logical_partition as lpar
        from pypvm_tx.wrappers import virtual_io_server as vios

        assert self.adapter is not None  # connect() ran before any snapshot
        state = {}
        for wrapper in lpar.LPAR.get(self.adapter, parent_type="ManagedSystem",
                                     parent_uuid=self.ms_uuid):
            state[wrapper.uuid] = {
                "type": LPAR_TYPE, "name": wrapper.name,
                "memory": wrapper.mem_config.desired}
        for wrapper in vios.VIOS.get(
                self.adapter, parent_type="ManagedSystem",
                parent_uuid=self.ms_uuid,
                xag=[vios.VIOS.xags.SCSI_MAPPING]):
            state[wrapper.uuid] = {
                "type": VIOS_TYPE, "name": wrapper.name,
                "demo_mappings": sum(
                    1 for m in wrapper.scsi_mappings
                    if m.backing_storage_name == DEMO_DISK)}
        return state

    def _count(self, schema_type: str) -> int:
        return sum(1 for entry in self.before.values()
                   if entry["type"] == schema_type)

    def run(self) -> Dict:
        from taskflow import engines
        from taskflow.patterns import linear_flow

        with self._stage(_("reading the feeds")):
            lpar_ft, vios_ft = self._feed_tasks()
            self.before = self._snapshot()
        self.counter.reset()
        totals = {"LPARs": self._count(LPAR_TYPE),
                  "VIOSes": self._count(VIOS_TYPE)}
        flow = linear_flow.Flow("pypvm_tx_demo")
        for task, count in ((lpar_ft, totals["LPARs"]),
                            (vios_ft, totals["VIOSes"])):
            if count:
                flow.add(task)
        self.step = _("updating the entries")
        self.display.note(_("Updating %(what)s with %(workers)d "
                            "workers%(procs)s...")
                          % {"what": self.args.url or _(
                              "the embedded emulator (LPARs: %(l)d, "
                              "VIOSes: %(v)d)") % {"l": self.args.lpars,
                                                   "v": self.args.vioses},
                             "workers": self.args.workers,
                             "procs": _(" in each of %d worker processes")
                             % self.args.worker_processes
                             if self.args.worker_processes else ""})
        self.display.start(totals)
        started = time.monotonic()
        beside = (contextlib.nullcontext() if self.parts is None
                  else self.parts.out_of_band(self.writer, self.emulator,
                                              list(self.before),
                                              self.display))
        try:
            with beside:
                if len(flow):
                    engines.run(flow)
        finally:
            wall = time.monotonic() - started
            self.display.stop()
        calls = self.counter.snapshot()
        outcomes = dict(lpar_ft.outcomes)
        outcomes.update(vios_ft.outcomes)
        with self._stage(_("verifying the result")):
            after = self._snapshot()
        return self._result(outcomes, after, calls, wall)

    # -- the result ----------------------------------------------------------

    def _result(self, outcomes, after, calls, wall) -> Dict:
        return summary(self.args.url, self.before, outcomes,
                       self._verify(outcomes, after), calls, wall,
                       self.report)

    def _verify(self, outcomes, after) -> Dict:
        """Each entry got the demo's change exactly once; every
        out-of-band change survived."""
        # connect() sets the writer, and run() only follows connect().
        assert self.writer is not None
        return verify(self.before, outcomes, after, self.writer.changes,
                      applies=not self.args.url)

    _times_applied = staticmethod(times_applied)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; its exit status."""
    with _library_warnings_shown(args.verbose):
        return _run_demo(args)


@contextlib.contextmanager
def _library_warnings_shown(verbose: bool) -> Iterator[None]:
    """Where logging is not configured, show the library's critical
    messages on stderr (its warnings too if ``verbose``) while the demo
    runs, instead of Python's last-resort handler showing every warning.
    The library's loggers are not touched; a configured root is kept."""
    root = logging.getLogger()
    if root.hasHandlers():
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING if verbose else logging.CRITICAL)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _run_demo(args) -> int:
    display = Display(args.json)
    demo = Demo(args, display)
    try:
        demo.connect()
        result = demo.run()
    except BrokenPipeError:
        raise
    except ValueError as exc:
        _error(_("pypvm-tx demo: %s") % exc)
        return EXIT_USAGE
    except pvmex.TimeoutError:
        _error(_("pypvm-tx demo: %(where)s did not answer within "
                 "--timeout %(t)s s (while %(step)s).") % {
                     "where": args.url or _("the emulator"),
                     "t": _seconds(args.timeout), "step": demo.step})
        return EXIT_FAILED
    except pvmex.SSLError as exc:
        _error(_("pypvm-tx demo failed while %(step)s: %(error)s (%(hint)s)")
               % {"step": demo.step, "error": exc, "hint": _(
                   "check that --ca-bundle holds the CA that signed the "
                   "console's certificate") if args.ca_bundle else _(
                   "give the CA that signed the console's certificate "
                   "with --ca-bundle")})
        return EXIT_FAILED
    except Exception as exc:
        _error(_("pypvm-tx demo failed while %(step)s: %(error)s") % {
            "step": demo.step, "error": exc})
        return EXIT_FAILED
    finally:
        demo.close()
    display.summary(result)
    if result["ok"]:
        return EXIT_OK
    if args.json:  # the summary went to stdout; name the trouble here too
        for failure in result["failures"]:
            print(_("failed: %(type)s %(name)s (%(uuid)s): %(error)s")
                  % failure, file=sys.stderr)
        for problem in result["verification"]["problems"]:
            print(_("lost: %s") % problem, file=sys.stderr)
    return EXIT_FAILED


def _seconds(value: float) -> str:
    """``1`` for 1.0, ``0.5`` for 0.5: seconds as the user would type."""
    return ("%f" % value).rstrip("0").rstrip(".")


def _in_option_words(text: str) -> str:
    """A library message in the words of the options the user typed."""
    for library_word, option in _OPTION_WORDS:
        text = text.replace(library_word, option)
    return text


def _error(text: str) -> None:
    """One line on stderr, in the user's words (a server message's line
    breaks become blanks)."""
    print(" ".join(_in_option_words(text).split()), file=sys.stderr)


