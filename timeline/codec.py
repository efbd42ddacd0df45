"""The one cattrs `Converter` of the library: event <-> JSON-safe dict, and canonical JSON.

Decimal is stored as a string (exact), `When` as its canonical EDTF text, tuples as lists. The
decode path is the hot one when a log is opened: it uses a converter without detailed validation
and, only when that fails, decodes again with a detailed one to say which field is wrong.
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import types
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs
import cattrs

try:
    import msgspec
except ImportError:  # pragma: no cover - a dependency; a platform without its wheel uses json
    msgspec = None  # type: ignore[assignment]

from timeline.errors import InvalidEvent, TimelineError, UnknownEventType
from timeline.events import Event, MetaEvent, event_class, event_type_of, upcast
from timeline.values import _to_decimal, optional_when
from timeline.when import When, to_when

__all__ = [
    "canonical_json",
    "decode",
    "encode",
    "from_dict",
    "parse",
    "stored_form",
    "to_dict",
]


def _strict_str(value: object, _type: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _strict_int(value: object, _type: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__} {value!r}")
    return value


def _strict_bool(value: object, _type: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__} {value!r}")
    return value


_DECIMAL_EXPONENT: Final = 1000
"""Decimals beyond 10**±1000 are refused: sums of them would overflow the decimal context."""


def checked_decimal(value: Decimal) -> Decimal:
    """`value` if finite and within 10**±1000; `ValueError` otherwise."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if value and abs(value.adjusted()) > _DECIMAL_EXPONENT:
        raise ValueError(f"{value:.3e} is beyond 10**±{_DECIMAL_EXPONENT}")
    return value


