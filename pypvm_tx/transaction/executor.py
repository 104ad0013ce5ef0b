"""ContextThreadPoolExecutor: a thread pool whose workers run as their
submitter (its oslo request context and its held entry locks)."""

import concurrent.futures
from typing import Any, Callable

from oslo_context import context as oslo_context

from pypvm_tx import locks


class _CarriedCall:
    """A submitted call with the submitter's request context and locks."""

    __slots__ = ("context", "held", "fn", "args", "kwargs")

    def __init__(self, fn, args, kwargs):
        self.context = oslo_context.get_current()
        self.held = locks.held_uuids()
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def __call__(self):
        previous = oslo_context.get_current()
        if self.context is not None:
            self.context.update_store()
        else:
            clear_current_context()
        try:
            with locks.inherited(self.held):
                return self.fn(*self.args, **self.kwargs)
        finally:
            if previous is not None:
                previous.update_store()
            else:
                clear_current_context()


def clear_current_context() -> None:
    """Make no oslo request context current in this thread.

    oslo.context has a public way to make a context current
    (``update_store``) but none to make *no* context current, which a pool
    thread needs between calls of different submitters.  So this reaches
    into its private thread-local, ``oslo_context._request_store``: the
    one place the package uses it.  If oslo.context changes it, this
    raises instead of silently leaving a stale context behind (a test
    checks that ``get_current()`` is None afterwards).
    """
    store = oslo_context._request_store
    if hasattr(store, "context"):
        del store.context


class ContextThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose workers run as their submitter.

    Each submitted call runs with the submitting thread's oslo.context
    request context made current, and with the entry locks the submitter
    holds treated as held (so a transaction on one of those UUIDs inside
    the call does not wait for its own submitter).  The submitter must keep
    holding them until the call is done; waiting for the future does that.
    Both are restored in the worker thread afterwards.
    """

    def submit(self, fn: Callable, /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        """Schedule ``fn(*args, **kwargs)`` to run as the calling thread.

        :returns: a ``concurrent.futures.Future``.
        """
        return super().submit(_CarriedCall(fn, args, kwargs))
