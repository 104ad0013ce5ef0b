"""The emulator's in-memory model: its objects and their etags.

Each object is kept as its serialised bytes, not as a parsed tree: a
generated LPAR is about 11 KB of XML but about 100 KB as an lxml tree,
and most requests only send the bytes on.  An object is parsed when it
is written (POST, PUT), changed out of band, or asked for a selection of
extended attribute groups that leaves some of its groups out (that
rendering is then kept until the object changes).
"""

import copy
import random
import threading
from typing import Dict, FrozenSet, List, Optional

from lxml import etree

from pypvm_tx import adapter as pvm_adapter
from pypvm_tx import const as c
from pypvm_tx.testing.emulator import objects as objs
from pypvm_tx.testing.emulator.common import (
    PARTITION_TYPES,
    UOM,
    EmulatorError,
    signed_crc,
)
from pypvm_tx.wrappers.base import insert_in_order

#: "Every group": a request without ``group=``, or with ``group=All``.
ALL_GROUPS = None
_ATOM_ID_PATH = UOM + "Metadata/" + UOM + "Atom/" + UOM + "AtomID"
#: One frozenset per distinct group set, shared by every object with it.
_GROUP_SETS: Dict[FrozenSet[str], FrozenSet[str]] = {}


def parse_groups(value: Optional[str]):
    """The group selection of a ``group=`` value (None: every group)."""
    if value is None:
        return ALL_GROUPS
    names = frozenset(v.strip() for v in value.split(",") if v.strip())
    if c.XAG.ALL in names:
        return ALL_GROUPS
    return names - {c.XAG.NONE}


def localname(element) -> str:
    return etree.QName(element).localname


def find_path(element, path: str):
    """The element at ``path`` ('A/B/C', uom namespace) or None."""
    found = element
    for part in path.strip("/").split("/"):
        found = found.find(UOM + part)
        if found is None:
            return None
    return found


def _parse(xml: bytes):
    return pvm_adapter.parse_xml(xml, what="a stored object")


class StoredObject:
    """One stored object: its bytes, version, groups and render cache.

    ``xml`` renders every group the object has.  It is the serialised
    element, or -- after a POST stored as it came -- the POSTed body
    itself (``as_sent``), which is served until the object next changes.
    """

    __slots__ = ("uuid", "schema_type", "parent", "order", "version",
                 "xml", "as_sent", "groups", "name", "_cache")

    def __init__(self, uuid: str, schema_type: str, parent: Optional[str],
                 element, order: List[str]):
        self.uuid = uuid
        self.schema_type = schema_type
        self.parent = parent
        self.order = order
        self.version = 1
        #: etags by ("etag", shown) and renderings by shown groups.
        self._cache: Optional[Dict] = None
        self.set_element(element)

    def set_element(self, element, sent: Optional[bytes] = None):
        """Store ``element`` (``sent``: its bytes as they came)."""
        self.xml = sent if sent is not None else etree.tostring(element)
        self.as_sent = sent is not None
        groups = frozenset(ch.get("group") for ch in element
                           if ch.get("group"))
        self.groups = _GROUP_SETS.setdefault(groups, groups)
        self.name = (element.findtext(UOM + "PartitionName")
                     or element.findtext(UOM + "SystemName"))
        self._cache = None

    def element(self):
        """A parsed copy of the object, every group included."""
        return _parse(self.xml)

    def bump(self):
        """A new version: new etags, and the POSTed body is no longer
        what is served."""
        self.version += 1
        self._cache = None
        if self.as_sent:
            self.xml = etree.tostring(self.element())
            self.as_sent = False

    def shown_groups(self, requested) -> frozenset:
        """Which of this object's groups a request's ``group=`` shows."""
        if requested is ALL_GROUPS:
            return self.groups
        return self.groups & requested

    def _cached(self) -> Dict:
        if self._cache is None:
            self._cache = {}
        return self._cache

    def etag(self, shown: frozenset) -> str:
        cache = self._cached()
        key = ("etag", shown)
        etag = cache.get(key)
        if etag is None:
            etag = cache[key] = signed_crc("%s:%d:%s" % (
                self.uuid, self.version, ",".join(sorted(shown))))
        return etag

    def render(self, shown: frozenset) -> bytes:
        """The object element, without the groups not shown."""
        if shown == self.groups:
            return self.xml
        cache = self._cached()
        rendered = cache.get(shown)
        if rendered is None:
            element = self.element()
            for child in list(element):
                group = child.get("group")
                if group and group not in shown:
                    element.remove(child)
            rendered = cache[shown] = etree.tostring(element)
        return rendered


