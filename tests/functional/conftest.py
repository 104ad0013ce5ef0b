"""Fixtures for functional tests: a real emulator on 127.0.0.1 (SPEC E1).

Each test gets its own emulator, started in a thread on an ephemeral
port and stopped (every connection closed, every thread joined) after
the test, and an Adapter logged on to it.  Retry back-off is switched off
so injected faults never slow the suite down.
"""

import pathlib

import pytest

from pypvm_tx.testing.emulator import Emulator


def pytest_collection_modifyitems(items):
    for item in items:
        if pathlib.Path(str(item.fspath)).parent == pathlib.Path(__file__).parent:
            item.add_marker(pytest.mark.functional)


@pytest.fixture
def emulator():
    """An emulator with 5 LPARs and 2 VIOSes (seeded, reproducible)."""
    emu = Emulator(lpars=5, vioses=2, seed=7)
    with emu:
        yield emu


@pytest.fixture
def adapter(emulator):
    """An Adapter logged on to ``emulator``; logged off afterwards."""
    adp = emulator.adapter(retry_delay=None)
    yield adp
    adp.session.logoff()
