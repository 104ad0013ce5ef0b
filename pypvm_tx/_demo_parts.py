"""The moving parts of ``pypvm-tx demo`` (see :mod:`pypvm_tx.demo`):
the REST call counter, the out-of-band writer, and the changes the demo
makes to every entry."""

import collections
import random
import threading
from typing import Any, Callable, Dict, List, Set

#: What the demo adds to every LPAR's desired memory, in MB.
MEMORY_DELTA_MB = 256
#: Backing storage name of the SCSI mapping the demo adds to every VIOS.
DEMO_DISK = "pypvm-tx-demo-disk"
#: Suffix the out-of-band writer appends to the names of entries it changes.
OOB_SUFFIX = "-oob"

LPAR_TYPE = "LogicalPartition"
VIOS_TYPE = "VirtualIOServer"


class RestCallCounter:
    """Counts the REST calls of a Session by method, and its responses
    by status, through the Session's event hooks."""

    def __init__(self):
        self._lock = threading.Lock()
        self.by_method = collections.Counter()
        self.by_status = collections.Counter()

    def on_request(self, method: str, url: str) -> None:
        """The ``request`` hook: one more call."""
        with self._lock:
            self.by_method[method] += 1

    def on_response(self, response: Any) -> None:
        """The ``response`` hook: one more answer with this status."""
        with self._lock:
            self.by_status[str(response.status)] += 1

    def session_options(self) -> Dict[str, Dict[str, List[Callable]]]:
        """The keyword arguments that make a new Session report here."""
        return {"event_hooks": {"request": [self.on_request],
                                "response": [self.on_response]}}

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
        self._seen: Set[str] = set()
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

    wrapper.scsi_mappings.append(vios.VSCSIMapping.bld_by_id(
        client_lpar_id, DEMO_DISK, storage_type="VirtualDisk"))
    return True


def touch(wrapper) -> bool:
    """--apply on a real console: POST the entry back unchanged."""
    return True


def read_only(wrapper) -> bool:
    """Read-only on a real console: look, never write."""
    return False


def feed_report_task(name: str, report: Dict, key: str):
    """A post-execute TaskFlow task: fan-in of one FeedTask's results."""
    from taskflow import task as tf_task

    class FeedReport(tf_task.Task):
        def execute(self, wrapper_task_rets):
            report[key] = {"entries_reported": len(wrapper_task_rets)}

    return FeedReport(name)
