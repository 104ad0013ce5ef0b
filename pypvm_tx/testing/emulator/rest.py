"""The REST resources: logon/logoff and the UOM feeds and entries.

Two route tables: :data:`REST_ROUTES` on the whole path (logon, then
everything under ``/rest/api/uom/``, which needs a valid session token),
and :data:`UOM_ROUTES` on the path below ``/rest/api/uom/``.  A UOM
path's objects (the parent ManagedSystem of a CHILD path, the entry) are
looked up before its method is: a missing object is 404 whatever the
method, a method the resource does not take is 405.
"""

import re
from typing import Dict, Optional
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.testing.emulator.common import (PARTITION_TYPES, TYPES, UOM,
                                              WEB, EmulatorError, now_iso,
                                              signed_crc)
from pypvm_tx.testing.emulator import provision
from pypvm_tx.testing.emulator.markup import K2_NS
from pypvm_tx.testing.emulator.replies import (ATOM_OPEN, AUTHOR, ETAG_ELEM,
                                               Reply, error_reply)
from pypvm_tx.testing.emulator.routes import ANY_METHOD, RouteTable
from pypvm_tx.testing.emulator.store import StoredObject, parse_groups

UOM_PREFIX = c.API_BASE_PATH + c.SERVICE_UOM + "/"


class RestRequest:
    """One REST request, as the resource handlers see it."""

    def __init__(self, emulator, headers, method: str, path: str,
                 query: str, body: bytes):
        self.emulator = emulator
        self.store = emulator._store
        self.headers = headers
        self.method = method
        self.path = path.rstrip("/")
        self.query = query
        self.body = body
        group = parse_qs(query, keep_blank_values=True).get("group")
        self.requested = parse_groups(",".join(group) if group else None)
        host = headers.get("Host")
        self.base = ("%s://%s" % (emulator.protocol, host) if host
                     else emulator.url)
        self.schema_type = ""
        self.parent: Optional[str] = None
        self.obj: Optional[StoredObject] = None

    @property
    def entry(self) -> StoredObject:
        """The object an entry path names.  _resolve sets it for every
        entry route (or raises 404), so None here is a routing bug."""
        if self.obj is None:
            raise self.not_found()
        return self.obj

    def not_found(self) -> EmulatorError:
        return EmulatorError(404, "No such resource: %s." % self.path,
                             "Not Found")


def answer(emulator, headers, method: str, target: str,
           body: bytes) -> Reply:
    """The reply to a REST request (``target``: path and query)."""
    path, _sep, query = target.partition("?")
    request = RestRequest(emulator, headers, method, path, query, body)
    try:
        found = REST_ROUTES.match(method, path)
        if found is None:
            raise EmulatorError(404, "No such resource: %s." % path,
                                "Not Found")
        if found.handler is None:  # each REST path has a catch-all today
            raise EmulatorError(405, "%s is not allowed on %s." % (
                method, path), "Method Not Allowed")
        return found.handler(request)
    except EmulatorError as err:
        return error_reply(err.status, method, target, err.message,
                           err.reason_code)


# ---------------------------------------------------------------------------
# Logon
# ---------------------------------------------------------------------------

def _token(request: RestRequest) -> Optional[str]:
    """The request's session token, if it is a valid one."""
    token = request.headers.get(c.SESSION_HEADER)
    if token and request.emulator._sessions.valid(token):
        return token
    return None


def logoff(request: RestRequest) -> Reply:
    token = _token(request)
    if token is None:
        raise EmulatorError(401, "Not logged on.", "Unauthorized")
    request.emulator._sessions.logoff(token)
    return Reply(204)


def logon_not_allowed(request: RestRequest) -> Reply:
    raise EmulatorError(405, "Use PUT to log on and DELETE to log off.",
                        "Method Not Allowed")


def logon(request: RestRequest) -> Reply:
    try:
        root = pvm_adapter.parse_xml(request.body, what="the LogonRequest")
    except (pvmex.AtomError, TypeError) as exc:
        raise EmulatorError(400, "The LogonRequest is not valid XML: "
                            "%s" % exc, "Bad Request") from None
    if root.tag != WEB + "LogonRequest":
        raise EmulatorError(400, "Expected a LogonRequest in namespace "
                            "%s." % c.WEB_NS, "Bad Request")
    token = request.emulator._sessions.logon(
        root.findtext(WEB + "UserID") or "",
        root.findtext(WEB + "Password") or "")
    if token is None:
        raise EmulatorError(401, "Logon failed: wrong user ID or "
                            "password.", "Unauthorized")
    payload = (
        '<LogonResponse xmlns="%s" xmlns:ns2="%s" schemaVersion="V1_0">'
        '\n    <Metadata>\n        <Atom/>\n    </Metadata>\n'
        '    <X-API-Session kb="ROR" kxe="false">%s</X-API-Session>\n'
        '</LogonResponse>' % (c.WEB_NS, K2_NS, token)).encode()
    return Reply(200, payload, {c.CONTENT_TYPE: c.LOGON_RESPONSE_TYPE})


