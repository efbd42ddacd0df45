"""The public names DESIGN.md promises are there, and nothing private leaks into __all__."""

from __future__ import annotations

import timeline
import timeline.errors
import timeline.support

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
}


def test_all_is_sorted_and_complete() -> None:
    assert list(timeline.__all__) == sorted(timeline.__all__)
    assert set(timeline.__all__) >= PROMISED
    for name in timeline.__all__:
        assert hasattr(timeline, name), name
    assert isinstance(timeline.__version__, str)


def test_support_names() -> None:
    assert list(timeline.support.__all__) == sorted(timeline.support.__all__)
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
