"""Patchers and small fixtures shaped like the ones consumers' existing
test suites use (re-exported by :mod:`pypvm_tx.testing.fixtures`).

A recorder fixture keeps its patched methods in ``fixture.patchers``, a
dict of :class:`Patcher` by name, so a test can change one before the
fixture starts (``fx.patchers['update'].side_effect = ...``), remove one
(``del fx.patchers['refresh']``), or inspect its mock afterwards
(``fx.patchers['update'].mock.call_count``).
"""

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

    :param name: the key in ``fixture.patchers``, and the logged step.
    :param target: dotted path of the replaced method
        (``pkg.module.Class.method``).
    :param default: ``default(instance, *args, **kwargs)``.
    :param passes_self: whether the mock is called with the instance as
        its first argument (an autospecced method) or without it (a
        plain patched attribute).
    """

    def __init__(self, name: str, target: str, default: Callable,
                 passes_self: bool = True):
        self.name = name
        self.target = target
        self.default = default
        self.passes_self = passes_self
        self.side_effect: Any = None
        self.return_value: Any = _UNSET
        self.mock: Optional[mock.MagicMock] = None
        self._auto_return: Any = None

    def start(self, fixture: fixtures.Fixture) -> mock.MagicMock:
        """Replace the target for the life of ``fixture``."""
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
    """``mock.patch`` of a dotted path (a function or an attribute),
    started by a fixture; ``side_effect`` or ``return_value`` configure
    the mock."""

    def __init__(self, name: str, path: str, side_effect: Any = None,
                 return_value: Any = None):
        self.name = name
        self.path = path
        self.side_effect = side_effect
        self.return_value = return_value
        self.mock: Optional[mock.MagicMock] = None

    def start(self, fixture: fixtures.Fixture) -> mock.MagicMock:
        self.mock = fixture.useFixture(fixtures.MockPatch(self.path)).mock
        if self.side_effect is not None:
            self.mock.side_effect = self.side_effect
        else:
            self.mock.return_value = self.return_value
        return self.mock


def start_all(fixture: fixtures.Fixture, patchers: Dict[str, Any]) -> None:
    """Start every patcher left in ``patchers``."""
    for patcher in list(patchers.values()):
        patcher.start(fixture)


class SleepFx(fixtures.Fixture):
    """``time.sleep`` is a mock (``patchers['sleep'].mock``) while
    active, so retry delays cost nothing."""

    def __init__(self, side_effect: Any = None):
        super().__init__()
        self.patchers: Dict[str, Any] = {
            "sleep": SimplePatcher("sleep", "time.sleep", side_effect)}

    def _setUp(self):
        start_all(self, self.patchers)


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
