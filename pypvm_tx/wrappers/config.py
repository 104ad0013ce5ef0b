"""Parts of an object that the server may leave out: configuration
elements created on first write, and lists whose container element is
created on first append.

A server reply omits an empty or unrequested part (a VIOS read without
its mapping group has no ``VirtualSCSIMappings``; a new LPAR has no I/O
configuration yet).  Reading such a part gives what each value reads when
absent; writing to it inserts the missing elements where the schema puts
them, so the object written back stays valid.
"""

from typing import Callable, Optional, Sequence, Type, TypeVar

from lxml import etree

from pypvm_tx.wrappers.base import (ElementWrapper, Wrapper, WrapperElemList,
                                    insert_in_order, new_element)

_Config = TypeVar("_Config", bound="ConfigElement")


class ConfigElement(ElementWrapper):
    """A configuration sub-element that is created on first write.

    Reading from a configuration the server did not send gives what each
    value reads when absent (``None``, or ``0`` / ``False`` where a field
    says so).  The first value set on it inserts the element into
    its parent in schema order (and the parent into its own parent, if
    that was missing too), so the object written back stays valid.
    """

    def __init__(self, element: etree._Element,
                 attach: Optional[Callable[[], None]] = None):
        super().__init__(element)
        self._attach = attach

    @classmethod
    def _of(cls: Type[_Config], parent: Wrapper, order: Sequence[str],
            ensure_parent: Optional[Callable[[], None]] = None
            ) -> _Config:
        """The ``cls`` child of ``parent``: wrapped if present, else a new
        element inserted (by ``order``) the first time a value is set."""
        elem = parent.element.find("{%s}%s" % (cls.schema_ns, cls.schema_type))
        if elem is not None:
            return cls(elem)
        new = new_element(cls.schema_type, cls.schema_ns, metadata=True)

        def attach():
            if ensure_parent is not None:
                ensure_parent()
            if new.getparent() is None:
                insert_in_order(parent.element, new, order)
        return cls(new, attach=attach)

    @property
    def is_present(self) -> bool:
        """Whether the element is (now) part of the object's XML."""
        return self._attach is None or self.element.getparent() is not None

    def _ensure_attached(self) -> None:
        if self._attach is not None:
            self._attach()

    def _set_val(self, path, value, child_orders=None):
        self._ensure_attached()
        return super()._set_val(path, value, child_orders=child_orders)


class SeededElemList(WrapperElemList):
    """A live list of the ``child_class`` children of ``owner``'s
    ``container`` element, which is created (in ``owner``'s schema order)
    on the first append when the server did not send it.

    :param owner: the wrapper the container belongs in (a
        :class:`ConfigElement` not yet in its object is attached first).
    :param container: the local name of the container element.
    """

    def __init__(self, owner: Wrapper, container: str,
                 child_class: Type[ElementWrapper]) -> None:
        root = owner.element.find("{%s}%s" % (owner.schema_ns, container))
        self._pending = root is None
        if root is None:
            root = new_element(container, owner.schema_ns, metadata=True)
        super().__init__(root, child_class)
        self._owner = owner

    def append(self, item: ElementWrapper) -> None:
        self._check(item)
        self._seed()
        super().append(item)

    def _seed(self) -> None:
        """Put the container into the owner's XML, once."""
        if not self._pending:
            return
        if isinstance(self._owner, ConfigElement):
            self._owner._ensure_attached()
        insert_in_order(self._owner.element, self.root,
                        self._owner.child_order)
        self._pending = False
