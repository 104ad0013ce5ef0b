"""The hardened XML parser every body goes through.

:func:`parse_xml` refuses DOCTYPE and ENTITY declarations outright (so no
entity expansion, no "billion laughs", no XXE file or network reads are
possible), refuses any encoding but UTF-8 and ASCII (in which that refusal
can see them), and parses with an lxml parser that also has entity
resolution, DTD loading and network access switched off.  Bodies over
:data:`MAX_XML_BYTES` are refused before parsing, so a hostile server
cannot exhaust memory.
"""

import re
import threading
from typing import Union

from lxml import etree

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

#: Largest XML body (in bytes) that will be parsed.  A feed of 2,000 LPARs
#: is about 25 MB; anything near this bound is hostile or broken.
MAX_XML_BYTES = 256 * 1024 * 1024

#: A body's start: optional UTF-8 byte order mark, blanks, then ``<`` not
#: followed by NUL (as in UTF-16/32); group 1 is the encoding its XML
#: declaration names, if any.
_PROLOG_RE = re.compile(
    rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<(?!\x00)"
    rb"(?:\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._-]*)[\"'])?")
_ASCII_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})

_parsers = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's hardened parser (lxml parsers are not shared safely)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False,
            dtd_validation=False, huge_tree=False, remove_pis=True,
            collect_ids=False)
        _parsers.parser = parser
    return parser


def parse_xml(body: Union[bytes, str], what: str = "XML") -> etree._Element:
    """Parse ``body`` (bytes or str) safely and return its root element.

    :param what: names the body in error messages.
    :raises AtomError: the body is empty, too large, declares a DOCTYPE,
        or is not well-formed.
    """
    data = _checked_xml(body, what)
    try:
        # lxml parses a bytearray too; lxml-stubs only allow str | bytes.
        root = etree.fromstring(data, _parser())  # type: ignore[arg-type]
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(what, exc) from None
    # Belt and braces.  lxml-stubs' DocInfo lacks lxml's doctype property.
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise _declarations_refused(what)
    return root


def _checked_xml(body, what: str) -> Union[bytes, bytearray]:
    """``body`` as bytes, after the checks of :func:`parse_xml`."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(_("Expected an XML body as bytes or str, got "
                          "%s.") % type(body).__name__)
    if not body or body.isspace():
        raise pvmex.AtomError(_("Cannot parse %s: the body is empty.") % what)
    if len(body) > MAX_XML_BYTES:
        raise pvmex.AtomError(
            _("Refusing to parse %(what)s: %(size)d bytes exceeds the limit "
              "of %(limit)d.") % {"what": what, "size": len(body),
                                  "limit": MAX_XML_BYTES})
    prolog = _PROLOG_RE.match(body)
    if prolog is None or (prolog.group(1) and prolog.group(1).lower()
                          not in _ASCII_ENCODINGS):
        # The byte scan below sees declarations only in an ASCII-compatible
        # encoding: UTF-16, UTF-7, EBCDIC ... could hide a DOCTYPE from it.
        raise pvmex.AtomError(
            _("Refusing to parse %s: it is not well-formed XML in UTF-8 "
              "(or ASCII), the only encodings accepted.") % what)
    # "!" (one memchr) is rare in PowerVM XML; only a body holding one can
    # hold a declaration, so only such a body pays for the two substring
    # scans: on the 12 MB feed of benchmarks/bench_parse.py ("wrap" lines)
    # about 1 ms instead of 20 ms.
    if b"!" in body and (b"<!DOCTYPE" in body or b"<!ENTITY" in body):
        raise _declarations_refused(what)
    return body


def _declarations_refused(what: str) -> pvmex.AtomError:
    return pvmex.AtomError(
        _("Refusing to parse %s: DOCTYPE and ENTITY declarations are "
          "not allowed.") % what)


def _not_well_formed(what: str, error) -> pvmex.AtomError:
    return pvmex.AtomError(
        _("Cannot parse %(what)s: it is not well-formed XML (%(err)s).") % {
            "what": what, "err": error})
