"""Events: immutable facts about the world, the type registry, upcasters, corrections, retractions.

An event type is an attrs frozen, slotted, keyword-only class registered under a stable name and a
schema version, defined once by the `event` decorator::

    @timeline.event("milestone.reached", version=1)
    class MilestoneReached(timeline.Event):
        name: str

Stored data of an older version is brought up to date on read by the `upcaster` functions
registered for that type, one step per version.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar, cast, dataclass_transform

import attrs

from timeline.errors import EventDefinitionError, InvalidEvent, TimelineError, UnknownEventType
from timeline.values import Source
from timeline.when import When, to_when

__all__ = [
    "Correction",
    "Event",
    "MetaEvent",
    "Retraction",
    "abstract_event",
    "event",
    "event_class",
    "event_type_of",
    "registered_types",
    "upcast",
    "upcaster",
]

E = TypeVar("E", bound="Event | MetaEvent")
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_BY_NAME: dict[str, type[Event | MetaEvent]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def _new_id() -> str:
    return str(uuid.uuid4())


def _guard(cls_name: str, field_name: str, fn: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """Make a converter or validator raise `InvalidEvent` naming the field it failed on."""

    def raise_for(exc: Exception) -> InvalidEvent:
        reason = exc.args[0] if exc.args else type(exc).__name__
        return InvalidEvent(f"{cls_name}.{field_name}: {reason}", field=field_name)

    if kind == "converter":

        def convert(value: Any) -> Any:
            try:
                return fn(value)
            except InvalidEvent:
                raise
            except (TimelineError, ValueError, TypeError) as exc:
                raise raise_for(exc) from exc

        convert.__wrapped__ = fn  # type: ignore[attr-defined]
        return convert

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        try:
            fn(instance, attribute, value)
        except InvalidEvent:
            raise
        except (TimelineError, ValueError, TypeError) as exc:
            raise raise_for(exc) from exc

    return validate


def _guard_fields(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    out = []
    for a in fields:
        changes: dict[str, Any] = {}
        if a.converter is not None and callable(a.converter):
            changes["converter"] = _guard(cls.__name__, a.name, a.converter, "converter")
        if a.validator is not None:
            changes["validator"] = _guard(cls.__name__, a.name, a.validator, "validator")
        out.append(a.evolve(**changes) if changes else a)
    return out


def _check_id(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value or len(value) > 200 or value != value.strip():
        raise InvalidEvent(
            f"id {value!r} must be a non-empty string of at most 200 characters without "
            "surrounding space",
            field="id",
        )


def _check_source(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, Source):
        raise InvalidEvent(f"source must be a Source or None, not {value!r}", field="source")


@attrs.frozen(kw_only=True, field_transformer=_guard_fields)
class Event:
    """Base class of every fact about the world.

    Fields (keyword-only): `id` (stable, unique in a log; default a new UUID), `occurred` (a
    `When`; text, dates and aware datetimes are converted) and `source` (a `Source` or None).
    """

    event_type: ClassVar[str] = ""
    """Registered name (set by `event`)."""
    schema_version: ClassVar[int] = 0
    """Registered schema version (set by `event`)."""

    id: str = attrs.field(factory=_new_id, validator=_check_id)
    occurred: When = attrs.field(converter=to_when)
    source: Source | None = attrs.field(default=None, validator=_check_source)


@attrs.frozen(kw_only=True, field_transformer=_guard_fields)
class MetaEvent:
    """Base of events about other events (`Correction`, `Retraction`): they act on knowledge only."""

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 0

    id: str = attrs.field(factory=_new_id, validator=_check_id)
    target: str = attrs.field(validator=_check_id)
    reason: str | None = None
    source: Source | None = attrs.field(default=None, validator=_check_source)


_SCALARS: tuple[object, ...] = (str, int, bool, float, Decimal, When, type(None))


def _unstorable(tp: object, seen: set[type]) -> str | None:
    """Why a field of type `tp` could not be stored and read back equal, or None if it can.

    Storable: str, int, bool, float, Decimal, `When`, None, Literal of those, enums with str or
    int values, unions and Optional of storable types, tuple/list of them, dict with str keys,
    attrs classes whose fields are storable, and the base `Event` (stored with its type).
    """
    if tp in _SCALARS or tp is Event:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        bad = [a for a in args if not isinstance(a, (str, int, bool, type(None)))]
        return f"Literal value {bad[0]!r} is not a string, int or bool" if bad else None
    if origin in (types.UnionType, typing.Union):
        if len([a for a in args if a is not type(None)]) > 1:
            return f"{tp}: only `X | None` unions can be read back unambiguously"
        return next((r for a in args if (r := _unstorable(a, seen))), None)
    if origin is tuple:
        items = args[:1] if len(args) == 2 and args[1] is Ellipsis else args
        return next((r for a in items if (r := _unstorable(a, seen))), None)
    if origin in (list, dict, set, frozenset) or tp in (list, dict, set, frozenset):
        return (
            f"{tp} is mutable (or unordered): an event could change after it was appended; "
            "use tuple[...] (of pairs, or of an attrs class)"
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        bad_members = [m for m in tp if not isinstance(m.value, (str, int))]
        return (
            f"{tp.__name__}.{bad_members[0].name} has a value that is not a string or int"
            if bad_members
            else None
        )
    if isinstance(tp, type) and attrs.has(tp):
        if tp in seen:
            return None
        seen.add(tp)
        hints = _hints(tp)
        if hints is None:
            return None  # unresolvable annotations: the check at append still applies
        for field in attrs.fields(tp):
            if not field.init:
                return f"{tp.__name__}.{field.name}: init=False fields are not stored"
            reason = _unstorable(hints.get(field.name, Any), seen)
            if reason:
                return f"{tp.__name__}.{field.name}: {reason}"
        return None
    if tp in (dt.datetime, dt.date):
        return f"{tp.__name__} cannot be stored exactly; use timeline.When"
    name = getattr(tp, "__name__", None) or str(tp)
    return f"{name} is not a type the log can store and read back equal"


def _hints(cls: type) -> dict[str, Any] | None:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - names only defined locally: checked at append instead
        return None


def _is_float(tp: object) -> bool:
    return tp is float or (
        typing.get_origin(tp) in (types.UnionType, typing.Union) and float in typing.get_args(tp)
    )


def _check_finite(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidEvent(
            f"{attribute.name} is {value!r}: JSON has no NaN or infinity", field=attribute.name
        )


def _checked_transformer(
    hints: dict[str, Any],
) -> Callable[[type, list[attrs.Attribute[Any]]], list[attrs.Attribute[Any]]]:
    """`_guard_fields`, plus a finiteness check on every float field (JSON has no NaN)."""

    def transform(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
        out = []
        for a in fields:
            if _is_float(hints.get(a.name)):
                checks = [v for v in (a.validator, _check_finite) if v is not None]
                a = a.evolve(validator=attrs.validators.and_(*checks))  # noqa: PLW2901
            out.append(a)
        return _guard_fields(cls, out)

    return transform


def _check_definition(cls: type) -> dict[str, Any]:
    """Refuse, at definition, an event class the log could not store and read back equal."""
    if _META_BASES and issubclass(cls, MetaEvent) and not issubclass(cls, _META_BASES):
        raise EventDefinitionError(
            f"{cls.__qualname__}: a MetaEvent acts on another event's knowledge and must "
            "subclass timeline.Correction or timeline.Retraction"
        )
    hints = _hints(cls) or {}
    for name in getattr(cls, "__annotations__", {}):
        field = cls.__dict__.get(name)
        if field is not None and getattr(field, "init", True) is False:
            raise EventDefinitionError(
                f"{cls.__qualname__}.{name}: init=False fields are not stored, so a reader "
                "would compute them anew; make it a method or a stored field"
            )
    for name, tp in hints.items():
        if typing.get_origin(tp) is ClassVar or tp is ClassVar:
            continue
        reason = _unstorable(tp, set())
        if reason:
            raise EventDefinitionError(f"{cls.__qualname__}.{name}: {reason}")
    return hints


_META_BASES: tuple[type, ...] = ()


def _register(cls: type[E], name: str, version: int) -> type[E]:
    if (
        not isinstance(name, str)
        or not name
        or name != name.strip()
        or len(name) > 200
        or not name.isprintable()
        or any("\ud800" <= c <= "\udfff" for c in name)
    ):
        raise EventDefinitionError(
            f"event type name {name!r} must be printable text of at most 200 characters "
            "without surrounding space"
        )
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**31:
        raise EventDefinitionError(
            f"schema version of {name!r} must be an int from 1 to 2**31 - 1, not {version!r}"
        )
    existing = _BY_NAME.get(name)
    if existing is not None and (existing.__module__, existing.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(
            f"event type {name!r} is already registered to "
            f"{existing.__module__}.{existing.__qualname__}"
        )
    cls.event_type = name
    cls.schema_version = version
    _BY_NAME[name] = cast("type[Event | MetaEvent]", cls)
    return cls


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field, attrs.Factory)
)
def event(name: str, *, version: int = 1) -> Callable[[type[E]], type[E]]:
    """Register an event type: make the class a frozen, slotted, keyword-only attrs class.

    `name` is stored with every event of the type and must never change; bump `version` when
    the fields change and register an `upcaster` from the old version.
    """

    def decorate(cls: type[E]) -> type[E]:
        if not isinstance(cls, type) or not issubclass(cls, (Event, MetaEvent)):
            raise EventDefinitionError(f"{cls!r} must subclass timeline.Event")
        _check_not_made(cls)
        hints = _check_definition(cls)
        made = attrs.frozen(kw_only=True, field_transformer=_checked_transformer(hints))(cls)
        return _register(made, name, version)

    return decorate


def _check_not_made(cls: type) -> None:
    if "__attrs_attrs__" in cls.__dict__:
        raise EventDefinitionError(
            f"{cls.__qualname__} is already an event class (made by event, abstract_event or "
            "attrs); register a subclass of it instead"
        )


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field, attrs.Factory)
)
def abstract_event(cls: type[E]) -> type[E]:
    """Declare a base class for event types without registering it: the class becomes a frozen,
    keyword-only attrs class whose fields get the same checks as a registered type's (storable
    types, guarded converters and validators, finite floats). Its subclasses register with
    `event`; the base itself can never be appended.

    >>> @abstract_event
    ... class Measured(Event):
    ...     unit: str
    >>> @event("example.length", version=1)
    ... class Length(Measured):
    ...     value: int
    >>> Length(occurred="2025-03-03", unit="m", value=3).unit
    'm'
    """
    if not isinstance(cls, type) or not issubclass(cls, (Event, MetaEvent)):
        raise EventDefinitionError(f"{cls!r} must subclass timeline.Event")
    _check_not_made(cls)
    if "event_type" in cls.__dict__:
        raise EventDefinitionError(f"{cls.__qualname__}: an abstract event has no event_type")
    hints = _check_definition(cls)
    return attrs.frozen(kw_only=True, field_transformer=_checked_transformer(hints))(cls)


def upcaster(name: str, *, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns the stored data of `name` at `from_version` into the next.

    >>> @upcaster("example.renamed", from_version=1)
    ... def _v1_to_v2(data):
    ...     return {**data, "title": data.pop("name")}
    """

    def decorate(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(name, from_version)] = fn
        return fn

    return decorate


