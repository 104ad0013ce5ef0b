"""The check at the end of ``pypvm-tx demo`` (see :mod:`pypvm_tx.demo`):
every entry got the demo's change exactly once, every out-of-band change
survived, and the summary's figures."""

import collections
import enum
from typing import Any, Dict, List, Mapping, Optional

from pypvm_tx._demo_parts import LPAR_TYPE, MEMORY_DELTA_MB
from pypvm_tx.i18n import _


class Status(str, enum.Enum):
    """An entry's outcome, as the library's ``EntryOutcome`` spells it."""

    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


def times_applied(before: Mapping[str, Any], now: Mapping[str, Any]) -> int:
    """How many times the demo's change is in an entry: ``before`` and
    ``now`` are its snapshots (memory, or the count of demo mappings)."""
    if before["type"] == LPAR_TYPE:
        if before["memory"] is None or now["memory"] is None:
            return 0
        return (now["memory"] - before["memory"]) // MEMORY_DELTA_MB
    return now["demo_mappings"] - before["demo_mappings"]


def verify(before: Mapping[str, Mapping[str, Any]], outcomes: Mapping,
           after: Mapping[str, Mapping[str, Any]],
           oob_changes: Mapping[str, str], applies: bool) -> Dict:
    """Each entry of ``before`` got the demo's change exactly once (none
    at all when the demo does not ``apply`` one), and every out-of-band
    rename in ``oob_changes`` survived; a count of what was lost, and a
    line for each problem."""
    problems: List[str] = []
    once = expected = 0
    lost = 0
    for uuid, was in before.items():
        now = after.get(uuid)
        outcome = outcomes.get(uuid)
        label = "%s %s (%s)" % (was["type"], was["name"], uuid)
        if now is None:
            problems.append(_("%s disappeared") % label)
            lost += 1
            continue
        failed = outcome is None or outcome.status == Status.FAILED
        times = times_applied(was, now) if applies else 0
        if not failed and applies:
            expected += 1
            if times == 1:
                once += 1
            else:
                lost += 1
                problems.append(_("%(what)s: the demo's change is there "
                                  "%(n)d times, not once") % {
                    "what": label, "n": times})
        elif not applies and times_applied(was, now) != 0:
            lost += 1
            problems.append(_("%s changed although the demo only read "
                              "it") % label)
        elif failed and times:
            problems.append(_("%s: reported failed, yet the change "
                              "landed") % label)
        oob = oob_changes.get(uuid)
        if oob is not None and now["name"] != oob:
            lost += 1
            problems.append(_("%(what)s: the out-of-band rename to "
                              "%(oob)s was lost (name is %(now)s)") % {
                "what": label, "oob": oob, "now": now["name"]})
    survived = sum(1 for uuid, name in oob_changes.items()
                   if after.get(uuid, {}).get("name") == name)
    return {"checked": len(before), "expected_changes": expected,
            "changed_exactly_once": once,
            "out_of_band_changes": len(oob_changes),
            "out_of_band_survived": survived, "lost": lost,
            "problems": problems}


def summary(url: Optional[str], before: Mapping[str, Mapping[str, Any]],
            outcomes: Mapping, verification: Dict, calls: Any, wall: float,
            report: Dict) -> Dict:
    """The demo's result: counts by status, conflicts retried, REST
    calls, wall time, the verification, and whether all is well."""
    counts = collections.Counter(o.status for o in outcomes.values())
    failures = [{
        "uuid": uuid, "type": before.get(uuid, {}).get("type"),
        "name": before.get(uuid, {}).get("name"),
        "error": str(o.exception)}
        for uuid, o in outcomes.items() if o.status == Status.FAILED]
    result = {
        "target": url or "emulator",
        "entries": len(outcomes),
        "updated": counts[Status.UPDATED],
        "unchanged": counts[Status.UNCHANGED],
        "failed": counts[Status.FAILED],
        "conflicts_retried": sum(o.retries for o in outcomes.values()),
        "rest_calls": calls,
        "wall_time_s": round(wall, 3),
        "verification": verification,
        "lost": verification["lost"],
        "failures": failures,
        "post_execute": report,
    }
    result["ok"] = result["failed"] == 0 and result["lost"] == 0
    return result
