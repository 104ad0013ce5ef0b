"""The REST layer: the HTTP ``Session`` and the ``Adapter``, Atom
responses, and the hardened XML parser.

This is the bottom layer of pypvm_tx above the base modules (exceptions,
constants, messages, the retry loop).  It knows HTTP and Atom; it knows
nothing of LPARs, VIOSes or transactions.  One module per concern:

==============  ==========================================================
``xml``         the hardened XML parser every body goes through
``atom``        Atom feeds and entries, read from the parsed body
``response``    one HTTP response, its Atom body parsed lazily
``paths``       REST paths, the ``group=`` query, the request-target and
                header checks
``watchdog``    the whole-exchange time bound of the urllib3 transport
``transport``   the ``Transport`` interface, the urllib3 transport, and
                the one map of transport errors
``tries``       the retries and re-logons of one request
``session``     ``Session``: logon, re-logon, event hooks, requests
``operations``  ``Adapter``: read, create, update, delete; checks run
                before writes (``checked_writes``)
==============  ==========================================================

Every public name is importable from here (``adapter.Session``,
``adapter.Adapter``, ``adapter.Response``, ``adapter.parse_xml`` ...),
and ``pypvm_tx.adapter.Adapter`` is the place to patch the Adapter.
"""

from pypvm_tx.adapter.atom import AtomBody, Entry, Feed, parse_atom
from pypvm_tx.adapter.operations import (Adapter, Helper, Helpers,
                                         checked_writes)
from pypvm_tx.adapter.paths import build_path, with_group, xag_query
from pypvm_tx.adapter.response import Response
from pypvm_tx.adapter.session import CONN_RETRY_DELAY, Session
from pypvm_tx.adapter.transport import (MAX_BODY_BYTES, RawResponse,
                                        Transport, Urllib3Transport,
                                        map_error)
from pypvm_tx.adapter.tries import default_retry_delay
from pypvm_tx.adapter.xml import MAX_XML_BYTES, parse_xml

__all__ = [
    "Adapter", "AtomBody", "CONN_RETRY_DELAY", "Entry", "Feed", "Helper",
    "Helpers", "MAX_BODY_BYTES",
    "MAX_XML_BYTES", "RawResponse", "Response", "Session", "Transport",
    "Urllib3Transport", "build_path", "checked_writes",
    "default_retry_delay", "map_error",
    "parse_atom", "parse_xml", "with_group", "xag_query",
]
