"""The wrapper base: EntryWrapper, getters (SPEC W1.1-W1.6, W2), with a
mocked adapter."""

from unittest import mock

import pytest
from lxml import etree

from pypvm_tx import adapter as adp
from pypvm_tx import const as c
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers import logical_partition as lpar
from pypvm_tx.wrappers import managed_system as ms
from pypvm_tx.wrappers import virtual_io_server as vios
from tests.unit.tx_fakes import lpar_xml

BASE = "https://hmc.example:12443"
MS_UUID = "0d8a9ab1-4ba2-3b56-9a3f-0d2e0c8bd1f4"
U1 = "1C6F7E2B-96C4-4D0C-86B6-2B7E3F63E0A1"
U2 = "2A4D2B0B-5C39-4B27-8E0D-51C19CF22F6A"


def entry_xml(uuid, href, content, etag=None):
    etag_elem = ('<etag:etag xmlns:etag="%s">%s</etag:etag>' % (c.ETAG_NS, etag)
                 if etag is not None else "")
    return ('<entry><id>{uuid}</id><title>LogicalPartition</title>'
            '<link rel="SELF" href="{href}"/>{etag}'
            '<content type="{ctype}">{content}</content></entry>').format(
        uuid=uuid, href=href, etag=etag_elem, content=content,
        ctype=c.uom_content_type("LogicalPartition"))


def lpar_href(uuid, query=""):
    return BASE + "/rest/api/uom/LogicalPartition/" + uuid + query


def entry_response(uuid=U1, etag="100", name="vm", mem=2048, query="",
                   method="GET", adapter=None, status=200):
    body = entry_xml(uuid, lpar_href(uuid, query), lpar_xml(uuid, name, mem))
    body = body.replace("<entry>", '<entry xmlns="%s">' % c.ATOM_NS, 1)
    return adp.Response(method, lpar_href(uuid, query), status, "OK",
                        {"ETag": etag}, body=body.encode(), adapter=adapter)


def feed_response(entries, etag="999", adapter=None):
    """``entries``: [(uuid, etag, name)]."""
    body = ('<feed xmlns="%s"><id>f</id><link rel="SELF" href="%s"/>%s'
            '</feed>') % (c.ATOM_NS, BASE + "/rest/api/uom/LogicalPartition",
                          "".join(entry_xml(u, lpar_href(u), lpar_xml(u, n),
                                            etag=e)
                                  for u, e, n in entries))
    return adp.Response("GET", "/rest/api/uom/LogicalPartition", 200, "OK",
                        {"ETag": etag}, body=body.encode(), adapter=adapter)


def not_modified():
    return adp.Response("GET", lpar_href(U1), 304, "Not Modified", {})


@pytest.fixture
def adapter():
    return mock.create_autospec(adp.Adapter, instance=True)


# -- W1.1 wrap -------------------------------------------------------------

def test_w1_1_wrap_entry_takes_header_etag():
    """W1.1: a single entry gives one wrapper with the response's ETag."""
    w = ewrap.EntryWrapper.wrap(entry_response(etag="-42"))
    assert type(w) is lpar.LPAR
    assert w.etag == "-42"


def test_w1_1_wrap_entry_explicit_etag_wins():
    """W1.1: wrap(resp, etag=...) overrides the header."""
    assert ewrap.EntryWrapper.wrap(entry_response(), etag="7").etag == "7"


def test_w1_1_wrap_feed_gives_list_with_per_entry_etags():
    """W1.1: a feed gives a list, each wrapper with its entry's etag, not
    the feed's ETag header."""
    ws = ewrap.EntryWrapper.wrap(feed_response(
        [(U1, "11", "a"), (U2, "-22", "b")], etag="999"))
    assert [type(w) for w in ws] == [lpar.LPAR, lpar.LPAR]
    assert [(w.uuid, w.etag, w.name) for w in ws] == [
        (U1, "11", "a"), (U2, "-22", "b")]


def test_w1_1_wrap_204_is_empty_list():
    """W1.1/A2.1: 204 on a feed means an empty feed."""
    resp = adp.Response("GET", "/rest/api/uom/LogicalPartition", 204,
                        "No Content", {})
    assert ewrap.EntryWrapper.wrap(resp) == []


