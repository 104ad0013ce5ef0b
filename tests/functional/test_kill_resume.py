"""The kill test (SPEC D2.2, D2.3; issue 10 scope 5): a resumable FeedTask
over 200 emulator LPARs, run in a child process SIGKILLed at random
moments and resumed in a new process each time, with out-of-band changes
between the kills.  See pypvm_tx.testing.kill_resume for the checks."""

import random

import pytest

from pypvm_tx.testing.emulator import Emulator
from pypvm_tx.testing.kill_resume import KillResume


@pytest.fixture
def emulator_200():
    emu = Emulator(lpars=200, vioses=0, seed=11)
    with emu:
        emu.latency = 0.02
        yield emu


def test_d2_2_killed_five_times_then_resumed(emulator_200, tmp_path):
    """D2.2/D2.3: after 5 random SIGKILLs and a resume to the end, every
    LPAR holds its target, every out-of-band change is kept, no LPAR was
    POSTed twice, the result covers every entry, post-execute ran once
    and the finished run made no request."""
    seed = random.randrange(1 << 30)
    runner = KillResume(emulator_200.url, str(tmp_path), lpars=200,
                        workers=10, rng=random.Random(seed))
    trial = runner.trial(0, kills=5)
    assert trial.passed, "seed %d: %s" % (seed, trial.problems)
    # The first kill lands in the fan-out: some entries done, not all.
    assert trial.mid_run_kills >= 1, "seed %d" % seed
    assert trial.kills + trial.finished_early >= 2
