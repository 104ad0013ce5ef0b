"""Per-UUID locks for entry transactions.

Two pieces live here:

* The **held record**: which entry UUIDs the current thread holds (or
  has inherited from the thread that submitted its work).  A
  nested transaction on a UUID in the record runs without locking again,
  which is what makes :func:`~pypvm_tx.transaction.entry_transaction`
  re-entrant.
* **Lock providers**: where the lock itself comes from.
  :class:`InProcessLockProvider` (the default) serialises threads of this
  process; :class:`FileLockProvider` also serialises processes on one
  host, and :class:`ToozLockProvider` agents on several hosts.  Another
  provider plugs in the same way: subclass :class:`LockProvider` and
  implement ``_acquire`` and ``_release``.

Correctness never depends on these locks: the etag check on every POST
is what prevents lost updates.  The lock only keeps agents from wasting
work on retries.

Lock names are the UUID lower-cased behind a private prefix
(:data:`LOCK_PREFIX`), kept in containers private to each provider, so
they never collide with other users of oslo.concurrency.  Lock objects
live only while someone holds or waits for them: the providers keep no
table that grows with the number of distinct UUIDs ever locked.

Modules: :mod:`~pypvm_tx.locks.held` (the held record and ``hold``),
:mod:`~pypvm_tx.locks.providers` (the provider base, the in-process and
file providers, the process-wide default) and :mod:`~pypvm_tx.locks.tooz`
(``ToozLockProvider``).  Every public name is importable from here.
"""

from pypvm_tx.locks.held import held_uuids, hold, inherited, is_held
from pypvm_tx.locks.providers import (
                                      LOCK_PREFIX,
                                      FileLockProvider,
                                      InProcessLockProvider,
                                      LockError,
                                      LockProvider,
                                      LockTimeout,
                                      check_provider,
                                      get_default_provider,
                                      lock_key,
                                      set_default_provider,
)
from pypvm_tx.locks.tooz import ToozLockProvider, url_without_credentials

__all__ = [
    "LOCK_PREFIX", "FileLockProvider", "InProcessLockProvider", "LockError",
    "LockProvider", "LockTimeout", "ToozLockProvider", "check_provider",
    "get_default_provider", "held_uuids", "hold", "inherited", "is_held",
    "lock_key", "set_default_provider", "url_without_credentials",
]
