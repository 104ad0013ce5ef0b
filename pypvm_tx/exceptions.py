"""The exceptions pypvm_tx raises.

Every message is built through :func:`pypvm_tx.i18n._` and never contains
credentials: a response's request headers and request body are kept on
the exception for debugging but are not part of its text.
"""

import builtins
import re
import urllib.parse
from typing import Any, Dict, Optional

from pypvm_tx import const as c
from pypvm_tx.i18n import _

#: Characters that could end or forge a log line: C0 and C1 controls, DEL,
#: and the Unicode line and paragraph separators.
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: object) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``...), so
    a string from a server or a path is one line in a message or a log."""
    text = str(text)
    if not _UNPRINTABLE_RE.search(text):
        return text
    return _UNPRINTABLE_RE.sub(
        lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def url_without_credentials(url: str) -> str:
    """``url`` as it may be shown: no user, password or query string.

    ``redis://:secret@host:6379?sentinel_password=x`` becomes
    ``redis://host:6379`` (a query string may carry passwords too).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = "%s:%d" % (host, parts.port)
    except ValueError:  # a malformed port: show the scheme only
        return "%s://..." % url.split(":", 1)[0]
    return "%s://%s%s" % (parts.scheme, host, parts.path)


class Error(Exception):
    """Base of every pypvm_tx error; ``response`` is the REST response if any."""

    msg_fmt = _("An unexpected pypvm_tx error occurred.")

    def __init__(self, msg: Optional[str] = None, response: Any = None,
                 **kwargs: Any):
        self.response = response
        if msg is None:
            msg = self.msg_fmt % kwargs if kwargs else self.msg_fmt
        super().__init__(msg)


class ConnectionError(Error):  # noqa: A001 - same name as the peer's
    """The server could not be reached or dropped the connection.

    ``request_sent`` is True when the request may have reached the server
    before the failure (the reply was lost): a POST may then have been
    applied.  It is False when no connection could be made.
    """

    request_sent = False


class ProtocolError(ConnectionError):
    """The server's reply broke HTTP or the size limits: a malformed status
    line or header, bad framing, an oversized or undecodable body.

    Not retried, even for a GET: asking again gets the same broken answer.
    """


class SSLError(Error):
    """The TLS handshake failed, usually a certificate that did not verify."""


class TimeoutError(Error):  # noqa: A001 - same name as the peer's
    """The server did not answer within the request's timeout.

    ``request_sent`` as for :class:`ConnectionError`.
    """

    request_sent = False


class DeadlineExceeded(TimeoutError, builtins.TimeoutError):
    """A transaction ran out of the time its ``deadline`` allowed.

    Raised instead of reporting success for work that ended after the
    deadline.  ``uuid``, ``tries`` and ``deadline`` name the entry, the
    calls made and the bound in seconds (None where the raiser did not
    know them, e.g. a REST call refused because no time was left).
    """

    def __init__(self, msg: Optional[str] = None, uuid: Optional[str] = None,
                 tries: Optional[int] = None,
                 deadline: Optional[float] = None, response: Any = None):
        self.uuid = uuid
        self.tries = tries
        self.deadline = deadline
        if msg is None:
            msg = _("Entry transaction on %(uuid)s ran out of its deadline of "
                    "%(deadline)s s after %(tries)s tries.") % {
                "uuid": uuid, "deadline": deadline, "tries": tries}
        super().__init__(msg, response=response)


class LockError(Error):
    """A lock could not be taken or kept (e.g. its backend is unreachable)."""


class LockLost(LockError):
    """A lock held for a transaction was found lost before its write.

    Raised before the write is sent, so nothing was changed; the
    transaction takes the lock again and redrives from a fresh read.
    """

    msg_fmt = _("The lock on entry %(uuid)s was lost before a write; the "
                "write was not sent.")

    def __init__(self, uuid: str):
        self.uuid = uuid
        super().__init__(uuid=uuid)


class LockTimeout(LockError):
    """A lock was not obtained within the time allowed (a deadline)."""

    msg_fmt = _("Timed out after %(timeout).3f s waiting for the lock on "
                "entry %(uuid)s.")

    def __init__(self, uuid: str, timeout: Optional[float]):
        self.uuid = uuid
        self.timeout = timeout
        super().__init__(uuid=uuid, timeout=timeout)


class AtomError(Error):
    """A response body was not the well-formed Atom XML expected."""


class HttpError(Error):
    """The server answered with a status of 400 or more.

    ``response`` has ``status``, ``reason``, ``reqmethod``, ``reqpath`` and
    ``body``; the message names the method, path, status and, when the
    server sent an ``HttpErrorResponse``, its ``Message``.
    """

    def __init__(self, response: Any, msg: Optional[str] = None):
        if msg is None:
            server_msg = getattr(response, "server_message", None)
            msg = _("HTTP error %(status)s (%(reason)s) for %(method)s "
                    "%(path)s: %(server_msg)s") % {
                "status": response.status,
                "reason": printable(response.reason),
                "method": response.reqmethod,
                "path": printable(response.reqpath),
                "server_msg": printable(server_msg) if server_msg
                else _("no message from the server"),
            }
        super().__init__(msg, response=response)


