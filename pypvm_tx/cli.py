"""The ``pypvm-tx`` command line.

``pypvm-tx demo``
    Shows the library doing its job.  It starts the emulator (or, with
    ``--url``, talks to a real console), runs a TaskFlow flow of two
    FeedTasks -- every LPAR gets 256 MB more desired memory, every VIOS a
    new virtual SCSI mapping -- while an out-of-band writer renames
    entries between the demo's GET and its POST, causing etag conflicts
    that the transactions retry.  A live progress bar, then a summary:
    entries updated / unchanged / failed, conflicts retried, REST calls by
    method, wall time, and a check that re-reads every entry and verifies
    that each got the demo's change exactly once and that every
    out-of-band change survived.  The exit status is non-zero when any
    entry failed or any change was lost.

``pypvm-tx emulator``
    Serves the emulator in the foreground (the options of
    ``python -m pypvm_tx.testing.emulator``).

Progress bar and tables use `rich <https://rich.readthedocs.io>`_: widely
used and maintained, renders a live multi-bar progress display and
tables from one library, degrades to plain output when the stream is not
a terminal, and is pure Python.  It is an optional dependency (the
``cli`` extra); without it the demo still runs, with plain-text output.
"""

import argparse
import collections
import contextlib
import json
import logging
import os
import random
import sys
import threading
import time
import urllib.parse
from typing import Dict, List, Optional

from pypvm_tx import __version__
from pypvm_tx import adapter as adp
from pypvm_tx import exceptions as pvmex
from pypvm_tx import retry
from pypvm_tx.i18n import _
from pypvm_tx.testing import emulator as emu

#: What the demo adds to every LPAR's desired memory, in MB.
MEMORY_DELTA_MB = 256
#: Backing storage name of the SCSI mapping the demo adds to every VIOS.
DEMO_DISK = "pypvm-tx-demo-disk"
#: Suffix the out-of-band writer appends to the names of entries it changes.
OOB_SUFFIX = "-oob"

LPAR_TYPE = "LogicalPartition"
VIOS_TYPE = "VirtualIOServer"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: Exit status when stdout's reader went away (``demo --json | head``).
EXIT_BROKEN_PIPE = emu.EXIT_BROKEN_PIPE
EXIT_INTERRUPTED = 130

#: Default of --timeout: seconds to wait for each REST answer.
DEFAULT_TIMEOUT = 60.0

#: The library's words for what the user typed as options.
_OPTION_WORDS = (("given as 'verify'", "given with --ca-bundle"),
                 ("'verify'", "--ca-bundle"))


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------

_positive_int = emu.BoundedArg(int, 1)
_positive_float = emu.BoundedArg(float, 0.001)
_non_negative_float = emu.BoundedArg(float, 0)
_rate = emu.BoundedArg(float, 0, 1)
_lpar_count = emu.BoundedArg(int, 0, emu.MAX_LPARS)
_vios_count = emu.BoundedArg(int, 0, emu.MAX_VIOSES)


def _fault(text: str) -> Dict:
    """``key=value,...`` of Emulator.inject_fault; lists joined by ``+``."""
    spec = {}
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
    parser = argparse.ArgumentParser(
        prog="pypvm-tx",
        description=_("Transactional updates of PowerVM REST objects: a "
                      "demo and a local emulator."))
    parser.add_argument("--version", action="version",
                        version="pypvm-tx %s" % __version__)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")

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
                      default=DEFAULT_TIMEOUT, metavar="SECONDS",
                      help=_("seconds to wait for each REST answer before "
                             "giving up (default %(default)s)"))
    demo.add_argument("--json", action="store_true",
                      help=_("print a machine-readable JSON summary"))
    demo.add_argument("-v", "--verbose", action="store_true",
                      help=_("log warnings from the library"))
    real = demo.add_argument_group(
        _("a real console (read-only unless --apply)"))
    real.add_argument("--url", help=_("console URL, e.g. "
                                      "https://hmc.example.com:12443"))
    real.add_argument("--user", help=_("user name on the console"))
    real.add_argument("--password-env", default="PYPVM_TX_PASSWORD",
                      metavar="VAR",
                      help=_("environment variable holding the password "
                             "(default %(default)s)"))
    real.add_argument("--ca-bundle", metavar="PATH",
                      help=_("CA bundle to verify the console's certificate"))
    real.add_argument("--apply", action="store_true",
                      help=_("POST every entry back (values unchanged) to "
                             "exercise the etag transaction; without it "
                             "nothing is written"))

    subs.add_parser(
        "emulator", add_help=False,
        help=_("serve the PowerVM REST emulator in the foreground "
               "(see 'pypvm-tx emulator --help')"))
    return parser


# --------------------------------------------------------------------------
# Counting REST calls
# --------------------------------------------------------------------------

