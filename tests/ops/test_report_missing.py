"""What the assistant could not answer, as counsellors see it: the FAQ answers past their
`valid_until` at the top of the report (and marked by `cli ask`), the questions answered as out of
scope and the places the campus search could not find, grouped with their counts in the report and
offered by `review-export` in a file `review-merge` reads.

Conversations are written into a real SQLite tracker store (Rasa's SQLTrackerStore), with the
events as the running assistant stores them; the content register and domain are small fixtures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from cli import commands
from ops import content, review_export, review_merge
from ops.conversations import TIMEZONE, period_start, read_conversations
from ops.report import Period, StoreReading, render_report
from orientation.paths import DOMAIN_PATH, TESTS_DIR, TRAINING_DATA_DIR

OUT_OF_SCOPE_QUESTIONS = [  # one question typed three ways, and another one
    "Quel temps fera-t-il à la plage samedi ?",
    "quel temps fera-t-il à la  PLAGE samedi ?",
    "quel temps fera-t-il a la plage samedi ?",
    "tu connais une bonne pizzeria ouverte le dimanche ?",
]
EXPIRED = "faq_apprenticeship/aid_employer"
EXPIRED_SOURCE = "https://travail-emploi.gouv.fr/aide-exceptionnelle-apprentissage"
TO_DO = "relire ses sources, corriger le texte, puis mettre checked et valid_until à jour dans content/answers.yml"


# --- conversations in a real tracker store ----------------------------------------------------


def parse(text: str, intent: str, confidence: float, entities: Optional[list] = None) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities or [],
    }


def user(text: str, intent: str, confidence: float, at: float, entities: Optional[list] = None) -> UserUttered:
    data = parse(text, intent, confidence, entities)
    return UserUttered(text, intent=data["intent"], entities=data["entities"], parse_data=data, timestamp=at)


def location(text: str, place: str) -> list:
    start = text.index(place)
    return [{"entity": "location", "start": start, "end": start + len(place), "value": place}]


def place_unknown(place: str, at: float, said_place: bool = True) -> List[Event]:
    """What the campus search form stores when it cannot find a place (actions/forms.py)."""
    metadata = {"utter_action": "text_place_unknown", "template": "text_place_unknown"}
    if said_place:
        metadata["place"] = place
    text = (
        f"Je ne trouve pas le lieu « {place} ». Essayez une ville, un numéro de département (par ex. 35) ou une région."
    )
    return [
        ActionExecuted("campus_search_form", timestamp=at),
        BotUttered(text, metadata=metadata, timestamp=at),
        BotUttered("Où cherchez-vous ?", metadata={"utter_action": "text_ask_area"}, timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
    ]


def out_of_scope(text: str, at: float) -> List[Event]:
    return [
        user(text, "out_of_scope", 0.97, at),
        ActionExecuted("utter_out_of_scope", timestamp=at),
        BotUttered(
            "Désolé, je ne sais pas répondre à cela.", metadata={"utter_action": "utter_out_of_scope"}, timestamp=at
        ),
        ActionExecuted("action_listen", timestamp=at),
    ]


def conversations() -> dict:
    """Sender -> events: out-of-scope questions, and places not found (one from an entity, one
    from the message text when the assistant asked where)."""
    start = time.time() - 3_600
    senders = {
        f"missing-{number}": out_of_scope(text, start + number) for number, text in enumerate(OUT_OF_SCOPE_QUESTIONS)
    }
    for number, text in enumerate(["je cherche un campus informatique dans le 99", "campus cuisine dans le 99"]):
        at = start + 100 + number
        senders[f"place-{number}"] = [
            user(text, "search_campus", 0.9, at, location(text, "99")),
            *place_unknown("99", at),
        ]
    for number, text in enumerate(["Pétaouchnok", "petaouchnok "]):
        at = start + 200 + number
        senders[f"answer-{number}"] = [
            user("je cherche un campus en informatique", "search_campus", 0.95, at - 1),
            ActionExecuted("campus_search_form", timestamp=at - 1),
            BotUttered("Où cherchez-vous ?", metadata={"utter_action": "text_ask_area"}, timestamp=at - 1),
            ActionExecuted("action_listen", timestamp=at - 1),
            user(text, "inform", 0.8, at),
            *place_unknown(text.strip(), at, said_place=False),
        ]
    return senders


def write_store(folder: Path) -> Path:
    """Endpoints file of a SQLite tracker store holding the conversations above."""
    database = folder / "conversations.db"
    tracker_store = SQLTrackerStore(dialect="sqlite", db=str(database))

    async def save_all() -> None:
        for sender, events in conversations().items():
            await tracker_store.save(DialogueStateTracker.from_events(sender, events))

    # In a thread of its own: a browser test's thread already runs Playwright's event loop.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, save_all()).result()
    tracker_store.engine.dispose()
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(database)}}), encoding="utf-8"
    )
    return endpoints


@pytest.fixture
def store(tmp_path) -> Path:
    return write_store(tmp_path)


def read_store(endpoints: Path):
    engine = sa.create_engine(f"sqlite:///{yaml.safe_load(endpoints.read_text())['tracker_store']['db']}")
    try:
        return read_conversations(engine, period_start(None, 30, dt.datetime.now(TIMEZONE)))
    finally:
        engine.dispose()


# --- a small content register and domain --------------------------------------------------------


def use_content(tmp_path: Path, monkeypatch, valid_until: dt.date) -> None:
    """ops.content reads a two-answer register and domain; one answer's rule ends on `valid_until`."""
    domain = tmp_path / "domain.yml"
    domain.write_text(
        yaml.safe_dump(
            {
                "responses": {
                    f"utter_{EXPIRED}": [
                        {"text": f"Une aide à l'embauche d'un apprenti. En savoir plus : {EXPIRED_SOURCE}"}
                    ],
                    "utter_faq_vae/steps": [
                        {"text": "Les étapes de la VAE. En savoir plus : https://vae.gouv.fr/etapes"}
                    ],
                }
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    register = tmp_path / "answers.yml"
    register.write_text(
        yaml.safe_dump(
            {
                "answers": {
                    EXPIRED: {
                        "checked": valid_until - dt.timedelta(days=200),
                        "valid_until": valid_until,
                        "sources": [{"url": EXPIRED_SOURCE}, {"url": "https://www.alternance.emploi.gouv.fr/aides"}],
                    },
                    "faq_vae/steps": {"checked": dt.date.today(), "sources": [{"url": "https://vae.gouv.fr/etapes"}]},
                }
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(content, "REGISTER_PATH", register)
    monkeypatch.setattr(content, "DOMAIN_PATH", domain)


def report_html(endpoints: Optional[Path], tmp_path: Path) -> str:
    now = dt.datetime.now(TIMEZONE)
    period = Period(period_start(None, 30, now), None, 30)
    stats = read_store(endpoints) if endpoints else None
    reading = StoreReading(stats, None, "test")
    return render_report(
        "Lycée test", period, now, reading, tmp_path / "no-results", tmp_path / "no-model.tar.gz", Path("endpoints.yml")
    )


# --- the report -------------------------------------------------------------------------------


def test_out_of_scope_questions_are_grouped_with_their_count(store):
    stats = read_store(store)
    groups = [(group.text, group.count) for group in stats.out_of_scope]
    assert groups[0][1] == 3 and groups[0][0] in OUT_OF_SCOPE_QUESTIONS[:3]
    assert groups[1:] == [(OUT_OF_SCOPE_QUESTIONS[3], 1)]


def test_places_not_found_are_grouped_from_the_entity_or_the_message(store):
    stats = read_store(store)
    places = {group.key: (group.text, group.count) for group in stats.unknown_places}
    assert places == {"99": ("99", 2), "petaouchnok": (places["petaouchnok"][0], 2)}
    assert places["petaouchnok"][0] in ("Pétaouchnok", "petaouchnok")
    [place_99] = [group for group in stats.unknown_places if group.key == "99"]
    assert place_99.message == "campus cuisine dans le 99"  # the latest message that named it


def test_the_report_lists_what_is_missing_with_counts(store, tmp_path, monkeypatch):
    use_content(tmp_path, monkeypatch, dt.date.today() + dt.timedelta(days=200))
    html = report_html(store, tmp_path)
    out_of_scope = html.split('id="hors-sujet"')[1].split("</table>")[0]
    assert "2 questions, 4 messages" in out_of_scope
    assert '<td class="number">3</td>' in out_of_scope and OUT_OF_SCOPE_QUESTIONS[3] in out_of_scope
    places = html.split('id="lieux-inconnus"')[1].split("</table>")[0]
    assert "2 lieux, 4 messages" in places
    assert '<tr><td class="message">99</td><td class="number">2</td>' in places


def test_expired_answers_come_first_in_the_report_with_what_to_do(tmp_path, monkeypatch):
    use_content(tmp_path, monkeypatch, dt.date.today() - dt.timedelta(days=3))
    html = report_html(None, tmp_path)
    expired = html.index('id="perimees"')
    assert expired < html.index("<nav") < html.index('id="qualite"')
    section = html[expired : html.index("</section>", expired)]
    assert EXPIRED in section and "faq_vae/steps" not in section
    assert f'<a href="{EXPIRED_SOURCE}">' in section
    assert TO_DO in section


def test_nothing_is_said_of_expired_answers_when_none_is(tmp_path, monkeypatch):
    use_content(tmp_path, monkeypatch, dt.date.today() + dt.timedelta(days=200))
    html = report_html(None, tmp_path)
    assert "perimees" not in html and "périmée" not in html


# --- the review file ----------------------------------------------------------------------------


def test_review_export_offers_out_of_scope_questions_and_unknown_places(store, tmp_path):
    review = tmp_path / "review.yml"
    assert review_export.main(["--endpoints", str(store), "--data", str(TRAINING_DATA_DIR), "--out", str(review)]) == 0
    text = review.read_text(encoding="utf-8")
    assert "# hors sujet · vu 3 fois" in text and "# hors sujet · vu 1 fois" in text
    assert "# lieu inconnu : 99 · vu 2 fois" in text
    assert "# lieu inconnu : Pétaouchnok · vu 2 fois" in text or "# lieu inconnu : petaouchnok · vu 2 fois" in text
    entries = yaml.safe_load(text)["nlu"]
    examples = [entry["examples"].strip()[2:] for entry in entries]
    assert all(entry["intent"] == "TO_REVIEW" for entry in entries)
    assert sum(example in OUT_OF_SCOPE_QUESTIONS[:3] for example in examples) == 1  # grouped: one entry
    assert OUT_OF_SCOPE_QUESTIONS[3] in examples
    assert "campus cuisine dans le [99](location)" in examples
    assert "[petaouchnok](location)" in examples  # the latest spelling, ready to become an example
    assert len(review_merge.read_review(review)) == len(entries)


def test_a_reviewed_export_merges_into_the_training_data(store, tmp_path):
    shutil.copytree(TRAINING_DATA_DIR, tmp_path / "data")
    review = tmp_path / "review.yml"
    review_export.main(["--endpoints", str(store), "--data", str(tmp_path / "data"), "--out", str(review)])
    text = review.read_text(encoding="utf-8")
    reviewed = text.replace(
        f"- intent: TO_REVIEW\n  examples: |\n    - {OUT_OF_SCOPE_QUESTIONS[3]}\n",
        f"- intent: out_of_scope\n  examples: |\n    - {OUT_OF_SCOPE_QUESTIONS[3]}\n",
    ).replace(
        "- intent: TO_REVIEW\n  examples: |\n    - [petaouchnok](location)\n",
        "- intent: inform\n  examples: |\n    - [petaouchnok](location)\n",
    )
    assert reviewed.count("- intent: TO_REVIEW") == text.count("- intent: TO_REVIEW") - 2
    review.write_text(reviewed, encoding="utf-8")
    merged = review_merge.merge(review_merge.read_review(review), tmp_path / "data", DOMAIN_PATH, TESTS_DIR)
    added = {(entry.intent, entry.text) for entries in merged.values() for entry in entries}
    assert added == {("out_of_scope", OUT_OF_SCOPE_QUESTIONS[3]), ("inform", "[petaouchnok](location)")}


# --- cli ask ------------------------------------------------------------------------------------


def asked(faq_key: Optional[str]) -> dict:
    return {
        "question": "quelle aide pour embaucher un apprenti ?",
        "intent": "faq_apprenticeship",
        "confidence": 0.97,
        "entities": [],
        "faq": {"key": faq_key, "confidence": 0.93} if faq_key else None,
        "replies": ["Une aide à l'embauche d'un apprenti."],
    }


def test_cli_ask_marks_an_answer_past_its_valid_until(tmp_path, monkeypatch, capsys):
    use_content(tmp_path, monkeypatch, dt.date(2026, 12, 31))
    expired = commands.expired_answers(dt.date(2027, 1, 1))
    assert expired == {EXPIRED: dt.date(2026, 12, 31)}
    commands.print_one(asked(EXPIRED), expired)
    lines = capsys.readouterr().out.splitlines()
    assert lines[3] == (f"Réponse FAQ: {EXPIRED} (0.93) — à revoir : règle valable jusqu'au 31 décembre 2026")
    assert lines[:3] == [
        "Question   : quelle aide pour embaucher un apprenti ?",
        "Intention  : faq_apprenticeship (0.97)",
        "Entités    : -",
    ]
    commands.print_table([asked(EXPIRED)], expired)
    assert f"{EXPIRED} (à revoir)" in capsys.readouterr().out


def test_cli_ask_output_is_unchanged_for_an_answer_still_valid(tmp_path, monkeypatch, capsys):
    use_content(tmp_path, monkeypatch, dt.date(2026, 12, 31))
    expired = commands.expired_answers(dt.date(2026, 12, 31))  # the last day the rule holds
    assert expired == {}
    commands.print_one(asked(EXPIRED), expired)
    assert f"Réponse FAQ: {EXPIRED} (0.93)\n" in capsys.readouterr().out
    commands.print_one(asked(None), expired)
    assert "Réponse FAQ" not in capsys.readouterr().out
