"""A resumable FeedTask killed (SIGKILL) at random moments and resumed,
checked against the emulator: the kill test of the functional suite and
of ``benchmarks/bench_resume.py``.

One trial: the emulator is seeded with fresh LPARs; a child process runs
a FeedTask (recorded in SQLite) whose one Subtask sets each LPAR's name
to a target derived from its UUID, and is killed after a random delay;
between kills some LPARs get an out-of-band change of their memory; the
run is resumed in a new process each time, then once to the end, then
once more (a finished run).  The trial passes when no child ran an
entry its run's record held as done when it started (the finished run
then runs none), every LPAR holds its target name, every out-of-band
change is still there, the emulator stored exactly one POST per LPAR
(none POSTed again after reaching its target), the last run's result
covers every entry, the post-execute task ran once (again only when a
kill cut it off) and the finished run made no GET and no POST.

The child side runs as ``python -m pypvm_tx.testing.kill_resume``.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional, Set

from taskflow import task as tf_task

from pypvm_tx import const as c
from pypvm_tx.testing.emulator import (DEFAULT_PASSWORD, DEFAULT_USER,
                                       EmulatorControl)

NAME_PATH = "PartitionName"
MEMORY_PATH = "PartitionMemoryConfiguration/DesiredMemory"
#: Printed by the child: before execute(), at the post-execute task's
#: start, with its summary at the end, and with each entry it runs.
READY, POST_EXEC, DONE, RAN = "ready", "post-exec", "done ", "ran "


def target_name(uuid: str) -> str:
    """The name the FeedTask gives the LPAR ``uuid``."""
    return "k-" + uuid[:13]


def set_target(lpar) -> bool:
    """The Subtask: set the target name; True when that is a change.
    Says on which entry it runs (one write: whole lines)."""
    sys.stdout.write("%s%s\n" % (RAN, lpar.uuid))
    target = target_name(lpar.uuid)
    if lpar.name == target:
        return False
    lpar.name = target
    return True


class MarkPostExec(tf_task.Task):
    """The post-execute task: says it started, appends a line to a file."""

    def __init__(self, marker: str):
        super().__init__("mark_post_exec", provides="entries")
        self.marker = marker

    def execute(self, wrapper_task_rets):
        print(POST_EXEC, flush=True)
        with open(self.marker, "a") as out:
            out.write("%d\n" % os.getpid())
        return len(wrapper_task_rets)


# -- the child -----------------------------------------------------------------

def child(argv: Optional[List[str]] = None) -> None:
    """Run (or resume) the FeedTask; print READY first, DONE + summary."""
    # Imported before READY, so that a kill timed from READY lands in the
    # run, not in the interpreter's start-up.
    import taskflow.persistence.backends.impl_sqlalchemy  # noqa: F401

    import pypvm_tx.distributed.persistence  # noqa: F401
    from pypvm_tx import adapter as pvm_adapter
    from pypvm_tx import transaction as tx
    from pypvm_tx.wrappers import entry_wrapper as ewrap
    from pypvm_tx.wrappers.logical_partition import LPAR

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--persistence", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--marker", required=True)
    parser.add_argument("--workers", type=int, default=10)
    args = parser.parse_args(argv)
    session = pvm_adapter.Session("127.0.0.1", DEFAULT_USER, DEFAULT_PASSWORD,
                                  protocol="http", port=args.port,
                                  pool_maxsize=max(10, args.workers))
    task = tx.FeedTask("kill_resume",
                       ewrap.FeedGetter(pvm_adapter.Adapter(session), LPAR),
                       max_workers=args.workers,
                       persistence=args.persistence, run_id=args.run_id)
    task.add_functor_subtask(set_target)
    task.add_post_execute(MarkPostExec(args.marker))
    print(READY, flush=True)
    result = task.execute() or {}
    statuses: Dict[str, int] = {}
    for outcome in task.outcomes.values():
        statuses[str(outcome.status)] = statuses.get(str(outcome.status),
                                                     0) + 1
    print(DONE + json.dumps({
        "outcomes": sorted(task.outcomes), "statuses": statuses,
        "rets": len(result.get("wrapper_task_rets", {})),
        "entries": result.get("entries")}), flush=True)


# -- the driver ----------------------------------------------------------------

class Trial:
    """What one trial saw, and the problems found (none: passed)."""

    def __init__(self):
        self.kills = 0
        #: Kills before the child stored any POST (start, feed GET).
        self.early_kills = 0
        #: Kills when some, not all, of the LPARs were POSTed.
        self.mid_run_kills = 0
        #: Kills after every LPAR was POSTed (recording, post-execute).
        self.late_kills = 0
        self.finished_early = 0
        #: Kills that cut the post-execute task off (it may run again).
        self.post_exec_cut = 0
        #: Post-execute runs seen after the run finished.
        self.post_exec_runs = 0
        self.problems: List[str] = []

    @property
    def passed(self) -> bool:
        return not self.problems


class KillResume:
    """Trials of kill and resume against the emulator at ``url``.

    :param workdir: where each trial's SQLite file and marker go.
    :param span: an early kill comes a random 0..``span`` seconds after
        the child is ready to execute (in its feed GET, most often).
    :param early: the share of kills timed that way.
    :param late: the share of kills a random 0..50 ms after the last POST
        (in the recording, the post-execute task, the finish).  The others
        come when the emulator has stored a random number of the POSTs
        still to do, so they land anywhere in the fan-out whatever the
        machine's speed.
    :param first_in_fanout: a trial's first kill always lands in the
        fan-out, short of its end (a test that must kill mid-run).
    """

    def __init__(self, url: str, workdir: str, lpars: int = 200,
                 workers: int = 10, span: float = 0.5, early: float = 0.25,
                 late: float = 0.15, first_in_fanout: bool = True,
                 oob_per_kill: int = 3, rng: Optional[random.Random] = None,
                 timeout: float = 120):
        self.url = url
        self.port = int(url.rstrip("/").rsplit(":", 1)[1])
        self.control = EmulatorControl(url)
        self.workdir = workdir
        self.lpars = lpars
        self.workers = workers
        self.span = span
        self.early = early
        self.late = late
        self.first_in_fanout = first_in_fanout
        self.oob_per_kill = oob_per_kill
        self.rng = rng or random.Random()
        self.timeout = timeout

    def _start(self, db: str, run_id: str, marker: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pypvm_tx.testing.kill_resume",
             "--port", str(self.port), "--persistence", db,
             "--run-id", run_id, "--marker", marker,
             "--workers", str(self.workers)],
            stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        line = proc.stdout.readline() if proc.stdout else ""
        if line.strip() != READY:
            proc.kill()
            proc.wait()
            raise RuntimeError("the FeedTask child did not start: %r" % line)
        return proc

    def _posted(self) -> int:
        return sum(self.control.updates().values())

    def _kill_once(self, trial: Trial, args) -> bool:
        """Start a child and SIGKILL it after a random delay; True when it
        finished first."""
        posted = self._posted()
        done = self._recorded_done(*args[:2])
        proc = self._start(*args)
        self._wait_for_kill_point(trial, proc, posted)
        proc.send_signal(signal.SIGKILL)
        proc.wait(self.timeout)
        rest = proc.stdout.read() if proc.stdout else ""
        self._check_run_once(trial, done, rest)
        if proc.returncode == 0 and DONE in rest:
            trial.finished_early += 1
            return True
        trial.kills += 1
        now = self._posted()
        if now == posted:
            trial.early_kills += 1
        elif now < self.lpars:
            trial.mid_run_kills += 1
        else:
            trial.late_kills += 1
        if POST_EXEC in rest:
            trial.post_exec_cut += 1
        return False

    def _wait_for_kill_point(self, trial: Trial, proc, posted: int) -> None:
        """Wait for the moment to kill ``proc``, chosen at random."""
        rng, lpars = self.rng, self.lpars
        if (self.first_in_fanout and trial.kills == 0
                and posted + self.workers + 1 < lpars):
            self._wait_for_posts(proc, rng.randint(
                posted + 1, lpars - self.workers - 1))
            return
        draw = rng.random()
        if posted >= lpars or draw < self.early:
            time.sleep(rng.uniform(0, self.span))
        elif draw < self.early + self.late:
            self._wait_for_posts(proc, lpars)
            time.sleep(rng.uniform(0, 0.05))
        else:
            self._wait_for_posts(proc, rng.randint(posted + 1, lpars))

    def _wait_for_posts(self, proc, count: int) -> None:
        """Return once the emulator has stored ``count`` POSTs in all (or
        the child has ended)."""
        deadline = time.monotonic() + self.timeout
        while (self._posted() < count and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.005)

    def _run_to_end(self, trial: Trial, args) -> Dict:
        done = self._recorded_done(*args[:2])
        proc = self._start(*args)
        out, _err = proc.communicate(timeout=self.timeout)
        self._check_run_once(trial, done, out)
        for line in out.splitlines():
            if line.startswith(DONE):
                return json.loads(line[len(DONE):])
        raise RuntimeError("the FeedTask child failed (exit %s): %s"
                           % (proc.returncode, out[-2000:]))

    def _change_out_of_band(self, uuids, expected):
        for uuid in self.rng.sample(uuids, min(self.oob_per_kill,
                                               len(uuids))):
            value = str(1024 * self.rng.randint(2, 64))
            self.control.change(uuid, MEMORY_PATH, value)
            expected[uuid] = value

    def trial(self, index: int, kills: int) -> Trial:
        """One trial with up to ``kills`` kills, then the checks."""
        trial, expected = Trial(), {}  # type: Trial, Dict[str, str]
        self.control.seed(lpars=self.lpars, vioses=0,
                          seed=self.rng.randrange(1 << 30))
        self.control.reset_counters()
        uuids = [e["uuid"] for e in self.control.entries(
            c.LOGICAL_PARTITION)]
        run_id = "kill-resume-%d-%d" % (os.getpid(), index)
        db = "sqlite:///" + os.path.join(self.workdir, run_id + ".db")
        marker = os.path.join(self.workdir, run_id + ".marker")
        args = (db, run_id, marker)
        for _ in range(kills):
            if self._kill_once(trial, args):
                break
            self._change_out_of_band(uuids, expected)
        summary = self._run_to_end(trial, args)
        self._check(trial, uuids, expected, summary, marker)
        self.control.reset_counters()
        again = self._run_to_end(trial, args)
        counters = self.control.counters()["by_method"]
        if counters.get("GET") or counters.get("POST"):
            trial.problems.append("the finished run made requests: %s"
                                  % counters)
        if again != summary:
            trial.problems.append("the finished run returned %s, not %s"
                                  % (again, summary))
        if self._marks(marker) != trial.post_exec_runs:
            trial.problems.append("the finished run ran post-execute again")
        return trial

    @staticmethod
    def _recorded_done(db: str, run_id: str) -> Set[str]:
        """The entries the run's record holds as updated or unchanged."""
        from pypvm_tx.distributed import persistence
        run = persistence.open_run(db, run_id, "kill_resume")
        try:
            return {uuid for uuid, o in run.recorded().items()
                    if o.status in ("updated", "unchanged")}
        finally:
            run.close()

    @staticmethod
    def _check_run_once(trial: Trial, done: Set[str], out: str) -> None:
        """No entry recorded as done before the child started ran in it."""
        ran = {line[len(RAN):] for line in out.splitlines()
               if line.startswith(RAN)}
        again = ran & done
        if again:
            trial.problems.append("%d entries recorded as done ran again "
                                  "(%s ...)" % (len(again), min(again)))

    @staticmethod
    def _marks(marker) -> int:
        try:
            with open(marker) as lines:
                return sum(1 for _ in lines)
        except FileNotFoundError:
            return 0

    def _check(self, trial, uuids, expected, summary, marker):
        problems = trial.problems
        wrong = [u for u in uuids
                 if self.control.get_value(u, NAME_PATH) != target_name(u)]
        if wrong:
            problems.append("%d LPARs lack their target (%s ...)"
                            % (len(wrong), wrong[0]))
        lost = [u for u, v in expected.items()
                if self.control.get_value(u, MEMORY_PATH) != v]
        if lost:
            problems.append("%d out-of-band changes lost (%s ...)"
                            % (len(lost), lost[0]))
        updates = self.control.updates()
        twice = {u: n for u, n in updates.items() if n != 1}
        if twice or len(updates) != len(uuids):
            problems.append("POSTs per LPAR not all 1: %d LPARs POSTed, "
                            "others %s" % (len(updates), twice))
        if summary["outcomes"] != sorted(uuids) or \
                summary["rets"] != len(uuids) or \
                summary["entries"] != len(uuids):
            problems.append("the result does not cover every entry: %s"
                            % {k: v for k, v in summary.items()
                               if k != "outcomes"})
        trial.post_exec_runs = self._marks(marker)
        if not 1 <= trial.post_exec_runs <= 1 + trial.post_exec_cut:
            problems.append("the post-execute task ran %d times (%d kills "
                            "cut it off)" % (trial.post_exec_runs,
                                             trial.post_exec_cut))


if __name__ == "__main__":
    child()
