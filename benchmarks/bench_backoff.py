"""Per-call cost of the one retry loop, against tenacity and a bare call.

Prints figures; it is not a test.  Why the loop in ``pypvm_tx.backoff``
is the project's own (in tenacity's shape) rather than tenacity itself:
every entry transaction of a FeedTask runs through it, almost always
succeeding on the first try, so its first-try cost is paid per entry.

Lines:

* ``first try succeeds``: microseconds per call of ``Retrying(...)(f)``
  for ours and for ``tenacity.Retrying(...)(f)``, and of ``f()`` bare;
* ``one retry``: a call that fails once then succeeds (no sleep).

Usage::

    python benchmarks/bench_backoff.py [--calls 50000]
"""

import argparse
import timeit

import tenacity

from pypvm_tx import backoff


def _ours():
    return backoff.Retrying(
        stop=backoff.stop_after_attempt(60) | backoff.stop_at_deadline(),
        retry=backoff.retry_if_exception_type(KeyError),
        wait=backoff.wait_none, sleep=lambda s: None)


def _tenacity():
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(60),
        retry=tenacity.retry_if_exception_type(KeyError),
        wait=tenacity.wait_none(), sleep=lambda s: None, reraise=True)


def _flaky():
    state = {"failed": False}

    def call():
        if not state["failed"]:
            state["failed"] = True
            raise KeyError("once")
        state["failed"] = False
        return 1
    return call


def _us(stmt, calls):
    return min(timeit.repeat(stmt, number=calls, repeat=5)) / calls * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50000)
    args = parser.parse_args(argv)
    ours, theirs = _ours(), _tenacity()

    def plain():
        return 1

    bare = _us(plain, args.calls)
    mine = _us(lambda: ours(plain), args.calls)
    ten = _us(lambda: theirs(plain), args.calls)
    print("first try succeeds: bare %.2f us, backoff.Retrying %.2f us, "
          "tenacity.Retrying %.2f us (tenacity / ours = %.1fx)"
          % (bare, mine, ten, ten / mine))
    flaky_ours, flaky_theirs = _flaky(), _flaky()
    mine = _us(lambda: ours(flaky_ours), args.calls // 5)
    ten = _us(lambda: theirs(flaky_theirs), args.calls // 5)
    print("one retry: backoff.Retrying %.2f us, tenacity.Retrying %.2f us "
          "(tenacity / ours = %.1fx)" % (mine, ten, ten / mine))


if __name__ == "__main__":
    main()
