"""Facts of the PowerVM REST protocol in one place.

Everything that is spelled the same on the client, the wrappers and the
emulator lives here, so that a typo cannot make the two sides disagree.
"""

import enum


class HTTPStatus(enum.IntEnum):
    """The HTTP statuses the PowerVM REST API uses, under pypowervm's names.

    Each status number is written here only; the plain ``HTTP_*`` ints
    below are these members' values.
    """

    OK = 200
    OK_NO_CONTENT = 204
    NO_CHANGE = 304
    BAD_REQUEST = 400
    UNAUTHORIZED = 401
    NOT_FOUND = 404
    ETAG_MISMATCH = 412
    INTERNAL_ERROR = 500
    BAD_GATEWAY = 502
    SERVICE_UNAVAILABLE = 503
    GATEWAY_TIMEOUT = 504


# Plain-int spellings of the same statuses, for comparisons with
# ``Response.status`` (plain ints, so they format as numbers everywhere).
HTTP_OK = HTTPStatus.OK.value
HTTP_NO_CONTENT = HTTPStatus.OK_NO_CONTENT.value
HTTP_NOT_MODIFIED = HTTPStatus.NO_CHANGE.value
HTTP_BAD_REQUEST = HTTPStatus.BAD_REQUEST.value
HTTP_UNAUTHORIZED = HTTPStatus.UNAUTHORIZED.value
HTTP_NOT_FOUND = HTTPStatus.NOT_FOUND.value
HTTP_PRECONDITION_FAILED = HTTPStatus.ETAG_MISMATCH.value
HTTP_INTERNAL_ERROR = HTTPStatus.INTERNAL_ERROR.value
HTTP_BAD_GATEWAY = HTTPStatus.BAD_GATEWAY.value
HTTP_SERVICE_UNAVAILABLE = HTTPStatus.SERVICE_UNAVAILABLE.value
HTTP_GATEWAY_TIMEOUT = HTTPStatus.GATEWAY_TIMEOUT.value

#: Statuses on which an idempotent request (GET) is tried again.
TRANSIENT_HTTP_STATUSES = frozenset({HTTP_BAD_GATEWAY, HTTP_SERVICE_UNAVAILABLE,
                                     HTTP_GATEWAY_TIMEOUT})

# Headers
SESSION_HEADER = "X-API-Session"
#: The tag the server logs a request under (pypowervm sends one always).
AUDIT_MEMENTO_HEADER = "X-Audit-Memento"
IF_MATCH = "If-Match"
IF_NONE_MATCH = "If-None-Match"
ETAG = "ETag"
CONTENT_TYPE = "Content-Type"
ACCEPT = "Accept"

# Namespaces
ATOM_NS = "http://www.w3.org/2005/Atom"
UOM_NS = "http://www.ibm.com/xmlns/systems/power/firmware/uom/mc/2012_10/"
WEB_NS = "http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/"
#: Namespace of the per-entry ``<etag:etag>`` element inside a feed.
ETAG_NS = UOM_NS

# Content types
ATOM_TYPE = "application/atom+xml"
UOM_TYPE = "application/vnd.ibm.powervm.uom+xml"
WEB_TYPE = "application/vnd.ibm.powervm.web+xml"
LOGON_REQUEST_TYPE = WEB_TYPE + "; type=LogonRequest"
LOGON_RESPONSE_TYPE = WEB_TYPE + "; type=LogonResponse"


def uom_content_type(schema_type: str) -> str:
    """The content type of an object element of ``schema_type``."""
    return "%s; type=%s" % (UOM_TYPE, schema_type)


# Paths
API_BASE_PATH = "/rest/api/"
SERVICE_UOM = "uom"
SERVICE_WEB = "web"
LOGON_PATH = API_BASE_PATH + SERVICE_WEB + "/Logon"
SCHEMA_VERSION = "V1_0"
LINK_REL_SELF = "SELF"

# Default ports
DEFAULT_HTTPS_PORT = 12443
DEFAULT_HTTP_PORT = 12080

# Schema types
MANAGED_SYSTEM = "ManagedSystem"
LOGICAL_PARTITION = "LogicalPartition"
VIRTUAL_IO_SERVER = "VirtualIOServer"
HTTP_ERROR_RESPONSE = "HttpErrorResponse"


class XAG:
    """Names of extended attribute groups (``?group=`` query values)."""

    NONE = "None"
    ALL = "All"
    ADV = "Advanced"
    HYP = "Hypervisor"
    NVRAM = "NVRAM"
    SYS_NET = "SystemNetwork"
    VIO_FMAP = "ViosFCMapping"
    VIO_NET = "ViosNetwork"
    VIO_SMAP = "ViosSCSIMapping"
    VIO_STOR = "ViosStorage"
