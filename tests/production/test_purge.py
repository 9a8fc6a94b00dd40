"""`python -m cli purge` deletes conversations older than the retention period, and only those."""

import asyncio
import os
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from orientation.paths import PROJECT_ROOT
from tests.production.dependencies import small_filesystem

DAY = 86_400
POSTGRES = {
    "type": "SQL",
    "dialect": "postgresql",
    "url": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "db": "cmq_purge_test",
    "login_db": "test",
}


def conversation(sender: str, *ages_in_days: float) -> DialogueStateTracker:
    now = time.time()
    events = []
    for age in ages_in_days:
        events += [
            UserUttered(f"message d'il y a {age} jours", timestamp=now - age * DAY),
            BotUttered("réponse", timestamp=now - age * DAY + 1),
        ]
    return DialogueStateTracker.from_events(sender, events)


def stored_texts(store: SQLTrackerStore, sender: str) -> list:
    tracker = asyncio.run(store.retrieve(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


def purge(endpoints, *args, settings=None):
    env = {**os.environ, **({"SCHOOL_SETTINGS": str(settings)} if settings else {})}
    return subprocess.run(
        [sys.executable, "-m", "cli", "purge", "--endpoints", str(endpoints), *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services("postgresql"))])
def store_config(request, tmp_path):
    if request.param == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "conversations.db")}
    return POSTGRES


@pytest.fixture
def stored(store_config, tmp_path):
    """Three conversations: one 40 days old, one of today, one that spans both."""
    options = {k: v for k, v in store_config.items() if k not in ("type", "url")}
    store = SQLTrackerStore(host=store_config.get("url"), **options)
    run = uuid.uuid4().hex[:8]
    senders = {name: f"purge-{run}-{name}" for name in ("old", "recent", "spanning")}
    for tracker in (
        conversation(senders["old"], 40, 39.5),
        conversation(senders["recent"], 0.1),
        conversation(senders["spanning"], 45, 0.2),
    ):
        asyncio.run(store.save(tracker))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": store_config}), encoding="utf-8")
    yield store, senders, endpoints
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :run"), {"run": f"purge-{run}-%"})
    store.engine.dispose()


def test_old_conversations_are_deleted_and_recent_ones_kept(stored):
    store, senders, endpoints = stored
    result = purge(endpoints, "--days", "30")
    assert result.returncode == 0, result.stderr
    assert stored_texts(store, senders["old"]) == []
    assert stored_texts(store, senders["recent"]) == ["message d'il y a 0.1 jours"]
    assert stored_texts(store, senders["spanning"]) == ["message d'il y a 0.2 jours"]
    assert "supprimés" in result.stdout


def test_dry_run_deletes_nothing(stored):
    store, senders, endpoints = stored
    result = purge(endpoints, "--days", "30", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert len(stored_texts(store, senders["old"])) == 2


def test_retention_comes_from_the_school_settings(stored, tmp_path):
    store, senders, endpoints = stored
    settings = tmp_path / "school.yml"
    settings.write_text("privacy:\n  retention_days: 42\n", encoding="utf-8")
    result = purge(endpoints, settings=settings)
    assert result.returncode == 0, result.stderr
    assert "42 jours" in result.stdout
    assert len(stored_texts(store, senders["old"])) == 2  # 40 days < 42
    assert stored_texts(store, senders["spanning"]) == ["message d'il y a 0.2 jours"]


def test_nothing_stored_yet_is_not_an_error(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "absent.db")}}),
        encoding="utf-8",
    )
    result = purge(endpoints)
    assert result.returncode == 0
    assert "rien à purger" in result.stdout


def test_an_unreachable_database_is_reported(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {**POSTGRES, "port": 1, "login_db": None}}), encoding="utf-8")
    result = purge(endpoints, "--days", "30")
    assert result.returncode != 0
    assert "Purge impossible" in result.stderr


@pytest.fixture
def full_disk(tmp_path):
    """A 4 MB filesystem of its own (tmpfs; needs root), unmounted afterwards."""
    with small_filesystem(tmp_path / "full", "4m") as folder:
        yield folder


def fill(folder) -> None:
    """Writes until the filesystem has no byte left."""
    descriptor = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            try:
                while os.write(descriptor, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(descriptor)


def test_the_purge_works_on_a_full_disk(full_disk, tmp_path):
    import sqlite3

    database = full_disk / "conversations.db"
    store = SQLTrackerStore(dialect="sqlite", db=str(database))
    asyncio.run(store.save(conversation("recent", 0.1)))
    store.engine.dispose()
    old = time.time() - 40 * DAY
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
            [(f"old-{n // 10}", old + n, '{"event": "user", "text": "' + "x" * 200 + '"}') for n in range(3000)],
        )
    fill(full_disk)
    assert os.statvfs(full_disk).f_bavail == 0

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(database)}}))
    result = purge(endpoints, "--days", "30")
    assert result.returncode == 0, result.stderr
    assert "Disque plein" in result.stdout  # SQLite's usual journal did fail: the disk was full
    assert "3000 événements supprimés, 300 conversations entièrement" in result.stdout
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT DISTINCT sender_id FROM events").fetchall() == [("recent",)]
