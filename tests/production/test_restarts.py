"""The default profile under its supervisor (ops/supervision.py, as `make run` starts it): each process
killed with SIGKILL during conversations comes back, no answered message is lost, and a conversation
goes on where it was. A program that keeps crashing is retried with growing pauses, then given up,
and started again after a longer pause.

Figures are printed (pytest -s). RESTART_ANSWER_SECONDS (default 30) is the bound checked."""

import json
import os
import signal
import sqlite3
import time

import pytest

from devtools.processes import free_port, is_up, write_endpoints
from ops import supervision
from orientation.paths import PROCFILE
from orientation.settings import load_settings
from tests.production.supervised import (
    ANSWER_AGAIN_SECONDS,
    LOAD_TIMEOUT_SECONDS,
    BackgroundLoad,
    Supervised,
    new_sender,
    programs_of,
    say,
    supervised,
    text_of,
    wait_until,
    wait_until_up,
)


class DefaultProfile:
    def __init__(self, supervisor: Supervised, ports: dict, database):
        self.supervisor = supervisor
        self.rasa_url = f"http://127.0.0.1:{ports['rasa']}"
        self.action_health = f"http://127.0.0.1:{ports['actions']}/health"
        self.page_url = f"http://127.0.0.1:{ports['web']}/"
        self.database = database

    def stored_user_texts(self, sender: str) -> list:
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute(
                "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
            ).fetchall()
        return [json.loads(data)["text"] for (data,) in rows]


@pytest.fixture(scope="module")
def profile(tmp_path_factory, trained_model):
    """Procfile's three processes on free ports, its own SQLite conversation store."""
    workdir = tmp_path_factory.mktemp("supervised")
    ports = {"rasa": free_port(), "actions": free_port(), "web": free_port()}
    endpoints = write_endpoints(workdir / "endpoints.yml", ports["actions"])
    programs = programs_of(
        PROCFILE,
        {
            "--port 5055": f"--port {ports['actions']}",
            "--port 5005": f"--port {ports['rasa']}",
            "--port 8080": f"--port {ports['web']}",
            "--endpoints endpoints.yml": f"--endpoints {endpoints}",
        },
    )
    assert set(programs) == {"actions", "rasa", "web"}
    with supervised(workdir, programs) as supervisor:
        running = DefaultProfile(supervisor, ports, workdir / "conversations.db")
        wait_until_up(supervisor, [running.action_health, running.page_url, f"{running.rasa_url}/webhooks/rest/"])
        yield running


@pytest.fixture(scope="module")
def load(profile):
    with BackgroundLoad(profile.rasa_url).running() as chatting:
        yield chatting


def answers_again(profile, normally: bool = False) -> float:
    """Seconds until a new visitor gets an answer (`normally`: not the apology)."""

    def answered():
        try:
            replies = say(profile.rasa_url, new_sender("probe"), "Bonjour", timeout=30)
        except Exception:  # noqa: BLE001 - down: try again
            return False
        return replies and not (normally and "Désolé" in text_of(replies))

    # Waits longer than the bound, so that a failure says how long it took.
    return wait_until(answered, LOAD_TIMEOUT_SECONDS, "the assistant did not answer again")


def assert_apology_with_link(replies):
    assert "Désolé" in text_of(replies)
    assert load_settings().national_service["url"] in text_of(replies)


def test_a_killed_action_server_comes_back_and_meanwhile_visitors_get_the_apology(profile, load):
    sender = new_sender("restart")
    assert "Quel secteur" in text_of(say(profile.rasa_url, sender, "je cherche un campus"))

    killed_at = time.monotonic()
    killed = profile.supervisor.kill("actions")
    assert_apology_with_link(say(profile.rasa_url, new_sender("probe"), "Bonjour"))
    answers_again(profile, normally=True)
    elapsed = time.monotonic() - killed_at
    print(f"\naction server killed: answering normally again after {elapsed:.1f} s")
    assert elapsed < ANSWER_AGAIN_SECONDS
    assert profile.supervisor.pid("actions") not in (0, killed)

    # The form goes on where it was: the sector answers its question, then it asks where.
    assert "Où cherchez-vous" in text_of(say(profile.rasa_url, sender, "le numérique"))
    assert "campus" in text_of(say(profile.rasa_url, sender, "en Bretagne")).lower()


def test_a_killed_rasa_comes_back_and_the_conversation_goes_on_where_it_was(profile, load):
    sender = new_sender("restart")
    assert "Quel secteur" in text_of(say(profile.rasa_url, sender, "je cherche un campus"))
    assert "Où cherchez-vous" in text_of(say(profile.rasa_url, sender, "le numérique"))
    stored = profile.stored_user_texts(sender)
    assert stored == ["je cherche un campus", "le numérique"]

    killed_at = time.monotonic()
    killed = profile.supervisor.kill("rasa")
    answers_again(profile)
    elapsed = time.monotonic() - killed_at
    print(f"\nRasa killed: answering again after {elapsed:.1f} s")
    assert profile.supervisor.pid("rasa") not in (0, killed)

    assert profile.stored_user_texts(sender) == stored
    # The sector given before the kill is still known: the form asks only where, then searches.
    assert "campus" in text_of(say(profile.rasa_url, sender, "en Bretagne")).lower()
    assert profile.stored_user_texts(sender) == stored + ["en Bretagne"]
    assert elapsed < ANSWER_AGAIN_SECONDS  # last: a slow model load should not hide the checks above