# ---------------------------------------------------------------------------
# UOM resources
# ---------------------------------------------------------------------------

def uom(request: RestRequest) -> Reply:
    """Any request under ``/rest/api/uom/``: check the token, route it."""
    if _token(request) is None:
        raise EmulatorError(401, "The request has no valid X-API-Session "
                            "token; log on first.", "Unauthorized")
    parts = [p for p in request.path[len(UOM_PREFIX):].split("/") if p]
    found = UOM_ROUTES.match(request.method, "/".join(parts))
    if found is None:
        if not parts or parts[0] not in TYPES:
            raise EmulatorError(404, "Unknown object type in %s; the "
                                "emulator serves %s." % (
                                    request.path, ", ".join(TYPES)),
                                "Not Found")
        raise request.not_found()
    with request.store.lock:
        _resolve(request, found.params)
        if found.handler is None:
            raise EmulatorError(405, "%s is not allowed on %s." % (
                request.method, request.path), "Method Not Allowed")
        return found.handler(request)


def _resolve(request: RestRequest, params: Dict[str, str]):
    """Look up the objects the path names (404 when one is missing)."""
    request.schema_type = params["type"]
    request.parent = params.get("parent")
    if request.parent is not None:
        request.store.get(request.parent, c.MANAGED_SYSTEM)
    if params.get("uuid") is not None:
        request.obj = request.store.get(params["uuid"], request.schema_type,
                                        request.parent)


# -- rendering ----------------------------------------------------------------

def _self_href(request: RestRequest, feed_path: str, uuid: str) -> bytes:
    href = "%s%s/%s" % (request.base, feed_path, uuid)
    if request.query:
        href += "?" + request.query
    return escape(href, {'"': "&quot;"}).encode()


def _entry_parts(request: RestRequest, obj: StoredObject, feed_path: str,
                 standalone: bool) -> tuple:
    """The pieces of an Atom entry holding ``obj``, to be joined."""
    shown = obj.shown_groups(request.requested)
    return (
        ATOM_OPEN % b"entry" if standalone else b"<entry>", b"\n",
        b"    <id>", obj.uuid.encode(), b"</id>\n    <title>",
        obj.schema_type.encode(), b"</title>\n    <published>",
        now_iso().encode(), b'</published>\n    <link rel="SELF" href="',
        _self_href(request, feed_path, obj.uuid), b'"/>\n', AUTHOR,
        ETAG_ELEM, obj.etag(shown).encode(), b"</etag:etag>\n",
        b'    <content type="', c.uom_content_type(
            obj.schema_type).encode(), b'">\n',
        obj.render(shown), b"\n    </content>\n</entry>")


def _entry_reply(request: RestRequest, obj: StoredObject) -> Reply:
    """``obj`` as a standalone entry, with its etag."""
    path = request.path
    feed_path = path.rsplit("/", 1)[0] if \
        path.lower().endswith(obj.uuid.lower()) else path
    body = b"".join(_entry_parts(request, obj, feed_path, True))
    etag = obj.etag(obj.shown_groups(request.requested))
    return Reply(200, body, {c.CONTENT_TYPE: c.ATOM_TYPE, c.ETAG: etag})


def _not_modified(request: RestRequest, etag: str) -> bool:
    wanted = request.headers.get(c.IF_NONE_MATCH)
    return bool(wanted) and wanted.strip('"') == etag


# -- handlers ----------------------------------------------------------------

def get_feed(request: RestRequest) -> Reply:
    members = request.store.of_type(request.schema_type, request.parent)
    if not members:
        return Reply(204)
    etags = [o.etag(o.shown_groups(request.requested)) for o in members]
    feed_etag = signed_crc(request.path + "|" + ",".join(etags))
    if _not_modified(request, feed_etag):
        return Reply(304, headers={c.ETAG: feed_etag})
    href = request.base + request.path + (
        "?" + request.query if request.query else "")
    head = ("\n    <id>%s</id>\n    <updated>%s</updated>\n"
            '    <link rel="SELF" href="%s"/>\n'
            "    <generator>IBM Power Systems Management Console"
            "</generator>\n" % (
                signed_crc(request.path).lstrip("-"), now_iso(),
                escape(href, {'"': "&quot;"}))).encode()
    parts = [ATOM_OPEN % b"feed", head]
    for obj in members:
        parts.extend(_entry_parts(request, obj, request.path, False))
        parts.append(b"\n")
    parts.append(b"</feed>")
    return Reply(200, b"".join(parts),
                 {c.CONTENT_TYPE: c.ATOM_TYPE, c.ETAG: feed_etag})


