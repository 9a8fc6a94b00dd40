"""Personal data typed in the chat leaves no trace: the realistic messages of
personal_data_messages.yml, sent over the REST channel, are stored masked (SQLite, and PostgreSQL
as in the scale-out profile), never appear in the logs of the Rasa process or the action server
(both at debug level, where Rasa writes every message it receives), nor in the counsellors' report
or the review file; what the assistant needs to answer (town, age, diploma) is kept.
The masking itself, message by message: tests/bot/test_privacy_masking.py."""

from __future__ import annotations

import contextlib
import html
import json
import re
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
import yaml

from bot.privacy import MASKS
from devtools.processes import (
    Assistant,
    action_server,
    free_port,
    rasa_server,
    scale_out_store_type,
    started,
    write_endpoints,
)
from orientation.paths import PROJECT_ROOT, TESTS_DIR

MESSAGES = yaml.safe_load((TESTS_DIR / "production" / "personal_data_messages.yml").read_text(encoding="utf-8"))[
    "messages"
]
PERSONAL = [item for message in MESSAGES for item in message["personal"]]
# Kinds whose value is a number: also looked for without its spaces, dots and dashes.
NUMBERS = {"phone", "nir", "iban", "ine"}
POSTGRES_DATABASE = "cmq_privacy_test"
# Every message counts as "to check" in the report and the review file, so that all are written there.
EVERY_MESSAGE = "1.01"


def traces(item: dict) -> List[str]:
    """The forms a personal value could take in a file: as typed, JSON-escaped, digits only."""
    value = item["value"]
    forms = {value, json.dumps(value)[1:-1]}
    if item["category"] in NUMBERS:
        forms.add(re.sub(r"[\s./-]", "", value))
    return sorted(forms)


def leaks(content: str) -> List[str]:
    lowered = content.lower()
    return [f"{item['category']}: {form}" for item in PERSONAL for form in traces(item) if form.lower() in lowered]


@dataclass
class Chatted:
    """An assistant that received every message, one conversation each."""

    assistant: Assistant
    endpoints: Path
    store: str
    senders: List[str]

    def stored_events(self) -> List[dict]:
        pattern = self.senders[0].rsplit("-", 1)[0] + "-%"
        query = "SELECT sender_id, data FROM events WHERE sender_id LIKE :pattern ORDER BY id"
        if self.store == "sqlite":
            with sqlite3.connect(self.assistant.workdir / "conversations.db") as database:
                rows = database.execute(query.replace(":pattern", "?"), (pattern,)).fetchall()
        else:
            engine = postgres()
            with engine.connect() as connection:
                rows = connection.execute(sa.text(query), {"pattern": pattern}).all()
            engine.dispose()
        return [{"sender": sender, **json.loads(data)} for sender, data in rows]

    def logs(self) -> str:
        return "\n".join(
            service.log_path.read_text(encoding="utf-8", errors="replace") for service in self.assistant.services
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args, "--endpoints", str(self.endpoints), "--threshold", EVERY_MESSAGE],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )


def postgres() -> sa.engine.Engine:
    return sa.create_engine(sa.engine.URL.create("postgresql", "postgres", None, "127.0.0.1", 5432, POSTGRES_DATABASE))


@contextlib.contextmanager
def debug_assistant(workdir: Path, tracker_store: dict | None) -> Iterator[tuple]:
    """The action server and one Rasa server, both logging at debug level."""
    action_port, rasa_port = free_port(), free_port()
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, tracker_store)
    actions = action_server(action_port, workdir / "logs")
    actions.command.append("--debug")
    rasa = rasa_server(rasa_port, endpoints, workdir / "logs", extra_args=["--debug"])
    with started([actions, rasa]):
        yield (
            Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", [actions, rasa], workdir),
            endpoints,
        )


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services("postgresql"))])
def chatted(request, tmp_path_factory, trained_model) -> Iterator[Chatted]:
    store = request.param
    run = uuid.uuid4().hex[:8]
    tracker_store = None
    if store == "postgresql":
        tracker_store = {
            "type": scale_out_store_type("tracker_store"),
            "dialect": "postgresql",
            "url": "127.0.0.1",
            "port": 5432,
            "username": "postgres",
            "db": POSTGRES_DATABASE,
            "login_db": "test",
        }
    senders = [f"privacy-{run}-{number:02d}" for number in range(len(MESSAGES))]
    try:
        with debug_assistant(tmp_path_factory.mktemp(f"privacy-{store}"), tracker_store) as (assistant, endpoints):
            for sender, message in zip(senders, MESSAGES):
                assert assistant.say(sender, message["text"], timeout=60), message["text"]
            yield Chatted(assistant, endpoints, store, senders)
    finally:
        if store == "postgresql":
            engine = postgres()
            with contextlib.suppress(sa.exc.SQLAlchemyError), engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :run"), {"run": f"privacy-{run}-%"})
            engine.dispose()


def test_the_store_keeps_the_messages_masked_and_what_the_answer_needs(chatted):
    events = chatted.stored_events()
    user_texts = {event["sender"]: event["text"] for event in events if event["event"] == "user"}
    assert len(user_texts) == len(MESSAGES), "every message was stored"
    assert leaks(json.dumps(events, ensure_ascii=False)) == []
    for sender, message in zip(chatted.senders, MESSAGES):
        stored = user_texts[sender]
        for item in message["personal"]:
            assert MASKS[item["category"]] in stored, (item, stored)
        for kept in message["keep"]:
            assert kept in stored, (kept, stored)


def test_the_logs_of_both_servers_hold_no_personal_data(chatted):
    logs = chatted.logs()
    # At debug level Rasa writes each message it receives: the check looks at real message logs.
    assert any(mask in logs or json.dumps(mask)[1:-1] in logs for mask in MASKS.values())
    assert leaks(logs) == []


def test_the_report_holds_no_personal_data(chatted, tmp_path):
    out = tmp_path / "rapport.html"
    result = chatted.cli("report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert MASKS["phone"] in page  # the messages are listed in it, masked
    assert leaks(page) == []
    assert leaks(result.stdout + result.stderr) == []


def test_the_review_file_holds_no_personal_data(chatted, tmp_path):
    out = tmp_path / "review.yml"
    result = chatted.cli("review-export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    review = out.read_text(encoding="utf-8")
    examples = [text for entry in yaml.safe_load(review)["nlu"] for text in entry["examples"].splitlines()]
    assert len(examples) >= len(MESSAGES) - 5  # nearly every message is there to review (some share a phrasing)
    assert MASKS["email"] in review
    assert leaks(review) == []
