"""Event types a user might define: converters, validators, enums, floats, nested values.

Imported by the round-trip property (`tests/test_roundtrip.py`) in the test process *and* in the
fresh processes that reopen its logs, as a user's own module would be.
"""

from __future__ import annotations

import enum
from typing import Literal

import attrs

import timeline


class Mood(enum.Enum):
    CALM = "calm"
    TENSE = "tense"


def _strip(value: str) -> str:
    return value.strip()


def _normalised(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


@attrs.frozen
class Place:
    name: str = attrs.field(converter=_strip)
    country: str | None = None


def _short(_instance: object, _attribute: object, value: str) -> None:
    if len(value) > 40:
        raise ValueError("at most 40 characters")


@timeline.event("user.tagged", version=1)
class Tagged(timeline.Event):
    """A tag normalised by a converter: what is stored is what a reader sees."""

    tag: str = attrs.field(converter=_normalised)
    weight: float = 1.0
    note: str = attrs.field(default="", validator=_short)


@timeline.event("user.observed", version=1)
class Observed(timeline.Event):
    mood: Mood = attrs.field(converter=Mood)
    place: Place | None = None
    places: tuple[Place, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    kind: Literal["seen", "heard"] = "seen"
    ratio: float | None = None


@timeline.event("user.flagged", version=1)
class Flagged(timeline.Retraction):
    """A user's own kind of retraction, with a field of its own."""

    severity: int = 1
