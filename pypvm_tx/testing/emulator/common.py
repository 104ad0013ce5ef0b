"""What every part of the emulator shares: its limits and defaults, the
error it answers with, and the server's styles of etag and timestamp."""

import time
import zlib

from pypvm_tx import const as c

DEFAULT_USER = "hscroot"
DEFAULT_PASSWORD = "abc123"
#: Path prefix of the control API (see :mod:`.control`).
CONTROL_PREFIX = "/emulator/"

#: Most LPARs the emulator generates.  The emulator keeps each object as
#: its serialised bytes (about 11 KB for a generated LPAR); 10,000 is ten
#: times the largest real managed system, and a feed GET of them (about
#: 110 MB) stays well under the client's 256 MiB body limit.
MAX_LPARS = 10000
#: Most VIOSes the emulator generates.
MAX_VIOSES = 1000
#: Highest TCP port.
MAX_PORT = 65535
#: Exit status when stdout's reader went away (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 128 + 13

UOM = "{%s}" % c.UOM_NS
WEB = "{%s}" % c.WEB_NS
PARTITION_TYPES = (c.LOGICAL_PARTITION, c.VIRTUAL_IO_SERVER)
#: The object types the emulator serves.
TYPES = (c.MANAGED_SYSTEM,) + PARTITION_TYPES
#: Type under which logon and logoff are counted (and faults aimed).
LOGON_TYPE = "Logon"


class EmulatorError(Exception):
    """A request the emulator answers with an error status."""

    def __init__(self, status: int, message: str, reason_code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason_code = reason_code or message


def signed_crc(text: str) -> str:
    """An etag in the server's style: a signed 32-bit integer."""
    value = zlib.crc32(text.encode())
    return str(value - (1 << 32) if value >= (1 << 31) else value)


def now_iso() -> str:
    """The current time as the server writes it in feeds and entries."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
        ".%03dZ" % (int(now * 1000) % 1000)
