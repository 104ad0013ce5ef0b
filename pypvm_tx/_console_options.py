"""The command line's options for a real console, shared by ``pypvm-tx
demo --url`` and ``pypvm-tx worker``: how they are declared, checked and
turned into a Session's arguments."""

import argparse
import os
import urllib.parse
from typing import Any, Dict

from pypvm_tx.i18n import _

#: The environment variable read for the password by default.
DEFAULT_PASSWORD_ENV = "PYPVM_TX_PASSWORD"


def add_console_options(group: Any, required: bool) -> None:
    """Add ``--url``, ``--user``, ``--password-env`` and ``--ca-bundle``
    to an argparse parser or group."""
    group.add_argument("--url", required=required,
                       help=_("console URL, e.g. "
                              "https://hmc.example.com:12443"))
    group.add_argument("--user", required=required,
                       help=_("user name on the console"))
    group.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV,
                       metavar="VAR",
                       help=_("environment variable holding the password "
                              "(default %(default)s)"))
    group.add_argument("--ca-bundle", metavar="PATH",
                       help=_("CA bundle to verify the console's "
                              "certificate"))


def session_arguments(args: argparse.Namespace) -> Dict[str, Any]:
    """The Session keyword arguments those options (and ``--workers``,
    ``--timeout``) give, checked before anything is sent.

    :raises ValueError: a bad URL, no user, no password in the
        environment, or a CA bundle that does not exist.
    """
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_("--url must look like https://host:12443; got "
                           "%r.") % args.url)
    if not args.user:
        raise ValueError(_("--url needs --user."))
    password = os.environ.get(args.password_env)
    if not password:
        raise ValueError(_("Set the password in the environment variable "
                           "%s (or name another with --password-env).")
                         % args.password_env)
    if args.ca_bundle and not os.path.exists(args.ca_bundle):
        raise ValueError(_("--ca-bundle %s does not exist; give the CA "
                           "bundle file (or directory) that signed the "
                           "console's certificate.") % args.ca_bundle)
    return {"host": parts.hostname, "port": parts.port,
            "protocol": parts.scheme, "username": args.user,
            "password": password, "verify": args.ca_bundle or True,
            "pool_maxsize": max(args.workers, 2), "timeout": args.timeout}
