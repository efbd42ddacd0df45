"""Sphinx configuration: MyST Markdown, autodoc, the Furo theme; built with -W by nox -s docs."""

project = "timeline"
author = "The timeline developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
myst_enable_extensions = ["colon_fence"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "*.ipynb", ".ipynb_checkpoints"]
html_theme = "furo"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
nitpicky = False
suppress_warnings = ["myst.header"]
