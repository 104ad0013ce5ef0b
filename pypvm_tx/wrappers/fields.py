"""Declared fields: a wrapper property given by where its value lives.

Most of a wrapper's properties read one child's text as a ``str``,
``int``, ``float`` or ``bool``, and some write it back.  A :class:`Field`
says that in one line instead of a getter and a setter::

    class PartitionMemoryConfiguration(ConfigElement):
        desired = Field("DesiredMemory", int, settable=True,
                        doc="Desired memory in MB.")

A field is a :class:`property`, so it behaves, documents and refuses
writes exactly like a hand-written one.
"""

from typing import Any, Callable, Dict, Optional

from pypvm_tx.i18n import _

#: The Wrapper method that reads each kind (absent -> None).
_READERS: Dict[type, str] = {
    str: "_get_val_str", int: "_get_val_int",
    float: "_get_val_float", bool: "_get_val_bool",
}

#: What a set value goes through by default, per kind: ``int("x")`` raises
#: ValueError as a hand-written setter did; a str is written as given.
_COERCE: Dict[type, Callable[[Any], Any]] = {
    str: lambda value: value, int: int, float: float, bool: bool,
}


class Field(property):
    """A wrapper property holding the text at ``path`` as a ``kind``.

    Reading gives that text converted to ``kind`` (str, int, float or
    bool); ``default`` (None unless given) when the element is absent,
    empty or not of that kind.
    A ``settable`` field writes ``coerce(value)`` there (``coerce``
    defaults to ``kind``; a str is written as given, a bool as
    ``true``/``false``), creating a missing element where the wrapper's
    schema order (``child_order``) puts it; ``coerce`` may refuse a value
    by raising.  Setting a field that is not settable raises
    AttributeError, as for any read-only property.

    :param path: slash-separated local names below the wrapper's element,
        e.g. ``"DesiredMemory"`` or ``"ServerAdapter/AdapterName"``.
    :param kind: the Python type of the value.
    :param settable: whether the field can be set.
    :param doc: the field's docstring (shown in the API reference).
    :param coerce: turns a value being set into what is written.
    :param default: what reading gives when there is no value, e.g. ``0``
        for a count or ``False`` for a flag the server leaves out.
    """

    def __init__(self, path: str, kind: type = str, settable: bool = False,
                 doc: Optional[str] = None,
                 coerce: Optional[Callable[[Any], Any]] = None,
                 default: Any = None):
        if kind not in _READERS:
            raise TypeError(_("A Field's kind must be str, int, float or "
                              "bool; got %r.") % (kind,))
        fset = _writer(path, coerce or _COERCE[kind]) if settable else None
        doc = doc or "``%s``." % path
        super().__init__(_reader(path, _READERS[kind], kind, default), fset,
                         None, doc)
        # A property subclass keeps its docstring in the instance.
        self.__doc__ = doc
        self.path = path
        self.kind = kind
        self.settable = settable
        self.default = default

    def __repr__(self):
        return "<Field %s (%s%s)>" % (self.path, self.kind.__name__,
                                      ", settable" if self.settable else "")


def _reader(path: str, method: str, kind: type,
            default: Any) -> Callable[[Any], Any]:
    def fget(wrapper):
        return getattr(wrapper, method)(path, default)
    # The return type, for the API reference (as a hand-written one has).
    fget.__annotations__ = {"return": kind if default is not None
                            else Optional[kind]}
    return fget


def _writer(path: str, coerce: Callable[[Any], Any]
            ) -> Callable[[Any, Any], None]:
    def fset(wrapper, value) -> None:
        # Coerce first: a refused value leaves the XML (and a not yet
        # attached configuration element) untouched.
        wrapper._set_val(path, coerce(value))
    return fset
