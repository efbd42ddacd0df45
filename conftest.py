"""Run every code example in README.md, docs/ and the package's docstrings (Sybil)."""

from __future__ import annotations

import os
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

_FLAGS = ELLIPSIS | NORMALIZE_WHITESPACE

markdown = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=_FLAGS), SkipParser()],
    setup=lambda namespace: namespace.update(os=os),
    patterns=["README.md", "docs/*.md"],
)
docstrings = Sybil(
    parsers=[DocTestParser(optionflags=_FLAGS)], patterns=["timeline/*.py", "timeline/**/*.py"]
)

pytest_collect_file = (markdown + docstrings).pytest()
