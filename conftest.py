"""Run every code example in README.md, docs/ and the package's docstrings (Sybil).

Examples that need the notebook extra (pandas, matplotlib) sit between
``<!-- skip: start if(not HAS_NOTEBOOK, reason="...") -->`` and ``<!-- skip: end -->``, so they
skip with that reason where the extra is not installed.
"""

from __future__ import annotations

import os
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from importlib.util import find_spec

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

_FLAGS = ELLIPSIS | NORMALIZE_WHITESPACE
HAS_NOTEBOOK = all(find_spec(name) is not None for name in ("pandas", "matplotlib"))
HAS_RATES = find_spec("currency_converter") is not None

markdown = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=_FLAGS), SkipParser()],
    setup=lambda namespace: namespace.update(os=os, HAS_NOTEBOOK=HAS_NOTEBOOK, HAS_RATES=HAS_RATES),
    patterns=["README.md", "docs/*.md"],
)
docstrings = Sybil(
    parsers=[DocTestParser(optionflags=_FLAGS)], patterns=["timeline/*.py", "timeline/**/*.py"]
)

pytest_collect_file = (markdown + docstrings).pytest()
