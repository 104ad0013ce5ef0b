"""Small helpers of the transaction tests.  The in-memory console they
run against is the shipped :class:`pypvm_tx.testing.console.FakeConsole`."""

import threading

from pypvm_tx.testing.console import BASE, ROOT, entry_xml, lpar_xml  # noqa: F401 - used by the tests

#: Seconds: a bound on every wait, so a deadlock fails instead of hanging.
WAIT = 10


def run_bounded(func):
    """Run ``func`` in a thread; fail (not hang) if it does not finish."""
    result = {}

    def target():
        try:
            result["value"] = func()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "deadlock: the call did not finish"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def name_of(wrapper):
    return wrapper._get_val_str("PartitionName")


def set_name(wrapper, name):
    wrapper._set_val("PartitionName", name)


def mem_of(wrapper):
    return wrapper._get_val_int("PartitionMemoryConfiguration/DesiredMemory")


def set_mem(wrapper, mem):
    wrapper._set_val("PartitionMemoryConfiguration/DesiredMemory", mem)


