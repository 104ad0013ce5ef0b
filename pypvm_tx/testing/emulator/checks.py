"""The checks the emulator makes of its arguments before it starts, so
that nothing fails half-way through starting."""

import ipaddress
import os
import socket
import ssl
from typing import Any, Optional, Tuple, Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def check_count(name: str, value, high: int) -> int:
    """``value`` as a whole number in 0..``high``, or an error naming
    ``name`` and the limit."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be a whole number (0 to %d), got %r."
                        % (name, high, value))
    if not 0 <= value <= high:
        raise ValueError("%s must be between 0 and %d, got %d."
                         % (name, high, value))
    return value


def check_seed(seed) -> int:
    """``seed`` as a whole number (any sign), or a TypeError."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError("seed must be a whole number, got %r." % (seed,))
    return seed


def check_latency(latency) -> float:
    if isinstance(latency, bool) or not isinstance(latency, (int, float)):
        raise TypeError("latency must be a number of seconds, got %r."
                        % (latency,))
    if not latency >= 0:
        raise ValueError("latency must be at least 0 seconds, got %r."
                         % (latency,))
    return float(latency)


def server_ssl_context(certfile: str, keyfile: Optional[str]):
    """A TLS server context, or a ValueError naming the file at fault."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for path in (certfile, keyfile):
        if path is not None and not os.path.isfile(path):
            raise ValueError("%s: no such file." % path)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        if keyfile is None:
            raise ValueError(
                "Cannot serve HTTPS with %s: it holds no usable private "
                "key (%s); give the key file too (keyfile / --keyfile)."
                % (certfile, exc)) from None
        raise ValueError("Cannot serve HTTPS with certificate %s and key "
                         "%s: %s." % (certfile, keyfile, exc)) from None
    return context


def _ip_of(sockaddr: Tuple[Any, ...]) -> IPAddress:
    """The IP address in a ``getaddrinfo`` sockaddr, without its scope."""
    host = sockaddr[0]
    # check_loopback asks for TCP, so every sockaddr is AF_INET/AF_INET6,
    # whose first item is the host string.
    assert isinstance(host, str)
    return ipaddress.ip_address(host.split("%")[0])


def check_loopback(host: str):
    """Refuse any bind address that is not loopback; a name (``localhost``)
    is resolved, and every address it resolves to must be loopback."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            infos = []
        addresses = [_ip_of(info[4]) for info in infos]
    if not addresses or not all(addr.is_loopback for addr in addresses):
        raise ValueError("The emulator only binds to loopback addresses "
                         "(127.0.0.0/8, ::1, localhost); refusing %r." % host)