def test_w1_1_wrap_entry_object():
    """W1.1: an adapter Entry wraps too, with its own etag."""
    feed = feed_response([(U1, "11", "a")]).feed
    w = ewrap.EntryWrapper.wrap(feed.entries[0])
    assert (w.uuid, w.etag) == (U1, "11")


@pytest.mark.parametrize("bad", [None, "<entry/>", b"", 42, object()])
def test_w1_1_wrap_rejects_other_input(bad):
    """W1.1: TypeError for anything but a Response or an Entry, saying what
    is accepted."""
    with pytest.raises(TypeError, match="Response or Entry"):
        ewrap.EntryWrapper.wrap(bad)


def test_w1_1_subclass_wrap_keeps_subclass():
    """W1.1: wrap on a subclass returns that subclass."""
    assert type(lpar.LPAR.wrap(entry_response())) is lpar.LPAR


def test_w1_1_unregistered_type_wraps_as_base():
    """W1.1: an element type nobody registered wraps as EntryWrapper."""
    body = ('<entry xmlns="%s"><id>x</id><content type="t"><Thing xmlns="%s">'
            '</Thing></content></entry>') % (c.ATOM_NS, c.UOM_NS)
    resp = adp.Response("GET", "/p", 200, "OK", {"ETag": "1"}, body=body)
    assert type(ewrap.EntryWrapper.wrap(resp)) is ewrap.EntryWrapper


# -- W1.3 identity -----------------------------------------------------------

def test_w1_3_identity():
    """W1.3: uuid, etag, href, element, schema_type, adapter, toxmlstring."""
    ad = object()
    w = ewrap.EntryWrapper.wrap(entry_response(query="?group=None",
                                               adapter=ad))
    assert w.uuid == U1
    assert w.href == lpar_href(U1, "?group=None")
    assert w.schema_type == "LogicalPartition"
    assert etree.QName(w.element).localname == "LogicalPartition"
    assert w.adapter is ad
    assert w.toxmlstring().startswith(b"<LogicalPartition:LogicalPartition")
    assert b"\n" in w.toxmlstring(pretty=True)


def test_w1_3_uuid_from_metadata_without_entry():
    """W1.3: a wrapper on a bare element takes its uuid from AtomID."""
    elem = etree.fromstring(lpar_xml(U2))
    w = lpar.LPAR(element=elem)
    assert w.uuid == U2
    assert w.href is None and w.etag is None


# -- W1.4 update -----------------------------------------------------------

def test_w1_4_update_posts_to_self_path_with_group_and_etag(adapter):
    """W1.4: update() POSTs this wrapper to the SELF path with its group=
    query, If-Match etag and the timeout, and returns a new wrapper."""
    w = ewrap.EntryWrapper.wrap(entry_response(
        query="?group=ViosSCSIMapping,ViosFCMapping", etag="5",
        adapter=adapter))
    adapter.update_by_path.return_value = entry_response(
        etag="6", name="renamed", method="POST")
    new = w.update(timeout=30)
    adapter.update_by_path.assert_called_once_with(
        w, "5", "/rest/api/uom/LogicalPartition/%s"
        "?group=ViosSCSIMapping,ViosFCMapping" % U1, timeout=30)
    assert new is not w
    assert type(new) is lpar.LPAR
    assert (new.etag, new.name) == ("6", "renamed")
    assert new.adapter is adapter  # kept even if the response had none


@pytest.mark.parametrize("session_timeout, expected", [
    (1200, 3600), (3600, 3600), (7200.5, 7200.5), (None, None),
    ("not a number", 3600)])
def test_w1_4_update_default_timeout(adapter, session_timeout, expected):
    """W1.4 / W3 (rev 2): update()'s default timeout (-1) is the peer's,
    max(3600, the session's timeout); a session without a timeout keeps
    none; an explicit timeout is passed as given."""
    adapter.session = mock.Mock(timeout=session_timeout)
    w = ewrap.EntryWrapper.wrap(entry_response(adapter=adapter))
    adapter.update_by_path.return_value = entry_response(etag="2")
    w.update()
    assert adapter.update_by_path.call_args.kwargs == {"timeout": expected}
    w.update(timeout=5)
    assert adapter.update_by_path.call_args.kwargs == {"timeout": 5}


