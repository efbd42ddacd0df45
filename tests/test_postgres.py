"""The PostgreSQL store: the store contract, concurrency, crashes, follow() and copy.

The tests that need a server (those using the `server` or `schemas` fixture) run when
TIMELINE_TEST_POSTGRES holds a connection URL (CI sets it) and skip otherwise; with the URL set,
an unreachable server is a failure, not a skip. The others run always. Each test works in a
schema of its own and drops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import timeline
from tests._writer import finish, read_line
from timeline.testing import StoreContract

URL = os.environ.get("TIMELINE_TEST_POSTGRES")
Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """An autocommit connection to the test server; the test skips when there is none."""
    if not URL:
        pytest.skip("TIMELINE_TEST_POSTGRES is not set (no server)")
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(URL, autocommit=True)
    except psycopg.Error as exc:
        pytest.fail(f"TIMELINE_TEST_POSTGRES is set but the server cannot be reached: {exc}")
    yield admin
    admin.close()


@pytest.fixture
def schemas(server: Any) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def new() -> str:
        made.append(f"t_{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield new
    for name in made:
        server.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def url_for(schema: str) -> str:
    assert URL is not None
    return f"{URL}{'&' if '?' in URL else '?'}schema={schema}"


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def make_store(self, schemas: Callable[[], str]) -> Iterator[Callable[[], Any]]:
        from timeline.stores.postgres import PostgresStore

        made: list[PostgresStore] = []

        def make() -> PostgresStore:
            made.append(PostgresStore(url_for(schemas())))
            return made[-1]

        yield make
        for store in made:
            store.close()


def test_triggers_refuse_update_delete_truncate(server: Any, schemas: Callable[[], str]) -> None:
    import psycopg

    schema = schemas()
    with timeline.open(url_for(schema)) as tl:
        timeline.support.fill(tl)
    columns = "position, recorded_at, type, version, id, data, hash"
    for statement in (
        f"UPDATE {schema}.records SET data = '{{}}'",
        f"DELETE FROM {schema}.records",
        f"TRUNCATE {schema}.records",
        # an insert anywhere but at head + 1, and the upsert that would rewrite a row
        f"INSERT INTO {schema}.records ({columns}) SELECT 99, recorded_at, type, version, "
        f"'new', data, hash FROM {schema}.records WHERE position = 3",
        f"INSERT INTO {schema}.records ({columns}) SELECT 3, recorded_at, type, version, "
        f"'new', data, hash FROM {schema}.records WHERE position = 3 "
        "ON CONFLICT (position) DO UPDATE SET data = EXCLUDED.data",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            server.execute(statement)
    with pytest.raises(psycopg.errors.UniqueViolation):
        server.execute(
            f"INSERT INTO {schema}.records ({columns}) SELECT (SELECT max(position) + 1 FROM "
            f"{schema}.records), recorded_at, type, version, id, data, hash FROM {schema}.records "
            "WHERE position = 3"
        )
    assert server.execute(f"SELECT version FROM {schema}.timeline_schema").fetchall() == [(3,)]


def test_two_timelines_see_each_other(schemas: Callable[[], str]) -> None:
    url = url_for(schemas())
    one, two = timeline.support.open(url), timeline.support.open(url)
    timeline.support.fill(one, follow_ups=False)
    assert two.head == 15
    assert two.state_at("2025-03-04").aid_status("US", "military") == "paused"
    two.append(timeline.Retraction(target="uk-anduril-drones"), expected_position=15)
    assert one.state_at("2025-03-07").totals(provider="GB") == {"GBP": 2260000000}
    with pytest.raises(timeline.ConcurrencyError):
        one.append(timeline.Retraction(target="oval-office-clash"), expected_position=15)
    one.close()
    two.close()


def test_unreachable_server_is_a_store_error() -> None:  # needs psycopg, but no server
    pytest.importorskip("psycopg")
    with pytest.raises(timeline.StoreError, match="cannot connect"):
        timeline.open("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(timeline.StoreError, match="schema name"):
        timeline.open("postgresql://nobody@127.0.0.1:1/none", schema="Bad-Name")


def test_four_concurrent_writer_processes(schemas: Callable[[], str], spawn_writer: Spawn) -> None:
    url = url_for(schemas())
    timeline.open(url).close()
    writers = [spawn_writer("race", url, str(w), "10") for w in range(4)]
    for child in writers:
        _, err = finish(child, timeout=120)
        assert child.returncode == 0, err
    with timeline.open(url) as tl:
        tl.verify()
        ids = sorted(r.event.id for r in tl.records())
        assert ids == sorted(f"w{w}-{n}" for w in range(4) for n in range(10))
        assert [r.position for r in tl.records()] == list(range(1, 41))


def test_client_killed_mid_transaction_leaves_nothing_partial(
    schemas: Callable[[], str], spawn_writer: Spawn
) -> None:
    url = url_for(schemas())
    timeline.open(url).close()
    acked: set[str] = set()
    for _ in range(3):
        child = spawn_writer("crash", url, "400")
        first = read_line(child)  # the writer is up and has committed a batch
        assert first.startswith("ack "), first
        time.sleep(0.05)  # not for ordering: only lets the kill land in a later batch
        child.send_signal(signal.SIGKILL)
        out, _ = finish(child, timeout=30)
        acks = (line for line in (first + out).splitlines() if line.startswith("ack "))
        acked.update(f"b{line.split()[1]}" for line in acks)
        with timeline.open(url) as tl:
            tl.verify()
            counts: dict[str, int] = {}
            for record in tl.records():
                batch = record.event.id.split("-")[0]
                counts[batch] = counts.get(batch, 0) + 1
            assert set(counts.values()) == {400}, "a batch is partly there"
            assert acked <= set(counts), "an acknowledged batch was lost"


def test_follow_sees_another_process_append(
    schemas: Callable[[], str], spawn_writer: Spawn
) -> None:
    url = url_for(schemas())
    tl = timeline.open(url)
    seen: list[str] = []
    errors: list[Exception] = []

    def watch() -> None:
        # after=0: from the start of the (empty) log, so the records are yielded whether the
        # watcher is already waiting when the other process appends them or starts after it
        try:
            for record in tl.follow(after=0, timeout=60):
                seen.append(record.event.id)
                if len(seen) == 10:
                    return
        except Exception as exc:  # noqa: BLE001 - the test reports it; a thread would lose it
            errors.append(exc)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    child = spawn_writer("race", url, "9", "10")
    _, err = finish(child, timeout=60)
    assert child.returncode == 0, err
    watcher.join(timeout=60)
    assert not watcher.is_alive(), f"follow() still waiting, having yielded {seen}"
    assert not errors, errors
    assert seen == [f"w9-{n}" for n in range(10)]
    assert tl.head == 10
    tl.close()


def test_copy_round_trip_reproduces_the_head_hash(
    tmp_path: Path, schemas: Callable[[], str]
) -> None:
    seed = timeline.load_seed()
    first = tmp_path / "first.db"
    with timeline.open(first) as tl:
        timeline.support.fill(tl)
    url = url_for(schemas())
    assert timeline.copy_log(first, url) == seed.head_hash
    assert timeline.copy_log(url, tmp_path / "middle.jsonl") == seed.head_hash
    assert timeline.copy_log(tmp_path / "middle.jsonl", tmp_path / "last.db") == seed.head_hash
    with timeline.open(tmp_path / "last.db") as last:
        assert last.verify(head_hash=seed.head_hash) == seed.head_hash
        assert list(last.records()) == list(seed.records())
    with pytest.raises(timeline.StoreError, match="already holds"):
        timeline.copy_log(first, url)
