"""Naming a client partition: its short id or its UUID (shared by the
mapper modules)."""

from typing import Any, Optional, Tuple, Union

from oslo_utils import uuidutils

from pypvm_tx.i18n import _

ClientId = Union[int, str]


def id_or_uuid(client: ClientId) -> Tuple[bool, Union[int, str]]:
    """``(True, uuid)`` for a UUID, ``(False, short_id)`` for a short id
    (an int, or a string of one).

    :raises ValueError: ``client`` is neither.
    """
    if isinstance(client, str) and uuidutils.is_uuid_like(client):
        return True, client
    try:
        if isinstance(client, bool):
            raise ValueError
        return False, int(client)
    except (TypeError, ValueError):
        raise ValueError(_("A client partition is named by its short id "
                           "(an integer) or its UUID; got %r.") % (client,))


def href_uuid(href: Optional[str]) -> Optional[str]:
    """The UUID an object link ends with (query and fragment ignored)."""
    if not href:
        return None
    path = href.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] or None


def same_uuid(one: Optional[str], two: Optional[str]) -> bool:
    """UUIDs compared as UUIDs (the server writes some in upper case)."""
    return one is not None and two is not None and one.lower() == two.lower()


def serves_client(mapping: Any, client_lpar_id: ClientId) -> bool:
    """Whether a SCSI or VFC ``mapping`` serves that client partition.

    A UUID is matched against the mapping's client link; a short id
    against its server adapter, which names the client even in an orphan
    mapping (one whose client adapter is gone).
    """
    is_uuid, client = id_or_uuid(client_lpar_id)
    if is_uuid:
        return same_uuid(href_uuid(mapping.client_lpar_href), str(client))
    server = mapping.server_adapter
    return server is not None and server.lpar_id == client