def test_w1_4_update_default_timeout_without_session(adapter):
    """W3 (rev 2): an adapter double with no session gets the hour."""
    w = ewrap.EntryWrapper.wrap(entry_response(adapter=adapter))
    adapter.update_by_path.return_value = entry_response(etag="2")
    w.update()
    assert adapter.update_by_path.call_args.kwargs == {"timeout": 3600}


def test_w1_4_update_mismatch_raises_412(adapter):
    """W1.4: a stale etag surfaces as the adapter's HttpError 412."""
    from pypvm_tx import exceptions as pvmex
    w = ewrap.EntryWrapper.wrap(entry_response(adapter=adapter))
    err = adp.Response("POST", lpar_href(U1), 412, "Precondition Failed", {})
    adapter.update_by_path.side_effect = pvmex.http_error_for(err)
    with pytest.raises(pvmex.HttpError) as info:
        w.update()
    assert info.value.response.status == 412


def test_w1_4_update_without_adapter_or_href_is_clear():
    """W1.4: update() on a wrapper that cannot be written says why."""
    with pytest.raises(ValueError, match="no adapter"):
        ewrap.EntryWrapper.wrap(entry_response()).update()
    with pytest.raises(ValueError, match="create"):
        lpar.LPAR.bld(mock.Mock()).update()


# -- W1.5 refresh ----------------------------------------------------------

def test_w1_5_refresh_304_returns_self(adapter):
    """W1.5: refresh() sends If-None-Match; 304 returns the same object."""
    w = ewrap.EntryWrapper.wrap(entry_response(etag="5", adapter=adapter))
    adapter.read_by_href.return_value = not_modified()
    assert w.refresh() is w
    adapter.read_by_href.assert_called_once_with(lpar_href(U1), etag="5")


def test_w1_5_refresh_changed_returns_new_wrapper(adapter):
    """W1.5: a changed object gives a new wrapper with the new etag."""
    w = ewrap.EntryWrapper.wrap(entry_response(etag="5", adapter=adapter))
    adapter.read_by_href.return_value = entry_response(etag="8", mem=4096)
    new = w.refresh()
    assert new is not w
    assert (new.etag, new.mem_config.desired) == ("8", 4096)
    assert new.adapter is adapter
    assert w.etag == "5"  # the old wrapper is untouched


def test_w1_5_refresh_without_etag_always_fetches(adapter):
    """W1.5: use_etag=False sends no etag."""
    w = ewrap.EntryWrapper.wrap(entry_response(etag="5", adapter=adapter))
    adapter.read_by_href.return_value = entry_response(etag="5")
    new = w.refresh(use_etag=False)
    adapter.read_by_href.assert_called_once_with(lpar_href(U1), etag=None)
    assert new is not w


# -- W1.6 create / delete ------------------------------------------------------

def test_w1_6_create_root(adapter):
    """W1.6: create() PUTs a ROOT object of the wrapper's type."""
    new = lpar.LPAR.bld(adapter)
    new.name = "fresh"
    adapter.create.return_value = entry_response(etag="1", name="fresh")
    created = new.create()
    adapter.create.assert_called_once_with(new, "LogicalPartition")
    assert (created.uuid, created.etag, created.name) == (U1, "1", "fresh")
    assert created.adapter is adapter


@pytest.mark.parametrize("how", ["class", "string", "wrapper"])
def test_w1_6_create_child(adapter, how):
    """W1.6: create() as a CHILD of a parent given by class, schema type
    string, or wrapper."""
    system = ms.System(element=ms.System.bld(None).element)
    system.element.find("{%s}Metadata/{%s}Atom" % (c.UOM_NS, c.UOM_NS)
                        ).append(etree.Element("{%s}AtomID" % c.UOM_NS))
    system._find("Metadata/Atom/AtomID").text = MS_UUID
    kwargs = {"class": {"parent_type": ms.System, "parent_uuid": MS_UUID},
              "string": {"parent_type": "ManagedSystem",
                         "parent_uuid": MS_UUID},
              "wrapper": {"parent": system}}[how]
    new = lpar.LPAR.bld(adapter)
    adapter.create.return_value = entry_response()
    new.create(**kwargs)
    adapter.create.assert_called_once_with(
        new, "ManagedSystem", root_id=MS_UUID, child_type="LogicalPartition")


