"""What the transaction layer asks of the objects it is given.

Transactions run on anything that behaves like a wrapper or a getter, not
only on this library's classes, so code written against pypowervm can move
its transaction layer first and its wrappers later:

* a *wrapper* has ``uuid`` and ``etag`` and can ``update()`` and
  ``refresh()`` itself;
* a *getter* is not a wrapper, has a ``uuid`` and fetches its wrapper with
  ``get()``;
* a *feed getter* is not a wrapper, a list or a mapping, has no UUID of
  its own (none, or ``None``, as pypowervm's), and fetches a list of
  wrappers with ``get()``.

A wrapper class usually also has a ``get`` (a class method that reads one
from the server), which is why the wrapper test comes first.
"""

from collections.abc import Mapping
from typing import Any, List, Optional, Protocol, runtime_checkable


@runtime_checkable
class WrapperLike(Protocol):
    """An object of the REST API that can send and re-read itself."""

    @property
    def uuid(self) -> Optional[str]:
        ...

    @property
    def etag(self) -> Optional[str]:
        ...

    def update(self, *args: Any, **kwargs: Any) -> Any:
        ...

    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        ...


@runtime_checkable
class GetterLike(Protocol):
    """A deferred GET of one object, keyed by its UUID."""

    @property
    def uuid(self) -> Optional[str]:
        ...

    def get(self, *args: Any, **kwargs: Any) -> Any:
        ...


class FeedGetterLike(Protocol):
    """A deferred GET of a list of objects."""

    def get(self, *args: Any, **kwargs: Any) -> List[Any]:
        ...


def _callable_attr(obj: Any, name: str) -> bool:
    return callable(getattr(obj, name, None))


def is_wrapper(obj: Any) -> bool:
    """Whether ``obj`` has the wrapper protocol (``uuid``, ``etag``,
    ``update()``, ``refresh()``)."""
    return (hasattr(obj, "uuid") and hasattr(obj, "etag")
            and _callable_attr(obj, "update")
            and _callable_attr(obj, "refresh"))


def is_getter(obj: Any) -> bool:
    """Whether ``obj`` is a getter of one object (``get()`` and ``uuid``)
    rather than a wrapper."""
    return (not is_wrapper(obj) and _callable_attr(obj, "get")
            and hasattr(obj, "uuid"))


def is_feed_getter(obj: Any) -> bool:
    """Whether ``obj`` is a getter of a feed (``get()``, no UUID, and not a
    wrapper, a list or a mapping)."""
    return (not isinstance(obj, (list, tuple, Mapping))
            and not is_wrapper(obj) and _callable_attr(obj, "get")
            and not getattr(obj, "uuid", None))


def type_name(obj: Any) -> str:
    """``module.Class`` of ``obj``: unambiguous when two packages use one
    class name."""
    cls = type(obj)
    return "%s.%s" % (cls.__module__, cls.__qualname__)
