"""A local PowerVM REST emulator for tests, demos and benchmarks.

It is a real HTTP(S) server on a loopback address that speaks the
PowerVM REST protocol for ``ManagedSystem``, ``LogicalPartition`` and
``VirtualIOServer``, ROOT (``/rest/api/uom/LogicalPartition``) and CHILD
(``/rest/api/uom/ManagedSystem/<uuid>/LogicalPartition``): logon/logoff
with ``X-API-Session`` tokens (401 without a valid one), Atom feeds and
entries with ETags (a per-entry ``<etag:etag>`` inside feeds),
``If-None-Match`` -> 304, ``If-Match`` -> 412 with an ``HttpErrorResponse``
body, POST stores the object and bumps its etag, PUT creates, DELETE
deletes, and an empty feed is answered 204.  Everything lives in memory.

Server choice
-------------
The standard library's :class:`http.server.ThreadingHTTPServer` speaking
HTTP/1.1 with keep-alive: no dependency beyond Python, a real socket
server (so the client's connection pooling, timeouts and TLS are
exercised for real), and one thread per connection, which suits clients
that hold a handful of pooled keep-alive connections (a FeedTask holds
``max_workers`` of them).  Two details make it fast enough to benchmark a
client against: every response goes out in a single ``sendall`` (status
line, headers and body together) and ``TCP_NODELAY`` is set, so a
keep-alive client never waits ~40 ms on a delayed ACK; and objects are
kept as their serialised bytes, so a feed GET only concatenates bytes
(and an LPAR costs about 11 KB of memory: 10,000 of them fit in about
150 MB).

Extended attribute groups
-------------------------
Properties that carry a ``group`` attribute (a VIOS's
``VirtualSCSIMappings``: ViosSCSIMapping, ``VirtualFibreChannelMappings``:
ViosFCMapping, ``MediaRepositories``: ViosStorage) are only served when
the request's ``group=`` names their group or ``All``; with no ``group=``
at all everything is served (the server default).  The etag covers the
representation: it differs between group selections that render
differently, and a POST is checked against the etag of its own group
selection.  A POST leaves the properties of groups it did not ask for as
they were.

New VIOS mappings
-----------------
A VIOS POSTed with a mapping that asks for a new adapter pair
(``UseNextAvailableSlotID``) is stored as the server would complete it:
free slots, a new ``vhostN`` / ``vfchostN`` name, both partitions' ids on
both ends (and generated client WWPNs for Fibre Channel); served storage
without a target device gets a ``vtscsiN`` one.  A new mapping naming an
LPAR that does not exist is answered 400.

Controls
--------
From Python, on the :class:`Emulator` object: :meth:`~Emulator.seed`,
:meth:`~Emulator.change` (out-of-band change: bump an etag, optionally set
a property), :attr:`~Emulator.latency` (the least time between a REST
request and its answer: the emulator's own processing happens within it,
so a client sees the latency it asked for, not latency plus emulator
overhead), :meth:`~Emulator.inject_fault`
(status, dropped connection, slow response; at a rate, seeded,
optionally only for some methods / object types), :meth:`~Emulator.expire_sessions`,
:meth:`~Emulator.counters`, :meth:`~Emulator.updates` (POSTs stored per
object).  Over HTTP, without a session token, under
``/emulator/`` (JSON in and out; :class:`EmulatorControl` is a client)::

    GET    /emulator/counters              counters (see Emulator.counters)
    POST   /emulator/counters/reset        (the updates too)
    GET    /emulator/updates               {uuid: POSTs stored on it}
    POST   /emulator/seed                  {"lpars": N, "vioses": M, "seed": S}
    GET    /emulator/entries?type=T        [{"uuid", "type", "name", "version", "etag"}]
    GET    /emulator/entries/<uuid>?path=P {"uuid", ..., "value": text of P}
    POST   /emulator/change                {"uuid", "path": P, "value": V}
    POST   /emulator/latency               {"seconds": 0.01}
    POST   /emulator/faults                {"kind", "status", "rate", "count",
                                            "methods", "types", "delay", "seed"}
    DELETE /emulator/faults
    POST   /emulator/expire-sessions       {"after": N}

Request bodies are read by ``Content-Length``; a request with a
``Transfer-Encoding`` (a chunked body) is answered ``411 Length
Required`` and its connection closed, on either path.  Real support was
not worth it: no client of the library sends a chunked body.

Layout
------
One concern per module: :mod:`~.common` (limits, defaults, the error),
:mod:`~.markup`, :mod:`~.objects` and :mod:`~.mappings` (the XML of the
generated objects), :mod:`~.store` (the in-memory model),
:mod:`~.provision` (what the server fills in for new VIOS mappings),
:mod:`~.faults`, :mod:`~.ledger` (sessions, counters, connections),
:mod:`~.routes` (the route table), :mod:`~.replies`, :mod:`~.rest` (the
REST resources), :mod:`~.control` (the control API and its client),
:mod:`~.server` (the HTTP server), :mod:`~.facade` (:class:`Emulator`)
and :mod:`~.cli` (the command line).

Starting it
-----------
``with Emulator(lpars=10, vioses=2) as url: ...`` starts it in a thread
on ``127.0.0.1`` with an ephemeral port and stops it (closing every
connection and joining every thread) on exit; :meth:`Emulator.session`
gives a logged-on :class:`~pypvm_tx.adapter.Session`.  From a shell::

    python -m pypvm_tx.testing.emulator --port 12080 --lpars 10 --vioses 2

The default credentials are user ``hscroot``, password ``abc123`` (those
of a factory-fresh HMC); ``--user``/``--password`` change them.  It
refuses to bind to anything but a loopback address, and generates at most
:data:`MAX_LPARS` LPARs and :data:`MAX_VIOSES` VIOSes.  Bad arguments are
refused by the constructor; :meth:`Emulator.stop` returns at once, also
after a failed or interrupted :meth:`Emulator.start`.
"""

from pypvm_tx.testing.emulator.cli import (BoundedArg, build_parser,
                                           exit_quietly_on_broken_pipe, main,
                                           options_parser, serve)
from pypvm_tx.testing.emulator.common import (CONTROL_PREFIX,
                                              DEFAULT_PASSWORD, DEFAULT_USER,
                                              EXIT_BROKEN_PIPE, MAX_LPARS,
                                              MAX_PORT, MAX_VIOSES,
                                              EmulatorError)
from pypvm_tx.testing.emulator.control import EmulatorControl
from pypvm_tx.testing.emulator.facade import Emulator

__all__ = [
    "BoundedArg", "CONTROL_PREFIX", "DEFAULT_PASSWORD", "DEFAULT_USER",
    "EXIT_BROKEN_PIPE", "Emulator", "EmulatorControl", "EmulatorError",
    "MAX_LPARS", "MAX_PORT", "MAX_VIOSES", "build_parser",
    "exit_quietly_on_broken_pipe", "main", "options_parser", "serve",
]
