"""The public extension points: abstract event bases, Reducer equality, evolver, Waits, the
generic `Happened` projection, the keyword-only query API, core HTML, the mypy plugin."""

from __future__ import annotations

import datetime as dt
import importlib.util
import textwrap
import threading
from pathlib import Path
from typing import Any

import attrs
import pytest

import timeline
import timeline.support
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


class Plain(timeline.Reducer[int]):
    def initial(self) -> int:
        return 0

    @timeline.on(Note)
    def noted(self, state: int, event: Note) -> int:
        return state + 1


class Slotted(timeline.Reducer[int]):
    __slots__ = ("factor",)

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def initial(self) -> int:
        return 0

    @timeline.on(Note)
    def noted(self, state: int, event: Note) -> int:
        return state + self.factor


class Unequal:
    """An attribute like a numpy array: == does not give a bool."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("the truth value is ambiguous")

    __hash__ = None  # type: ignore[assignment]


class WithArray(Plain):
    def __init__(self) -> None:
        self.data = Unequal()


class FirstN(timeline.HappenedProjection):
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def apply(self, state: timeline.Happened, event: timeline.Event) -> timeline.Happened:
        return state.then(event) if len(state) < self.limit else state


def test_reducers_without_settings_are_equal_by_type() -> None:
    assert Plain() == Plain()
    assert hash(Plain()) == hash(Plain())
    assert Plain() != timeline.HappenedProjection()
    assert timeline.HappenedProjection() == timeline.HappenedProjection()


def test_reducers_with_settings_never_share_checkpoints() -> None:
    collect = Collect("x")
    assert collect.__eq__(collect) is True
    assert Collect("x") != Collect("x")
    assert Slotted(1) != Slotted(1)
    tl = timeline.open()
    tl.append(*(Note(occurred=f"2025-03-{d:02d}", text=str(d)) for d in range(1, 29)))
    tl.append(*(Note(occurred="2025-03-28", text="x") for _ in range(40)))
    assert tl.state_at("2025-03-02", projection=collect) == ("x1", "x2")
    assert tl.state_at("2025-03-02", projection=Collect("y")) == ("y1", "y2")
    assert tl.state_at("2025-03-31", projection=Slotted(1)) == 68
    assert tl.state_at("2025-03-31", projection=Slotted(100)) == 6800
    assert tl.state_at("2025-03-31", projection=WithArray()) == 68
    assert tl.state_at("2025-03-31", projection=WithArray()) == 68
    assert len(tl.state_at("2025-03-31", projection=FirstN(40))) == 40
    assert len(tl.state_at("2025-03-31", projection=FirstN(5))) == 5


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

    @attrs.frozen
    class Awkward:
        state: int
        cls: int

    assert evolver(Awkward)(Awkward(1, 2), cls=3, state=4) == Awkward(4, 3)

    @attrs.frozen
    class Longer(Pair):
        extra: int = 0

    with pytest.raises(TypeError, match=r"makes .*Pair, not .*Longer"):
        evolve(Longer(1, 2, 3), right=5)


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


def test_a_timeline_shared_by_a_writer_and_a_follower_thread() -> None:
    tl = timeline.open()
    seen: list[int] = []
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            for record in tl.follow(after=0, timeout=10):
                seen.append(record.position)
                if len(seen) == 300:
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    follower = threading.Thread(target=follow)
    follower.start()
    for n in range(300):
        tl.append(Note(occurred="2025", text=str(n)))
    follower.join(timeout=30)
    assert errors == []
    assert seen == list(range(1, 301))
    assert tl.head == 300


def test_happened_pickles_and_copies_at_any_length() -> None:
    import copy
    import pickle

    state = timeline.Happened.of(Note(occurred="2025", text=str(n)) for n in range(3000))
    assert pickle.loads(pickle.dumps(state)) == state
    assert copy.deepcopy(state) == state
    assert len(copy.deepcopy(state)) == 3000


def test_abstract_and_registered_classes_are_made_once() -> None:
    with pytest.raises(EventDefinitionError, match="already an event class"):
        timeline.abstract_event(Measured)
    with pytest.raises(EventDefinitionError, match="already an event class"):
        timeline.event("test.ext.measured", version=1)(Measured)


def test_a_same_named_class_elsewhere_cannot_take_a_registered_name() -> None:
    namespace: dict[str, Any] = {"timeline": timeline, "__name__": "elsewhere"}
    code = (
        "@timeline.event('test.ext.note', version=1)\nclass Note(timeline.Event):\n    room: str\n"
    )
    with pytest.raises(
        ValueError, match=r"already registered to tests\.test_extension_points\.Note"
    ):
        exec(code, namespace)
    assert timeline.events.event_class("test.ext.note") is Note


def test_a_broken_extension_warns_and_the_others_still_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib.metadata import EntryPoint

    from timeline import extensions

    fake = [
        EntryPoint(name="broken", value="timeline_no_such_module", group=extensions.GROUP),
        EntryPoint(name="notebook", value="timeline.notebook", group=extensions.GROUP),
    ]
    monkeypatch.setattr(extensions, "entry_points", lambda group: fake)
    monkeypatch.setattr(extensions, "_loaded", [])
    with pytest.warns(RuntimeWarning, match="'broken'"):
        extensions.load()
    assert "events" in extensions.plot_kinds()


def test_using_the_notebook_layer_imports_no_domain() -> None:
    import subprocess
    import sys

    pytest.importorskip("pandas")
    code = (
        "import sys, timeline\n"
        "tl = timeline.open()\n"
        "tl.to_pandas()\n"
        "print(' '.join(m for m in sys.modules if m.startswith('timeline.support')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_an_unknown_type_names_the_installed_event_modules(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "seed.db"
    timeline.support.fill(timeline.support.open(path)).close()
    # opening reads the index only: the first query that decodes a record says what is missing
    code = (
        f"import timeline\ntl = timeline.open({str(path)!r})\n"
        "try:\n    tl.events()\nexcept Exception as e:\n    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "installed event modules: timeline.sources.kiel, timeline.support" in done.stdout
