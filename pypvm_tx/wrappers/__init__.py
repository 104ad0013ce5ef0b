"""The object model: wrappers around PowerVM REST entries."""