class Store:
    """The emulated objects, in memory, guarded by one lock."""

    def __init__(self, base_url: str):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.objects: Dict[str, StoredObject] = {}
        self.orders: Dict[str, List[str]] = {}
        self.ms_uuid = ""
        self.rng = random.Random(0)
        self.next_id = 1

    def seed(self, lpars: int, vioses: int, seed: int):
        """Replace every object by generated ones (see Emulator.seed)."""
        rng = random.Random(seed)
        base = self.base_url
        ms_uuid = objs.new_uuid(rng, upper=False)
        objects: Dict[str, StoredObject] = {}
        orders: Dict[str, List[str]] = {}

        def add(schema_type, text, parent):
            element = pvm_adapter.parse_xml(text, what="a generated object")
            orders.setdefault(schema_type,
                              [localname(ch) for ch in element])
            uuid = element.findtext(_ATOM_ID_PATH)
            objects[uuid.lower()] = StoredObject(
                uuid, schema_type, parent, element, orders[schema_type])

        add(c.MANAGED_SYSTEM, objs.managed_system_xml(
            ms_uuid, "Server-8247-22L-SN2125D4A", base), None)
        vios_params = [objs.vios_params(rng, n + 1, n + 1)
                       for n in range(vioses)]
        lpar_params = [objs.lpar_params(rng, n + 1, vioses + n + 1)
                       for n in range(lpars)]
        for n, vparams in enumerate(vios_params):
            clients = lpar_params[n::max(1, vioses)][:4]
            add(c.VIRTUAL_IO_SERVER, objs.vios_xml(
                vparams, base, ms_uuid, clients, clients[:2]), ms_uuid)
        for lparams in lpar_params:
            add(c.LOGICAL_PARTITION, objs.lpar_xml(lparams, base, ms_uuid),
                ms_uuid)
        if not lpar_params:  # still learn the order for PUT-created LPARs
            sample = objs.lpar_xml(objs.lpar_params(random.Random(0), 0, 0),
                                   base, ms_uuid)
            orders[c.LOGICAL_PARTITION] = [
                localname(ch) for ch in pvm_adapter.parse_xml(sample)]
        with self.lock:
            self.objects = objects
            self.orders = orders
            self.ms_uuid = ms_uuid
            self.rng = random.Random(seed + 1)
            self.next_id = lpars + vioses + 1

    def get(self, uuid: str, schema_type: Optional[str] = None,
            parent: Optional[str] = None) -> StoredObject:
        obj = self.objects.get(uuid.lower())
        if (obj is None or (schema_type and obj.schema_type != schema_type)
                or (parent and (obj.parent or "").lower() != parent.lower())):
            raise EmulatorError(404, "%s %s was not found." % (
                schema_type or "Object", uuid), "Not Found")
        return obj

    def of_type(self, schema_type: str, parent: Optional[str] = None):
        return [o for o in self.objects.values()
                if o.schema_type == schema_type
                and (parent is None
                     or (o.parent or "").lower() == parent.lower())]

    def create(self, schema_type: str, element, parent: Optional[str]):
        """Store a PUT object under a new UUID (and partition ID)."""
        uuid = objs.new_uuid(self.rng)
        _set_atom_id(element, uuid)
        if schema_type in PARTITION_TYPES:
            for tag, value in (("PartitionUUID", uuid),
                               ("PartitionID", str(self.next_id))):
                prop = element.find(UOM + tag)
                if prop is None:
                    prop = etree.Element(UOM + tag, kb="ROO", kxe="false")
                    insert_in_order(element, prop,
                                     self.orders.get(schema_type, []))
                prop.text = value
            self.next_id += 1
        obj = StoredObject(uuid, schema_type, parent or self.ms_uuid,
                           element, self.orders.get(schema_type, []))
        self.objects[uuid.lower()] = obj
        return obj

    def replace(self, obj: StoredObject, element, shown: frozenset,
                body: bytes = b""):
        """Store a POSTed element, keeping the groups it was not shown.

        When the element is stored as it came, what is served for it is
        the POSTed ``body`` itself (no re-serialisation).
        """
        as_sent = True
        hidden = obj.groups - shown
        if hidden:  # keep what the client was not shown
            for child in list(element):
                group = child.get("group") if isinstance(child.tag, str) \
                    else None
                if group in hidden:
                    element.remove(child)  # not the client's to change
            for child in obj.element():
                if child.get("group") in hidden:
                    insert_in_order(element, copy.deepcopy(child), obj.order)
            as_sent = False
        atom_id = element.find(_ATOM_ID_PATH)
        if atom_id is not None and atom_id.text != obj.uuid:
            atom_id.text = obj.uuid
            as_sent = False
        body = body.strip()
        if not (body.startswith(b"<") and not body.startswith(b"<?")):
            as_sent = False
        obj.set_element(element, body if as_sent else None)
        obj.version += 1

    def change(self, obj: StoredObject, path: str, value) -> None:
        """Set the text at ``path`` (out of band); KeyError if none."""
        element = obj.element()
        found = find_path(element, path)
        if found is None:
            raise KeyError("%s has no %s." % (obj.uuid, path))
        found.text = str(value)
        obj.set_element(element)


def _set_atom_id(element, uuid: str):
    """Give ``element`` a ``Metadata/Atom/AtomID`` of ``uuid``."""
    meta = element.find(UOM + "Metadata")
    if meta is None:
        meta = etree.Element(UOM + "Metadata")
        element.insert(0, meta)
    atom = meta.find(UOM + "Atom")
    if atom is None:
        atom = etree.SubElement(meta, UOM + "Atom")
    atom_id = atom.find(UOM + "AtomID")
    if atom_id is None:
        atom_id = etree.SubElement(atom, UOM + "AtomID")
    atom_id.text = uuid
