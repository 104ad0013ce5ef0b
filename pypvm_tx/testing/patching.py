"""Patchers and small fixtures shaped like the ones consumers' existing
test suites use (re-exported by :mod:`pypvm_tx.testing.fixtures`).

A recorder fixture keeps its patched methods in ``fixture.patchers``, a
dict of :class:`Patcher` by name, so a test can change one before the
fixture starts (``fx.patchers['update'].side_effect = ...``), remove one
(``del fx.patchers['refresh']``), or inspect its mock afterwards
(``fx.patchers['update'].mock.call_count``).
"""

import importlib
from typing import Any, Callable, Dict, Optional
from unittest import mock

import fixtures

_UNSET = object()


class Patcher:
    """One method replaced while a fixture is active.

    Each call goes to ``mock`` (a ``MagicMock``, so calls can be
    asserted), then:

    * if the mock has a ``side_effect`` (set here before the fixture
      starts, or on ``mock`` after), that decides the result and nothing
      is recorded;
    * else if a ``return_value`` was set, the call is logged under
      ``name`` and that value is returned;
    * else the fixture's default behaviour runs (it records the step).

    :param fx: the recorder fixture that owns it (it has ``log()``).
    :param name: the key in ``fixture.patchers``, and the logged step.
    :param target: dotted path of the replaced method
        (``pkg.module.Class.method``).
    :param default: ``default(instance, *args, **kwargs)``.
    :param passes_self: whether the mock is called with the instance as
        its first argument (an autospecced method) or without it (a
        plain patched attribute).
    """

    def __init__(self, fx: fixtures.Fixture, name: str, target: str,
                 default: Callable, passes_self: bool = True):
        self.fx = fx
        self.name = name
        self.target = target
        self.default = default
        self.passes_self = passes_self
        self.side_effect: Any = None
        self.return_value: Any = _UNSET
        self.mock: Optional[mock.MagicMock] = None
        self._auto_return: Any = None

    def start(self) -> mock.MagicMock:
        """Replace the target for the life of the fixture."""
        fixture = self.fx
        self.mock = mock.MagicMock(name=self.name)
        if self.side_effect is not None:
            self.mock.side_effect = self.side_effect
        if self.return_value is not _UNSET:
            self.mock.return_value = self.return_value
            self._auto_return = _UNSET
        else:
            self._auto_return = self.mock.return_value

        def replacement(instance, *args, **kwargs):
            return self._call(fixture, instance, args, kwargs)

        fixture.useFixture(fixtures.MonkeyPatch(self.target, replacement))
        return self.mock

    def _call(self, fixture, instance, args, kwargs):
        assert self.mock is not None  # started
        call_args = ((instance,) + args) if self.passes_self else args
        if self.mock.side_effect is not None:
            return self.mock(*call_args, **kwargs)
        result = self.mock(*call_args, **kwargs)
        if self._auto_return is _UNSET or result is not self._auto_return:
            fixture.log(self.name)
            return result
        return self.default(instance, *args, **kwargs)


class SimplePatcher:
    """A mock of one dotted path while a fixture is active, as consumers'
    suites build them: ``SimplePatcher(fx, name, path)``, then ``start()``
    from the fixture's set-up (or leave it in ``fx.patchers``).

    :param fx: the fixture whose clean-up undoes the patch.
    :param name: the key in ``fx.patchers``.
    :param path: dotted path of what is replaced.
    :param patch_object: replace ``module.Class.method`` with an
        autospecced mock, so calls include the instance.
    :param side_effect: the mock's side effect (wins over return_value).
    :param return_value: the mock's return value.
    """

    def __init__(self, fx: fixtures.Fixture, name: str, path: str,
                 patch_object: bool = False, side_effect: Any = None,
                 return_value: Any = None):
        self.fx = fx
        self.name = name
        self.path = path
        self.patch_object = patch_object
        self.side_effect = side_effect
        self.return_value = return_value
        self.mock: Optional[mock.MagicMock] = None

    def _patcher(self):
        if not self.patch_object:
            return mock.patch(self.path)
        module, cls, method = self.path.rsplit(".", 2)
        owner = getattr(importlib.import_module(module), cls)
        return mock.patch.object(owner, method, autospec=True)

    def start(self) -> mock.MagicMock:
        patcher = self._patcher()
        self.mock = patcher.start()
        self.fx.addCleanup(patcher.stop)
        if self.side_effect is not None:
            self.mock.side_effect = self.side_effect
        else:
            self.mock.return_value = self.return_value
        return self.mock