def test_w1_6_create_rejects_half_a_parent(adapter):
    """W1.6: a parent type without a UUID (or vice versa) is refused."""
    new = lpar.LPAR.bld(adapter)
    with pytest.raises(ValueError, match="together"):
        new.create(parent_type=ms.System)
    with pytest.raises(ValueError, match="together"):
        new.create(parent_uuid=MS_UUID)
    adapter.create.assert_not_called()


def test_w1_6_delete(adapter):
    """W1.6: delete() DELETEs the SELF href with the etag."""
    w = ewrap.EntryWrapper.wrap(entry_response(etag="3", adapter=adapter))
    w.delete()
    adapter.delete_by_href.assert_called_once_with(lpar_href(U1), etag="3")


# -- W1.2 get / getter -----------------------------------------------------

def test_w1_2_get_root_entry_and_feed(adapter):
    """W1.2: get() reads ROOT entries and feeds, with xag."""
    adapter.read.return_value = entry_response()
    w = lpar.LPAR.get(adapter, uuid=U1, xag=["ViosSCSIMapping"])
    adapter.read.assert_called_once_with("LogicalPartition", root_id=U1,
                                         xag=["ViosSCSIMapping"])
    assert w.uuid == U1 and w.adapter is adapter
    adapter.read.reset_mock()
    adapter.read.return_value = feed_response([(U1, "1", "a")])
    ws = lpar.LPAR.get(adapter)
    adapter.read.assert_called_once_with("LogicalPartition", root_id=None)
    assert [w.adapter for w in ws] == [adapter]


def test_w1_2_get_child(adapter):
    """W1.2: get() under a parent reads the CHILD path."""
    adapter.read.return_value = entry_response()
    vios.VIOS.get(adapter, uuid=U1, parent_type=ms.System,
                  parent_uuid=MS_UUID)
    adapter.read.assert_called_once_with(
        "ManagedSystem", root_id=MS_UUID, child_type="VirtualIOServer",
        child_id=U1)


def test_w1_2_get_passes_read_kwargs_through(adapter):
    """W1.2 (rev 2): get(..., **read_kwargs) hands them to Adapter.read as
    the peer does; the UUID may come as root_id / child_id."""
    adapter.read.return_value = entry_response()
    w = lpar.LPAR.get(adapter, root_id=U1, timeout=12, xag=[])
    adapter.read.assert_called_once_with("LogicalPartition", root_id=U1,
                                         timeout=12, xag=[])
    assert w.uuid == U1
    adapter.read.reset_mock()
    vios.VIOS.get(adapter, parent_type="ManagedSystem", parent_uuid=MS_UUID,
                  child_id=U1, detail="x")
    adapter.read.assert_called_once_with(
        "ManagedSystem", root_id=MS_UUID, child_type="VirtualIOServer",
        child_id=U1, detail="x")


@pytest.mark.parametrize("kwargs", [
    {"uuid": U1, "root_id": U1},
    {"child_type": "VirtualIOServer"},
    {"child_id": U1},
    {"parent_type": "ManagedSystem", "parent_uuid": MS_UUID,
     "root_id": MS_UUID},
    {"parent_type": "ManagedSystem", "parent_uuid": MS_UUID, "uuid": U1,
     "child_id": U1},
])
def test_w1_2_get_refuses_ambiguous_read_kwargs(adapter, kwargs):
    """W1.2 (rev 2): what get() derives itself (the type path and the UUID
    said twice) is refused before anything is read."""
    with pytest.raises(ValueError):
        lpar.LPAR.get(adapter, **kwargs)
    adapter.read.assert_not_called()


def test_w1_2_getter_kinds(adapter):
    """W1.2: getter() gives an EntryWrapperGetter for a UUID, else a
    FeedGetter; nothing is fetched yet."""
    one = lpar.LPAR.getter(adapter, U1)
    feed = lpar.LPAR.getter(adapter, parent_class="ManagedSystem",
                            parent_uuid=MS_UUID, xag=[])
    assert isinstance(one, ewrap.EntryWrapperGetter)
    assert isinstance(feed, ewrap.FeedGetter)
    assert one.uuid == U1
    assert feed.xag == []
    adapter.read.assert_not_called()


# -- W2 getters ------------------------------------------------------------

