"""`python -m cli review-export`: the students' messages the assistant did not understand well, to
turn into training examples.

Writes, in Rasa's NLU YAML format, each message of the period that fell back or was understood
below the confidence threshold, under `intent: TO_REVIEW`, with the assistant's best guesses as
comments. The counsellor replaces TO_REVIEW by the right intent (or `ignore`), then runs
`python -m cli review-merge FILE`. Texts are those stored (already masked); no sender id.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import sqlalchemy as sa

from bot.paths import PROJECT_ROOT
from bot.preflight import ConfigurationError, quiet_library_warnings
from ops.conversations import LOW_CONFIDENCE, TIMEZONE, UnsureMessage, period_start, read_conversations, store_engine
from ops.report import french_date, french_number, parse_day
from ops.training_data import examples_index, normalised, training_files

TO_REVIEW = "TO_REVIEW"
IGNORE = "ignore"
DEFAULT_OUT = PROJECT_ROOT / "results" / "review.yml"

HEADER = """version: "3.1"

# Messages d'élèves à relire : {count} message(s) du {since} au {until}.
# Pour chacun, remplacez {to_review} par la bonne intention (pour une réponse FAQ, la réponse
# elle-même, par exemple faq_vae/steps), ou par {ignore} pour ne pas l'apprendre. Vous pouvez aussi
# corriger l'orthographe du message. Puis : make review-merge FILE={path}
nlu:
"""


def guess_comment(message: UnsureMessage) -> str:
    guesses = " · ".join(f"{intent} ({french_number(confidence)})" for intent, confidence in message.guesses)
    return f"compris : {guesses or '?'}"


def entry(message: UnsureMessage, times_seen: int) -> str:
    seen = f" · vu {times_seen} fois" if times_seen > 1 else ""
    status = "repli" if message.fell_back else "confiance basse"
    lines = [f"# {french_date(message.when)} · {status}{seen}", f"# {guess_comment(message)}"]
    if message.faq_answer:
        lines.append(f"# réponse FAQ choisie : {message.faq_answer} ({french_number(message.faq_confidence)})")
    lines += [f"- intent: {TO_REVIEW}", "  examples: |", f"    - {message.text}"]
    return "\n".join(lines) + "\n\n"


def messages_to_review(unsure: List[UnsureMessage], known: Mapping[str, object]) -> List[tuple]:
    """One entry per distinct phrasing (its latest occurrence), the most frequent first, leaving out
    button payloads and phrasings already in the training data."""
    counts = Counter(normalised(message.text) for message in unsure)
    latest: Dict[str, UnsureMessage] = {}
    for message in unsure:
        key = normalised(message.text)
        if key and not message.text.startswith("/") and key not in known:
            latest[key] = message
    entries = [(message, counts[key]) for key, message in latest.items()]
    return sorted(entries, key=lambda item: (-item[1], item[0].when))


def write_review_file(path: Path, entries: List[tuple], since: datetime, until: datetime) -> None:
    header = HEADER.format(
        count=len(entries),
        since=french_date(since.date()),
        until=french_date(until.date()),
        to_review=TO_REVIEW,
        ignore=IGNORE,
        path=path,
    )
    body = "".join(entry(message, seen) for message, seen in entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + (body or "# (aucun message à relire)\n"), encoding="utf-8")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli review-export", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--since",
        type=parse_day,
        default=None,
        help="début de la période, AAAA-MM-JJ (défaut : la durée de conservation)",
    )
    parser.add_argument("--endpoints", type=Path, default=PROJECT_ROOT / "endpoints.yml")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument("--threshold", type=float, default=LOW_CONFIDENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    quiet_library_warnings()

    from actions.settings import load_settings

    now = datetime.now(TIMEZONE)
    since = period_start(args.since, load_settings().retention_days, now)
    engine = None
    try:
        engine = store_engine(args.endpoints)
        stats = read_conversations(engine, since, args.threshold)
    except ConfigurationError as error:
        print(f"Export impossible : {error}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as error:
        print(f"Export impossible, conversations illisibles : {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    entries = messages_to_review(stats.unsure, examples_index(training_files(args.data)))
    write_review_file(args.out, entries, since, now)
    print(
        f"{len(entries)} message(s) à relire écrits dans {args.out} "
        f"(sur {stats.messages} messages depuis le {french_date(since)})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
