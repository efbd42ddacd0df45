"""Records: the envelope the log keeps around each event, and the SHA-256 hash chain.

A stored record is (position, recorded_at, type, version, id, data, hash). Its hash is
``sha256(previous_hash + canonical_json(body))`` where the body is every other column, with
`data` embedded as canonical JSON; the first record chains from `GENESIS`. Hashes cover the data
*as stored* (before any upcasting), so verifying never depends on the code that reads it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Final, NamedTuple

import attrs
import pendulum

from timeline.errors import TimeError
from timeline.events import Event, MetaEvent
from timeline.when import _from_us, _to_us, fixed_utc_text

__all__ = [
    "GENESIS",
    "Record",
    "StoredRecord",
    "chain_hash",
    "parse_recorded",
    "recorded_text",
]

GENESIS: Final = "0" * 64

# json.dumps(text, ensure_ascii=False) for one string, without the encoder's set-up cost
try:
    from _json import encode_basestring as _json_string
except ImportError:  # pragma: no cover - interpreters without the C accelerator
    from json.encoder import py_encode_basestring as _json_string
"""The `previous hash` of the first record."""


class StoredRecord(NamedTuple):
    """A record as every store keeps it: plain columns, `data` as canonical JSON text."""

    position: int
    recorded_at: str
    type: str
    version: int
    id: str
    data: str
    hash: str


def chain_hash(  # noqa: PLR0917 - the columns of a record, in their order
    previous: str, position: int, recorded_at: str, type_: str, version: int, id_: str, data: str
) -> str:
    """The hash of one record given the hash before it (`data` is canonical JSON text)."""
    body = (
        f'{{"data":{data},"id":{_json_string(id_)},'
        f'"position":{position},"recorded_at":"{recorded_at}",'
        f'"type":{_json_string(type_)},"version":{version}}}'
    )
    return hashlib.sha256((previous + body).encode()).hexdigest()


@attrs.frozen
class Record:
    """One entry of the log: where it is, when the log learned it, what it says, its hash."""

    position: int
    """1, 2, 3, … without gaps."""
    recorded_at: pendulum.DateTime
    """When the log learned the event (aware, UTC); never decreases along the log."""
    event: Event | MetaEvent
    hash: str
    """SHA-256 over the previous record's hash and this record (hex)."""


def recorded_text(moment: dt.datetime) -> str:
    """Fixed-width UTC text of a `recorded_at`, as stored (so text order is time order).

    >>> import datetime as dt
    >>> recorded_text(dt.datetime(2025, 3, 6, 12, tzinfo=dt.UTC))
    '2025-03-06T12:00:00.000000Z'
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimeError(
            f"recorded_at {moment.isoformat()} is naive; give a UTC offset", value=moment
        )
    return fixed_utc_text(moment)


@functools.lru_cache(maxsize=4096)
def parse_recorded(text: str) -> tuple[int, pendulum.DateTime]:
    """A stored `recorded_at` text as (microseconds since the epoch, UTC DateTime)."""
    us = _to_us(dt.datetime.fromisoformat(text))
    return us, _from_us(us)
