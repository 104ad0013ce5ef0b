"""What ``pypvm-tx demo`` shows: live progress and the summary.

Progress bar and tables use `rich <https://rich.readthedocs.io>`_: widely
used and maintained, renders a live multi-bar progress display and
tables from one library, degrades to plain output when the stream is not
a terminal, and is pure Python.  It is an optional dependency (the
``cli`` extra); without it the demo still runs, with plain-text output.
"""

import collections
import contextlib
import json
import sys
import threading
from typing import TYPE_CHECKING, Counter, Dict, List, Optional

from pypvm_tx.i18n import _

if TYPE_CHECKING:  # rich is optional (the cli extra): annotations only
    from rich.progress import Progress, TaskID


class Display:
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
        self._progress: Optional["Progress"] = None
        self._bars: Dict[str, "TaskID"] = {}
        self._conflicts: Counter[str] = collections.Counter()
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
