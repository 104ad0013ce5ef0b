"""Subtasks by reference (SPEC D3.3) and the options of a distributed
FeedTask (D3.1, D3.5): refused when added / constructed, with errors
naming what cannot travel.  No jobboard is contacted here."""

import threading

import pytest

from pypvm_tx import retry
from pypvm_tx import transaction as tx
from pypvm_tx.distributed import references
from pypvm_tx.testing.workers import set_label
from pypvm_tx.wrappers import entry_wrapper as ewrap
from pypvm_tx.wrappers.logical_partition import LPAR

BOARD = "redis://127.0.0.1:1/never-contacted"


def _feed_task(**kwargs):
    getter = ewrap.UUIDFeedGetter(object(), LPAR, ["u1", "u2"])
    kwargs.setdefault("jobboard", BOARD)
    kwargs.setdefault("persistence", "memory://")
    return tx.FeedTask("dist", getter, **kwargs)


class Rename(tx.Subtask):
    """A module-level Subtask with JSON arguments: it travels."""

    def __init__(self, suffix, provides=None):
        super().__init__(suffix, provides=provides)
        self.suffix = suffix

    def execute(self, wrapper, suffix):
        wrapper.name = (wrapper.name or "") + suffix
        return True


def module_level(wrapper, value):
    return bool(value)


def test_d3_3_lambda_functor_refused_when_added():
    task = _feed_task()
    with pytest.raises(TypeError, match="lambda") as err:
        task.add_functor_subtask(lambda w: True)
    assert "module-level" in str(err.value)
    assert not task._common.tasks  # nothing half-added


def test_d3_3_closure_and_nested_function_refused():
    task = _feed_task()
    captured = 3

    def nested(wrapper):
        return captured

    with pytest.raises(TypeError, match="nested"):
        task.add_functor_subtask(nested)


def test_d3_3_nested_subtask_class_refused():
    class Local(tx.Subtask):
        def execute(self, wrapper):
            return False

    with pytest.raises(TypeError, match="Local"):
        _feed_task().add_subtask(Local())


def test_d3_3_unserialisable_argument_refused_naming_it():
    task = _feed_task()
    with pytest.raises(TypeError, match=r"Argument 0 of the functor .*module_level .*lock"):
        task.add_functor_subtask(module_level, threading.Lock())
    with pytest.raises(TypeError, match=r"Argument value= "):
        task.add_functor_subtask(module_level, value=object())
    with pytest.raises(TypeError, match=r"Attribute suffix|Argument 0"):
        task.add_subtask(Rename({1, 2}))


def test_d3_3_bound_method_refused():
    with pytest.raises(TypeError, match="another object|module-level"):
        _feed_task().add_functor_subtask(Rename("x").execute)


def test_d3_3_logspec_refused():
    with pytest.raises(TypeError, match="logspec"):
        _feed_task().add_functor_subtask(
            module_level, 1, logspec=(print, "running %s", "x"))


def test_d3_3_what_travels_is_accepted_and_rebuilt():
    task = _feed_task()
    task.add_functor_subtask(set_label, "lbl", provides="changed")
    task.add_subtask(Rename("-x", provides="renamed"))
    specs = [references.subtask_spec(s) for s in task._common.tasks]
    functor, subtask = [references.load_subtask(s) for s in specs]
    assert functor._func is set_label and functor.save_args == ("lbl",)
    assert functor.provides == "changed"
    assert type(subtask) is Rename and subtask.suffix == "-x"
    assert subtask.save_args == ("-x",) and subtask.provides == "renamed"


def test_without_jobboard_anything_callable_is_still_accepted():
    getter = ewrap.UUIDFeedGetter(object(), LPAR, ["u1"])
    task = tx.FeedTask("local", getter)
    task.add_functor_subtask(lambda w: True)
    assert len(task._common.tasks) == 1