class LoggingPatcher(SimplePatcher):
    """A :class:`SimplePatcher` whose mock logs ``name`` to ``fx.log``
    and returns ``return_value`` (:attr:`FIRST_ARG`: its first
    argument)."""

    FIRST_ARG = "__MOCK_RETURNS_FIRST_ARGUMENT__"

    def __init__(self, fx: fixtures.Fixture, name: str, path: str,
                 patch_object: bool = False, return_value: Any = None):
        self.ret = return_value
        super().__init__(fx, name, path, patch_object=patch_object,
                         side_effect=self._log)

    def _log(self, *args, **kwargs):
        getattr(self.fx, "log")(self.name)
        if self.ret == self.FIRST_ARG and args:
            return args[0]
        return self.ret


def start_all(patchers: Dict[str, Any]) -> None:
    """Start every patcher left in ``patchers``."""
    for patcher in list(patchers.values()):
        patcher.start()


class SimplePatchingFx(fixtures.Fixture):
    """A fixture made of patchers: ``patchers`` by name, ``add_patchers``
    before it starts, every one started with it."""

    def __init__(self):
        super().__init__()
        self.patchers: Dict[str, Any] = {}

    def add_patchers(self, *patchers) -> None:
        """Add (or replace, by name) patchers."""
        for patcher in patchers:
            self.patchers[patcher.name] = patcher

    def _setUp(self):
        start_all(self.patchers)


class SleepFx(SimplePatchingFx):
    """``time.sleep`` is a mock (``patchers['sleep'].mock``) while
    active, so retry delays cost nothing."""

    def __init__(self, side_effect: Any = None):
        super().__init__()
        self.add_patchers(SimplePatcher(self, "sleep", "time.sleep",
                                        side_effect=side_effect))


class LoggingFx(SimplePatchingFx):
    """oslo.log's ``info``, ``warning``, ``debug``, ``error`` and
    ``exception`` are mocks (``patchers[<level>].mock``) while active."""

    def __init__(self):
        super().__init__()
        self.add_patchers(*(
            SimplePatcher(self, level,
                          "oslo_log.log.BaseLoggerAdapter." + level)
            for level in ("info", "warning", "debug", "error", "exception")))


class Traits:
    """What kind of console the code under test talks to.

    pypvm_tx itself reads no traits; :class:`~pypvm_tx.testing.fixtures.
    AdapterFx` and :class:`SessionFx` only carry one (``.traits`` on the
    mocked adapter and session) for code under test that looks at it.

    :param local_api: the code runs on the managed system (NovaLink).
    :param hmc: the console is an HMC (else NovaLink).
    """

    def __init__(self, local_api: bool, hmc: bool):
        self.local_api = local_api
        self.hmc = hmc

    @property
    def has_lpar_profiles(self) -> bool:
        """An HMC keeps partition profiles; NovaLink does not."""
        return self.hmc

    def __repr__(self):
        return "Traits(local_api=%r, hmc=%r)" % (self.local_api, self.hmc)


#: The three kinds of console, under the names consumers' tests use.
LocalPVMTraits = Traits(local_api=True, hmc=False)
RemotePVMTraits = Traits(local_api=False, hmc=False)
RemoteHMCTraits = Traits(local_api=False, hmc=True)


class SessionFx(fixtures.Fixture):
    """:class:`pypvm_tx.adapter.Session` is a mock while active.

    ``sess`` is that mock (the patched class); it has ``traits`` and the
    default ``timeout`` (1200 s).
    """

    def __init__(self, traits: Traits = LocalPVMTraits):
        super().__init__()
        self.traits = traits

    def _setUp(self):
        self.sess = self.useFixture(fixtures.MockPatch(
            "pypvm_tx.adapter.Session")).mock
        self.sess.traits = self.traits
        self.sess.timeout = 1200
