"""What the emulator answers: a reply value, and the Atom pieces and
error entries it is built from, written as the real server writes them."""

import json
import random
from typing import Dict, Optional
from xml.sax.saxutils import escape

from pypvm_tx import const as c
from pypvm_tx.testing.emulator.common import now_iso
from pypvm_tx.testing.emulator.markup import K2_NS, new_uuid

ATOM_OPEN = (b'<%s xmlns="http://www.w3.org/2005/Atom" '
             b'xmlns:ns2="http://a9.com/-/spec/opensearch/1.1/" '
             b'xmlns:ns3="http://www.w3.org/1999/xhtml">')
AUTHOR = (b"    <author>\n        <name>IBM Power Systems Management "
          b"Console</name>\n    </author>\n")
ETAG_ELEM = ('    <etag:etag xmlns:etag="%s" xmlns="%s">' % (
    c.ETAG_NS, c.UOM_NS)).encode()


class Reply:
    """A response to send: status, headers and body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, body: bytes = b"",
                 headers: Optional[Dict[str, str]] = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_reply(status: int, method: str, uri: str, message: str,
                reason_code: str = "") -> Reply:
    """An ``HttpErrorResponse`` entry, as the real server sends."""
    reason_code = reason_code or message
    body = (
        ATOM_OPEN % b"entry" + b"\n"
        + ("    <id>%s</id>\n    <title>HttpErrorResponse</title>\n"
           "    <published>%s</published>\n" % (
               new_uuid(random.Random(), upper=False),
               now_iso())).encode()
        + AUTHOR
        + ('    <content type="%s; type=HttpErrorResponse">\n'
           '        <HttpErrorResponse:HttpErrorResponse '
           'xmlns:HttpErrorResponse="%s" xmlns="%s" xmlns:ns2="%s" '
           'schemaVersion="V1_2_0">\n'
           '    <Metadata>\n        <Atom/>\n    </Metadata>\n'
           '    <HTTPStatus kb="ROR" kxe="false">%d</HTTPStatus>\n'
           '    <RequestURI kb="ROR" kxe="false">%s</RequestURI>\n'
           '    <ReasonCode kb="ROR" kxe="false">%s</ReasonCode>\n'
           '    <Message kb="ROO" kxe="false">%s</Message>\n'
           '</HttpErrorResponse:HttpErrorResponse>\n'
           '    </content>\n</entry>' % (
               c.WEB_TYPE, c.WEB_NS, c.WEB_NS, K2_NS, status,
               escape(uri.partition("?")[0]), escape(reason_code),
               escape(message))).encode())
    return Reply(status, body, {c.CONTENT_TYPE: c.ATOM_TYPE})


def json_reply(status: int, payload) -> Reply:
    """A reply of the control API."""
    return Reply(status, json.dumps(payload).encode(),
                 {c.CONTENT_TYPE: "application/json"})
