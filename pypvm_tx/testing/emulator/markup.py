"""Text-building helpers for the object elements of :mod:`.objects`:
a property with its ``kb``/``kxe`` attributes, a link, a block of
properties with its own ``Metadata``, a list item, and UUIDs in the
server's style.  They write the markup a management console writes,
indentation included, so the generated objects look like the captures."""

import random
import uuid as uuid_mod
from typing import List, Optional
from xml.sax.saxutils import escape

from pypvm_tx import const as c

K2_NS = "http://www.w3.org/XML/1998/namespace/k2"
SCHEMA_VERSION = "V1_2_0"

META_EMPTY = "<Metadata>\n{i}    <Atom/>\n{i}</Metadata>"


def root_open(schema_type: str, version: str = SCHEMA_VERSION) -> str:
    """The root element's start tag, its type as prefix."""
    return ('<{t}:{t} xmlns:{t}="{ns}" xmlns="{ns}" xmlns:ns2="{k2}" '
            'schemaVersion="{v}">').format(t=schema_type, ns=c.UOM_NS,
                                           k2=K2_NS, v=version)


def meta(indent: str) -> str:
    """An empty ``Metadata`` element."""
    return META_EMPTY.format(i=indent)


def prop(tag: str, value, kb: str = "CUD", kxe: str = "false",
         indent: str = "    ", **attrs) -> str:
    """One property element ``<tag kb=.. kxe=..>value</tag>``."""
    extra = "".join(' %s="%s"' % (k, escape(str(v), {'"': "&quot;"}))
                    for k, v in attrs.items())
    if value is None:
        return '%s<%s kb="%s" kxe="%s"%s/>' % (indent, tag, kb, kxe, extra)
    text = escape(str(value).lower() if isinstance(value, bool)
                  else str(value))
    return '%s<%s kb="%s" kxe="%s"%s>%s</%s>' % (indent, tag, kb, kxe, extra,
                                                text, tag)


def link(tag: str, href: str, kb: str = "CUD", indent: str = "    ") -> str:
    """A property that links to another object."""
    return '%s<%s kb="%s" kxe="false" href="%s" rel="related"/>' % (
        indent, tag, kb, escape(href, {'"': "&quot;"}))


def block(tag: str, children: List[str], indent: str = "    ",
          kb: str = "CUD", group: Optional[str] = None,
          schema: bool = True) -> str:
    """A property holding other properties (and its own Metadata)."""
    attrs = ' group="%s"' % group if group else ""
    attrs += ' kb="%s" kxe="false"' % kb
    if schema:
        attrs += ' schemaVersion="%s"' % SCHEMA_VERSION
    inner = indent + "    "
    lines = ["%s<%s%s>" % (indent, tag, attrs)]
    if schema:
        lines.append(inner + meta(inner))
    lines.extend(children)
    lines.append("%s</%s>" % (indent, tag))
    return "\n".join(lines)


def item(tag: str, children: List[str], indent: str) -> str:
    """A list item (no kb/kxe), e.g. ``VirtualSCSIMapping``."""
    inner = indent + "    "
    return "\n".join(["%s<%s schemaVersion=\"%s\">" % (indent, tag,
                                                       SCHEMA_VERSION),
                      inner + meta(inner)] + children
                     + ["%s</%s>" % (indent, tag)])


def new_uuid(rng: random.Random, upper: bool = True) -> str:
    """A random (version 4) UUID; partitions use upper case, and PowerVM
    keeps the top bit of a partition UUID clear."""
    value = uuid_mod.UUID(int=rng.getrandbits(128), version=4)
    text = str(value)
    if upper:
        text = "%x%s" % (int(text[0], 16) & 0x7, text[1:])
        return text.upper()
    return text
