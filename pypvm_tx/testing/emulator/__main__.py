"""``python -m pypvm_tx.testing.emulator``: serve in the foreground."""

import sys

from pypvm_tx.testing.emulator.cli import exit_quietly_on_broken_pipe, main

if __name__ == "__main__":
    sys.exit(exit_quietly_on_broken_pipe(main))
