"""The wrappers' base: an lxml element with typed accessors, and the
element helpers every wrapper module builds on.

:class:`Wrapper` reads and writes children by slash-separated paths,
inserting a missing child where the server's schema order puts it.
:class:`ElementWrapper` wraps a part of an object (a SCSI mapping, a
memory configuration) and :class:`WrapperElemList` is a live list of such
parts.  :func:`new_element` builds a new object element and
:func:`insert_in_order` places a child in schema order: the one place
each is done.

This module needs only the protocol constants and messages; the Atom
entry wrapper (:mod:`pypvm_tx.wrappers.entry_wrapper`) builds on it.
"""

from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from lxml import etree
from oslo_log import log as logging

from pypvm_tx import const as c
from pypvm_tx.i18n import _

LOG = logging.getLogger(__name__)


def _local_name(tag) -> str:
    """The tag without its ``{namespace}`` ("" for comments and PIs)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def new_element(name: Optional[str], ns: str = c.UOM_NS,
                metadata: bool = False) -> etree._Element:
    """A new object element ``{ns}name`` as the server expects one.

    It declares ``ns`` as its default namespace and carries the
    ``schemaVersion`` attribute; with ``metadata`` it starts with the empty
    ``Metadata/Atom`` child that heads every object the server accepts.
    """
    if not name:
        raise TypeError(_("Cannot build an element without a schema type: "
                          "declare it with @Wrapper.pvm_type(...)."))
    elem = etree.Element("{%s}%s" % (ns, name),
                         attrib={"schemaVersion": c.SCHEMA_VERSION},
                         nsmap={None: ns})  # type: ignore[dict-item]
    if metadata:
        sub_element(sub_element(elem, "Metadata", ns=ns), "Atom", ns=ns)
    return elem


def sub_element(parent: etree._Element, name: str, text: object = None,
                attrib: Optional[Dict[str, str]] = None,
                ns: str = c.UOM_NS) -> etree._Element:
    """Append a child ``{ns}name`` to ``parent``, with ``text`` (made a
    string) when given; returns the child."""
    elem = etree.SubElement(parent, "{%s}%s" % (ns, name),
                            attrib=attrib or {})
    if text is not None:
        elem.text = str(text)
    return elem


def insert_in_order(parent: etree._Element, child: etree._Element,
                    order: Sequence[str]) -> None:
    """Insert ``child`` into ``parent`` where the schema ``order`` puts it.

    ``order`` lists children's local names in schema order.  The child goes
    before the first existing sibling that the order places after it; if
    its own name is not in ``order`` (or no order is known) it is appended.
    """
    name = _local_name(child.tag)
    try:
        rank = order.index(name)
    except ValueError:
        parent.append(child)
        return
    later = set(order[rank + 1:])
    for index, sibling in enumerate(parent):
        if _local_name(sibling.tag) in later:
            parent.insert(index, child)
            return
    parent.append(child)


class Wrapper:
    """Common base: an element of the ``schema_ns`` namespace and helpers
    for reading and writing its children by slash-separated paths.

    Subclasses declare ``schema_type`` (the element's local name) and
    ``child_order`` (the local names of its children in schema order, used
    to insert a missing child where the server's schema expects it).
    """

    schema_type: Optional[str] = None
    schema_ns: str = c.UOM_NS
    child_order: Tuple[str, ...] = ()
    has_metadata: bool = False

    _element: etree._Element

    # Cache of "A/B" -> "{ns}A/{ns}B" per namespace; paths are few and fixed.
    _qualified_paths: Dict[Tuple[str, str], str] = {}

    @property
    def element(self) -> etree._Element:
        """The wrapped lxml element."""
        return self._element

    @classmethod
    def pvm_type(cls, schema_type: str, ns: str = c.UOM_NS,
                 child_order: Sequence[str] = ()
                 ) -> Callable[[Type["Wrapper"]], Type["Wrapper"]]:
        """Class decorator naming a subclass's schema type, namespace and
        child order; on an EntryWrapper it also registers the subclass so
        :meth:`EntryWrapper.wrap` picks it for that schema type."""
        def decorate(subclass):
            subclass.schema_type = schema_type
            subclass.schema_ns = ns
            subclass.child_order = tuple(child_order)
            cls._register(subclass)
            return subclass
        return decorate

    @classmethod
    def _register(cls, subclass) -> None:
        """Hook of :meth:`pvm_type`; plain wrappers need no registry."""

    def toxmlstring(self, pretty: bool = False) -> bytes:
        """The wrapped element serialised as XML (UTF-8 bytes)."""
        return etree.tostring(self.element, pretty_print=pretty)

    # -- path helpers for subclasses ------------------------------------

    @classmethod
    def _qualify(cls, path: str) -> str:
        key = (cls.schema_ns, path)
        qualified = cls._qualified_paths.get(key)
        if qualified is None:
            ns = "{%s}" % cls.schema_ns
            qualified = "/".join(ns + part for part in path.split("/"))
            cls._qualified_paths[key] = qualified
        return qualified

    def _find(self, path: str) -> Optional[etree._Element]:
        """The first element at ``path`` below this one, or None."""
        return self.element.find(self._qualify(path))

    def _findall(self, path: str) -> List[etree._Element]:
        return self.element.findall(self._qualify(path))

    def _get_val_str(self, path: str, default: Optional[str] = None
                     ) -> Optional[str]:
        """The stripped text at ``path``; ``default`` if absent or empty."""
        elem = self._find(path)
        if elem is None or elem.text is None:
            return default
        text = elem.text.strip()
        return text if text else default

    def _get_val_number(self, path: str, kind, default):
        """The text at ``path`` converted by ``kind`` (int or float);
        ``default`` if absent, empty or not a number of that kind."""
        text = self._get_val_str(path)
        if text is None:
            return default
        try:
            return kind(text)
        except ValueError:
            LOG.debug("Value %r at %s is not a valid %s.", text, path,
                      kind.__name__)
            return default

    def _get_val_int(self, path: str, default: Optional[int] = None
                     ) -> Optional[int]:
        return self._get_val_number(path, int, default)

    def _get_val_float(self, path: str, default: Optional[float] = None
                       ) -> Optional[float]:
        return self._get_val_number(path, float, default)

    def _get_val_bool(self, path: str, default: Optional[bool] = None
                      ) -> Optional[bool]:
        text = self._get_val_str(path)
        if text is None:
            return default
        return text.lower() == "true"

    def _set_val(self, path: str, value, child_orders: Optional[
            Dict[str, Sequence[str]]] = None) -> etree._Element:
        """Set the text at ``path``, creating missing elements.

        A missing element is inserted where schema order puts it: at the
        first level by this wrapper's ``child_order``, below that by
        ``child_orders[parent_path]`` when given (else appended).  Returns
        the element that now holds the value.
        """
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        parent = self.element
        parts = path.split("/")
        for depth, part in enumerate(parts):
            child = parent.find(self._qualify(part))
            if child is None:
                order: Sequence[str]
                if depth == 0:
                    order = self.child_order
                else:
                    order = (child_orders or {}).get("/".join(parts[:depth]),
                                                     ())
                child = etree.Element("{%s}%s" % (self.schema_ns, part))
                insert_in_order(parent, child, order)
            parent = child
        parent.text = text
        return parent


def _text(value: Optional[str]) -> str:
    return value.strip() if value else ""


def _same_xml(one: etree._Element, two: etree._Element) -> bool:
    """Structural equality of two elements (see ElementWrapper.__eq__)."""
    if (one.tag != two.tag or dict(one.attrib.items()) != dict(two.attrib.items())
            or _text(one.text) != _text(two.text)):
        return False
    kids_one = [k for k in one if isinstance(k.tag, str)]
    kids_two = [k for k in two if isinstance(k.tag, str)]
    return len(kids_one) == len(kids_two) and all(
        _same_xml(a, b) for a, b in zip(kids_one, kids_two))


class ElementWrapper(Wrapper):
    """A part of an object (not an Atom entry), e.g. one SCSI mapping."""

    def __init__(self, element: etree._Element):
        self._element = element

    @classmethod
    def wrap(cls, element: etree._Element) -> "ElementWrapper":
        """Wrap an existing element."""
        if not isinstance(element, etree._Element):
            raise TypeError(_("%(cls)s.wrap needs an lxml element, got "
                              "%(got)s.") % {"cls": cls.__name__,
                                             "got": type(element).__name__})
        return cls(element)

    @classmethod
    def bld_element(cls) -> etree._Element:
        """A new, empty element of this wrapper's schema type."""
        return new_element(cls.schema_type, cls.schema_ns)

    def __eq__(self, other):
        """Same element, or the same XML content: tags, attributes and
        non-blank text, ignoring namespace prefixes and indentation (so a
        copy parsed elsewhere still matches, e.g. for ``remove``)."""
        if not isinstance(other, ElementWrapper):
            return NotImplemented
        return self.element is other.element or _same_xml(self.element,
                                                          other.element)

    def __hash__(self):
        # Must agree with __eq__: equal content means an equal tag.
        return hash(self.element.tag)

    def __repr__(self):
        return "<%s %s>" % (type(self).__name__, self.schema_type)


class WrapperElemList:
    """A live list view of the children of ``root`` that ``child_class``
    wraps (e.g. the ``VirtualSCSIMapping`` elements of a VIOS).

    Appending or removing changes the underlying XML, so the change is
    written back by the owning entry's ``update()``.
    """

    def __init__(self, root: etree._Element,
                 child_class: Type[ElementWrapper]):
        self.root = root
        self.child_class = child_class
        self._tag = "{%s}%s" % (child_class.schema_ns, child_class.schema_type)

    def _elements(self) -> List[etree._Element]:
        return list(self.root.iterchildren(self._tag))

    def __len__(self) -> int:
        return len(self._elements())

    def __iter__(self):
        return (self.child_class.wrap(elem) for elem in self._elements())

    def __getitem__(self, index):
        elems = self._elements()
        if isinstance(index, slice):
            return [self.child_class.wrap(elem) for elem in elems[index]]
        return self.child_class.wrap(elems[index])

    def __contains__(self, item) -> bool:
        return any(item == wrapper for wrapper in self)

    def __eq__(self, other):
        """Equal to a list, tuple or live list of equal wrappers, in the
        same order (so ``io_slots == []`` reads as it looks)."""
        if isinstance(other, (WrapperElemList, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a mutable view

    def __repr__(self):
        return repr(list(self))

    def _check(self, item):
        if not isinstance(item, self.child_class):
            raise TypeError(_("This list holds %(want)s wrappers; got "
                              "%(got)s.") % {"want": self.child_class.__name__,
                                             "got": type(item).__name__})

    def append(self, item: ElementWrapper) -> None:
        """Add ``item`` after the last element of its kind."""
        self._check(item)
        elems = self._elements()
        if elems:
            elems[-1].addnext(item.element)
        else:
            self.root.append(item.element)

    def extend(self, items: Iterable[ElementWrapper]) -> None:
        for item in items:
            self.append(item)

    def remove(self, item: ElementWrapper) -> None:
        """Remove the first element equal to ``item``; ValueError if none."""
        self._check(item)
        for elem in self._elements():
            if elem is item.element or self.child_class.wrap(elem) == item:
                self.root.remove(elem)
                return
        raise ValueError(_("%s is not in the list.") % item)
