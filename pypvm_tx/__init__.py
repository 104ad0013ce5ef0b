"""pypvm_tx: transactional updates of PowerVM REST objects.

The four building blocks are re-exported here so that
``from pypvm_tx import FeedTask`` works.  They are loaded lazily: importing
the package (for example just to read ``__version__``) does not pull in
TaskFlow.
"""

__version__ = "0.1.0"

_REEXPORTS = ("entry_transaction", "Subtask", "WrapperTask", "FeedTask")

__all__ = ["__version__", *_REEXPORTS]


def __getattr__(name):
    if name in _REEXPORTS:
        from pypvm_tx import transaction

        return getattr(transaction, name)
    raise AttributeError(f"module 'pypvm_tx' has no attribute {name!r}")
