"""A log is forever: every registered event type, built by hypothesis from its attrs fields,
reads back equal after append, after reopening in a new process, after export and import into
an empty log (same head hash) and after copying both ways.

Types: the support domain, Kiel, and `tests._user_events` (converters, validators, enums,
floats, nested attrs values, a Retraction subclass). An event that `append` refuses must be
refused with `InvalidEvent` and leave the log unchanged; one it accepts must read back equal.
"""

from __future__ import annotations

import enum
import pickle
import subprocess
import sys
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
import timeline.sources.kiel
import timeline.support
from tests import _user_events
from timeline.errors import InvalidEvent, InvalidValue, TimeError
from timeline.events import Correction, Event, MetaEvent, registered_types
from timeline.support.testing import support_events
from timeline.testing import whens
from timeline.when import When

ROOT = Path(__file__).resolve().parent.parent
_CODES = ("US", "UA", "GB", "EU", "FR", "DE", "EUR", "GBP", "USD")


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Values of a field type, including some the type's validators refuse."""
    if tp is str:
        return st.sampled_from(_CODES) | st.sampled_from(_CODES) | st.text(max_size=12)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**70), max_value=2**70)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is Decimal:
        return st.decimals(
            min_value=0, max_value=Decimal(10) ** 15, allow_nan=False, allow_infinity=False
        )
    if tp is When:
        return whens()
    if tp is type(None):
        return st.none()
    if tp is Event:
        return support_events()
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (types.UnionType, typing.Union):
        return st.one_of([strategy_for(a) for a in args])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and attrs.has(tp):
        return instances(tp)
    raise NotImplementedError(f"no strategy for {tp!r}")  # pragma: no cover


def _make(cls: type, kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except (InvalidValue, TimeError):
        return None  # refused at construction: nothing to store


def instances(cls: type, **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {
        f.name: fixed.get(f.name, strategy_for(hints[f.name]))
        for f in attrs.fields(cls)
        if f.init and f.name != "id"
    }
    return (
        st.fixed_dictionaries(fields)
        .map(lambda kwargs: _make(cls, kwargs))
        .filter(lambda value: value is not None)
    )


_TYPES = sorted(
    name
    for name, cls in registered_types().items()
    # the library's types and the user module (types other tests define are not importable)
    if cls.__module__.startswith("timeline") or cls.__module__ == "tests._user_events"
)

_READER = """
import pickle, sys
import timeline, timeline.support, timeline.sources.kiel, tests._user_events
with timeline.open(sys.argv[1], create=False) as tl:
    sys.stdout.buffer.write(pickle.dumps([r.event for r in tl.records()]))
"""


def _read_in_new_process(path: Path) -> list[Any]:
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(path)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    events: list[Any] = pickle.loads(done.stdout)  # our own child's output
    return events


def _batches(name: str) -> st.SearchStrategy[list[Any]]:
    cls = registered_types()[name]
    if issubclass(cls, MetaEvent):
        # a meta-event needs its target in the log: the batch brings one
        def with_target(target: Event) -> st.SearchStrategy[list[Any]]:
            fixed: dict[str, st.SearchStrategy[Any]] = {"target": st.just(target.id)}
            if issubclass(cls, Correction):
                fixed["replacement"] = support_events()
            return instances(cls, **fixed).map(lambda meta: [target, meta])

        return support_events().flatmap(with_target)
    return st.lists(instances(cls), min_size=1, max_size=3)


@pytest.mark.parametrize("name", _TYPES)
def test_every_registered_type_reads_back_equal_everywhere(name: str, tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    accepted: list[Any] = []

    @settings(max_examples=10, suppress_health_check=[HealthCheck.filter_too_much])
    @given(batch=_batches(name))
    def append_and_reopen(batch: list[Any]) -> None:
        with timeline.open(path, durability="normal") as tl:
            head = tl.head_hash
            try:
                tl.append(*batch)
            except InvalidEvent:
                assert tl.head_hash == head  # refused before anything was written
                return
        accepted.extend(batch)
        with timeline.open(path) as again:  # a new Timeline: the fast read path
            assert [r.event for r in again.records()][-len(batch) :] == batch

    append_and_reopen()
    assert accepted, f"hypothesis built no {name} that append accepts"
    with timeline.open(path) as tl:
        stored = [r.event for r in tl.records()]
        head_hash = tl.head_hash
        tl.export_jsonl(tmp_path / "export.jsonl")
    assert stored == accepted
    assert _read_in_new_process(path) == accepted

    fresh = timeline.open()
    timeline.import_jsonl(tmp_path / "export.jsonl", into=fresh)
    assert fresh.head_hash == head_hash
    assert [r.event for r in fresh.records()] == accepted

    assert timeline.copy_log(path, tmp_path / "copy.jsonl") == head_hash
    assert timeline.copy_log(tmp_path / "copy.jsonl", tmp_path / "copy.db") == head_hash
    assert timeline.copy_log(tmp_path / "copy.db", tmp_path / "copy2.db") == head_hash
    assert _read_in_new_process(tmp_path / "copy2.db") == accepted


def test_the_property_covers_every_kind_of_type() -> None:
    names = set(_TYPES)
    assert {"aid.paused", "aid.allocated", "aid.committed", "user.tagged"} <= names
    assert {"timeline.correction", "timeline.retraction", "user.flagged"} <= names
    assert _user_events.Tagged(occurred="2025", tag="  DESIGN ").tag == "design"
