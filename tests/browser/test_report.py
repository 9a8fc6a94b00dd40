"""The counsellors' report (`python -m cli report`) and the review loop, from real conversations.

Real conversations go through the REST channel of a running assistant (SQLite store): a FAQ
question rated thumbs down with the widget's feedback payload, a message that falls back, and one
understood with a low confidence. The report built from that store is opened in Chromium: charts,
those messages, no sender id, nothing loaded from elsewhere, axe-core clean, on a phone too. The
same store copied into PostgreSQL gives the same page. Then the export → review → merge round trip
on a copy of the data. Last, a report with an answer past its valid_until, questions out of scope
and places not found.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
import yaml
from playwright.sync_api import Browser, Page, expect

from devtools.processes import running_assistant
from ops.conversations import LOW_CONFIDENCE
from ops.quality import ENTITY_REPORT
from ops.training_data import read_examples
from orientation.paths import DOMAIN_PATH, PROJECT_ROOT, TESTS_DIR, TRAINING_DATA_DIR, WEB_DIR

AXE = WEB_DIR / "widget" / "vendor" / "axe.min.js"
THUMBS_DOWN = '/feedback{"feedback_value":"down"}'  # what the widget sends (bot/web/widget/widget.js)
QUESTION = "c'est quoi la VAE ?"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
POSTGRES = {
    "type": "SQL",
    "dialect": "postgresql",
    "url": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "db": "cmq_report_test",
    "login_db": "test",
}


@dataclass
class Store:
    """The conversations of the module, and what a counsellor should find in the report."""

    workdir: Path
    endpoints: Path
    senders: List[str]
    fallback_text: str
    low_confidence_text: str
    low_confidence_intent: str


def user_events(database: Path, sender: str) -> List[dict]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def understood(event: dict) -> tuple:
    return event["parse_data"]["intent"]["name"], event["parse_data"]["intent"]["confidence"]


@pytest.fixture(scope="module")
def store(tmp_path_factory, trained_model) -> Store:
    workdir = tmp_path_factory.mktemp("report")
    # One-word questions out of context: some fall back, some are understood without much confidence
    # (which ones depends on the model, so the test looks at what was stored).
    vague = ["bourse", "inscription", "logement", "quoi", "date", "comment", "ailleurs", "bof", "les deux", "et après"]
    senders = {text: f"report-{uuid.uuid4().hex}" for text in [QUESTION, *vague]}
    with running_assistant(workdir) as assistant:
        assistant.say(senders[QUESTION], QUESTION)
        assistant.say(senders[QUESTION], THUMBS_DOWN)
        for text in vague:
            assistant.say(senders[text], text)
    database = workdir / "conversations.db"
    events = [user_events(database, senders[text])[0] for text in vague]
    fallbacks = [event for event in events if understood(event)[0] == "nlu_fallback"]
    unsure = [
        event for event in events if understood(event)[0] != "nlu_fallback" and understood(event)[1] < LOW_CONFIDENCE
    ]
    assert fallbacks and unsure, f"no fallback or no low-confidence message among {[understood(e) for e in events]}"
    return Store(
        workdir,
        workdir / "endpoints.yml",
        list(senders.values()),
        fallbacks[0]["text"],
        unsure[0]["text"],
        understood(unsure[0])[0],
    )


def bot_command(*args) -> subprocess.CompletedProcess:
    """`python -m cli ARGS`, or `python -m MODULE ARGS` when ARGS start with -m."""
    command = list(map(str, args)) if args[0] == "-m" else ["-m", "cli", *map(str, args)]
    return subprocess.run([sys.executable, *command], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def build_report(store: Store, endpoints: Path, out: Path, results: Path) -> str:
    result = bot_command("report", "--endpoints", endpoints, "--out", out, "--results", results)
    assert result.returncode == 0, result.stderr
    assert "Rapport écrit" in result.stdout
    return out.read_text(encoding="utf-8")


@contextlib.contextmanager
def report_page(browser: Browser, path: Path, **options) -> Iterator[Page]:
    """The report opened from disk; fails if the page asks for anything outside itself."""
    context = browser.new_context(locale="fr-FR", **options)
    tab = context.new_page()
    requests: List[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(path.as_uri())
    try:
        yield tab
    finally:
        context.close()
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


def axe_violations(page: Page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document)).violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )


def table_rows(page: Page, caption: str) -> List[str]:
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    return table.locator("tbody tr").all_inner_texts()


def assert_counsellor_sees_the_conversations(page: Page, store: Store) -> None:
    conversations = page.locator("section", has=page.get_by_role("heading", name="Conversations réelles"))
    charts = conversations.locator("img")
    assert charts.count() == 4  # activity, topics, fallback rate, feedback
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert chart.get_attribute("alt")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(conversations.locator(".figures")).to_contain_text(f"{len(store.senders)} conversations")
    unsure = table_rows(page, "Messages à vérifier")
    fallback_row = next(row for row in unsure if row.split("\t")[1] == store.fallback_text)
    assert fallback_row.rstrip().endswith("oui")  # fell back
    unsure_row = next(row for row in unsure if row.split("\t")[1] == store.low_confidence_text)
    assert unsure_row.split("\t")[2] == store.low_confidence_intent
    assert unsure_row.rstrip().endswith("non")
    thumbs_down = table_rows(page, "Réponses jugées pas utiles")
    assert len(thumbs_down) == 1
    assert QUESTION in thumbs_down[0] and "faq_vae/what_is" in thumbs_down[0]
    page.get_by_text("Tableau des avis par réponse").click()
    assert any(row.split("\t") == ["faq_vae/what_is", "0", "1"] for row in table_rows(page, "Avis par réponse"))


def test_the_report_shows_real_conversations_charts_and_passes_the_audit(store, browser, tmp_path):
    html = build_report(store, store.endpoints, tmp_path / "report.html", tmp_path / "no-results")
    assert all(sender not in html for sender in store.senders)
    with report_page(browser, tmp_path / "report.html", viewport=DESKTOP) as page:
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Lycée des métiers Jean Moulin")
        assert_counsellor_sees_the_conversations(page, store)
        expect(page.get_by_text("lancez make test-nlu")).to_be_visible()
        expect(
            page.get_by_text("ops/content.py absent")
            .or_(page.get_by_text("Réponses à relire"))
            .or_(page.get_by_text("Aucune réponse à relire"))
        ).to_be_visible()
        assert axe_violations(page) == []


def test_on_a_360_px_phone_the_report_fits_and_passes_the_audit(store, browser, tmp_path):
    build_report(store, store.endpoints, tmp_path / "report.html", tmp_path / "no-results")
    with report_page(browser, tmp_path / "report.html", viewport=PHONE, is_mobile=True) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for chart in page.locator("img").all():
            assert chart.bounding_box()["width"] <= PHONE["width"]
        assert axe_violations(page) == []


@pytest.fixture
def postgres_store(store, tmp_path) -> Iterator[Path]:
    """The module's conversations copied, row for row, into a PostgreSQL store made by Rasa."""
    from rasa.core.tracker_store import SQLTrackerStore

    options = {key: value for key, value in POSTGRES.items() if key not in ("type", "url")}
    target = SQLTrackerStore(host=POSTGRES["url"], **options)
    source = sa.create_engine(f"sqlite:///{store.workdir / 'conversations.db'}")
    with source.connect() as reading, target.engine.begin() as writing:
        writing.execute(sa.text("DELETE FROM events"))
        rows = (
            reading.execute(
                sa.text(
                    "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
                )
            )
            .mappings()
            .all()
        )
        writing.execute(
            sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
                "data) VALUES (:sender_id, :type_name, :timestamp, :intent_name, :action_name, "
                ":data)"
            ),
            [dict(row) for row in rows],
        )
    endpoints = tmp_path / "endpoints-postgresql.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": POSTGRES}), encoding="utf-8")
    yield endpoints
    with target.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events"))
    target.engine.dispose()
    source.dispose()


