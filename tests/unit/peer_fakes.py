"""Wrappers and getters of "another package": objects with only the
wrapper protocol (uuid, etag, update(), refresh()) or the getter protocol
(uuid, get()), no pypvm_tx class among their bases, standing in for
pypowervm's own in the staged-migration tests (T4.1 rev 2, T8)."""


class Conflict(Exception):
    """An HTTP error of another package: only ``response.status``."""

    def __init__(self, status):
        super().__init__("HTTP %d" % status)
        self.response = type("Resp", (), {"status": status})()


class Server:
    """The one copy of each object: ``{uuid: (etag, name)}`` plus a log of
    every call the fakes made, in order."""

    def __init__(self, uuids):
        self.objects = {u: (1, "orig") for u in uuids}
        self.calls = []

    def change(self, uuid, name):
        """Another agent's write: the stored etag moves on."""
        etag, _name = self.objects[uuid]
        self.objects[uuid] = (etag + 1, name)


class PeerWrapper:
    """A wrapper by protocol only.  Has a class-level ``get`` as
    pypowervm's EntryWrapper does, so it must not pass for a getter."""

    def __init__(self, server, uuid):
        self.server = server
        self.uuid = uuid
        self.etag, self.name = server.objects[uuid]

    @classmethod
    def get(cls, server, uuid):
        return cls(server, uuid)

    def refresh(self, use_etag=True):
        self.server.calls.append(("refresh", self.uuid, use_etag))
        return PeerWrapper(self.server, self.uuid)

    def update(self, xag="__DEPRECATED__", timeout=-1, force=False):
        self.server.calls.append(("update", self.uuid, timeout))
        etag, _name = self.server.objects[self.uuid]
        if etag != self.etag:
            raise Conflict(412)
        self.server.objects[self.uuid] = (etag + 1, self.name)
        return PeerWrapper(self.server, self.uuid)


class PeerGetter:
    """A getter by protocol only: ``uuid`` and ``get()``."""

    def __init__(self, server, uuid):
        self.server = server
        self.entry_uuid = uuid

    @property
    def uuid(self):
        return self.entry_uuid

    def get(self, refresh=False):
        self.server.calls.append(("get", self.entry_uuid))
        return PeerWrapper(self.server, self.entry_uuid)


class PeerFeedGetter(PeerGetter):
    """A feed getter as pypowervm's: a getter subclass whose uuid is None."""

    def __init__(self, server):
        super().__init__(server, None)

    def get(self, refresh=False):
        self.server.calls.append(("get_feed",))
        return [PeerWrapper(self.server, u) for u in self.server.objects]


class HalfWrapper:
    """uuid, etag and update(), but no refresh(): neither protocol."""

    uuid = "u"
    etag = "1"

    def update(self):
        return self
