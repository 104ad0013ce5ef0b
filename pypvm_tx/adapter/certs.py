"""Which certificate authority a Session verifies its server with.

pypowervm names the CA by ``certpath`` (a file, or a folder holding
``<host><certext>``); requests names it by ``verify`` and the
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` environment variables.  This
module turns what a Session was given into the one ``verify`` value its
transport uses: ``True`` (the default bundle), ``False`` (no
verification) or the path of a CA bundle file or folder.
"""

import os
from typing import Optional, Union

from pypvm_tx import exceptions as pvmex
from pypvm_tx.i18n import _

#: TLS verification: True (the default CA bundle), False (off), or the
#: path of a CA bundle file or directory; None is taken as True.
Verify = Union[None, bool, str, "os.PathLike[str]"]


def env_ca_bundle() -> Optional[str]:
    """The CA bundle the environment names, as requests reads it."""
    return (os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE") or None)


def ca_from_certpath(certpath: "Union[str, os.PathLike[str]]",
                     certext: Optional[str], host: str) -> str:
    """The CA file or folder ``certpath`` (and ``certext``) name for
    ``host``: a folder's ``<host><certext>`` file when it has one, else the
    folder itself; a file as it is; else ``<certpath><host><certext>`` as
    the peer builds the name.

    :raises ValueError: none of these exists.
    """
    path = os.fspath(certpath)
    own_name = host + (".crt" if certext is None else certext)
    if os.path.isdir(path):
        own = os.path.join(path, own_name)
        return own if os.path.isfile(own) else path
    if os.path.isfile(path):
        return path
    if os.path.isfile(path + own_name):
        return path + own_name
    raise ValueError(_("certpath must name a CA file or folder: neither "
                       "%(path)s nor %(own)s exists.") % {
                           "path": pvmex.printable(path),
                           "own": pvmex.printable(path + own_name)})


def verify_with_certpath(verify: Verify,
                         certpath: "Union[None, str, os.PathLike[str]]",
                         certext: Optional[str], host: str, https: bool,
                         dest: str) -> Verify:
    """``verify`` with ``certpath`` (https only) made its CA.

    :raises ValueError: ``certpath`` names nothing, or comes with a
        ``verify`` other than ``True``.
    """
    if certpath is None or not https:
        return verify
    if verify is not True and verify is not None:
        raise ValueError(_("certpath names the CA to verify %s with; "
                           "give it with verify=True (the default), not "
                           "verify=%r.") % (dest, verify))
    return ca_from_certpath(certpath, certext, host)


def resolve_verify(verify: Verify, trust_env: bool) -> Union[bool, str]:
    """The ``verify`` value the transport uses: ``True`` becomes the
    environment's CA bundle when ``trust_env`` and one is named.

    :raises ValueError: a path that does not exist.
    """
    if verify is True or verify is None:
        return (env_ca_bundle() if trust_env else None) or True
    if verify is False:
        return False
    path = os.fspath(verify)
    if not os.path.exists(path):
        raise ValueError(_("verify must be True, False or the path of a "
                           "CA bundle file or directory; %s does not "
                           "exist.") % path)
    return path
