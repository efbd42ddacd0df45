"""timeline: an event-sourced, bitemporal timeline of facts, with as-of queries.

>>> import timeline
>>> tl = timeline.load_seed()
>>> tl.state_at("2025-03-04").aid_status("US", "military")
'paused'
"""

from importlib.metadata import PackageNotFoundError, version

from timeline._open import copy_log, import_jsonl, open  # noqa: A004 - timeline.open is the API
from timeline.errors import (
    ConcurrencyError,
    CurrencyMismatch,
    DataError,
    DuplicateEventId,
    EventDefinitionError,
    IntegrityError,
    InvalidEvent,
    InvalidValue,
    StoreError,
    TimeError,
    TimelineError,
    UnknownCurrency,
    UnknownEventType,
)
from timeline.events import Correction, Event, MetaEvent, Retraction, event, upcaster
from timeline.log import Timeline
from timeline.projection import Projection, Reducer, StateChanged, fold, on
from timeline.records import Record
from timeline.seed import load_seed
from timeline.values import Money, Person, Source
from timeline.when import Precision, When

try:
    __version__ = version("timeline")
except PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
    __version__ = "0+unknown"

__all__ = [
    "ConcurrencyError",
    "Correction",
    "CurrencyMismatch",
    "DataError",
    "DuplicateEventId",
    "Event",
    "EventDefinitionError",
    "IntegrityError",
    "InvalidEvent",
    "InvalidValue",
    "MetaEvent",
    "Money",
    "Person",
    "Precision",
    "Projection",
    "Record",
    "Reducer",
    "Retraction",
    "Source",
    "StateChanged",
    "StoreError",
    "TimeError",
    "Timeline",
    "TimelineError",
    "UnknownCurrency",
    "UnknownEventType",
    "When",
    "__version__",
    "copy_log",
    "event",
    "fold",
    "import_jsonl",
    "load_seed",
    "on",
    "open",
    "upcaster",
]