def test_w2_entry_getter_caches_and_refreshes(adapter):
    """W2: get() GETs once then caches; refresh=True refreshes the cache."""
    adapter.read.return_value = entry_response(etag="1")
    getter = ewrap.EntryWrapperGetter(adapter, lpar.LPAR, U1,
                                      parent_class=ms.System,
                                      parent_uuid=MS_UUID,
                                      xag=["ViosFCMapping"])
    first = getter.get()
    assert getter.get() is first
    adapter.read.assert_called_once_with(
        "ManagedSystem", root_id=MS_UUID, child_type="LogicalPartition",
        child_id=U1, xag=["ViosFCMapping"])
    adapter.read_by_href.return_value = not_modified()
    assert getter.get(refresh=True) is first
    adapter.read_by_href.return_value = entry_response(etag="2")
    second = getter.get(refresh=True)
    assert second.etag == "2" and getter.get() is second
    assert adapter.read.call_count == 1


def test_w2_entry_getter_refresh_first_time_just_gets(adapter):
    """W2: get(refresh=True) with nothing cached is a plain GET."""
    adapter.read.return_value = entry_response()
    ewrap.EntryWrapperGetter(adapter, lpar.LPAR, U1).get(refresh=True)
    adapter.read.assert_called_once()
    adapter.read_by_href.assert_not_called()


@pytest.mark.parametrize("bad", [None, "LPAR", object, ms, lpar.LPAR.bld,
                                 ewrap.EntryWrapper])
def test_w2_getter_rejects_non_wrapper_class(adapter, bad):
    """W2: entry_class must be an EntryWrapper subclass; the message says so."""
    with pytest.raises(ValueError, match="EntryWrapper subclass"):
        ewrap.EntryWrapperGetter(adapter, bad, U1)
    with pytest.raises(ValueError, match="EntryWrapper subclass"):
        ewrap.FeedGetter(adapter, bad)


def test_w2_getter_rejects_element_wrapper_class(adapter):
    """W2: an ElementWrapper class is not an entry class."""
    with pytest.raises(ValueError, match="EntryWrapper subclass"):
        ewrap.EntryWrapperGetter(adapter, vios.VSCSIMapping, U1)


def test_w2_getter_needs_parent_class_and_uuid_together(adapter):
    """W2: a parent class without its UUID (or the reverse) is refused,
    with a message naming both."""
    with pytest.raises(ValueError, match="parent_class and parent_uuid"):
        ewrap.EntryWrapperGetter(adapter, lpar.LPAR, U1,
                                 parent_class=ms.System)
    with pytest.raises(ValueError, match="parent_class and parent_uuid"):
        ewrap.FeedGetter(adapter, lpar.LPAR, parent_uuid=MS_UUID)
    with pytest.raises(ValueError, match="not both"):
        ewrap.FeedGetter(adapter, lpar.LPAR, parent_class=ms.System,
                         parent_uuid=MS_UUID, parent=mock.Mock())
    with pytest.raises(ValueError, match="ManagedSystem"):
        ewrap.FeedGetter(adapter, lpar.LPAR, parent_class=42,
                         parent_uuid=MS_UUID)
    with pytest.raises(ValueError, match="schema type"):
        ewrap.FeedGetter(adapter, lpar.LPAR, parent_class=ewrap.EntryWrapper,
                         parent_uuid=MS_UUID)
    with pytest.raises(ValueError, match="schema type and a UUID"):
        ewrap.FeedGetter(adapter, lpar.LPAR, parent=mock.Mock(
            schema_type="ManagedSystem", uuid=None))


def test_w2_parent_by_protocol(adapter):
    """W2, T8: a parent (class or object) is taken by its schema_type and
    uuid, so pypowervm's wrappers and their mocks serve as parents."""

    class PeerSystem:  # a stand-in for pypowervm's System class
        schema_type = "ManagedSystem"

    adapter.read.side_effect = lambda *a, **k: entry_response(U1)
    lpar.LPAR.getter(adapter, U1, parent_class=PeerSystem,
                     parent_uuid=MS_UUID).get()
    lpar.LPAR.getter(adapter, U1, parent=mock.Mock(
        schema_type="ManagedSystem", uuid=MS_UUID)).get()
    expected = mock.call("ManagedSystem", MS_UUID,
                         child_type="LogicalPartition", child_id=U1,
                         xag=None)
    assert adapter.read.call_args_list == [expected, expected]


