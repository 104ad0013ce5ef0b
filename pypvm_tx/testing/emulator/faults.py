"""Injected faults: which REST requests fail, and how."""

import random
import threading
from typing import Dict, Iterable, List, Optional

#: ``status``: answer an error status; ``drop``: close the connection
#: before acting; ``drop_after``: act, then close without answering;
#: ``slow``: wait, then answer normally.
FAULT_KINDS = ("status", "drop", "drop_after", "slow")


class Fault:
    """One injected fault (see :meth:`Emulator.inject_fault`)."""

    def __init__(self, kind, status, rate, count, methods, types, delay,
                 seed):
        if kind not in FAULT_KINDS:
            raise ValueError("Unknown fault kind %r; use one of %s."
                             % (kind, ", ".join(FAULT_KINDS)))
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1, got %r." % rate)
        self.kind = kind
        self.status = int(status)
        self.rate = float(rate)
        self.remaining = count
        self.methods = {m.upper() for m in methods} if methods else None
        self.types = set(types) if types else None
        self.delay = float(delay)
        self.rng = random.Random(seed)
        self.fired = 0

    def fires(self, method: str, schema_type: str) -> bool:
        """Whether this request is hit (and if so, count it)."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods and method not in self.methods:
            return False
        if self.types and schema_type not in self.types:
            return False
        if self.rate < 1 and self.rng.random() >= self.rate:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def describe(self) -> Dict:
        return {"kind": self.kind, "status": self.status, "rate": self.rate,
                "remaining": self.remaining, "fired": self.fired,
                "methods": sorted(self.methods or ()),
                "types": sorted(self.types or ()), "delay": self.delay}


class FaultList:
    """The faults in force, in the order they were injected."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._added = 0

    def add(self, kind: str, status: int, rate: float, count: Optional[int],
            methods: Optional[Iterable[str]],
            types: Optional[Iterable[str]], delay: float,
            seed: Optional[int], default_seed: int) -> Dict:
        """Add a fault; without ``seed``, its draws are seeded from
        ``default_seed`` and how many faults came before it."""
        with self._lock:
            self._added += 1
            if seed is None:
                seed = default_seed * 1000 + self._added
            fault = Fault(kind, status, rate, count, methods, types, delay,
                          seed)
            self._faults.append(fault)
            return fault.describe()

    def clear(self):
        with self._lock:
            self._faults = []

    def describe(self) -> List[Dict]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def pick(self, method: str, schema_type: str) -> Optional[Fault]:
        """The first fault that hits this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.fires(method, schema_type):
                    return fault
        return None
