"""A model-based test of the log: a Timeline on SQLite against a plain list."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import timeline
from timeline import ConcurrencyError, Correction, DuplicateEventId, Retraction, TimeError
from timeline.testing import FrozenClock, whens

from .test_properties import START, Mark, Trace, query_times, reference

labels = st.sampled_from("abcdef")


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.path = self.dir / "log.db"
        self.clock = FrozenClock(START)
        self.tl = timeline.open(self.path, clock=self.clock, projection=Trace())
        self.model: list[tuple[dt.datetime, Any]] = []
        self.originals: list[str] = []
        self.hashes: list[str] = []

    def _append(self, *events: Any) -> None:
        records = self.tl.append(*events)
        self.model.extend((self.clock.now, ev) for ev in events)
        self.hashes.extend(r.hash for r in records)

    @rule(
        occurred=st.lists(whens(), min_size=1, max_size=4), label=labels, hours=st.integers(0, 48)
    )
    def append(self, occurred: list[timeline.When], label: str, hours: int) -> None:
        self.clock.tick(hours=hours)
        events = [Mark(occurred=w, label=label) for w in occurred]
        self._append(*events)
        self.originals.extend(e.id for e in events)

    @precondition(lambda self: self.originals)
    @rule(data=st.data(), occurred=whens(), label=labels)
    def correct(self, data: st.DataObject, occurred: timeline.When, label: str) -> None:
        target = data.draw(st.sampled_from(self.originals))
        self._append(Correction(target=target, replacement=Mark(occurred=occurred, label=label)))

    @precondition(lambda self: self.originals)
    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        self._append(Retraction(target=data.draw(st.sampled_from(self.originals))))

    @precondition(lambda self: self.originals)
    @rule(data=st.data())
    def duplicate_id_is_refused(self, data: st.DataObject) -> None:
        existing = data.draw(st.sampled_from(self.originals))
        with pytest.raises(DuplicateEventId):
            self.tl.append(
                Mark(occurred="2025", label="x"), Mark(id=existing, occurred="2025", label="x")
            )

    @precondition(lambda self: self.model)
    @rule(behind=st.integers(1, 5))
    def stale_expected_position_is_refused(self, behind: int) -> None:
        with pytest.raises(ConcurrencyError):
            self.tl.append(
                Mark(occurred="2025", label="x"), expected_position=max(0, len(self.model) - behind)
            )

    @precondition(lambda self: self.model)
    @rule()
    def going_back_in_recorded_time_is_refused(self) -> None:
        with pytest.raises(TimeError):
            self.tl.append(
                Mark(occurred="2025", label="x"),
                recorded_at=self.model[-1][0] - dt.timedelta(seconds=1),
            )

    @rule()
    def reopen(self) -> None:
        self.tl.close()
        self.tl = timeline.open(self.path, clock=self.clock, projection=Trace())

    @rule()
    def export_import_round_trip(self) -> None:
        out = self.dir / "export.jsonl"
        self.tl.export_jsonl(out, overwrite=True)
        copy = timeline.open(clock=self.clock, projection=Trace())
        timeline.import_jsonl(out, into=copy)
        assert list(copy.records()) == list(self.tl.records())
        assert copy.head_hash == self.tl.head_hash

    @rule(at=query_times, known=st.none() | query_times, certain=st.booleans())
    def query(self, at: dt.datetime, known: dt.datetime | None, certain: bool) -> None:
        expected = reference(self.model, Trace(), at, known, certain)
        assert self.tl.state_at(at, known_at=known, certain=certain) == expected

    @invariant()
    def log_matches_the_model(self) -> None:
        records = list(self.tl.records())
        assert self.tl.head == len(self.model)
        assert [r.position for r in records] == list(range(1, len(self.model) + 1))
        assert [r.event for r in records] == [ev for _, ev in self.model]
        assert [r.recorded_at for r in records] == [t for t, _ in self.model]
        assert [r.hash for r in records] == self.hashes
        assert self.tl.verify() == (self.hashes[-1] if self.hashes else timeline.records.GENESIS)

    def teardown(self) -> None:
        self.tl.close()


LogMachine.TestCase.settings = settings(stateful_step_count=25)
TestLog = LogMachine.TestCase
