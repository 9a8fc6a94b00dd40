"""The scale-out profile under its supervisor (ops/supervision.py, as `make run-scale` starts it): a Rasa
process killed with SIGKILL comes back while the other one goes on answering the same conversations."""

import time
import uuid

import pytest
import sqlalchemy as sa

from devtools.processes import free_port, write_endpoints
from orientation.paths import SCALE_OUT_PROCFILE
from tests.production.supervised import (
    ANSWER_AGAIN_SECONDS,
    LOAD_TIMEOUT_SECONDS,
    new_sender,
    programs_of,
    say,
    supervised,
    text_of,
    wait_until,
    wait_until_up,
)
from tests.production.test_scale_out import LOCK_STORE_TYPE, POSTGRES, database, stored_events, turns

SENDER_PREFIX = f"restart-scale-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, trained_model):
    """The action server and both Rasa lines of deploy/Procfile on free ports (nginx is tested in
    test_scale_out.py); yields {name: url}."""
    workdir = tmp_path_factory.mktemp("supervised-scale")
    ports = {"actions": free_port(), "rasa1": free_port(), "rasa2": free_port()}
    lock_store = {
        "type": LOCK_STORE_TYPE,
        "url": "127.0.0.1",
        "port": 6379,
        "db": 1,
        "key_prefix": SENDER_PREFIX.replace("-", ""),
    }
    endpoints = write_endpoints(workdir / "endpoints.yml", ports["actions"], POSTGRES, lock_store)
    programs = programs_of(
        SCALE_OUT_PROCFILE,
        {
            "--port 5055": f"--port {ports['actions']}",
            "--port 5006": f"--port {ports['rasa1']}",
            "--port 5007": f"--port {ports['rasa2']}",
            "deploy/endpoints.yml": str(endpoints),
        },
        only=["actions", "rasa1", "rasa2"],
    )
    try:
        with supervised(workdir, programs) as supervisor:
            urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            wait_until_up(
                supervisor,
                [f"{urls['actions']}/health", f"{urls['rasa1']}/webhooks/rest/", f"{urls['rasa2']}/webhooks/rest/"],
            )
            yield supervisor, urls
    finally:
        engine = database()
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :run"), {"run": f"{SENDER_PREFIX}-%"})
        engine.dispose()


def test_a_killed_rasa_process_comes_back_while_the_other_answers(cluster):
    supervisor, urls = cluster
    sender = new_sender(SENDER_PREFIX)
    assert "Quel secteur" in text_of(say(urls["rasa1"], sender, "je cherche un campus"))

    killed_at = time.monotonic()
    killed = supervisor.kill("rasa1")
    # The other process goes on with the same conversation while the first one is down.
    assert "Où cherchez-vous" in text_of(say(urls["rasa2"], sender, "le numérique"))
    # Waits longer than the bound, so that a failure says how long it took.
    wait_until(lambda: answers(urls["rasa1"]), LOAD_TIMEOUT_SECONDS, "rasa1 did not come back")
    elapsed = time.monotonic() - killed_at
    print(f"\nRasa process killed: answering again after {elapsed:.1f} s, the other one answered meanwhile")
    assert supervisor.pid("rasa1") not in (0, killed)

    # Back on the restarted process, where the conversation was.
    assert "campus" in text_of(say(urls["rasa1"], sender, "en Bretagne")).lower()
    assert [text for text, _ in turns(stored_events(sender))] == ["je cherche un campus", "le numérique", "en Bretagne"]
    assert elapsed < ANSWER_AGAIN_SECONDS  # last: a slow model load should not hide the checks above


def answers(rasa_url: str) -> bool:
    try:
        return bool(say(rasa_url, new_sender(SENDER_PREFIX), "Bonjour", timeout=30))
    except Exception:  # noqa: BLE001 - still down
        return False
