"""Checking a log against its hash chain: the check every reader makes, and `verify_store`.

Both work on the stored columns alone (nothing is decoded), so they also check a log whose
event types this process does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

from timeline.errors import IntegrityError
from timeline.records import GENESIS, StoredRecord, chain_hash, parse_recorded
from timeline.stores import Store

__all__ = ["check_link", "checked_rows", "verify_store"]

_RECORDED_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def checked_rows(
    rows: Iterable[StoredRecord],
    *,
    after: int = 0,
    previous_hash: str = GENESIS,
    last_recorded: str = "",
) -> Iterator[StoredRecord]:
    """Yield `rows` (those after position `after`), each checked against the chain as it comes.

    The local check every reader makes: the position is the next one, `recorded_at` is in the
    stored form and not before the previous record's, and the hash is that of the row's columns
    chained from the previous row's hash. The first row that fails raises `IntegrityError`
    naming its position, before it is yielded: an edited row is never presented as fact.
    """
    position, previous, last = after, previous_hash, last_recorded
    for row in rows:
        position += 1
        check_link(row, position, previous, last)
        previous, last = row.hash, row.recorded_at
        yield row


def check_link(row: StoredRecord, position: int, previous_hash: str, last_recorded: str) -> None:
    """The check of one row that should be at `position`, after a row with `previous_hash` and
    `last_recorded` (see `checked_rows`); `IntegrityError` naming the position if it fails."""
    if row.position != position:
        raise IntegrityError(
            f"expected position {position}: a record is missing or moved", position=row.position
        )
    if not isinstance(row.recorded_at, str) or not _RECORDED_RE.fullmatch(row.recorded_at):
        raise IntegrityError(
            f"recorded_at {row.recorded_at!r} is not in the stored form "
            "YYYY-MM-DDTHH:MM:SS.ffffffZ",
            position=position,
        )
    if row.recorded_at < last_recorded:
        raise IntegrityError("recorded_at goes backwards", position=position)
    try:
        parse_recorded(row.recorded_at)
        expected = chain_hash(
            previous_hash, row.position, row.recorded_at, row.type, row.version, row.id, row.data
        )
    except (ValueError, TypeError) as exc:  # an impossible date, text UTF-8 cannot hold
        raise IntegrityError(f"the record cannot be read: {exc}", position=position) from None
    if expected != row.hash:
        raise IntegrityError(
            "hash does not match: the record or one before it was changed", position=position
        )


def verify_store(store: Store, *, head_hash: str | None = None) -> str:
    """Check positions, recorded_at order and the hash chain of every record in `store`.

    Works on the stored columns alone (nothing is decoded), so it also checks a log whose
    events no longer decode. Raise `IntegrityError` naming the first bad position. With
    `head_hash` (a `Timeline.head_hash` published earlier), also raise if no record carries it:
    the log was truncated or rewritten. Return the current head hash.
    """
    previous, position = GENESIS, 0
    seen_published = head_hash is None
    for row in checked_rows(store.read()):
        position = row.position
        previous = row.hash
        seen_published = seen_published or row.hash == head_hash
    if not seen_published:
        raise IntegrityError(
            f"the published head hash {head_hash} is not in the log: it was truncated or "
            f"rewritten (head is now position {position})",
            position=position,
        )
    return previous