@pytest.mark.services("postgresql")
def test_the_same_report_from_postgresql(store, postgres_store, browser, tmp_path):
    from_sqlite = build_report(store, store.endpoints, tmp_path / "sqlite.html", tmp_path / "no-results")
    from_postgres = build_report(store, postgres_store, tmp_path / "postgresql.html", tmp_path / "no-results")
    with report_page(browser, tmp_path / "postgresql.html", viewport=DESKTOP) as page:
        assert_counsellor_sees_the_conversations(page, store)

    def tables(html: str) -> List[str]:
        # The tables only: the footer says when the period began, to the minute of each build.
        return [part.split("</table>")[0] for part in html.split("<table>")[1:]]

    assert tables(from_postgres) == tables(from_sqlite)


def test_an_empty_store_and_missing_results_are_said_plainly(browser, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "absent.db")}}),
        encoding="utf-8",
    )
    result = bot_command(
        "report",
        "--endpoints",
        endpoints,
        "--out",
        tmp_path / "report.html",
        "--results",
        tmp_path / "no-results",
        "--since",
        "2026-01-01",
    )
    assert result.returncode == 0, result.stderr
    with report_page(browser, tmp_path / "report.html", viewport=DESKTOP) as page:
        expect(page.get_by_text("Aucune conversation enregistrée depuis le")).to_be_visible()
        expect(page.get_by_text("Aucun résultat d'évaluation NLU")).to_be_visible()
        expect(page.get_by_text("Aucun résultat des tests de conversation")).to_be_visible()
        expect(page.locator("header")).to_contain_text("plus ancienne que la durée de conservation")
        assert axe_violations(page) == []