def test_a_killed_page_server_comes_back(profile, load):
    killed_at = time.monotonic()
    killed = profile.supervisor.kill("web")
    wait_until(
        lambda: profile.supervisor.pid("web") not in (0, killed) and is_up(profile.page_url),
        LOAD_TIMEOUT_SECONDS,
        "the school page did not come back",
    )
    elapsed = time.monotonic() - killed_at
    print(f"\npage server killed: page served again after {elapsed:.1f} s")
    assert elapsed < ANSWER_AGAIN_SECONDS
    assert profile.supervisor.pid("web") not in (0, killed)


# After the kills: the load ran through all of them.
def test_every_message_answered_under_load_is_stored(profile, load):
    answers_again(profile, normally=True)
    time.sleep(3)  # a few more answers after the last restart
    answered = dict(load.answered)
    print(f"\nbackground load: {sum(answered.values())} messages answered, {load.failures} refused while down")
    assert all(count > 0 for count in answered.values())
    for sender, count in answered.items():
        assert len(profile.stored_user_texts(sender)) >= count, sender


def test_a_program_that_keeps_crashing_is_retried_with_growing_pauses_then_given_up(tmp_path):
    programs = {"steady": "sleep 600", "crashing": "echo cannot start; exit 3"}
    retries = 3
    with supervised(tmp_path, programs, start_retries=retries) as supervisor:
        wait_until(lambda: "gave up: crashing" in supervisor.log(), 60, "crashing was never given up")
        time.sleep(5)  # nothing is started after giving up
        assert supervisor.state("crashing") == "FATAL"
        assert supervisor.state("steady") == "RUNNING"  # the others go on
        spawns = supervisor.log_times("spawned: 'crashing'")
        exits = supervisor.log_times("exited: crashing")
        gave_up = supervisor.log_times("gave up: crashing entered FATAL state, too many start retries too quickly")
    pauses = [spawned - exited for exited, spawned in zip(exits, spawns[1:])]
    print(
        f"\ncrashing program started {len(spawns)} times, pauses before starting it again: "
        + ", ".join(f"{pause:.1f} s" for pause in pauses)
    )
    assert len(spawns) == len(exits) == retries + 1 and len(gave_up) == 1
    # 1 s, 2 s, 3 s... (supervisord checks its processes about once a second)
    assert [round(pause) for pause in pauses] == list(range(1, retries + 1))
    assert gave_up[0] >= exits[-1]


def test_ctrl_c_stops_every_process(tmp_path):
    with supervised(tmp_path, {"first": "sleep 600", "second": "sleep 600 & exec sleep 600"}) as supervisor:
        wait_until(
            lambda: supervisor.state("first") == supervisor.state("second") == "RUNNING",
            30,
            "the programs did not start",
        )
        pids = [supervisor.pid(name) for name in ("first", "second")]
        children = [int(pid) for pid in os.popen(f"pgrep -g {pids[1]}").read().split()]
        supervisor.supervisord.send_signal(signal.SIGINT)
        assert supervisor.supervisord.wait(30) == 0
    assert len(children) == 2  # the second program's background child, too (its process group)
    for pid in pids + children:
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()


def test_a_program_given_up_is_started_again_after_a_pause_until_it_starts(tmp_path, monkeypatch):
    """It fails its first 4 starts (its dependency is down), then works: 3 attempts, FATAL, the
    pause, then it starts at the second attempt of the next round."""
    monkeypatch.setattr(supervision, "FATAL_RETRY_SECONDS", 3)
    count = tmp_path / "starts"
    programs = {
        "flaky": f"n=$(cat {count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {count}; "
        f'if [ "$n" -gt 4 ]; then exec sleep 600; fi; echo dependency down; exit 3'
    }
    with supervised(tmp_path, programs, start_retries=2) as supervisor:
        wait_until(
            lambda: supervisor.state("flaky") == "RUNNING" and count.read_text().strip() == "5",
            90,
            "flaky was not started again after it was given up",
        )
        wait_until(
            lambda: "success: flaky entered RUNNING state" in supervisor.log(), 30, "flaky never counted as started"
        )
        gave_up = supervisor.log_times("gave up: flaky entered FATAL state")
        spawns = supervisor.log_times("spawned: 'flaky'")
        assert supervisor.state(supervision.WATCHDOG) == "RUNNING"
    assert len(gave_up) == 1 and len(spawns) == 5
    pause = spawns[3] - gave_up[0]
    print(f"\nflaky given up, then started again {pause:.1f} s later; running at its 5th start")
    assert 3 <= pause < 3 + 3  # the pause, plus supervisord's and the listener's own delays
