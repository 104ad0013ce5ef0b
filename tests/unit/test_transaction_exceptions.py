"""Unit tests of the exceptions the transaction layer raises (SPEC §5):
their constructors, attributes and messages, as code written against
pypowervm.exceptions builds and reads them."""

import threading

import pytest
from taskflow import exceptions as tf_exc
from taskflow.types import failure as tf_failure

from pypvm_tx import adapter
from pypvm_tx import exceptions as pvmex
from pypvm_tx import transaction as tx
from pypvm_tx.testing.console import FakeConsole

WAIT = 10


def test_s5_error_msg_and_response_positional_or_keyword():
    """§5: Error(msg=None, response=None); .response kept; default text."""
    resp = object()
    err = pvmex.Error("explicit", resp)
    assert str(err) == "explicit" and err.response is resp
    err = pvmex.Error(msg="kw", response=resp)
    assert str(err) == "kw" and err.response is resp
    bare = pvmex.Error()
    assert bare.response is None and str(bare)
    for cls in (pvmex.ConnectionError, pvmex.SSLError, pvmex.TimeoutError,
                pvmex.AtomError, pvmex.WrapperTaskNoSubtasks,
                pvmex.FeedTaskEmptyFeed, pvmex.MultipleExceptionsInFeedTask,
                pvmex.HttpError):
        assert issubclass(cls, pvmex.Error)


def test_s5_http_error_from_response_names_method_path_status_message():
    """§5: HttpError(response) keeps .response and names method, path,
    status and the server's message; 404/401 get their subclasses."""
    body = (b'<HttpErrorResponse xmlns="http://www.ibm.com/xmlns/systems/'
            b'power/firmware/web/mc/2012_10/"><HTTPStatus>412</HTTPStatus>'
            b'<Message>etag mismatch here</Message></HttpErrorResponse>')
    resp = adapter.Response("POST", "/rest/api/uom/LogicalPartition/u1", 412,
                            "Precondition Failed", {}, body=body)
    err = pvmex.HttpError(resp)
    assert err.response is resp
    text = str(err)
    for word in ("POST", "/rest/api/uom/LogicalPartition/u1", "412",
                 "etag mismatch here"):
        assert word in text
    assert err.response.status == 412 and err.response.reqmethod == "POST"
    assert err.response.body == body
    assert isinstance(pvmex.http_error_for(
        adapter.Response("GET", "/p", 404, "NF", {})), pvmex.HttpNotFound)
    assert isinstance(pvmex.http_error_for(
        adapter.Response("GET", "/p", 401, "U", {})), pvmex.HttpUnauth)


def test_s5_wrapper_task_no_subtasks_name_keyword():
    """§5/T4.5: WrapperTaskNoSubtasks(name=) names the task; WrapperTask
    raises it with its own name."""
    assert "my_task" in str(pvmex.WrapperTaskNoSubtasks(name="my_task"))
    server = FakeConsole(count=1)
    with pytest.raises(pvmex.WrapperTaskNoSubtasks, match="wt_empty"):
        tx.WrapperTask("wt_empty", server.wrapper(server.uuids[0])).execute()


def test_s5_feed_task_empty_feed_takes_no_arguments():
    """§5: FeedTaskEmptyFeed() needs no argument and says what is wrong."""
    err = pvmex.FeedTaskEmptyFeed()
    assert "empty feed" in str(err) and err.response is None


def test_s5_multiple_exceptions_constructor_and_attributes():
    """§5: MultipleExceptionsInFeedTask(ft_name, wrapped_failure) keeps
    both; the message names the FeedTask."""
    failures = []
    for exc in (ValueError("a"), KeyError("b")):
        try:
            raise exc
        except Exception:
            failures.append(tf_failure.Failure())
    wrapped = tf_exc.WrappedFailure(failures)
    err = pvmex.MultipleExceptionsInFeedTask("feed_x", wrapped)
    assert err.ft_name == "feed_x" and err.wrapped_failure is wrapped
    assert "feed_x" in str(err)


def test_s5_t5_10_feedtask_wraps_one_taskflow_failure_per_failed_entry():
    """§5/T5.10: the FeedTask's .wrapped_failure is a TaskFlow
    WrappedFailure holding one Failure per failed entry."""
    server = FakeConsole(count=4)
    bad = set(server.uuids[:2])
    meet = threading.Barrier(2, timeout=WAIT)

    def fail(wrapper):
        if wrapper.uuid in bad:
            meet.wait()
            raise ValueError("bad %s" % wrapper.uuid)
        return False

    ftsk = tx.FeedTask("ft_fail", server.feed(), max_workers=4)
    ftsk.add_functor_subtask(fail)
    with pytest.raises(pvmex.MultipleExceptionsInFeedTask) as info:
        ftsk.execute()
    wrapped = info.value.wrapped_failure
    assert isinstance(wrapped, tf_exc.WrappedFailure)
    assert len(wrapped) == 2
    assert all(isinstance(f, tf_failure.Failure) for f in wrapped)
    assert {str(f.exception) for f in wrapped} == {"bad %s" % u for u in bad}
    assert info.value.ft_name == "ft_fail" and "ft_fail" in str(info.value)


def _wrapped(*excs):
    failures = []
    for exc in excs:
        try:
            raise exc
        except Exception:
            failures.append(tf_failure.Failure())
    return tf_exc.WrappedFailure(failures)


def test_s5_multiple_exceptions_message_lists_each_failure_built_directly():
    """§5 rev 2 (issue 7 scope 2): built as pypowervm code builds it,
    MultipleExceptionsInFeedTask(ft_name, wrapped_failure), its str()
    names the FeedTask and holds each failure's own message, one per line
    (a message's own line breaks folded, so it stays one line)."""
    err = pvmex.MultipleExceptionsInFeedTask("feed_x", _wrapped(
        ValueError("disk hdisk4 is busy"),
        pvmex.Error("first line\nsecond line"), KeyError("slot")))
    lines = str(err).splitlines()
    assert "feed_x" in lines[0]
    assert [line.strip() for line in lines[1:]] == [
        "disk hdisk4 is busy", "first line second line", "'slot'"]


def test_s5_multiple_exceptions_message_cut_with_a_count():
    """§5 rev 2: a very long list is cut, saying how many were left out."""
    err = pvmex.MultipleExceptionsInFeedTask("big", _wrapped(
        *[RuntimeError("refused %03d" % n) for n in range(500)]))
    text = str(err)
    lines = text.splitlines()
    assert len(lines) < 60 and len(text) < 5000
    assert "refused 000" in text and "refused 499" not in text
    listed = sum(1 for line in lines if "refused" in line)
    assert str(500 - listed) in lines[-1] and "more" in lines[-1]


def test_s5_t5_10_feedtask_multiple_exceptions_message_in_feed_order():
    """§5 rev 2 / T5.10: raised by a FeedTask, the message is built the
    same way: the FeedTask's name, then each failed entry's message, in
    feed order whatever order they failed in."""
    server = FakeConsole(count=6)

    def fail(wrapper):
        raise ValueError("bad %s" % wrapper.uuid)

    ftsk = tx.FeedTask("ft_msgs", server.feed(), max_workers=3)
    ftsk.add_functor_subtask(fail)
    with pytest.raises(pvmex.MultipleExceptionsInFeedTask) as info:
        ftsk.execute()
    lines = str(info.value).splitlines()
    assert "ft_msgs" in lines[0]
    assert [line.strip() for line in lines[1:]] == [
        "bad %s" % u for u in server.uuids]
    assert str(info.value) == str(pvmex.MultipleExceptionsInFeedTask(
        "ft_msgs", info.value.wrapped_failure))