def test_w2_getter_needs_uuid(adapter):
    """W2: an EntryWrapperGetter without a UUID is refused."""
    with pytest.raises(ValueError, match="UUID"):
        ewrap.EntryWrapperGetter(adapter, lpar.LPAR, None)


def test_w2_feed_getter_cache_refresh_refetch(adapter):
    """W2: get() fetches once; refresh=True refreshes each entry;
    refetch=True GETs the feed again."""
    adapter.read.return_value = feed_response([(U1, "1", "a"),
                                               (U2, "2", "b")])
    getter = ewrap.FeedGetter(adapter, lpar.LPAR)
    feed = getter.get()
    assert [w.uuid for w in feed] == [U1, U2]
    assert getter.get() is feed
    # The getter spells the call as pypowervm's getters do, so consumers'
    # tests asserting it hold (issue 9; the peer's own TestGetters).
    adapter.read.assert_called_once_with("LogicalPartition", None,
                                         child_type=None, child_id=None,
                                         xag=None)
    adapter.read_by_href.side_effect = [not_modified(),
                                        entry_response(U2, etag="3")]
    refreshed = getter.get(refresh=True)
    assert refreshed[0] is feed[0]
    assert refreshed[1].etag == "3"
    assert [call.kwargs["etag"] for call in
            adapter.read_by_href.call_args_list] == ["1", "2"]
    adapter.read.return_value = feed_response([(U2, "4", "b")])
    assert [w.etag for w in getter.get(refetch=True)] == ["4"]
    assert adapter.read.call_count == 2


def test_w2_uuid_feed_getter_single_gets(adapter):
    """W2: UUIDFeedGetter builds the feed from one GET per UUID."""
    adapter.read.side_effect = [entry_response(U1, etag="1"),
                                entry_response(U2, etag="2")]
    getter = ewrap.UUIDFeedGetter(adapter, lpar.LPAR, [U1, U2],
                                  parent_class=ms.System,
                                  parent_uuid=MS_UUID)
    feed = getter.get()
    assert [(w.uuid, w.etag) for w in feed] == [(U1, "1"), (U2, "2")]
    assert adapter.read.call_args_list == [
        mock.call("ManagedSystem", MS_UUID, child_type="LogicalPartition",
                  child_id=uuid, xag=None) for uuid in (U1, U2)]
    assert getter.get() is feed


def test_w2_entry_getter_reads_as_the_peer(adapter):
    """W2: an entry getter's GET is read(root_type, root_id, child_type=,
    child_id=, xag=), as pypowervm's getters call it (ROOT and CHILD)."""
    adapter.read.side_effect = [entry_response(U1, etag="1"),
                                entry_response(U1, etag="1")]
    lpar.LPAR.getter(adapter, U1, xag=["One"]).get()
    lpar.LPAR.getter(adapter, U1, parent_class="ManagedSystem",
                     parent_uuid=MS_UUID).get()
    assert adapter.read.call_args_list == [
        mock.call("LogicalPartition", U1, child_type=None, child_id=None,
                  xag=["One"]),
        mock.call("ManagedSystem", MS_UUID, child_type="LogicalPartition",
                  child_id=U1, xag=None)]


def test_w2_uuid_feed_getter_rejects_single_string(adapter):
    """W2: a bare string is not a list of UUIDs."""
    with pytest.raises(ValueError, match="list of UUIDs"):
        ewrap.UUIDFeedGetter(adapter, lpar.LPAR, U1)


# -- ElementWrapper / WrapperElemList / insert_in_order --------------------

def test_w3_insert_in_order_positions():
    """W3: insert_in_order puts a child before the first sibling the order
    places after it; with none (siblings unknown to the order don't count),
    or when its own name is unknown, it is appended."""
    parent = etree.fromstring("<p><a/><c/><z/></p>")
    ewrap.insert_in_order(parent, etree.Element("b"), ("a", "b", "c"))
    ewrap.insert_in_order(parent, etree.Element("d"), ("a", "b", "c", "d"))
    ewrap.insert_in_order(parent, etree.Element("x"), ("a", "b"))
    assert [e.tag for e in parent] == ["a", "b", "c", "z", "d", "x"]


