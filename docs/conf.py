"""Sphinx configuration: MyST Markdown, autodoc, the Furo theme; built with -W by nox -s docs."""

project = "timeline"
author = "The timeline developers"
# myst_nb parses Markdown (as myst_parser does) and executes docs/explore.ipynb at build time,
# so the page shows its tables and plots as they are today
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build", ".ipynb_checkpoints", "jupyter_execute"]
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_merge_streams = True
html_theme = "furo"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
nitpicky = False
suppress_warnings = ["myst.header"]
