"""What a FeedTask checks when it is built: its feed (a FeedGetter or a
list of wrappers) and its options, so a FeedTask that cannot run is
refused before anything is fetched.

The options of a recorded run and of a distributed one are checked by
:mod:`~pypvm_tx.transaction.run_record` and
:mod:`~pypvm_tx.transaction.remote`; this module calls them in order.
"""

from typing import Any, Callable, List, NamedTuple, Optional, cast

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _
from pypvm_tx.transaction import remote
from pypvm_tx.transaction.protocols import (FeedGetterLike, is_feed_getter,
                                            is_wrapper, type_name)
from pypvm_tx.transaction.run_record import Persistence, check_run


class FeedSource(NamedTuple):
    """Where a FeedTask's entries come from: a getter (fetched when first
    needed) or a list given up front; exactly one is set."""

    getter: Optional[FeedGetterLike]
    feed: Optional[List[Any]]


def checked_feed_list(name: str, feed: Any) -> List[Any]:
    """``feed`` as a list of EntryWrappers.

    :raises FeedTaskEmptyFeed: an empty list.
    :raises ValueError: not a list, or an item is not an EntryWrapper.
    """
    if not isinstance(feed, list):
        raise ValueError(_("FeedTask %(name)s needs a FeedGetter or a non-empty "
                           "list of EntryWrappers; got "
                           "%(type)s.") % {"name": name,
                                           "type": type_name(feed)})
    if not feed:
        raise pvmex.FeedTaskEmptyFeed()
    for index, item in enumerate(feed):
        if not is_wrapper(item):
            raise ValueError(_(
                "FeedTask %(name)s: a feed list must hold only EntryWrappers "
                "(uuid, etag, update(), refresh()); item %(index)d is a "
                "%(type)s.") % {"name": name, "index": index,
                                "type": type_name(item)})
    return list(feed)


def feed_source(name: str, feed_or_getter: Any) -> FeedSource:
    """The getter, or the checked list, ``feed_or_getter`` is."""
    if is_feed_getter(feed_or_getter):
        return FeedSource(cast(FeedGetterLike, feed_or_getter), None)
    return FeedSource(None, checked_feed_list(name, feed_or_getter))


def check_failure_mode(name: str, fail_fast: bool,
                       continue_on_error: bool) -> None:
    """:raises ValueError: both ``fail_fast`` and ``continue_on_error``."""
    if fail_fast and continue_on_error:
        raise ValueError(_(
            "FeedTask %s: fail_fast (stop at the first failure) and "
            "continue_on_error (run every entry) contradict each other; "
            "choose one.") % name)


def check_workers(name: str, max_workers: Any,
                  progress: Optional[Callable]) -> None:
    """:raises ValueError: ``max_workers`` is not a positive integer.
    :raises TypeError: ``progress`` is neither callable nor None."""
    if (isinstance(max_workers, bool) or not isinstance(max_workers, int)
            or max_workers < 1):
        raise ValueError(_("FeedTask %(name)s: max_workers must be an "
                           "integer of at least 1; got %(value)r.") % {
            "name": name, "value": max_workers})
    if progress is not None and not callable(progress):
        raise TypeError(_("FeedTask %(name)s: progress must be callable "
                          "as progress(outcome, done, total), or None; "
                          "got %(value)r.") % {"name": name,
                                               "value": progress})


def checked_run_id(name: str, persistence: Persistence,
                   run_id: Optional[str], jobboard: Any, chunk_size: Any,
                   max_inflight: Any) -> Optional[str]:
    """The run id a FeedTask records its run under (with a jobboard, a
    new one when none is given), once the recording and distribution
    options are checked (see
    :func:`~pypvm_tx.transaction.remote.check_options` and
    :func:`~pypvm_tx.transaction.run_record.check_run`).
    """
    if jobboard is not None:
        run_id = remote.check_options(name, jobboard, persistence, run_id,
                                      chunk_size, max_inflight)
    check_run(name, persistence, run_id)
    return run_id
