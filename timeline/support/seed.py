"""`open` and `load_seed`: timelines of the support domain, and the seed article's events.

The seed files are TOML, one batch per file: ``recorded_at`` (when the log learns the batch),
an optional default ``[source]``, and ``[[events]]`` tables in the export format of the codec
(``type``, optional ``version``, then the event's fields). An event's own ``source`` keys
override the default's. A ``timeline.correction`` table (``target``, optional ``reason``, and a
``replacement`` table written like an event) corrects an event of an earlier batch. They live in ``seeds/`` in the repository and inside the package when
installed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import attrs

from timeline._open import open as open_timeline
from timeline.codec import decode
from timeline.errors import DataError, InvalidEvent, TimelineError
from timeline.events import Correction, Event, event_class
from timeline.log import Clock, Timeline
from timeline.stores import Store
from timeline.stores.sqlite import Durability
from timeline.support.state import SupportProjection, SupportState
from timeline.when import to_when

__all__ = ["SeedBatch", "fill", "load_seed", "open", "read_seed_file", "seed_batches", "seed_dir"]

ARTICLE = "article.toml"
TL = TypeVar("TL", bound=Timeline[Any])


@attrs.frozen
class SeedBatch:
    """One seed file: the events (and corrections) the log learned at `recorded_at`."""

    name: str
    recorded_at: str
    events: tuple[Event | Correction, ...]


def seed_dir() -> Path:
    """Where the seed files are: inside the installed package, else the checkout's ``seeds/``."""
    packaged = Path(str(resources.files("timeline"))) / "seeds"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "seeds"


def read_seed_file(path: Path) -> SeedBatch:
    """Read one seed file; `DataError` names the file and event at fault."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name}: not valid TOML: {exc}") from None
    default_source: dict[str, Any] = doc.get("source", {})
    events: list[Event | Correction] = []
    for index, table in enumerate(doc.get("events", []), 1):
        label = f"{path.name}: event {index} ({table.get('id', 'no id')})"
        try:
            if table.get("type") == Correction.event_type:
                events.append(_correction(dict(table), default_source))
            else:
                events.append(_world_event(dict(table), default_source))
        except TimelineError as exc:
            raise DataError(f"{label}: {exc}") from exc
        except _NotAWorldEvent:
            raise DataError(f"{label}: seed files hold events about the world only") from None
    recorded = doc.get("recorded_at")
    if not isinstance(recorded, str):
        raise DataError(f"{path.name}: recorded_at (a string) is required")
    return SeedBatch(path.name, recorded, tuple(events))


class _NotAWorldEvent(Exception):
    pass


def _world_event(data: dict[str, Any], default_source: dict[str, Any]) -> Event:
    name = data.pop("type", None)
    version = data.pop("version", event_class(str(name)).schema_version)
    if "source" in data or default_source:
        data["source"] = {
            "title": None,
            "publisher": None,
            "url": None,
            "published": None,
            "quote": None,
            **default_source,
            **data.get("source", {}),
        }
    ev = decode(name, version, data)
    if not isinstance(ev, Event):
        raise _NotAWorldEvent
    return ev


def _correction(data: dict[str, Any], default_source: dict[str, Any]) -> Correction:
    """A correction: ``target``, optional ``reason``, and a ``replacement`` table written like an
    event of its own (with its own ``source``, defaulting to the file's)."""
    replacement = data.get("replacement")
    if not isinstance(replacement, dict):
        raise InvalidEvent("a correction needs a replacement table", field="replacement")
    unknown = set(data) - {"type", "id", "target", "reason", "replacement"}
    if unknown:
        raise InvalidEvent(f"unknown correction fields {sorted(unknown)}", field=min(unknown))
    return Correction(
        id=data.get("id", f"correction-of-{data.get('target')}"),
        target=data.get("target"),  # type: ignore[arg-type]  # checked by its validator
        reason=data.get("reason"),
        replacement=_world_event(dict(replacement), default_source),
    )


def seed_batches(*, follow_ups: bool = True) -> Iterator[SeedBatch]:
    """The seed batches in the order they are recorded (the article first)."""
    directory = seed_dir()
    names = [ARTICLE] + (
        sorted(p.name for p in directory.glob("*.toml") if p.name != ARTICLE) if follow_ups else []
    )
    batches = [read_seed_file(directory / name) for name in names]
    batches.sort(key=lambda b: to_when(b.recorded_at).earliest)
    yield from batches


def fill(tl: TL, *, follow_ups: bool = True) -> TL:
    """Append the seed batches to `tl`, each at its own `recorded_at`."""
    for batch in seed_batches(follow_ups=follow_ups):
        tl.append(*batch.events, recorded_at=batch.recorded_at)
    return tl


def open(  # noqa: A001 - mirrors timeline.open
    path: str | os.PathLike[str] | Store | None = None,
    *,
    clock: Clock | None = None,
    durability: Durability = "full",
    schema: str | None = None,
    create: bool = True,
) -> Timeline[SupportState]:
    """`timeline.open` with `SupportProjection` as the default projection, so ``state_at``
    answers with a `SupportState`.

    >>> from timeline import support
    >>> tl = support.open()
    >>> tl.state_at("2025-03-04").aid_status("US", "military") is None
    True
    """
    return open_timeline(
        path,
        projection=SupportProjection(),
        clock=clock,
        durability=durability,
        schema=schema,
        create=create,
    )


def load_seed(*, follow_ups: bool = True, clock: Clock | None = None) -> Timeline[SupportState]:
    """The seed article's timeline in memory, with `SupportState` as its projection.

    With `follow_ups` (the default) it also holds the dated context and follow-up files
    (the 11 March resumption, the loan tranches), each recorded on its own date.

    >>> from timeline import support
    >>> support.load_seed().state_at("2025-03-04").aid_status("US", "military")
    'paused'
    """
    return fill(open(clock=clock), follow_ups=follow_ups)
