"""The public extension points: abstract event bases, Reducer equality, evolver, Waits, the
generic `Happened` projection, the keyword-only query API, core HTML, the mypy plugin."""

from __future__ import annotations

import datetime as dt
import importlib.util
import textwrap
import threading
from pathlib import Path

import attrs
import pytest

import timeline
from timeline import _html
from timeline.errors import EventDefinitionError, UnknownEventType
from timeline.projection import evolver
from timeline.stores import Waits
from timeline.stores.memory import MemoryStore
from timeline.stores.sqlite import SQLiteStore
from timeline.values import Source


@timeline.abstract_event
class Measured(timeline.Event):
    unit: str


@timeline.event("test.ext.length", version=1)
class Length(Measured):
    value: int


@timeline.event("test.ext.note", version=1)
class Note(timeline.Event):
    text: str


def test_an_abstract_base_shares_fields_and_checks_but_is_never_stored() -> None:
    length = Length(occurred="2025-03-03", unit="m", value=3)
    assert (length.unit, length.value) == ("m", 3)
    tl = timeline.open()
    tl.append(length)
    assert tl.events() == [length]
    with pytest.raises(UnknownEventType, match="not a registered event type"):
        tl.append(Measured(occurred="2025", unit="m"))
    assert tl.head == 1


def test_an_abstract_base_gets_the_definition_checks() -> None:
    with pytest.raises(EventDefinitionError, match="datetime"):

        @timeline.abstract_event
        class Stamped(timeline.Event):
            at: dt.datetime

    with pytest.raises(EventDefinitionError, match=r"must subclass timeline\.Event"):
        timeline.abstract_event(int)  # type: ignore[type-var]


class Collect(timeline.Reducer[tuple[str, ...]]):
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def initial(self) -> tuple[str, ...]:
        return ()

    @timeline.on(Note)
    def noted(self, state: tuple[str, ...], event: Note) -> tuple[str, ...]:
        return (*state, self.prefix + event.text)


def test_reducers_are_equal_by_type_and_settings() -> None:
    assert Collect() == Collect()
    assert hash(Collect()) == hash(Collect())
    assert Collect("a") != Collect("b")
    assert Collect() != timeline.HappenedProjection()
    tl = timeline.open()
    tl.append(*(Note(occurred=f"2025-03-{d:02d}", text=str(d)) for d in range(1, 29)))
    assert tl.state_at("2025-03-02", projection=Collect("x")) == ("x1", "x2")
    # a new instance with other settings must not reuse the first one's checkpoints
    assert tl.state_at("2025-03-02", projection=Collect("y")) == ("y1", "y2")
    assert tl.state_at("2025-03-28", projection=Collect())[-1] == "28"


def test_evolver_is_attrs_evolve_without_the_lookups() -> None:
    @attrs.frozen
    class Pair:
        left: int
        _right: int = 0

    evolve = evolver(Pair)
    assert evolve(Pair(1, 2), right=5) == attrs.evolve(Pair(1, 2), right=5) == Pair(1, 5)
    assert evolve(Pair(1, 2)) == Pair(1, 2)
    with pytest.raises(TypeError):
        evolve(Pair(1, 2), middle=3)


def test_waits_is_an_optional_capability(tmp_path: Path) -> None:
    assert isinstance(MemoryStore(), Waits)
    sqlite = SQLiteStore(tmp_path / "x.db")
    assert not isinstance(sqlite, Waits)
    sqlite.close()


def test_follow_on_a_memory_log_wakes_up_without_polling() -> None:
    tl = timeline.open()
    started = threading.Event()
    seen: list[str] = []

    def watch() -> None:
        started.set()
        for record in tl.follow(after=0, timeout=30, poll=60):  # a poll would never come
            seen.append(record.event.id)
            if len(seen) == 2:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert started.wait(10)
    tl.append(Note(id="a", occurred="2025", text="a"))
    tl.append(Note(id="b", occurred="2025", text="b"))
    watcher.join(timeout=20)
    assert not watcher.is_alive()
    assert seen == ["a", "b"]


def test_records_after_a_position_and_known_at_are_keywords() -> None:
    tl = timeline.open()
    tl.append(Note(id="a", occurred="2025", text="a"), recorded_at="2025-03-01")
    tl.append(Note(id="b", occurred="2025", text="b"), recorded_at="2025-03-05")
    assert [r.event.id for r in tl.records(after=1)] == ["b"]
    assert [r.event.id for r in tl.records(known_at="2025-03-02")] == ["a"]
    with pytest.raises(TypeError):
        tl.records("2025-03-02")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        tl.events("2025", "2025-03-02")  # type: ignore[call-arg]