class RestCallCounter:
    """Counts the requests an Adapter's Session makes, by method."""

    def __init__(self, session: adp.Session):
        self._lock = threading.Lock()
        self.by_method = collections.Counter()
        self.by_status = collections.Counter()
        self._request = session.request
        session.request = self._counting_request

    def _counting_request(self, method, *args, **kwargs):
        status = "error"
        try:
            resp = self._request(method, *args, **kwargs)
            status = resp.status
            return resp
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status",
                             type(exc).__name__)
            raise
        finally:
            with self._lock:
                self.by_method[method] += 1
                self.by_status[str(status)] += 1

    def reset(self) -> None:
        with self._lock:
            self.by_method.clear()
            self.by_status.clear()

    def snapshot(self) -> Dict:
        with self._lock:
            calls = dict(sorted(self.by_method.items()))
            calls["total"] = sum(self.by_method.values())
            return {"by_method": calls,
                    "by_status": dict(sorted(self.by_status.items()))}


# --------------------------------------------------------------------------
# The demo's parts: the other writer, the changes, the report
# --------------------------------------------------------------------------

class OutOfBandWriter:
    """Another agent writing the same objects.

    Between the demo's GET of an entry and its POST it renames the entry
    (bumping its etag) with probability ``rate`` -- decided per UUID from
    the seed, so a run is repeatable -- at most once per entry.  The
    demo's POST then meets an etag mismatch and is redriven on a fresh
    GET, which must keep the new name.
    """

    def __init__(self, emulator, rate: float, seed: int):
        self.emulator = emulator
        self.rate = rate
        self.seed = seed
        self._lock = threading.Lock()
        self._seen = set()
        #: uuid -> the name this writer gave the entry.
        self.changes: Dict[str, str] = {}

    def strike(self, wrapper) -> bool:
        """A Subtask body: maybe change the entry behind the demo's back.
        Returns False: the demo's wrapper itself is not changed."""
        uuid = wrapper.uuid
        with self._lock:
            if uuid in self._seen:
                return False
            self._seen.add(uuid)
        if self.emulator is None or self.rate <= 0:
            return False
        if random.Random("%s:%s" % (self.seed, uuid)).random() >= self.rate:
            return False
        new_name = (wrapper.name or "entry") + OOB_SUFFIX
        self.emulator.change(uuid, "PartitionName", new_name)
        with self._lock:
            self.changes[uuid] = new_name
        return False


def add_memory(wrapper, delta_mb: int) -> bool:
    """The demo's LPAR change: read-modify-write of the desired memory."""
    desired = wrapper.mem_config.desired
    if desired is None:
        return False
    wrapper.mem_config.desired = desired + delta_mb
    return True


def add_demo_mapping(wrapper, client_lpar_id: int) -> bool:
    """The demo's VIOS change: one more virtual SCSI mapping."""
    from pypvm_tx.wrappers import virtual_io_server as vios

    wrapper.scsi_mappings.append(vios.VSCSIMapping.bld(
        client_lpar_id, DEMO_DISK, storage_type="VirtualDisk"))
    return True


def touch(wrapper) -> bool:
    """--apply on a real console: POST the entry back unchanged."""
    return True


def read_only(wrapper) -> bool:
    """Read-only on a real console: look, never write."""
    return False


def _feed_report_task(name: str, report: Dict, key: str):
    """A post-execute TaskFlow task: fan-in of one FeedTask's results."""
    from taskflow import task as tf_task

    class FeedReport(tf_task.Task):
        def execute(self, wrapper_task_rets):
            report[key] = {"entries_reported": len(wrapper_task_rets)}

    return FeedReport(name)


# --------------------------------------------------------------------------
# Running the demo
# --------------------------------------------------------------------------