def test_w3_element_wrapper_wrap_checks_type():
    """W3: ElementWrapper.wrap needs an lxml element."""
    with pytest.raises(TypeError, match="lxml element"):
        vios.VSCSIMapping.wrap("<VirtualSCSIMapping/>")


def test_w1_1_wrapping_a_large_feed_parses_it_once():
    """W1.1/A3: wrap parses a large feed's body once, whole, and reads
    every entry's class, uuid, etag and href from it; using an entry's
    element parses nothing more."""
    entries = [("%08d-0000-4000-8000-000000000000" % i, str(i), "vm%d" % i)
               for i in range(400)]
    resp = feed_response(entries)
    with mock.patch.object(adp, "parse_xml", wraps=adp.parse_xml) as parse:
        wrappers = ewrap.EntryWrapper.wrap(resp)
        assert [type(w) for w in wrappers] == [lpar.LPAR] * 400
        assert [(w.uuid, w.etag) for w in wrappers] == [
            (u, e) for u, e, _ in entries]
        assert wrappers[7].href == lpar_href(entries[7][0])
        assert wrappers[7].name == "vm7"
        assert parse.call_count == 1


def test_w1_1_entry_without_content_fails_clearly_at_wrap():
    """W1.1 / A3 rev 2: an entry with no content element does not wrap:
    AtomError at wrap(), naming the entry, not later when it is used."""
    from pypvm_tx import exceptions as pvmex
    body = ('<entry xmlns="%s"><id>%s</id><link rel="SELF" href="%s"/>'
            '</entry>') % (c.ATOM_NS, U1, lpar_href(U1))
    with pytest.raises(pvmex.AtomError, match="no object element") as info:
        ewrap.EntryWrapper.wrap(
            adp.Response("GET", "/p", 200, "OK", {"ETag": "1"}, body=body))
    assert U1 in str(info.value)


def test_w1_4_update_without_etag_is_refused_not_sent_blind(adapter):
    """W1.4: a wrapper with no etag cannot send If-Match; update() refuses
    rather than POST without one (which would overwrite any out-of-band
    change: a lost update)."""
    resp = entry_response(adapter=adapter)
    resp.headers.pop("ETag")
    w = ewrap.EntryWrapper.wrap(resp)
    assert w.etag is None
    with pytest.raises(ValueError, match="no etag"):
        w.update()
    adapter.update_by_path.assert_not_called()


@pytest.mark.parametrize("reply", [
    adp.Response("POST", lpar_href(U1), 204, "No Content", {}),
    feed_response([(U1, "1", "a")]),
])
def test_w1_4_update_reply_without_one_entry_is_an_error(adapter, reply):
    """W1.4: a POST answered 204 (or with a feed) is an AtomError, never a
    "successful" update returning a list instead of the new wrapper."""
    from pypvm_tx import exceptions as pvmex
    w = ewrap.EntryWrapper.wrap(entry_response(adapter=adapter))
    adapter.update_by_path.return_value = reply
    with pytest.raises(pvmex.AtomError, match="no single entry"):
        w.update()


def test_w1_5_refresh_and_w1_2_get_answered_without_an_entry_fail(adapter):
    """W1.5 / W1.2: refresh() or get(uuid) answered with an empty 204 is an
    AtomError, not an empty list cached as the object."""
    from pypvm_tx import exceptions as pvmex
    empty = adp.Response("GET", lpar_href(U1), 204, "No Content", {})
    w = ewrap.EntryWrapper.wrap(entry_response(adapter=adapter))
    adapter.read_by_href.return_value = empty
    with pytest.raises(pvmex.AtomError):
        w.refresh()
    adapter.read.return_value = empty
    with pytest.raises(pvmex.AtomError):
        lpar.LPAR.get(adapter, uuid=U1)
    with pytest.raises(pvmex.AtomError):
        lpar.LPAR.getter(adapter, U1).get()
    assert lpar.LPAR.get(adapter) == []  # a feed GET: 204 is empty (A2.1)


def test_w1_6_create_answered_without_an_entry_fails(adapter):
    """W1.6: a PUT answered 204 is an AtomError, not a list."""
    from pypvm_tx import exceptions as pvmex
    adapter.create.return_value = adp.Response(
        "PUT", "/rest/api/uom/LogicalPartition", 204, "No Content", {})
    with pytest.raises(pvmex.AtomError):
        lpar.LPAR.bld(adapter).create()
