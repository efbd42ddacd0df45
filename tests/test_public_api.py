"""The public names DESIGN.md promises are there, and nothing private leaks into __all__."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import timeline
import timeline.errors
import timeline.support

ROOT = Path(__file__).resolve().parent.parent

PROMISED = {
    "When",
    "Money",
    "Source",
    "Event",
    "Correction",
    "Retraction",
    "Record",
    "open",
    "load_seed",
    "import_jsonl",
    "event",
    "upcaster",
    "Projection",
    "Reducer",
    "on",
    "Timeline",
    "TimelineError",
    "ConcurrencyError",
    "IntegrityError",
    "UnknownEventType",
    "InvalidEvent",
    "CurrencyMismatch",
    "TimeError",
    "DataError",
    "Changes",
    "Happened",
    "abstract_event",
    "copy_log",
}
SUPPORT = {
    "AidPaused",
    "AidResumed",
    "LoanAnnounced",
    "TalksHeld",
    "TroopsPledged",
    "DealSigned",
    "StatementMade",
    "CoalitionLaunched",
    "SpendingAnnounced",
    "MeetingHeld",
    "SupportState",
    "SupportProjection",
    "Person",
    "open",
    "load_seed",
}


def test_all_is_sorted_and_complete() -> None:
    assert len(set(timeline.__all__)) == len(timeline.__all__)  # ruff (RUF022) keeps the order
    assert set(timeline.__all__) >= PROMISED
    for name in timeline.__all__:
        assert hasattr(timeline, name), name
    assert isinstance(timeline.__version__, str)


def test_support_names() -> None:
    assert len(set(timeline.support.__all__)) == len(timeline.support.__all__)
    assert set(timeline.support.__all__) >= SUPPORT


def test_every_error_is_a_timeline_error() -> None:
    for name in timeline.errors.__all__:
        cls = getattr(timeline.errors, name)
        assert issubclass(cls, timeline.TimelineError), name
        assert cls.__doc__, name


def test_public_names_are_documented() -> None:
    for module in (timeline, timeline.support):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                assert obj.__doc__, f"{module.__name__}.{name} has no docstring"


def test_api_page_is_generated_from_all() -> None:
    """docs/api.md is what docs/make_api.py writes: every public name, nothing private."""
    make_api = _load_make_api()
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == make_api.page(), "docs/api.md is stale: run python docs/make_api.py"
    for module, _ in make_api.MODULES:
        for name in make_api.public_names(module):
            assert f"{module}.{name}\n" in committed, f"{module}.{name} is not on the API page"
    for private in ("decode_trusted", "make_converter", "_guard_fields", "_require"):
        assert private not in committed


def test_every_documented_module_documents_its_names() -> None:
    make_api = _load_make_api()
    for module, _ in make_api.MODULES:
        mod = importlib.import_module(module)
        assert mod.__doc__, module
        for name in make_api.public_names(module):
            obj = getattr(mod, name)
            if isinstance(obj, type) or inspect.isfunction(obj):
                assert obj.__doc__, f"{module}.{name} has no docstring"


def test_every_public_name_of_the_core_and_support_is_exampled() -> None:
    """Each name is used in a code example that the suite runs (README, docs, doctests)."""
    examples = "\n".join(
        block
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
        for block in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    )
    examples += "\n".join(
        line
        for path in sorted((ROOT / "timeline").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith((">>>", "..."))
    )
    missing = [
        f"{module.__name__}.{name}"
        for module in (timeline, timeline.support)
        for name in module.__all__
        if not name.startswith("_") and not re.search(rf"\b{re.escape(name)}\b", examples)
    ]
    assert missing == [], f"no example uses {missing}"


def test_person_moved_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"timeline\.support\.Person"):
        person = getattr(timeline, "Person")  # noqa: B009 - the shim is invisible to mypy
    assert person is timeline.support.Person
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = getattr(timeline, "nothing")  # noqa: B009


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import timeline.when", ("timeline.support", "timeline.notebook", "pandas")),
        (
            "import timeline",
            ("timeline.support", "timeline.sources", "timeline.notebook", "pandas"),
        ),
        ("import timeline.log", ("timeline.support", "timeline.notebook", "pandas")),
        ("import timeline.support", ("timeline.sources", "pandas", "matplotlib")),
    ],
)
def test_importing_a_layer_loads_nothing_above_it(
    statement: str, forbidden: tuple[str, ...]
) -> None:
    code = (
        f"{statement}\nimport sys\n"
        f"print(' '.join(m for m in sys.modules if m.startswith({forbidden!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def _load_make_api() -> Any:
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