class _Display:
    """Live progress and the summary, through rich when it is installed."""

    def __init__(self, json_mode: bool):
        self.json_mode = json_mode
        try:
            from rich.console import Console
        except ImportError:  # pragma: no cover - rich is in the cli extra
            self.console = self.err = None
        else:
            self.console = Console()
            self.err = Console(stderr=True)
        self._progress = None
        self._bars = {}
        self._conflicts = collections.Counter()
        self._lock = threading.Lock()

    def note(self, text: str):
        if self.json_mode:
            return
        if self.err is not None:
            self.err.print(text, highlight=False, soft_wrap=True)
        else:
            print(text, file=sys.stderr)

    @contextlib.contextmanager
    def stage(self, text: str):
        """Show that the demo is busy with ``text`` while the block runs:
        a spinner on a terminal, else one line on stderr."""
        if self.json_mode:
            yield
        elif self.err is not None and self.err.is_terminal:
            with self.err.status(text):
                yield
        else:
            self.note(text)
            yield

    def start(self, totals: Dict[str, int]):
        if self.err is None or self.json_mode or not self.err.is_terminal:
            return
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress,
                                   TextColumn, TimeElapsedColumn)
        self._progress = Progress(
            TextColumn("{task.description:<8}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("{task.fields[conflicts]}"),
            TimeElapsedColumn(), console=self.err, transient=False)
        for label, total in totals.items():
            if total:
                self._bars[label] = self._progress.add_task(
                    label, total=total, conflicts="")
        self._progress.start()

    def advance(self, label: str, outcome):
        if self._progress is None:
            return
        with self._lock:
            self._conflicts[label] += outcome.retries
            text = "%d conflicts retried" % self._conflicts[label]
        self._progress.update(self._bars[label], advance=1, conflicts=text)

    def stop(self):
        if self._progress is not None:
            self._progress.stop()

    def summary(self, result: Dict):
        if self.json_mode:
            print(json.dumps(result, indent=2, sort_keys=True))
            return
        rows = self._rows(result)
        if self.console is None:  # pragma: no cover - rich not installed
            width = max(len(label) for label, _value in rows)
            print(_("pypvm-tx demo (%s)") % result["target"])
            for label, value in rows:
                print("  %s  %s" % (label.ljust(width), value))
        else:
            from rich.table import Table
            table = Table(title=_("pypvm-tx demo (%s)") % result["target"],
                          show_header=False)
            table.add_column(style="bold")
            table.add_column()
            for label, value in rows:
                if label == _("Lost updates"):
                    value = "[%s]%s[/]" % (
                        "green" if result["lost"] == 0 else "red", value)
                table.add_row(label, value)
            self.console.print(table)
        for failure in result["failures"]:
            print(_("FAILED %(type)s %(name)s (%(uuid)s): %(error)s")
                  % failure)
        for problem in result["verification"]["problems"]:
            print(_("LOST %s") % problem)

    @staticmethod
    def _rows(result: Dict) -> List[tuple]:
        rows = [(label, str(result[key])) for key, label in (
            ("entries", _("Entries")), ("updated", _("Updated")),
            ("unchanged", _("Unchanged")), ("failed", _("Failed")),
            ("conflicts_retried", _("Conflicts retried")))]
        calls = result["rest_calls"]["by_method"]
        rows.append((_("REST calls"), ", ".join(
            "%s %d" % item for item in calls.items())))
        rows.append((_("Wall time"), "%.2f s" % result["wall_time_s"]))
        ver = result["verification"]
        rows.append((_("Changes landed once"), "%d / %d" % (
            ver["changed_exactly_once"], ver["expected_changes"])))
        rows.append((_("Out-of-band changes kept"), "%d / %d" % (
            ver["out_of_band_survived"], ver["out_of_band_changes"])))
        rows.append((_("Lost updates"), _("no update lost")
                     if result["lost"] == 0 else _("%d lost") % result["lost"]))
        return rows


class Demo:
    """One run of ``pypvm-tx demo`` (see the module documentation)."""

    def __init__(self, args, display: _Display):
        self.args = args
        self.display = display
        self.emulator = None
        self.adapter = None
        self.counter = None
        self.writer = None
        self.ms_uuid = None
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
                    pool_maxsize=max(args.workers, 2), timeout=args.timeout)
            self.writer = OutOfBandWriter(self.emulator, args.conflict_rate,
                                          args.seed)
        self.counter = RestCallCounter(self.adapter.session)

    def _real_adapter(self):
        args = self.args
        parts = urllib.parse.urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(_("--url must look like https://host:12443; got "
                               "%r.") % args.url)
        if not args.user:
            raise ValueError(_("--url needs --user."))
        password = os.environ.get(args.password_env)
        if not password:
            raise ValueError(_("Set the password in the environment variable "
                               "%s (or name another with --password-env).")
                             % args.password_env)
        if args.ca_bundle and not os.path.exists(args.ca_bundle):
            raise ValueError(_("--ca-bundle %s does not exist; give the CA "
                               "bundle file (or directory) that signed the "
                               "console's certificate.") % args.ca_bundle)
        with self._stage(
                _("logging on as %s") % args.user,
                _("Connecting to %(url)s as %(user)s (waiting up to "
                  "%(t)s s for each answer)...") % {
                    "url": args.url, "user": args.user,
                    "t": _seconds(args.timeout)}):
            session = adp.Session(host=parts.hostname, port=parts.port,
                                  protocol=parts.scheme, username=args.user,
                                  password=password,
                                  verify=args.ca_bundle or True,
                                  pool_maxsize=max(args.workers, 2),
                                  timeout=args.timeout)
        return adp.Adapter(session)

    def close(self):
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
            lpar_ft.add_functor_subtask(self.writer.strike,
                                        flag_update=False)
            lpar_ft.add_functor_subtask(add_memory, MEMORY_DELTA_MB)
            vios_ft.add_functor_subtask(self.writer.strike,
                                        flag_update=False)
            vios_ft.add_functor_subtask(add_demo_mapping, 2)
        lpar_ft.add_post_execute(_feed_report_task(
            "demo_lpars_report", self.report, LPAR_TYPE))
        vios_ft.add_post_execute(_feed_report_task(
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
        self.display.note(_("Updating %(what)s with %(workers)d workers...")
                          % {"what": self.args.url or _(
                              "the embedded emulator (LPARs: %(l)d, "
                              "VIOSes: %(v)d)") % {"l": self.args.lpars,
                                                   "v": self.args.vioses},
                             "workers": self.args.workers})
        self.display.start(totals)
        started = time.monotonic()
        try:
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
        counts = collections.Counter(o.status for o in outcomes.values())
        failures = [{
            "uuid": uuid, "type": self.before.get(uuid, {}).get("type"),
            "name": self.before.get(uuid, {}).get("name"),
            "error": str(o.exception)}
            for uuid, o in outcomes.items() if o.status == "failed"]
        verification = self._verify(outcomes, after)
        result = {
            "target": self.args.url or "emulator",
            "entries": len(outcomes),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
            "failed": counts.get("failed", 0),
            "conflicts_retried": sum(o.retries for o in outcomes.values()),
            "rest_calls": calls,
            "wall_time_s": round(wall, 3),
            "verification": verification,
            "lost": verification["lost"],
            "failures": failures,
            "post_execute": self.report,
        }
        result["ok"] = result["failed"] == 0 and result["lost"] == 0
        return result

    def _verify(self, outcomes, after) -> Dict:
        """Each entry got the demo's change exactly once; every
        out-of-band change survived."""
        problems: List[str] = []
        once = expected = 0
        lost = 0
        applies = not self.args.url
        for uuid, before in self.before.items():
            now = after.get(uuid)
            outcome = outcomes.get(uuid)
            label = "%s %s (%s)" % (before["type"], before["name"], uuid)
            if now is None:
                problems.append(_("%s disappeared") % label)
                lost += 1
                continue
            failed = outcome is None or outcome.status == "failed"
            times = self._times_applied(before, now) if applies else 0
            if not failed and applies:
                expected += 1
                if times == 1:
                    once += 1
                else:
                    lost += 1
                    problems.append(_("%(what)s: the demo's change is there "
                                      "%(n)d times, not once") % {
                        "what": label, "n": times})
            elif not applies and self._times_applied(before, now) != 0:
                lost += 1
                problems.append(_("%s changed although the demo only read "
                                  "it") % label)
            elif failed and times:
                problems.append(_("%s: reported failed, yet the change "
                                  "landed") % label)
            oob = self.writer.changes.get(uuid)
            if oob is not None and now["name"] != oob:
                lost += 1
                problems.append(_("%(what)s: the out-of-band rename to "
                                  "%(oob)s was lost (name is %(now)s)") % {
                    "what": label, "oob": oob, "now": now["name"]})
        survived = sum(1 for uuid, name in self.writer.changes.items()
                       if after.get(uuid, {}).get("name") == name)
        return {"checked": len(self.before), "expected_changes": expected,
                "changed_exactly_once": once,
                "out_of_band_changes": len(self.writer.changes),
                "out_of_band_survived": survived, "lost": lost,
                "problems": problems}

    @staticmethod
    def _times_applied(before, now) -> int:
        if before["type"] == LPAR_TYPE:
            if before["memory"] is None or now["memory"] is None:
                return 0
            return (now["memory"] - before["memory"]) // MEMORY_DELTA_MB
        return now["demo_mappings"] - before["demo_mappings"]


def run_demo(args) -> int:
    # Each etag conflict is logged as a warning by the retry layer; that
    # is what the demo provokes on purpose, so only --verbose shows them.
    library_log = logging.getLogger("pypvm_tx")
    saved_level = library_log.level
    library_log.setLevel(logging.WARNING if args.verbose
                         else logging.CRITICAL)
    try:
        return _run_demo(args)
    finally:
        library_log.setLevel(saved_level)


def _run_demo(args) -> int:
    display = _Display(args.json)
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


def run_emulator(argv: List[str]) -> int:
    return emu.main(argv, prog="pypvm-tx emulator")


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``pypvm-tx`` and ``python -m pypvm_tx``."""
    return emu.exit_quietly_on_broken_pipe(_main, argv)


def _main(argv: Optional[List[str]]) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "emulator":
        return run_emulator(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            return run_demo(args)
        except KeyboardInterrupt:
            print(_("interrupted"), file=sys.stderr)
            return EXIT_INTERRUPTED
    parser.print_help()
    return EXIT_USAGE
