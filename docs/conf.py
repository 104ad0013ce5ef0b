"""Sphinx configuration for pypvm_tx."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import pypvm_tx  # noqa: E402

project = "pypvm_tx"
author = "The pypvm_tx developers"
copyright = "2026, " + author
release = version = pypvm_tx.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
