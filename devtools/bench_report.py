"""`python -m cli bench-report`: time and peak memory of `python -m cli report` over a large store.

Fills a throwaway tracker store (SQLite in a temporary folder; `--postgresql` also a database of
the local PostgreSQL, dropped afterwards) with realistic conversations: the test set's phrasings
as messages, parse data shaped like the assistant's (intent ranking, entities, FAQ answer), its
answers, fallbacks, low-confidence messages and thumbs up / down, over the last four weeks. Then
builds the report in a child process and prints its wall time and peak RSS. Target: 100,000
messages in 30 s or less, 500 MB or less.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import sqlalchemy as sa
import yaml

from bot.preflight import quiet_library_warnings
from ops.conversations import events_table
from ops.training_data import ANNOTATION, Example, domain_intents, read_examples, test_set_files
from orientation.paths import DOMAIN_PATH, PROJECT_ROOT, TESTS_DIR, VENV_BIN

TARGET_SECONDS = 30
TARGET_MB = 500
MESSAGES_PER_CONVERSATION = 5
FALLBACK_SHARE, LOW_CONFIDENCE_SHARE, FEEDBACK_SHARE = 0.08, 0.10, 0.05
PERIOD_DAYS = 28
ROWS_PER_INSERT = 5_000
POSTGRES = {
    "dialect": "postgresql",
    "host": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "db": "cmq_report_bench",
    "login_db": "test",
}
ANSWER = (
    "Voici ce qu'il faut savoir : la démarche se fait en ligne, avec un accompagnement possible par "
    "un conseiller. Plus d'informations sur le site officiel : https://www.service-public.fr"
)


@dataclass
class Generator:
    examples: List[Example]
    intents: List[str]
    rng: random.Random
    start: float

    def ranking(self, intent: str, confidence: float) -> List[dict]:
        others = self.rng.sample([name for name in self.intents if name != intent], 9)
        rest = (1 - confidence) / len(others)
        return [{"name": intent, "confidence": confidence}] + [{"name": name, "confidence": rest} for name in others]

    def user_event(self, timestamp: float, example: Example, kind: str) -> dict:
        intent, _, answer = example.intent.partition("/")
        text = ANNOTATION.sub(r"\1", example.text)  # what a student types: no annotations
        confidence = {"fallback": 0.38, "low": 0.52}.get(kind, round(self.rng.uniform(0.8, 0.99), 3))
        ranking = self.ranking(intent, confidence)
        parse: Dict[str, Any] = {
            "text": text,
            "intent": ranking[0],
            "intent_ranking": ranking,
            "entities": [],
            "message_id": uuid.uuid4().hex,
            "metadata": {},
            "response_selector": {},
        }
        if kind == "fallback":
            parse["intent"] = {"name": "nlu_fallback", "confidence": 0.45}
            parse["intent_ranking"] = [parse["intent"]] + ranking
        if answer:
            parse["response_selector"][intent] = {
                "response": {
                    "intent_response_key": example.intent,
                    "confidence": 0.9,
                    "utter_action": f"utter_{example.intent}",
                    "responses": [{"text": ANSWER}],
                },
                "ranking": [{"intent_response_key": example.intent, "confidence": 0.9}],
            }
        return {
            "event": "user",
            "timestamp": timestamp,
            "text": text,
            "parse_data": parse,
            "input_channel": "socketio",
            "message_id": parse["message_id"],
            "metadata": {},
        }

    def conversation(self) -> Iterator[tuple]:
        """(type_name, timestamp, intent_name, action_name, data) rows of one conversation."""
        timestamp = self.rng.uniform(self.start, time.time() - 3600)
        yield "action", timestamp, None, "action_session_start", {"event": "action", "name": "action_session_start"}
        for _ in range(MESSAGES_PER_CONVERSATION):
            timestamp += self.rng.uniform(5, 60)
            draw = self.rng.random()
            kind = (
                "fallback" if draw < FALLBACK_SHARE else "low" if draw < FALLBACK_SHARE + LOW_CONFIDENCE_SHARE else ""
            )
            example = self.rng.choice(self.examples)
            user = self.user_event(timestamp, example, kind)
            yield "user", timestamp, user["parse_data"]["intent"]["name"], None, user
            action = "action_two_stage_fallback" if kind == "fallback" else f"utter_{example.intent.split('/')[0]}"
            yield "action", timestamp + 0.1, None, action, {"event": "action", "name": action}
            yield (
                "bot",
                timestamp + 0.2,
                None,
                None,
                {"event": "bot", "text": ANSWER, "data": {}, "metadata": {"utter_action": f"utter_{example.intent}"}},
            )
            yield "action", timestamp + 0.3, None, "action_listen", {"event": "action", "name": "action_listen"}
            if self.rng.random() < FEEDBACK_SHARE:
                value = self.rng.choice(["up", "down"])
                feedback = {
                    "event": "user",
                    "timestamp": timestamp + 5,
                    "text": f'/feedback{{"feedback_value":"{value}"}}',
                    "parse_data": {
                        "intent": {"name": "feedback", "confidence": 1.0},
                        "entities": [{"entity": "feedback_value", "value": value}],
                    },
                }
                yield "user", timestamp + 5, "feedback", None, feedback


def fill(engine: sa.engine.Engine, messages: int, seed: int = 7) -> int:
    """Writes conversations with `messages` user messages in all; returns the number of rows."""
    events = events_table()
    examples = [example for path in test_set_files(TESTS_DIR) for example in read_examples(path)]
    intents = sorted({intent.split("/")[0] for intent in domain_intents(DOMAIN_PATH)})
    generator = Generator(examples, intents, random.Random(seed), time.time() - PERIOD_DAYS * 86_400)
    rows, written = [], 0
    with engine.begin() as connection:
        for number in range(messages // MESSAGES_PER_CONVERSATION):
            sender = f"bench-{number:06d}-{uuid.uuid4().hex[:8]}"
            for type_name, timestamp, intent, action, data in generator.conversation():
                rows.append(
                    {
                        "sender_id": sender,
                        "type_name": type_name,
                        "timestamp": timestamp,
                        "intent_name": intent,
                        "action_name": action,
                        "data": json.dumps(data),
                    }
                )
            if len(rows) >= ROWS_PER_INSERT:
                connection.execute(events.insert(), rows)
                written, rows = written + len(rows), []
        if rows:
            connection.execute(events.insert(), rows)
    return written + len(rows)


def store(options: dict):
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore(**options)  # creates the database and Rasa's events table


def timed_report(endpoints: Path, out: Path) -> tuple:
    """Wall seconds and peak RSS (MB) of `python -m cli report` in a child process."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "cli", "report", "--endpoints", str(endpoints), "--out", str(out)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        # wait4 gives this child's own peak memory (RUSAGE_CHILDREN would mix all children).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"report failed: {errors.read().decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def bench(name: str, options: dict, endpoints_store: dict, workdir: Path, messages: int) -> bool:
    tracker_store = store(options)
    try:
        started = time.monotonic()
        rows = fill(tracker_store.engine, messages)
        print(f"{name}: {messages} messages ({rows} events) written in {time.monotonic() - started:.1f} s")
        endpoints = workdir / f"endpoints-{name}.yml"
        endpoints.write_text(yaml.safe_dump({"tracker_store": endpoints_store}), encoding="utf-8")
        seconds, peak_mb = timed_report(endpoints, workdir / f"report-{name}.html")
        size_kb = (workdir / f"report-{name}.html").stat().st_size / 1024
        ok = seconds <= TARGET_SECONDS and peak_mb <= TARGET_MB
        print(
            f"{name}: report built in {seconds:.1f} s, peak RSS {peak_mb:.0f} MB, page {size_kb:.0f} kB "
            f"(target ≤ {TARGET_SECONDS} s, ≤ {TARGET_MB} MB): {'ok' if ok else 'ABOVE TARGET'}"
        )
        return ok
    finally:
        with tracker_store.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS events"))
        tracker_store.engine.dispose()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli bench-report", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true", help="aussi sur le PostgreSQL local (base de test)")
    args = parser.parse_args(argv)
    quiet_library_warnings()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        workdir = Path(folder)
        sqlite = {"dialect": "sqlite", "db": str(workdir / "conversations.db")}
        results.append(bench("SQLite", sqlite, {"type": "SQL", **sqlite}, workdir, args.messages))
        if args.postgresql:
            endpoints_store = {
                "type": "SQL",
                **{k: v for k, v in POSTGRES.items() if k not in ("host", "login_db")},
                "url": POSTGRES["host"],
            }
            results.append(bench("PostgreSQL", POSTGRES, endpoints_store, workdir, args.messages))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
