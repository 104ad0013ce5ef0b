"""Who a Session is to its server: the logon request and the token its
answer holds, and the audit memento every request carries.

The password goes only into the logon body, escaped for XML; the body is
never kept on the Response (the Session sends it as sensitive).
"""

import getpass
from typing import Optional
from xml.sax.saxutils import escape as _saxutils_escape

from pypvm_tx import const as c
from pypvm_tx import exceptions as pvmex
from pypvm_tx.adapter import paths
from pypvm_tx.adapter.response import Response
from pypvm_tx.adapter.xml import parse_xml
from pypvm_tx.i18n import _

_LOGON_REQUEST = (
    '<LogonRequest xmlns="%(ns)s" schemaVersion="%(ver)s">'
    '<Metadata><Atom/></Metadata>'
    '<UserID kb="CUR" kxe="false">%%(user)s</UserID>'
    '<Password kb="CUR" kxe="false">%%(password)s</Password>'
    '</LogonRequest>') % {"ns": c.WEB_NS, "ver": c.SCHEMA_VERSION}

_TAG_LOGON_TOKEN = "{%s}X-API-Session" % c.WEB_NS
#: The audit memento when none is given and the process's user is unknown.
_DEFAULT_MEMENTO = "default"


def _xml_escape(text: str) -> str:
    """``text`` escaped for XML element content or a quoted attribute."""
    return _saxutils_escape(text, {'"': "&quot;"})


def logon_body(username: str, password: str) -> bytes:
    """The ``LogonRequest`` body for ``username`` and ``password``."""
    return (_LOGON_REQUEST % {
        "user": _xml_escape(username),
        "password": _xml_escape(password)}).encode("utf-8")


def logon_token(resp: Response, dest: str, username: Optional[str]) -> str:
    """The session token a logon response holds.

    :raises HttpUnauth: the logon was refused.
    :raises HttpError: another error status.
    :raises AtomError: the response holds no token.
    """
    if resp.status == c.HTTP_UNAUTHORIZED:
        raise pvmex.HttpUnauth(resp, msg=_(
            "Logon to %(dest)s as %(user)s was refused (HTTP 401): the "
            "user name or password is wrong.") % {
                "dest": dest, "user": username})
    if resp.status >= c.HTTP_BAD_REQUEST:
        raise pvmex.http_error_for(resp)
    root = parse_xml(resp.body, what=_("the logon response"))
    token = root.findtext(_TAG_LOGON_TOKEN)
    if not token or not token.strip():
        raise pvmex.AtomError(_("The logon response from %s holds no "
                                "session token.") % dest)
    return token.strip()


def unreachable(exc: BaseException) -> bool:
    """Whether a logon failed because the server is not (yet) there: a
    connection error (not a malformed reply) or a 404."""
    if isinstance(exc, pvmex.HttpError):
        return exc.response.status == c.HTTP_NOT_FOUND
    return isinstance(exc, pvmex.ConnectionError) and \
        not isinstance(exc, pvmex.ProtocolError)


def default_memento() -> str:
    """The process's user name (as the peer), else ``'default'``."""
    try:
        name = getpass.getuser()
    except Exception:  # no user name in this environment
        return _DEFAULT_MEMENTO
    if not name or not name.isascii() or paths.has_control_character(name):
        return _DEFAULT_MEMENTO
    return name


def checked_memento(memento: Optional[str]) -> str:
    """``memento``, or the default one; refused if it cannot be a header.

    :raises ValueError: not printable ASCII text.
    """
    if not memento:
        return default_memento()
    if (not isinstance(memento, str) or not memento.isascii()
            or paths.has_control_character(memento)):
        raise ValueError(_("auditmemento must be printable ASCII text, got "
                           "%s.") % pvmex.printable(repr(memento)))
    return memento
