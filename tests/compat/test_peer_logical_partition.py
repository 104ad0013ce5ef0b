"""pypowervm 1.1.27's own tests/wrappers/test_logical_partition.py, imports switched to pypvm_tx.

Collected only where pypowervm is installed (the compat virtualenv); see
tests/compat/peer.py for how the module is loaded and rewritten.
"""

from tests.compat import peer

globals().update(peer.test_classes("wrappers/test_logical_partition.py"))
