"""``python -m pypvm_tx``: the ``pypvm-tx`` command line."""

import sys

from pypvm_tx.cli import main

if __name__ == "__main__":
    sys.exit(main())