class HttpNotFound(HttpError):
    """HTTP 404: the object does not exist (any more)."""


class HttpUnauth(HttpError):
    """HTTP 401: not logged on, the session expired, or bad credentials."""


#: The HttpError subclass raised for a given status.
HTTP_ERROR_BY_STATUS = {c.HTTP_NOT_FOUND: HttpNotFound,
                        c.HTTP_UNAUTHORIZED: HttpUnauth}


def http_error_for(response: Any) -> "HttpError":
    """Build the :class:`HttpError` (or subclass) that fits ``response``."""
    return HTTP_ERROR_BY_STATUS.get(response.status, HttpError)(response)


class WrapperTaskNoSubtasks(Error):
    """A WrapperTask was executed with no Subtasks and ``allow_empty=False``."""

    msg_fmt = _("WrapperTask %(name)s has no Subtasks to execute; add one "
                "or create it with allow_empty=True.")

    def __init__(self, name: Optional[str] = None):
        super().__init__(name=name)


class FeedTaskEmptyFeed(Error):
    """A FeedTask was given (or its getter returned) a feed with no entries."""

    msg_fmt = _("FeedTask cannot operate on an empty feed.")

    def __init__(self, msg: Optional[str] = None, **kwargs: Any):
        super().__init__(msg, **kwargs)


class NotEnoughActiveVioses(Error):
    """Fewer Virtual I/O Servers are active (running, with an active or
    busy RMC connection) than an operation needs: ``exp`` wanted,
    ``act`` found."""

    msg_fmt = _("There are not enough active Virtual I/O Servers: "
                "%(exp)d needed, %(act)d found.")

    def __init__(self, exp: int, act: int):
        self.exp = exp
        self.act = act
        super().__init__(exp=exp, act=act)


class UnableToDerivePhysicalPortForNPIV(Error):
    """No physical Fibre Channel port with the WWPN a port map names is
    on the VIOS a VFC mapping was to be added to."""

    msg_fmt = _("No physical Fibre Channel port with WWPN %(wwpn)s is on "
                "the Virtual I/O Server %(vio_uri)s.")

    def __init__(self, wwpn: str, vio_uri: Optional[str]):
        self.wwpn = wwpn
        self.vio_uri = vio_uri
        super().__init__(wwpn=printable(wwpn), vio_uri=printable(vio_uri))


class MultipleExceptionsInFeedTask(Error):
    """More than one entry of a FeedTask failed.

    ``wrapped_failure`` is a TaskFlow ``WrappedFailure`` holding one
    ``Failure`` per failed entry; ``outcomes`` (set by the FeedTask) maps
    every entry's UUID to its ``EntryOutcome``.

    The message names the FeedTask, then gives each failure's own message
    on a line of its own (its line breaks and runs of blanks folded into
    single spaces),
    because callers such as Nova keep only ``str(exc)``; after
    :attr:`MAX_LISTED` failures it says how many more there are.
    """

    msg_fmt = _("FeedTask %(ft_name)s experienced multiple exceptions:")

    #: The most failures whose messages are listed in the message.
    MAX_LISTED = 20

    def __init__(self, ft_name: str, wrapped_failure: Any,
                 outcomes: Optional[Dict[str, Any]] = None):
        self.ft_name = ft_name
        self.wrapped_failure = wrapped_failure
        self.outcomes = outcomes
        super().__init__(self._message(ft_name, wrapped_failure))

    @classmethod
    def _message(cls, ft_name, wrapped_failure) -> str:
        messages = [_one_line(failure) for failure in wrapped_failure or ()]
        lines = [cls.msg_fmt % {"ft_name": ft_name}]
        lines.extend("\t" + text for text in messages[:cls.MAX_LISTED])
        if len(messages) > cls.MAX_LISTED:
            lines.append("\t" + _("... and %d more, all in wrapped_failure.")
                         % (len(messages) - cls.MAX_LISTED))
        return "\n".join(lines)


def _one_line(failure) -> str:
    """A failure's own message on one line (its type name if empty).

    ``failure`` is a TaskFlow ``Failure`` or, from other code, an exception.
    """
    text = getattr(failure, "exception_str", None)
    if text is None:
        text = str(failure)
    text = " ".join(text.split())
    if text:
        return text
    exc = getattr(failure, "exception", failure)
    return type(exc).__name__ if exc is not None else _("(no message)")


class RecordedError(Error):
    """The failure of an entry in an earlier execution of a resumable
    FeedTask, known only by the text that execution recorded
    (``'<exception type>: <message>'``)."""
