"""The tries of one request of a Session, on the one retry loop.

An idempotent request (GET) is tried again after a connection error, a
502/503/504 answer, or a session that expired again after a re-logon;
other requests never are, and a malformed reply never is.  A 401 on a
request made with a token is answered by one re-logon (shared by all
threads) and a resend that uses no try.  The deadline of
:func:`pypvm_tx.backoff.deadline_scope` is one more stop condition.
"""

from typing import Any, Dict, Optional, TYPE_CHECKING

from oslo_log import log as logging

from pypvm_tx import backoff
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter.response import Response
from pypvm_tx.i18n import _

if TYPE_CHECKING:  # (the Session imports this module)
    from pypvm_tx.adapter.session import Session

LOG = logging.getLogger(__name__)

_IDEMPOTENT = frozenset({"GET", "HEAD"})


def default_retry_delay(attempt: int) -> float:
    """Backoff before retry ``attempt`` (1-based) of an idempotent request:
    0.1 s, 0.2 s, 0.4 s ... capped at 2 s."""
    return min(0.1 * (2 ** (attempt - 1)), 2.0)


class RequestTries(backoff.Retrying):
    """The tries of one :meth:`Session.request
    <pypvm_tx.adapter.session.Session.request>`, on the one retry loop:
    retries of an idempotent request, re-logons after 401, and when to
    give up.  Its policies are its methods: one object per request."""

    _checks_results = False  # a response that came back is never retried
    _past_deadline = backoff.stop_at_deadline()

    def __init__(self, session: "Session", method: str, path: str,
                 body: Optional[bytes], headers: Optional[Dict[str, str]],
                 timeout: Optional[float], adapter: Any, relogon: bool):
        self.session = session
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers
        self.timeout = timeout
        self.adapter = adapter
        self.idempotent = method in _IDEMPOTENT
        self.tries = 1 + session.get_retries if self.idempotent else 1
        self.relogon = relogon
        self.free_relogon = relogon  # the first re-logon uses no try
        self.tried = 0
        #: The 401 of a session that expired again after a re-logon: the
        #: session is renewed, so an idempotent request tries again.
        self.expired_again: Optional[pvmex.HttpError] = None

    def run(self) -> Response:
        return self(self._try_once)

    def _try_once(self) -> Response:
        """One try; a first 401 is answered by a re-logon and a resend
        within it."""
        self.tried += 1
        while True:
            headers = self.session._headers
            resp = self.session._send_once(
                self.method, self.path, self.body, self.headers, headers,
                self.timeout, adapter=self.adapter)
            status = resp.status
            if c.HTTP_OK <= status < 300 or status == c.HTTP_NOT_MODIFIED:
                return resp
            error = _status_error(resp)
            if status == c.HTTP_UNAUTHORIZED and self.relogon and (
                    self.free_relogon or self.tried < self.tries):
                self.session._relogon(headers.get(c.SESSION_HEADER))
                if self.free_relogon:
                    self.free_relogon = False
                    continue
                self.expired_again = error
            raise error

    def stop(self, state: backoff.RetryState) -> bool:
        return state.attempt >= self.tries or self._past_deadline(state)

    def retry(self, state: backoff.RetryState) -> bool:
        exc = state.exception
        if not self.idempotent:
            return False
        if isinstance(exc, pvmex.HttpError):
            return exc is self.expired_again or \
                exc.response.status in c.TRANSIENT_HTTP_STATUSES
        return isinstance(exc, pvmex.ConnectionError) and \
            not isinstance(exc, pvmex.ProtocolError)

    def wait(self, state: backoff.RetryState) -> float:
        delay = self.session.retry_delay
        return delay(state.attempt) if delay else 0.0

    def before_sleep(self, state: backoff.RetryState,
                     seconds: float) -> None:
        LOG.warning("%(m)s %(p)s: %(cause)s (try %(t)d of %(n)d); "
                    "retrying.", {"m": self.method,
                                  "p": pvmex.printable(self.path),
                                  "cause": pvmex.printable(state.exception),
                                  "t": state.attempt, "n": self.tries})


def _status_error(resp: Response) -> pvmex.HttpError:
    """The error for a final status that is neither 2xx nor 304."""
    if resp.status >= c.HTTP_BAD_REQUEST:
        return pvmex.http_error_for(resp)
    location = resp.headers.get("Location")
    return pvmex.HttpError(resp, msg=_(
        "%(m)s %(p)s answered HTTP %(s)d (%(r)s)%(loc)s: only 2xx and 304 "
        "are accepted; redirects are not followed.") % {
            "m": resp.reqmethod, "p": pvmex.printable(resp.reqpath),
            "s": resp.status, "r": pvmex.printable(resp.reason or ""),
            "loc": (" to %s" % pvmex.printable(location)) if location
            else ""})