def test_a_wrong_date_or_endpoints_file_gets_a_clear_message(tmp_path):
    wrong_date = bot_command("report", "--since", "01/11/2026", "--out", tmp_path / "report.html")
    assert wrong_date.returncode == 2 and "AAAA-MM-JJ" in wrong_date.stderr
    missing = bot_command("report", "--endpoints", tmp_path / "absent.yml", "--out", tmp_path / "report.html")
    assert missing.returncode == 2 and "Rapport impossible : fichier introuvable" in missing.stderr
    assert "Traceback" not in missing.stderr + wrong_date.stderr


def test_an_unreachable_database_is_said_in_the_page(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {**POSTGRES, "port": 1, "login_db": None}}), encoding="utf-8")
    result = bot_command("report", "--endpoints", endpoints, "--out", tmp_path / "report.html")
    assert result.returncode == 1
    assert "Conversations illisibles" in result.stderr and "Traceback" not in result.stderr
    assert "Impossible de lire les conversations" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_export_review_merge_round_trip_on_a_copy_of_the_data(store, tmp_path):
    shutil.copytree(TRAINING_DATA_DIR, tmp_path / "data")
    shutil.copy(DOMAIN_PATH, tmp_path / "domain.yml")
    shutil.copytree(TESTS_DIR / "nlu", tmp_path / "tests" / "nlu")
    review = tmp_path / "review.yml"

    exported = bot_command(
        "review-export", "--endpoints", store.endpoints, "--data", tmp_path / "data", "--out", review
    )

    assert exported.returncode == 0, exported.stderr
    assert "message(s) à relire écrits" in exported.stdout
    text = review.read_text(encoding="utf-8")
    assert all(sender not in text for sender in store.senders)
    entries = yaml.safe_load(text)["nlu"]
    by_text = {entry["examples"].strip()[2:]: entry for entry in entries}
    assert by_text[store.fallback_text]["intent"] == "TO_REVIEW"
    assert by_text[store.low_confidence_text]["intent"] == "TO_REVIEW"
    assert f"# compris : {store.low_confidence_intent} (" in text
    assert "· repli" in text

    # The counsellor's review: the vague one-word question asks for help, the fallback is ignored.
    reviewed = text.replace(
        f"- intent: TO_REVIEW\n  examples: |\n    - {store.low_confidence_text}\n",
        f"- intent: help\n  examples: |\n    - {store.low_confidence_text}\n",
    ).replace(
        f"- intent: TO_REVIEW\n  examples: |\n    - {store.fallback_text}\n",
        f"- intent: ignore\n  examples: |\n    - {store.fallback_text}\n",
    )
    review.write_text(reviewed, encoding="utf-8")
    merged = bot_command(
        "review-merge",
        review,
        "--data",
        tmp_path / "data",
        "--domain",
        tmp_path / "domain.yml",
        "--tests",
        tmp_path / "tests",
    )

    assert merged.returncode == 0, merged.stderr
    assert "1 exemple(s) ajouté(s), 1 ignoré(s)" in merged.stdout
    assert "data/nlu/chitchat.yml : 1 (help)" in merged.stdout
    helps = [e.text for e in read_examples(tmp_path / "data" / "nlu" / "chitchat.yml") if e.intent == "help"]
    assert helps[-1] == store.low_confidence_text
    # Taught: the next export no longer lists it; merging the same file again is refused.
    again = bot_command(
        "review-export",
        "--endpoints",
        store.endpoints,
        "--data",
        tmp_path / "data",
        "--out",
        review.with_name("again.yml"),
    )
    assert store.low_confidence_text not in review.with_name("again.yml").read_text(encoding="utf-8"), again.stderr
    twice = bot_command(
        "review-merge",
        review,
        "--data",
        tmp_path / "data",
        "--domain",
        tmp_path / "domain.yml",
        "--tests",
        tmp_path / "tests",
    )
    assert twice.returncode == 2 and "déjà un exemple de help" in twice.stderr


