"""timeline: an event-sourced, bitemporal timeline of facts, with as-of queries.

The generic core is here; the first domain, support for Ukraine, is `timeline.support`.
`timeline.load_seed` (its seed article's events) is loaded on first use, so importing the
core never imports a domain.

>>> import timeline
>>> tl = timeline.load_seed()
>>> tl.state_at("2025-03-04").aid_status("US", "military")
'paused'
"""

from __future__ import annotations

import importlib
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from timeline._open import open  # noqa: A004 - timeline.open is the API
from timeline.errors import (
    ConcurrencyError,
    ConversionError,
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
from timeline.events import (
    Correction,
    Event,
    MetaEvent,
    Retraction,
    abstract_event,
    event,
    upcaster,
)
from timeline.log import Timeline
from timeline.projection import (
    Changes,
    EventChanged,
    Happened,
    HappenedProjection,
    Projection,
    Reducer,
    SharedByType,
    StateChanged,
    evolver,
    fold,
    on,
)
from timeline.records import Record
from timeline.transfer import copy_log, import_jsonl
from timeline.values import Money, Source
from timeline.when import Precision, When

DISTRIBUTION = "timeline-asof"
"""The name this package is installed under (``pip install timeline-asof``); it imports as
``timeline``."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
    __version__ = "0+unknown"

__all__ = [
    "DISTRIBUTION",
    "Changes",
    "ConcurrencyError",
    "ConversionError",
    "Correction",
    "CurrencyMismatch",
    "DataError",
    "DuplicateEventId",
    "Event",
    "EventChanged",
    "EventDefinitionError",
    "Happened",
    "HappenedProjection",
    "IntegrityError",
    "InvalidEvent",
    "InvalidValue",
    "MetaEvent",
    "Money",
    "Precision",
    "Projection",
    "Record",
    "Reducer",
    "Retraction",
    "SharedByType",
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
    "abstract_event",
    "copy_log",
    "event",
    "evolver",
    "fold",
    "import_jsonl",
    "load_seed",
    "on",
    "open",
    "upcaster",
]


def load_seed(*, follow_ups: bool = True, clock: Any = None) -> Timeline[Any]:
    """The seed article's timeline in memory, with `SupportState` as its projection: the short
    way to `timeline.support.load_seed` (the support domain is imported on first call)."""
    support = importlib.import_module("timeline.support")
    loaded: Timeline[Any] = support.load_seed(follow_ups=follow_ups, clock=clock)
    return loaded


if not TYPE_CHECKING:  # a type checker must not take every unknown name for Any

    def __getattr__(name: str) -> Any:
        if name in ("support", "sources"):  # subpackages above the core, imported on first use
            return importlib.import_module(f"timeline.{name}")
        if name == "Person":  # 0.1 exported it here; it belongs to the support domain
            warnings.warn(
                "timeline.Person moved to timeline.support.Person",
                DeprecationWarning,
                stacklevel=2,
            )
            return importlib.import_module("timeline.support").Person
        raise AttributeError(f"module 'timeline' has no attribute {name!r}")
