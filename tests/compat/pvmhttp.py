"""The harness's loader for pypowervm's captured-response test files.

The peer's own loader (``pypowervm.tests.test_utils.pvmhttp``) parses a
file and then calls a private method of the peer's ``Response`` to
unmarshal it.  This is the same job done through pypvm_tx's public API:
the peer's test modules import it in place of the peer's loader (see
``MODULE_MAP`` in peer.py).  The data files are read from the installed
pypowervm package; nothing of them is stored here.

The format: ``#`` comment lines, then sections ``INFO{``, ``HEADERS{``
and ``BODY{``, each closed by a line starting ``END OF SECTION}``.  INFO
and HEADERS hold Python literals (a dict each).
"""

import ast
import os

from pypvm_tx import adapter as adp

_SECTIONS = ("INFO{", "HEADERS{", "BODY{")
_END = "END OF SECTION}"


def data_file(name):
    """A bare file name is looked up in the installed peer's tests/data."""
    if os.path.dirname(name):
        return name
    from tests.compat import peer

    return os.path.join(peer.peer_root(), "tests", "data", name)


def _sections(path):
    """``{section name: text}`` of one capture file."""
    found, current, lines = {}, None, []
    with open(path, encoding="utf-8") as src:
        for line in src:
            if current is not None:
                if line.startswith(_END):
                    found[current] = "".join(lines)
                    current, lines = None, []
                else:
                    lines.append(line)
            elif line.startswith(_SECTIONS):
                current = line.split("{")[0]
            elif line.strip() and not line.startswith("#"):
                raise ValueError("%s: unexpected line %r" % (path, line))
    if current is not None:
        raise ValueError("%s: section %s is not closed" % (path, current))
    return found


class PVMFile:
    """One capture file: ``path``, ``status``, ``reason``, ``headers``,
    ``body`` and ``comment``."""

    def __init__(self, file_name=None):
        self.comment = self.path = self.reason = self.status = None
        self.headers = self.body = None
        if file_name is not None:
            self.load_file(file_name)

    def load_file(self, file_name):
        parts = _sections(data_file(file_name))
        info = ast.literal_eval(parts.get("INFO", "{}").strip() or "{}")
        self.comment = info.get("comment")
        self.path = info.get("path")
        self.reason = info.get("reason")
        self.status = info.get("status")
        self.headers = ast.literal_eval(parts.get("HEADERS", "{}").strip()
                                        or "{}")
        self.body = parts.get("BODY")


class PVMResp(PVMFile):
    """A capture file as a pypvm_tx :class:`~pypvm_tx.adapter.Response`,
    its Atom body already parsed."""

    def __init__(self, file_name=None, pvmfile=None, adapter=None):
        super().__init__()
        if pvmfile is None and file_name is None:
            return
        source = pvmfile or self
        if file_name is not None:
            source.load_file(file_name)
        for attr in ("comment", "path", "reason", "status", "headers",
                     "body"):
            setattr(self, attr, getattr(source, attr))
        self.response = adp.Response(None, None, self.status, self.reason,
                                     self.headers, body=self.body,
                                     adapter=adapter)
        # Parse now, as the peer's loader does: a broken file fails here.
        self.response.feed  # noqa: B018 - the property parses the body

    def get_response(self):
        return self.response


def load_pvm_resp(file_name, adapter=None):
    """The response held in a capture file."""
    return PVMResp(file_name, adapter=adapter)