def write_json(path: Path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")


@pytest.fixture
def results(tmp_path) -> Path:
    """Result files as `rasa test nlu` and `rasa test core` write them, each folder stamped with
    the model by `python -m ops.quality`."""
    folder = tmp_path / "results"

    def scores(f1, support):
        return {"precision": f1, "recall": f1, "f1-score": f1, "support": support}

    write_json(
        folder / "nlu" / "intent_report.json",
        {
            "greet": scores(1.0, 10),
            "faq_vae": {**scores(0.8, 10), "confused_with": {"faq_cmq": 2}},
            "faq_cmq": scores(0.9, 10),
            "accuracy": 0.9,
            "macro avg": scores(0.9, 30),
            "weighted avg": scores(0.9, 30),
        },
    )
    write_json(
        folder / "nlu" / "intent_errors.json",
        [
            {
                "text": "la validation des acquis pour un campus",
                "intent": "faq_vae",
                "intent_prediction": {"name": "faq_cmq", "confidence": 0.71},
            },
            {
                "text": "vae et label excellence",
                "intent": "faq_vae",
                "intent_prediction": {"name": "faq_cmq", "confidence": 0.55},
            },
        ],
    )
    write_json(
        folder / "nlu" / "response_selection_report.json",
        {
            "faq_vae/steps": scores(0.75, 4),
            "faq_vae/what_is": scores(1.0, 4),
            "faq_cmq/what_is": scores(0.9, 5),
            "macro avg": scores(0.88, 13),
        },
    )
    write_json(
        folder / "nlu" / "response_selection_errors.json",
        [
            {
                "text": "par où commencer la vae",
                "intent_response_key_target": "faq_vae/steps",
                "intent_response_key_prediction": {"name": "faq_vae/what_is", "confidence": 0.62},
            }
        ],
    )
    write_json(folder / "nlu" / ENTITY_REPORT, {"micro avg": scores(0.93, 12)})
    write_json(
        folder / "stories" / "story_report.json",
        {"conversation_accuracy": {"accuracy": 0.75, "correct": 3, "with_warnings": 0, "total": 4}},
    )
    (folder / "stories" / "failed_test_stories.yml").write_text(
        "stories:\n- story: recherche de campus à Brest (tests/conversations/test_campus_search.yml)\n  steps: []\n",
        encoding="utf-8",
    )
    model = tmp_path / "assistant.tar.gz"
    model.write_bytes(b"model")
    for measured in ("nlu", "stories"):
        stamped = bot_command("-m", "ops.quality", folder / measured, "--model", model)
        assert stamped.returncode == 0, stamped.stderr
    return folder


def test_quality_of_understanding_with_the_model_it_was_measured_on(results, browser, tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "absent.db")}}),
        encoding="utf-8",
    )
    result = bot_command(
        "report",
        "--endpoints",
        endpoints,
        "--out",
        tmp_path / "report.html",
        "--results",
        results,
        "--model",
        tmp_path / "assistant.tar.gz",
    )
    assert result.returncode == 0, result.stderr
    with report_page(browser, tmp_path / "report.html", viewport=DESKTOP) as page:
        quality = page.locator("section", has=page.get_by_role("heading", name="Qualité de la compréhension"))
        charts = quality.locator("img")
        assert charts.count() == 3  # F1 per intent, F1 per FAQ answer, confusion matrix
        assert all(chart.evaluate("img => img.naturalWidth > 0") for chart in charts.all())
        assert "la plus basse : faq_vae (0,80)" in charts.nth(0).get_attribute("alt")
        assert "faq_vae pris pour faq_cmq (2 fois)" in charts.nth(2).get_attribute("alt")
        assert table_rows(page, "Jeux de test NLU")[0].split("\t")[:5] == ["nlu", "30", "90,0 %", "0,90", "0,93"]
        assert table_rows(page, "Confusions les plus fréquentes")[0].split("\t") == ["faq_vae", "faq_cmq", "2"]
        confused = table_rows(page, "Phrases de test mal comprises")
        assert confused[0].startswith("la validation des acquis pour un campus")
        assert any("par où commencer la vae" in row and "faq_vae/what_is" in row for row in confused)
        expect(quality.get_by_text("sur le modèle assistant.tar.gz").first).to_be_visible()
        expect(quality).to_contain_text("3 conversations de test sur 4 se déroulent comme prévu")
        expect(quality).to_contain_text("recherche de campus à Brest")
        expect(quality).not_to_contain_text("Le modèle a changé depuis")
        assert axe_violations(page) == []

    (tmp_path / "assistant.tar.gz").write_bytes(b"retrained model")
    bot_command(
        "report",
        "--endpoints",
        endpoints,
        "--out",
        tmp_path / "report.html",
        "--results",
        results,
        "--model",
        tmp_path / "assistant.tar.gz",
    )
    with report_page(browser, tmp_path / "report.html", viewport=DESKTOP) as page:
        expect(page.get_by_text("Le modèle a changé depuis").first).to_be_visible()