def _decimal(value: object, _type: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"expected a decimal string, got {type(value).__name__} {value!r}")
    try:
        return checked_decimal(Decimal(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None


def _strict_float(value: object, _type: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)


def _when(value: object, _type: object) -> When:
    if not isinstance(value, str):
        raise TypeError(f"expected EDTF text, got {type(value).__name__} {value!r}")
    return When.parse(value)


def make_converter(*, detailed: bool = False) -> cattrs.Converter:
    """Build the library's converter. `detailed` collects every error with its path (slower)."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_unstructure_hook(When, str)
    conv.register_structure_hook(When, _when)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(float, _strict_float)
    # A field typed as the base `Event` (Correction.replacement) holds any registered event:
    # store it with its type and version, like a record does.
    conv.register_unstructure_hook_func(
        lambda t: t is Event,
        lambda ev: _envelope(ev),  # noqa: PLW0108 - _envelope is defined below
    )
    conv.register_structure_hook_func(lambda t: t is Event, lambda d, _t: _from_envelope(d))
    return conv


_FAST = make_converter()
_DETAILED = make_converter(detailed=True)


def to_dict(ev: Event | MetaEvent) -> dict[str, Any]:
    """The JSON-safe data of an event (without its type name)."""
    data: dict[str, Any] = _FAST.unstructure(ev)
    return data


def _unstructured(ev: Event | MetaEvent, name: str) -> dict[str, Any]:
    """`to_dict`, or `InvalidEvent` naming the field whose value is not of its declared type
    (a dict where `Money` is declared, say), instead of the converter's bare AttributeError."""
    try:
        return to_dict(ev)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        with contextlib.suppress(NameError, TypeError):  # string annotations → types
            attrs.resolve_types(type(ev))
        for field in attrs.fields(type(ev)):
            try:
                _FAST.unstructure(getattr(ev, field.name), field.type)
            except (AttributeError, TypeError, ValueError, KeyError) as inner:
                value = getattr(ev, field.name)
                raise InvalidEvent(
                    f"{name}.{field.name}: {value!r} is not a {_type_name(field.type)} "
                    f"({type(inner).__name__}: {inner})",
                    field=field.name,
                    event_type=name,
                ) from None
        raise InvalidEvent(f"{name}: cannot be stored: {exc}", event_type=name) from None


def _type_name(tp: object) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _envelope(ev: Event | MetaEvent) -> dict[str, Any]:
    name, version = event_type_of(ev)
    return {"type": name, "version": version, "data": to_dict(ev)}


def _from_envelope(value: object) -> Event:
    if not isinstance(value, dict) or set(value) != {"type", "version", "data"}:
        raise TypeError("expected an object with exactly 'type', 'version' and 'data'")
    ev = decode(value["type"], value["version"], value["data"])
    if not isinstance(ev, Event):
        raise TypeError(f"{value['type']!r} is not an event about the world")
    return ev


def _format_leaf(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, (TimelineError, ValueError, TypeError)) and not isinstance(exc, KeyError):
        text = str(exc)
        if text:
            return text
    return cattrs.v.format_exception(exc, type_)


def _leaf_field(exc: BaseException) -> str | None:
    """The field of the first `InvalidEvent` inside a (nested) exception group."""
    if isinstance(exc, InvalidEvent):
        return exc.field
    for inner in getattr(exc, "exceptions", ()):
        found = _leaf_field(inner)
        if found:
            return found
    return None


def _describe(exc: BaseException) -> tuple[str, str | None]:
    """Readable message and first field path of a cattrs/attrs failure."""
    if isinstance(exc, InvalidEvent):
        return str(exc), exc.field
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        messages = [
            m.removesuffix(" @ ")
            for m in cattrs.transform_error(exc, path="", format_exception=_format_leaf)
        ]
        first = messages[0] if messages else str(exc)
        path = first.rsplit(" @ ", 1)[-1] if " @ " in first else ""
        field = path.lstrip(".").split(".")[0].split("[")[0] or _leaf_field(exc)
        return "; ".join(messages), field
    return str(exc), None


def from_dict(name: str, data: dict[str, Any]) -> Event | MetaEvent:
    """Build an event of the registered type `name` from data at its current version."""
    cls = event_class(name)
    if not isinstance(data, dict):
        raise InvalidEvent(f"{name}: data must be an object", event_type=name)
    with contextlib.suppress(Exception):  # the detailed converter below says what is wrong
        return _FAST.structure(data, cls)
    try:
        ev = _DETAILED.structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - every failure of the data becomes InvalidEvent
        message, field = _describe(exc)
        raise InvalidEvent(f"{name}: {message}", field=field, event_type=name) from None
    return ev  # pragma: no cover - the fast converter failed where the detailed one did not


def encode(ev: Event | MetaEvent) -> tuple[str, int, dict[str, Any]]:
    """(type name, schema version, data) of a registered event."""
    name, version = event_type_of(ev)
    return name, version, to_dict(ev)


def _unjsonable(value: object, path: str) -> tuple[str, str] | None:
    """(path, reason) of the first part of unstructured data that canonical JSON cannot hold."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "text with a lone surrogate cannot be stored as UTF-8"
        return None
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, f"{value!r} is not a JSON number")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"key {key!r} is not a string"
            found = _unjsonable(item, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _unjsonable(item, f"{path}[{index}]")
            if found:
                return found
        return None
    return path, f"{type(value).__name__} {value!r} is not JSON data"


def _first_difference(a: object, b: object) -> str | None:
    for field in attrs.fields(type(a)):  # type: ignore[arg-type]
        name: str = field.name
        if getattr(a, name) != getattr(b, name):
            return name
    return None


def _first_stored_difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    return next((key for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)), None)


def stored_form(ev: Event | MetaEvent) -> tuple[str, int, str]:
    """(type name, schema version, canonical JSON data) of an event, checked on the way in.

    The one gate every write path passes: the data must be JSON that UTF-8 can hold, and it must
    decode, through the validating path *and* the fast read path, to an event equal to `ev`.
    Otherwise `InvalidEvent` names the field, and nothing is written. So what is stored reads
    back, in any later process, as the event the writer saw.
    """
    name, version = event_type_of(ev)
    data = _unstructured(ev, name)
    try:
        text = canonical_json(data)
        text.encode("utf-8")
    except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
        path, reason = _unjsonable(data, "") or ("", "cannot be stored as JSON")
        field = path.split(".")[0].split("[")[0] or None
        raise InvalidEvent(f"{name}.{path}: {reason}", field=field, event_type=name) from None
    loaded = parse(text)  # neither read path changes it
    back = from_dict(name, loaded)  # InvalidEvent naming the field of a wrong type
    trusted = _trusted(name, version, loaded)
    # equal as events, and (for fields left out of equality) equal as stored data
    for other, same in (
        (back, back == ev and _FAST.unstructure(back) == data),
        (trusted, trusted == ev),
    ):
        if not same:
            field = _first_difference(ev, other) or _first_stored_difference(
                data, _FAST.unstructure(other)
            )
            raise InvalidEvent(
                f"{name}.{field}: {getattr(ev, str(field), None)!r} would be read back as "
                f"{getattr(other, str(field), None)!r}; give the value its stored type (a "
                "converter must return the same value when given its own output)",
                field=field,
                event_type=name,
            )
    return name, version, text


def decode(name: object, version: object, data: object) -> Event | MetaEvent:
    """Rebuild an event from its stored type name, version and data, upcasting old versions."""
    if not isinstance(name, str):
        raise UnknownEventType(f"event type must be a string, not {name!r}", event_type=str(name))
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidEvent(f"{name}: version must be an int >= 1, not {version!r}", field="version")
    if not isinstance(data, dict):
        raise InvalidEvent(f"{name}: data must be an object", field="data", event_type=name)
    try:
        current = upcast(name, version, data)
    except TimelineError:
        raise
    except Exception as exc:
        raise InvalidEvent(f"{name}: upcasting from version {version} failed: {exc}") from exc
    return from_dict(name, current)


# --- the trusted read path ------------------------------------------------------------------
# Records read back from a store were validated when they were appended, and the hash chain
# (`Timeline.verify`) shows they have not changed since. Reading them again through attrs'
# validators and converters would check the same facts a second time at several times the cost,
# so the store read path builds instances directly. Anything this builder does not know how to
# build (a type it has no handler for, missing data, an old schema version) goes through the
# validating `decode` instead. Imports and seed files always use `decode`.

Handler = Callable[[Any], Any]
_BUILDERS: dict[type, Handler | None] = {}


def _identity(value: Any) -> Any:
    return value


def _handler(tp: Any) -> Handler | None:
    if tp in (str, int, bool, float, type(None)):
        return _identity
    if tp is Decimal:
        return Decimal
    if tp is When:
        return When.parse
    if tp is Event:
        return _from_envelope
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        inner = _handler(next(a for a in args if a is not type(None)))
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _handler(args[0])
        if item is None:
            return None
        if item is _identity:
            return tuple
        return lambda v: tuple(map(item, v))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        return members.__getitem__
    if isinstance(tp, type) and attrs.has(tp):
        return _builder(tp)
    return None


def _then(first: Handler, second: Handler) -> Handler:
    return lambda value: second(first(value))


def _builder(cls: type) -> Handler | None:
    if cls in _BUILDERS:
        return _BUILDERS[cls]
    _BUILDERS[cls] = None  # guards recursion; replaced below
    hints = typing.get_type_hints(cls)
    handlers = []
    for field in attrs.fields(cls):
        handler = _handler(hints[field.name])
        convert = field.converter
        if handler is None or isinstance(convert, attrs.Converter):
            return None
        if callable(convert) and not _canonical_converter(getattr(convert, "__wrapped__", convert)):
            # data imported before every write was brought to its canonical form may still
            # hold what a user converter changes: read it as the validating path would
            handler = _then(handler, convert)
        handlers.append((field.name, handler))
    setter = object.__setattr__
    new = object.__new__

    def build(data: dict[str, Any]) -> Any:
        instance: Any = new(cls)
        for name, handler in handlers:
            setter(instance, name, handler(data[name]))
        return instance

    _BUILDERS[cls] = build
    return build


def _canonical_converter(fn: object) -> bool:
    """Converters that return their input unchanged when given what the read path builds."""
    return fn in (to_when, optional_when, _to_decimal) or (
        isinstance(fn, type) and issubclass(fn, enum.Enum)
    )


def decode_trusted(name: str, version: int, data_json: str) -> Event | MetaEvent:
    """Decode a record this library wrote itself (see the note above); fall back to `decode`."""
    return _trusted(name, version, parse(data_json))


def _trusted(name: str, version: int, data: Any) -> Event | MetaEvent:
    cls = event_class(name)
    if version == cls.schema_version:
        build = _builder(cls)
        if build is not None:
            try:
                return build(data)  # type: ignore[no-any-return]
            except (KeyError, TypeError, ValueError, TimelineError):
                pass  # not what we wrote: let the validating path say what is wrong
    return decode(name, version, data)


_DECODE: Final = None if msgspec is None else msgspec.json.Decoder().decode


def parse(text: str) -> Any:
    """`json.loads(text)`, by msgspec where it can (three to four times faster).

    Parsing only: the text that is hashed is always `canonical_json`'s. Where msgspec refuses a
    text (NaN, 1e400, lone surrogates, deep nesting), `json.loads` parses it, so the value, and
    any error, is json's (`tests/test_events_codec.py` checks that they agree, on integers of
    any size and floats too: orjson, which reads integers beyond 64 bits as floats, would not).
    One difference is left: within a few levels of Python's recursion limit (nesting near
    1,000 deep), msgspec may parse what `json.loads` refuses with `RecursionError`. Anything
    but `str` goes to `json.loads`.
    """
    if _DECODE is not None and type(text) is str:
        try:
            return _DECODE(text)
        except (msgspec.MsgspecError, RecursionError, UnicodeError):
            pass
    return json.loads(text)


_CANONICAL: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(obj: object) -> str:
    """JSON with sorted keys and no spaces: the form that is hashed.

    Exactly ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)`` (the encoder is built once: `json.dumps` builds the same one per call).
    """
    return _CANONICAL.encode(obj)
