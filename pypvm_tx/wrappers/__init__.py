"""The object model: wrappers around PowerVM REST entries.

Importing the package registers the PowerVM object wrappers (System,
LPAR, VIOS), so ``EntryWrapper.wrap`` returns them for their XML.
"""

# entry_wrapper first: it loads the getters, which build on it.
from pypvm_tx.wrappers import (
    entry_wrapper,  # noqa: F401
    logical_partition,  # noqa: F401
    managed_system,  # noqa: F401
    virtual_io_server,  # noqa: F401
)
