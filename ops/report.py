"""`python -m cli report`: the counsellors' page, one self-contained HTML file (results/report.html).

First, the FAQ answers past their `valid_until` (the assistant serves them with a warning until
they are reviewed), when there are any. Then three parts: how well the assistant understands
(latest `make test-nlu` and `make test-stories`), what students really asked (the tracker store of
the endpoints file, over the period: `--since`, never older than privacy.retention_days) and what
the assistant could not answer (questions out of scope, places not found), and the answers due for
re-reading. The page loads nothing from elsewhere (charts are embedded SVG), fits a phone screen
and passes axe-core.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Dict, List, Optional

import jinja2
import sqlalchemy as sa

from bot.preflight import ConfigurationError, low_disk_warnings, quiet_library_warnings
from ops import charts
from ops.conversations import (
    LOW_CONFIDENCE,
    TIMEZONE,
    ConversationStats,
    Missing,
    days_between,
    period_start,
    read_conversations,
    store_engine,
    week_of,
)
from ops.quality import NluResult, current_model, nlu_results, story_result
from ops.training_data import TEST_SET_FOLDERS
from orientation.paths import ENDPOINTS_PATH, MODEL_PATH, PROJECT_ROOT, RESULTS_DIR, TESTS_DIR

TEMPLATE = "report.html.j2"
DEFAULT_OUT = RESULTS_DIR / "report.html"
# Beyond these, the page says how many more there are (`review-export` lists every message).
MESSAGES_LISTED = 200
BARS_SHOWN = 20
CONFUSED_PHRASINGS_SHOWN = 15
CONTENT_DUE_WITHIN_DAYS = 60
CONTENT_KEYS = ("answer", "checked", "valid_until", "due", "reason", "sources")
EXPIRED_KEYS = ("answer", "valid_until", "checked", "sources")
REGISTER_FILE = "content/answers.yml"
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


# --- formatting (template filters) -----------------------------------------------------------


def french_date(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year} à {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return str(value)


def french_number(value: Optional[float], digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


def percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{100 * value:.1f} %".replace(".", ",")


def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(date=french_date, number=french_number, percent=percent)
    return environment


# --- quality of understanding ------------------------------------------------------------------


def nlu_view(result: NluResult) -> dict:
    labels, matrix = result.confusion()
    intent_f1 = result.intent_f1
    faq_by_topic = result.faq_f1_by_topic
    return {
        "result": result,
        "summary": result.summary(),
        "intent_chart": charts.intent_f1_chart(intent_f1) if intent_f1 else None,
        "intent_f1": intent_f1,
        "faq_chart": charts.faq_f1_chart(faq_by_topic) if faq_by_topic else None,
        "faq_by_topic": faq_by_topic,
        "confusion_chart": charts.confusion_chart(labels, matrix) if labels else None,
        "confused_pairs": Counter(
            (row["expected"], row["predicted"]) for row in result.confused_phrasings()
        ).most_common(CONFUSED_PHRASINGS_SHOWN),
        "confused_phrasings": result.confused_phrasings()[:CONFUSED_PHRASINGS_SHOWN],
    }


def lowest(scores: Dict[str, float]) -> str:
    label = min(scores, key=lambda name: scores[name])
    return f"la plus basse : {label} ({french_number(scores[label])})"


def quality_view(results: Path, model: Path) -> dict:
    sets, stories = nlu_results(results), story_result(results)
    evaluated = {result.name for result in sets}
    return {
        "test_sets": [nlu_view(result) for result in sets],
        "stories": stories,
        "results_dir": results,
        "not_evaluated": [name for name in TEST_SET_FOLDERS if (TESTS_DIR / name).is_dir() and name not in evaluated],
        # Hashing the model takes a second: only worth it when there are results to compare.
        "current_model": current_model(model) if sets or stories else None,
    }


# --- real conversations ------------------------------------------------------------------------


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def conversations_view(stats: ConversationStats, until: date) -> dict:
    days = days_between(stats.since.date(), until)
    messages = [stats.messages_per_day[day] for day in days]
    daily_rates = [ratio(stats.fallbacks_per_day[day], stats.messages_per_day[day]) for day in days]
    weeks = sorted({week_of(day) for day in days})
    weekly = [
        (
            week,
            sum(stats.messages_per_day[d] for d in days if week_of(d) == week),
            sum(stats.fallbacks_per_day[d] for d in days if week_of(d) == week),
        )
        for week in weeks
    ]
    topics = stats.intents.most_common(BARS_SHOWN)
    ratings = sorted(
        ((answer, votes["up"], votes["down"]) for answer, votes in stats.feedback.items()),
        key=lambda rating: (-rating[2], -rating[1], rating[0]),
    )
    return {
        "stats": stats,
        "activity_chart": charts.activity_chart(days, messages, [stats.conversations_per_day[day] for day in days]),
        "busiest_day": max(days, key=lambda day: stats.messages_per_day[day]),
        "topics": topics,
        "topics_chart": charts.counts_chart(topics, "Sujets demandés (intention comprise)") if topics else None,
        "fallback_chart": charts.fallback_chart(
            days, daily_rates, weeks, [ratio(fallbacks, total) for _, total, fallbacks in weekly]
        ),
        "weekly": [(week, total, fallbacks, ratio(fallbacks, total)) for week, total, fallbacks in weekly],
        "ratings": ratings,
        "feedback_chart": charts.feedback_chart(ratings[:BARS_SHOWN]) if ratings else None,
        "unsure": list(reversed(stats.unsure))[:MESSAGES_LISTED],
        "thumbs_down": list(reversed(stats.thumbs_down)),
        "out_of_scope": missing_view(stats.out_of_scope),
        "unknown_places": missing_view(stats.unknown_places),
    }


def missing_view(groups: List[Missing]) -> dict:
    """Questions or places grouped with their count: the most frequent first, the first ones only."""
    return {"groups": groups[:MESSAGES_LISTED], "total": len(groups), "times": sum(group.count for group in groups)}


# --- content to review -------------------------------------------------------------------------


def content_view(today: date) -> dict:
    """Answers due for re-reading, from ops.content when the project has it."""
    try:
        content = importlib.import_module("ops.content")
    except ModuleNotFoundError as error:
        if error.name != "ops.content":
            raise
        return {"available": False, "answers": [], "error": None}
    try:
        answers = [
            {key: answer.get(key) for key in CONTENT_KEYS}
            for answer in content.answers_due(today, within_days=CONTENT_DUE_WITHIN_DAYS)
        ]
    except Exception as error:  # noqa: BLE001 - the page reports it instead of failing
        return {"available": True, "answers": [], "error": f"{type(error).__name__}: {error}"}
    return {"available": True, "answers": answers, "error": None}


def expired_view(today: date) -> dict:
    """Answers past their `valid_until`: served with a warning until a counsellor reviews them."""
    try:
        content = importlib.import_module("ops.content")
    except ModuleNotFoundError as error:
        if error.name != "ops.content":
            raise
        return {"answers": [], "error": None}
    try:
        answers = [{key: answer.get(key) for key in EXPIRED_KEYS} for answer in content.answers_expired(today)]
    except Exception as error:  # noqa: BLE001 - the page reports it instead of failing
        return {"answers": [], "error": f"{type(error).__name__}: {error}"}
    return {"answers": answers, "error": None}


# --- the page ----------------------------------------------------------------------------------


@dataclass
class StoreReading:
    stats: Optional[ConversationStats]
    error: Optional[str]
    store: str


def read_store(endpoints: Path, since: datetime, threshold: float) -> StoreReading:
    """Reads the tracker store; a database that cannot be read becomes a message in the page."""
    engine = store_engine(endpoints)
    label = "aucune base (rien d'enregistré)" if engine is None else repr(engine.url)
    try:
        return StoreReading(read_conversations(engine, since, threshold), None, label)
    except sa.exc.SQLAlchemyError as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return StoreReading(None, first_line, label)
    finally:
        if engine is not None:
            engine.dispose()


@dataclass
class Period:
    since: datetime  # what is shown
    requested: Optional[date]  # what was asked (--since)
    retention_days: int

    @property
    def clamped(self) -> bool:
        return self.requested is not None and self.since.date() > self.requested


def render_report(
    school_name: str, period: Period, now: datetime, reading: StoreReading, results: Path, model: Path, endpoints: Path
) -> str:
    stats = reading.stats
    has_messages = stats is not None and stats.messages > 0
    return (
        template_environment()
        .get_template(TEMPLATE)
        .render(
            school_name=school_name,
            since=period.since,
            requested_since=period.requested,
            clamped=period.clamped,
            retention_days=period.retention_days,
            content_days=CONTENT_DUE_WITHIN_DAYS,
            now=now,
            endpoints=endpoints,
            store_error=reading.error,
            threshold=stats.threshold if stats else LOW_CONFIDENCE,
            quality=quality_view(results, model),
            conversations=conversations_view(stats, now.date()) if stats is not None and has_messages else None,
            content=content_view(now.date()),
            expired=expired_view(now.date()),
            register_file=REGISTER_FILE,
            messages_listed=MESSAGES_LISTED,
            lowest=lowest,
        )
    )


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date attendue au format AAAA-MM-JJ (ex. 2026-11-01), pas « {text} »"
        ) from None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli report", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--since",
        type=parse_day,
        default=None,
        help="début de la période, AAAA-MM-JJ (défaut : la durée de conservation)",
    )
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS_PATH)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="résultats de make test-nlu / test-stories")
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument(
        "--threshold",
        type=float,
        default=LOW_CONFIDENCE,
        help="confiance en dessous de laquelle un message est à vérifier",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    quiet_library_warnings()
    for warning in low_disk_warnings([args.out.parent if args.out.parent.exists() else PROJECT_ROOT, PROJECT_ROOT]):
        print(warning, flush=True)  # first, where the operator reads

    from orientation.settings import load_settings

    settings = load_settings()
    now = datetime.now(TIMEZONE)
    period = Period(period_start(args.since, settings.retention_days, now), args.since, settings.retention_days)
    try:
        reading = read_store(args.endpoints, period.since, args.threshold)
    except ConfigurationError as error:
        print(f"Rapport impossible : {error}", file=sys.stderr)
        return 2
    page = render_report(settings.school_name, period, now, reading, args.results, args.model, args.endpoints)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    messages = reading.stats.messages if reading.stats else 0
    print(f"Rapport écrit : {args.out} ({messages} messages depuis le {french_date(period.since)}).")
    if reading.error:
        print(f"Conversations illisibles ({reading.store}) : {reading.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