def get_entry(request: RestRequest) -> Reply:
    obj = request.entry
    etag = obj.etag(obj.shown_groups(request.requested))
    if _not_modified(request, etag):
        return Reply(304, headers={c.ETAG: etag})
    return _entry_reply(request, obj)


def _check_if_match(request: RestRequest, obj: StoredObject):
    wanted = request.headers.get(c.IF_MATCH)
    if not wanted:
        return
    current = obj.etag(obj.shown_groups(request.requested))
    if wanted.strip('"') != current:
        raise EmulatorError(
            412, "Etag mismatch: the request's If-Match %s is not the "
            "current etag %s of %s %s; GET it again and redo the "
            "change." % (wanted, current, obj.schema_type, obj.uuid),
            "Precondition Failed")


def _parse_object(request: RestRequest, schema_type: str):
    ctype = request.headers.get(c.CONTENT_TYPE, "")
    if "type=" in ctype and \
            ctype.rsplit("type=", 1)[1].strip() != schema_type:
        raise EmulatorError(400, "Content-Type %s does not match the "
                            "%s path." % (ctype, schema_type),
                            "Bad Request")
    try:
        element = pvm_adapter.parse_xml(request.body,
                                        what="the request body")
    except (pvmex.AtomError, TypeError) as exc:
        raise EmulatorError(400, "The body is not a valid %s element: "
                            "%s" % (schema_type, exc),
                            "Bad Request") from None
    if element.tag != UOM + schema_type:
        raise EmulatorError(400, "Expected a %s element in namespace %s, "
                            "got %s." % (schema_type, c.UOM_NS,
                                         element.tag), "Bad Request")
    return element


def update(request: RestRequest) -> Reply:
    obj = request.entry
    _check_if_match(request, obj)
    element = _parse_object(request, obj.schema_type)
    body = request.body
    if obj.schema_type == c.VIRTUAL_IO_SERVER and provision.complete_mappings(
            element, _client_id_lookup(request)):
        body = b""  # stored as completed, not as sent
    request.store.replace(obj, element, obj.shown_groups(request.requested),
                          body)
    request.emulator._traffic.record_update(obj.uuid)
    return _entry_reply(request, obj)


def _client_id_lookup(request: RestRequest):
    """A mapping's client LPAR UUID -> its short id; 400 for none."""
    def client_id(uuid: str) -> int:
        try:
            lpar = request.store.get(uuid, c.LOGICAL_PARTITION)
        except EmulatorError:
            raise EmulatorError(400, "A new mapping names LogicalPartition "
                                "%r, which does not exist." % uuid,
                                "Bad Request") from None
        return int(lpar.element().findtext(UOM + "PartitionID") or 0)
    return client_id


def create(request: RestRequest) -> Reply:
    schema_type = request.schema_type
    if schema_type not in PARTITION_TYPES:
        raise EmulatorError(405, "Creating a %s is not supported."
                            % schema_type, "Method Not Allowed")
    element = _parse_object(request, schema_type)
    obj = request.store.create(schema_type, element, request.parent)
    request.path = request.path + "/" + obj.uuid
    return _entry_reply(request, obj)


def delete(request: RestRequest) -> Reply:
    obj = request.entry
    _check_if_match(request, obj)
    request.store.objects.pop(obj.uuid.lower(), None)
    return Reply(204)


_TYPE = "(?P<type>%s)" % "|".join(TYPES)
_PARTITION = "(?P<type>%s)" % "|".join(PARTITION_TYPES)
_ROOT_FEED = _TYPE
_ROOT_ENTRY = _TYPE + "/(?P<uuid>[^/]+)"
_CHILD_FEED = c.MANAGED_SYSTEM + "/(?P<parent>[^/]+)/" + _PARTITION
_CHILD_ENTRY = _CHILD_FEED + "/(?P<uuid>[^/]+)"

#: Paths below ``/rest/api/uom/`` (ROOT and CHILD feeds and entries).
UOM_ROUTES = RouteTable(
    [(method, feed, handler) for feed in (_ROOT_FEED, _CHILD_FEED)
     for method, handler in (("GET", get_feed), ("PUT", create))]
    + [(method, entry, handler) for entry in (_ROOT_ENTRY, _CHILD_ENTRY)
       for method, handler in (("GET", get_entry), ("POST", update),
                               ("DELETE", delete))])

#: Whole paths: logon/logoff, and the UOM tree behind its token check.
REST_ROUTES = RouteTable([
    ("PUT", re.escape(c.LOGON_PATH), logon),
    ("DELETE", re.escape(c.LOGON_PATH), logoff),
    (ANY_METHOD, re.escape(c.LOGON_PATH), logon_not_allowed),
    (ANY_METHOD, re.escape(UOM_PREFIX) + "(?s:.*)", uom),
])