def test_d3_1_options_checked_at_construction():
    with pytest.raises(ValueError, match="persistence"):
        _feed_task(persistence=None)
    with pytest.raises(ValueError, match="chunk_size"):
        _feed_task(chunk_size=0)
    with pytest.raises(ValueError, match="max_inflight"):
        _feed_task(max_inflight=True)
    with pytest.raises(TypeError, match="jobboard"):
        _feed_task(jobboard=42)
    with pytest.raises(TypeError, match="delay function"):
        _feed_task(delay_func=retry.gen_random_delay(0, 0.01))


def test_d3_1_run_id_defaults_to_a_new_one():
    first, second = _feed_task(), _feed_task()
    assert first.run_id and second.run_id and first.run_id != second.run_id
    assert _feed_task(run_id="mine").run_id == "mine"


def test_reference_resolves_module_paths():
    assert references.reference(set_label, "f") == (
        "pypvm_tx.testing.workers:set_label")
    assert references.resolve("pypvm_tx.testing.workers:set_label") is (
        set_label)


def test_d3_2_worker_command_needs_the_password(monkeypatch, capsys):
    from pypvm_tx import cli

    monkeypatch.delenv("NO_SUCH_PASSWORD_VAR", raising=False)
    status = cli.main(["worker", "--jobboard", BOARD, "--persistence",
                       "sqlite:///unused.db", "--url", "http://127.0.0.1:1",
                       "--user", "u", "--password-env",
                       "NO_SUCH_PASSWORD_VAR"])
    assert status == 2
    assert "NO_SUCH_PASSWORD_VAR" in capsys.readouterr().err


def test_d3_2_worker_command_says_when_logon_fails(monkeypatch, capsys):
    from pypvm_tx import cli

    monkeypatch.setenv("PW_VAR", "pw")
    status = cli.main(["worker", "--jobboard", BOARD, "--persistence",
                       "memory://", "--url", "http://127.0.0.1:1",
                       "--user", "u", "--password-env", "PW_VAR",
                       "--timeout", "2"])
    assert status == 1
    assert "cannot log on to http://127.0.0.1:1" in capsys.readouterr().err


def test_d3_4_flow_of_a_worker_killed_while_injecting_loads_again():
    """A worker killed between TaskFlow saving the store's atom detail and
    its values leaves results None; the next worker repairs it instead of
    failing to load the chunk for good (seen in the kill benchmark)."""
    from taskflow import engines
    from taskflow import storage as tf_storage
    from taskflow.persistence import models

    from pypvm_tx.distributed import chunks
    from pypvm_tx.distributed.worker import repair_flow_detail

    def cut_off():
        flow_detail = models.FlowDetail("chunk", uuid="fd-1")
        flow_detail.add(models.TaskDetail(tf_storage.Storage.injector_name,
                                          uuid="inj-1"))
        return flow_detail

    store = {chunks.CHUNK: {"id": "c"}}
    with pytest.raises(AttributeError, match="keys"):
        engines.load(chunks.chunk_flow(), flow_detail=cut_off(),
                     book=models.LogBook("b"), store=store)
    engine = engines.load(chunks.chunk_flow(),
                          flow_detail=repair_flow_detail(cut_off()),
                          book=models.LogBook("b"), store=store)
    assert engine.storage.fetch(chunks.CHUNK) == {"id": "c"}


@pytest.mark.parametrize("url", [
    "nosuch://user:s3cret@host/db",
    "nosuch://host/db?password=s3cret",
])
def test_d2_1_persistence_url_errors_show_no_credentials(url):
    """D2.1 (security): a persistence URL in an error shows neither the
    password nor a query string, which may carry one too."""
    from pypvm_tx.distributed import persistence

    with pytest.raises(ValueError) as info:
        persistence.fetch_backend(url)
    assert "s3cret" not in str(info.value)
    assert "host/db" in str(info.value)


def test_d3_1_jobboard_url_errors_show_no_credentials():
    """D3.1 (security): a jobboard URL with a bad port is refused without
    showing its password."""
    from pypvm_tx.distributed import jobboard

    with pytest.raises(ValueError) as info:
        jobboard.open_jobboard("redis://:s3cret@host:99999/ns?x=s3cret",
                               persistence=None)
    assert "s3cret" not in str(info.value)
