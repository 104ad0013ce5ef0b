"""Tools for testing code that uses pypvm_tx: an emulator and fixtures."""