def test_expired_answers_first_then_the_questions_and_places_the_assistant_missed(browser, tmp_path, monkeypatch):
    """A rule past its valid_until is the first thing a counsellor reads; the questions out of scope
    and the places not found are grouped with their counts."""
    from tests.ops.test_report_missing import EXPIRED, EXPIRED_SOURCE, TO_DO, report_html, use_content, write_store

    use_content(tmp_path, monkeypatch, date.today() - timedelta(days=3))
    (tmp_path / "report.html").write_text(report_html(write_store(tmp_path), tmp_path), encoding="utf-8")
    with report_page(browser, tmp_path / "report.html", viewport=DESKTOP) as page:
        expect(page.get_by_role("heading", level=2).first).to_contain_text("Réponses périmées")
        expired = page.locator("section").first
        expect(expired.get_by_role("heading", level=2)).to_contain_text("Réponses périmées")
        expect(expired).to_contain_text(EXPIRED)
        expect(expired).to_contain_text(TO_DO)
        expect(expired.get_by_role("link", name=EXPIRED_SOURCE)).to_be_visible()
        assert expired.bounding_box()["y"] < page.locator("nav").bounding_box()["y"]
        questions = [row.split("\t") for row in table_rows(page, "Questions hors sujet")]
        assert [row[1] for row in questions] == ["3", "1"]
        assert questions[1][0] == "tu connais une bonne pizzeria ouverte le dimanche ?"
        places = [row.split("\t") for row in table_rows(page, "Lieux introuvables")]
        assert sorted((row[0].lower(), row[1]) for row in places) == [("99", "2"), ("petaouchnok", "2")]
        assert ["99", "2", "campus cuisine dans le 99"] in [row[:3] for row in places]
        assert axe_violations(page) == []
    with report_page(browser, tmp_path / "report.html", viewport=PHONE, is_mobile=True) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert axe_violations(page) == []