def event_class(name: str) -> type[Event | MetaEvent]:
    """The class registered under `name`; `UnknownEventType` if there is none."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise UnknownEventType(
            f"no event type is registered under {name!r}", event_type=str(name)
        ) from None


def event_type_of(obj: Event | MetaEvent) -> tuple[str, int]:
    """(name, version) of a registered event; `UnknownEventType` for an unregistered class."""
    cls = type(obj)
    name = cls.event_type
    if not name or _BY_NAME.get(name) is not cls:
        raise UnknownEventType(
            f"{cls.__qualname__} is not a registered event type; decorate it with "
            "@timeline.event(name, version=...)",
            event_type=cls.__qualname__,
        )
    return name, cls.schema_version


def registered_types() -> dict[str, type[Event | MetaEvent]]:
    """A copy of the registry: name -> class."""
    return dict(_BY_NAME)


def upcast(name: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Bring stored `data` of type `name` at `version` up to the registered version."""
    cls = event_class(name)
    if version > cls.schema_version:
        raise UnknownEventType(
            f"{name!r} data is version {version} but this program knows up to "
            f"{cls.schema_version}; upgrade timeline or the package defining it",
            event_type=name,
        )
    while version < cls.schema_version:
        step = _UPCASTERS.get((name, version))
        if step is None:
            raise UnknownEventType(
                f"{name!r} data is version {version} and no upcaster from it is registered",
                event_type=name,
            )
        data = step(dict(data))
        version += 1
    return data


def _check_replacement(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, Event):
        raise InvalidEvent(
            f"replacement must be an Event, not {type(value).__name__}", field="replacement"
        )


@event("timeline.correction", version=1)
class Correction(MetaEvent):
    """Replace the event `target` by `replacement` for every query that knows of this correction.

    The effective event keeps the target's id. Among the corrections and retractions of one
    target, the last one in log order wins; a correction after a retraction restores the event.
    """

    replacement: Event = attrs.field(validator=_check_replacement)


@event("timeline.retraction", version=1)
class Retraction(MetaEvent):
    """The event `target` no longer counts, for every query that knows of this retraction."""


_META_BASES = (Correction, Retraction)
