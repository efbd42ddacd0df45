"""The exceptions `timeline` raises on bad input, broken logs and lost races.

Every exception the public API raises because of the caller's data or the state of a log is a
`TimelineError`. Leaf classes also subclass the matching builtin, so ``except ValueError`` keeps
working, and carry structured attributes as well as a message that names the field, line or
position at fault::

    TimelineError
    ├── TimeError(ValueError)            .value          bad, naive or impossible time
    ├── InvalidValue(ValueError)         .field          a value object refused its input
    │   ├── UnknownCurrency                              not an ISO 4217 code
    │   └── InvalidEvent                 .event_type     an event refused its input
    │       └── DuplicateEventId         .event_id       the id is already in the log
    ├── CurrencyMismatch(ValueError)     .left, .right   adding GBP to EUR
    ├── UnknownEventType(LookupError)    .event_type     no class registered under that name
    ├── EventDefinitionError(TypeError)                  an event class the log could not store
    ├── DataError(ValueError)            .line           a malformed line in an import
    ├── ConcurrencyError                 .expected, .actual   the head moved under you
    ├── IntegrityError                   .position       the hash chain does not verify
    └── StoreError(OSError)              .path           not a timeline, read-only, disk full
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyError",
    "ConversionError",
    "CurrencyMismatch",
    "DataError",
    "DuplicateEventId",
    "EventDefinitionError",
    "IntegrityError",
    "InvalidEvent",
    "InvalidValue",
    "StoreError",
    "TimeError",
    "TimelineError",
    "UnknownCurrency",
    "UnknownEventType",
]


class TimelineError(Exception):
    """Root of every error `timeline` raises on bad input or a bad log."""


class TimeError(TimelineError, ValueError):
    """A time could not be understood: malformed, naive, impossible or out of order."""

    def __init__(self, message: str, *, value: object = None) -> None:
        super().__init__(message)
        self.value = value


class InvalidValue(TimelineError, ValueError):
    """A value (money, actor code, source, …) refused its input; `field` names which part."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownCurrency(InvalidValue):
    """A currency code that is not in ISO 4217."""


class InvalidEvent(InvalidValue):
    """An event could not be built or stored; `field` names the field at fault."""

    def __init__(
        self, message: str, *, field: str | None = None, event_type: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.event_type = event_type


class DuplicateEventId(InvalidEvent):
    """An event id that is already in the log (ids are unique across the whole log)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event id {event_id!r} is already in the log", field="id")
        self.event_id = event_id


class CurrencyMismatch(TimelineError, ValueError):
    """Money in two currencies was added or compared; convert first."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}: amounts are kept per currency")
        self.left = left
        self.right = right


class UnknownEventType(TimelineError, LookupError):
    """A stored or imported event names a type (or version) no class is registered for."""

    def __init__(self, message: str, *, event_type: str) -> None:
        super().__init__(message)
        self.event_type = event_type


class EventDefinitionError(TimelineError, TypeError):
    """An event class cannot be registered: a field of a type the log cannot store and read back
    equal (``datetime``, ``set``, ``Any``, …), or a `MetaEvent` that is neither a `Correction`
    nor a `Retraction`. Raised when the class is defined, before any event of it exists."""


class ConversionError(TimelineError, ValueError):
    """An amount could not be converted: no published rate for its currency on or before its
    date. The message names the amount and the date; nothing is ever guessed."""


class DataError(TimelineError, ValueError):
    """A malformed line in an import; `line` is its 1-based number in the file."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class ConcurrencyError(TimelineError):
    """`append(..., expected_position=n)` found the head at another position; nothing was written."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"expected the head at position {expected} but it is at {actual}; nothing was written"
        )
        self.expected = expected
        self.actual = actual


class IntegrityError(TimelineError):
    """The log does not verify: a changed, missing or reordered record. `position` is the first bad one."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(f"position {position}: {message}" if position is not None else message)
        self.position = position


class StoreError(TimelineError, OSError):
    """The storage cannot be used: not a timeline file, read-only, disk full, unreachable."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path