def test_revisions_keeps_the_old_spelling_with_a_warning() -> None:
    tl = timeline.open()
    tl.append(Note(id="a", occurred="2025-03-01", text="a"), recorded_at="2025-03-01")
    tl.append(Note(id="b", occurred="2025-03-01", text="b"), recorded_at="2025-03-05")
    new = tl.revisions("2025-03-31", known_before="2025-03-02")
    with pytest.warns(DeprecationWarning, match="known_before"):
        old = tl.revisions("2025-03-31", "2025-03-02")
    assert (
        [str(c) for c in old] == [str(c) for c in new] == ["added: test.ext.note 'b' (2025-03-01)"]
    )
    with pytest.raises(TypeError, match="known_before"):
        tl.revisions("2025-03-31")
    with pytest.raises(TypeError):
        tl.revisions("2025-03-31", "2025-03-02", known_before="2025-03-02")


def test_happened_is_an_immutable_sequence_with_a_diff() -> None:
    tl = timeline.open()
    tl.append(
        Note(id="a", occurred="2025-03-01", text="a"),
        Length(id="l", occurred="2025-03-02", unit="m", value=1),
    )
    state = tl.state_at("2025-03-31")
    assert len(state) == 2
    assert [ev.id for ev in state] == ["a", "l"]
    assert state[0].id == "a"
    assert [ev.id for ev in state[1:]] == ["l"]
    assert state.of_type(Length)[0].value == 1
    assert state == tl.state_at("2025-03-31", known_at="2030-01-01")
    assert state != tl.state_at("2025-03-01")
    assert "2 events" in repr(state)
    with pytest.raises(TypeError):
        hash(state)
    tl.append(timeline.Correction(target="a", replacement=Note(occurred="2025-03-01", text="A")))
    tl.append(timeline.Retraction(target="l"))
    changes = tl.revisions("2025-03-31", known_before=tl.record("l").recorded_at)
    assert sorted(c.kind for c in changes if isinstance(c, timeline.EventChanged)) == [
        "changed",
        "removed",
    ]


def test_core_html_escapes_everything_and_needs_no_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    hostile = '</script><script>alert(1)</script><img src=x onerror="alert(2)">'
    tl = timeline.open()
    tl.append(
        Note(id="x", occurred="2025", text=hostile, source=Source(quote=hostile, publisher=hostile))
    )
    for page in (
        tl._repr_html_(),
        tl.state_at("2026")._repr_html_(),
        tl.diff("2024", "2026")._repr_html_(),
    ):
        assert "<script>" not in page
        assert "<img" not in page
    assert "&lt;/script&gt;" in tl._repr_html_()
    assert "&lt;/script&gt;" in tl.state_at("2026")._repr_html_()
    assert _html.table(["a"], [(_html.Markup("<b>ok</b>"),)]).count("<b>ok</b>") == 1


MYPY_SNIPPET = textwrap.dedent(
    """
    import timeline

    @timeline.abstract_event
    class Base(timeline.Event):
        unit: str

    @timeline.event("snippet.length", version=1)
    class Length(Base):
        value: int

    ok = Length(occurred="2025-03-03", unit="m", value=3)
    reveal_type(ok.occurred.earliest)
    Length(occurred=3, unit="m", value="three")
    """
)


def test_the_mypy_plugin_types_inherited_fields_and_converters(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "snippet.py").write_text(MYPY_SNIPPET, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = timeline.mypy\nstrict = True\n")
    out, _err, status = api.run(
        [
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--no-incremental",
            str(tmp_path / "snippet.py"),
        ]
    )
    assert status == 1, out
    assert 'Revealed type is "pendulum.datetime.DateTime"' in out
    assert 'Argument "occurred" to "Length" has incompatible type "int"' in out
    assert 'Argument "value" to "Length" has incompatible type "str"' in out
    assert "Unexpected keyword argument" not in out
    assert out.count("error:") == 2, out


def test_the_typed_examples_run() -> None:
    """docs/typed_examples.py is checked by mypy (nox -s typing) and must also be right."""
    path = Path(__file__).resolve().parent.parent / "docs" / "typed_examples.py"
    spec = importlib.util.spec_from_file_location("typed_examples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.milestones() == ("draft",)
    assert module.happened() == 1
    assert module.paused() == "paused"
