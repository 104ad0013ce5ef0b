"""pytest fixtures over :mod:`pypvm_tx.testing.fixtures`.

Enable them in a project's top-level ``conftest.py``::

    pytest_plugins = ["pypvm_tx.testing.pytest_plugin"]

or import the ones wanted into a test module or conftest::

    from pypvm_tx.testing.pytest_plugin import adapter_fx, tx_recorder

Fixtures:

``adapter_fx``
    an active :class:`~pypvm_tx.testing.fixtures.AdapterFx`
    (``adapter_fx.adapter`` is the mocked Adapter).
``tx_recorder``
    an active :class:`~pypvm_tx.testing.fixtures.TxRecorderFx` with no
    wrappers yet: ``tx_recorder.add(wrapper)``, then run the code under
    test and check ``tx_recorder.get_log()``.
``emulator_fx``
    an active :class:`~pypvm_tx.testing.fixtures.EmulatorFx` (4 LPARs,
    1 VIOS), one per test.
"""

import pytest

from pypvm_tx.testing import fixtures as pvm_fixtures


def _use(fixture):
    """Set up a fixtures.Fixture for one pytest fixture's lifetime."""
    fixture.setUp()
    try:
        yield fixture
    finally:
        fixture.cleanUp()


@pytest.fixture
def adapter_fx():
    """A mocked Adapter with canned-response helpers (AdapterFx)."""
    yield from _use(pvm_fixtures.AdapterFx())


@pytest.fixture
def tx_recorder():
    """Record lock/get/update/refresh/unlock without I/O (TxRecorderFx)."""
    yield from _use(pvm_fixtures.TxRecorderFx())


@pytest.fixture
def emulator_fx():
    """A running emulator and a logged-on Adapter (EmulatorFx)."""
    yield from _use(pvm_fixtures.EmulatorFx())
