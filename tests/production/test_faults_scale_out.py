"""Faults of the scale-out profile's stores during a conversation: Redis stopped, Redis frozen,
PostgreSQL down. The user gets the apology at once, the assistant answers again soon after the
store is back, and nothing already stored is lost.

The machine's shared Redis and PostgreSQL are never touched: the Rasa process (deploy/Procfile's
line, with deploy/endpoints.yml's stores and timeouts) uses a private redis-server and reaches
PostgreSQL through a relay that the test closes and opens again (tests/production/dependencies.py).
Figures are printed (pytest -s)."""

from __future__ import annotations

import json
import shlex
import time
import uuid

import pytest
import sqlalchemy as sa
import yaml

from devtools.processes import Assistant, Service, action_server, free_port, started
from orientation.paths import SCALE_OUT_ENDPOINTS, SCALE_OUT_PROCFILE
from tests.production.dependencies import PostgresProxy, PrivateRedis, postgresql_engine

pytestmark = pytest.mark.services("postgresql")

DATABASE = "cmq_faults_test"
# The user must not wait: the apology comes within the store's timeouts (2 s), plus slack for a
# busy 2-core machine.
APOLOGY_SECONDS = 5
ANSWER_AGAIN_SECONDS = 30


def endpoints_for(path, action_port: int, postgres_port: int, redis_port: int, prefix: str):
    """deploy/endpoints.yml with this test's ports; its store types and timeouts unchanged."""
    config = yaml.safe_load(SCALE_OUT_ENDPOINTS.read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    tracker, lock = config["tracker_store"], config["lock_store"]
    tracker.update(port=postgres_port, username="postgres", db=DATABASE, login_db="test")
    tracker.pop("password")
    lock.update(port=redis_port, key_prefix=prefix)
    lock.pop("password")
    assert {"connect_timeout", "statement_timeout"} <= set(tracker)
    assert {"socket_timeout", "socket_connect_timeout"} <= set(lock)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def rasa_command(endpoints, port: int) -> list:
    """The rasa1 line of deploy/Procfile (preflight, then rasa run) with this test's files and port."""
    lines = dict(
        line.split(": ", 1)
        for line in (SCALE_OUT_PROCFILE).read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    command = shlex.split(lines["rasa1"].replace("deploy/endpoints.yml", str(endpoints)))
    command[command.index("--port") + 1] = str(port)
    return command


@pytest.fixture(scope="module")
def run_id():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("stores")
    redis, proxy = PrivateRedis(workdir / "redis"), PostgresProxy()
    redis.start()
    proxy.open()
    yield redis, proxy
    proxy.close()
    redis.stop()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, trained_model, stores, run_id):
    redis, proxy = stores
    workdir = tmp_path_factory.mktemp("faults")
    action_port, rasa_port = free_port(), free_port()
    endpoints = endpoints_for(workdir / "endpoints.yml", action_port, proxy.port, redis.port, f"faults{run_id}")
    rasa = Service(
        f"Rasa server :{rasa_port}",
        rasa_command(endpoints, rasa_port),
        f"http://127.0.0.1:{rasa_port}/webhooks/rest/",
        workdir / "logs" / f"rasa-{rasa_port}.log",
    )
    services = [action_server(action_port, workdir / "logs"), rasa]
    try:
        with started(services):
            yield Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", services, workdir)
    finally:
        engine = database()
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :run"), {"run": f"faults-{run_id}-%"})
        engine.dispose()


def database() -> sa.engine.Engine:
    return postgresql_engine(DATABASE)


def stored_user_texts(sender: str) -> list:
    engine = database()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id"),
            {"sender": sender},
        ).all()
    engine.dispose()
    return [json.loads(data)["text"] for (data,) in rows]


def text_of(replies) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def timed_say(assistant, sender, text):
    started = time.monotonic()
    replies = assistant.say(sender, text, timeout=60)
    return text_of(replies), time.monotonic() - started


def seconds_until_it_answers_again(assistant, run_id) -> float:
    """Until a new visitor gets a real answer, not the apology; waits past the bound so that a
    failure says how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < 120:
        try:
            text, _ = timed_say(assistant, f"faults-{run_id}-probe-{uuid.uuid4().hex[:6]}", "Bonjour")
            if text and "Désolé" not in text:
                return time.monotonic() - started
        except Exception:  # noqa: BLE001 - not answering yet: try again
            pass
        time.sleep(0.5)
    raise AssertionError("the assistant did not answer again within 120 s")


def test_redis_then_postgresql_down_during_a_conversation(assistant, stores, run_id):
    redis, proxy = stores
    sender = f"faults-{run_id}-visitor"
    assert "Quel secteur" in timed_say(assistant, sender, "je cherche un campus")[0]
    figures = []

    def outage(name, stop, restart, message):
        stop()
        try:
            text, apology = timed_say(assistant, sender, message)
            assert "Désolé" in text, f"{name}: {text}"
            assert apology < APOLOGY_SECONDS, f"{name}: apology after {apology:.1f} s"
        finally:
            restart()
        back = seconds_until_it_answers_again(assistant, run_id)
        figures.append(f"{name}: apology after {apology:.2f} s, answering again {back:.2f} s after it came back")
        assert back < ANSWER_AGAIN_SECONDS, figures[-1]

    # The form goes on after each outage where it was before it: the failed turn left nothing.
    outage("Redis stopped", redis.stop, redis.start, "le numérique")
    assert "Où cherchez-vous" in timed_say(assistant, sender, "le numérique")[0]
    outage("Redis frozen", redis.freeze, redis.thaw, "en Bretagne")
    outage("PostgreSQL down", proxy.close, proxy.open, "en Bretagne")
    assert "campus" in timed_say(assistant, sender, "en Bretagne")[0].lower()
    print("\n" + "\n".join(figures))

    # Every message answered is stored once; the ones that got the apology are not.
    assert stored_user_texts(sender) == ["je cherche un campus", "le numérique", "en Bretagne"]
