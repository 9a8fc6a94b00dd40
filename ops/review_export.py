"""`python -m cli review-export`: the students' messages the assistant did not understand well, to
turn into training examples.

Writes, in Rasa's NLU YAML format, each message of the period that fell back or was understood
below the confidence threshold, under `intent: TO_REVIEW`, with the assistant's best guesses as
comments; then the questions answered as out of scope ("# hors sujet · vu N fois") and the messages
whose place the campus search could not find ("# lieu inconnu : X · vu N fois", the place annotated
as a location), each grouped so that the same words typed several times are one entry. The
counsellor replaces TO_REVIEW by the right intent (or `ignore`), then runs
`python -m cli review-merge FILE`. Texts are those stored (already masked); no sender id.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Set, Tuple

import sqlalchemy as sa

from bot.preflight import ConfigurationError, quiet_library_warnings
from ops.conversations import (
    LOW_CONFIDENCE,
    TIMEZONE,
    Missing,
    UnsureMessage,
    folded,
    period_start,
    read_conversations,
    store_engine,
)
from ops.report import french_date, french_number, parse_day
from ops.training_data import examples_index, normalised, training_files
from orientation.paths import ENDPOINTS_PATH, RESULTS_DIR, TRAINING_DATA_DIR

TO_REVIEW = "TO_REVIEW"
IGNORE = "ignore"
DEFAULT_OUT = RESULTS_DIR / "review.yml"

HEADER = """version: "3.1"

# Messages d'élèves à relire : {count} message(s) du {since} au {until}.
# Pour chacun, remplacez {to_review} par la bonne intention (pour une réponse FAQ, la réponse
# elle-même, par exemple faq_vae/steps), ou par {ignore} pour ne pas l'apprendre. Vous pouvez aussi
# corriger l'orthographe du message. Puis : make review-merge FILE={path}
# Après les messages mal compris viennent les questions « hors sujet » (la même question posée
# plusieurs fois ne vient qu'une fois) et les messages dont le lieu est « lieu inconnu ».
nlu:
"""
OUT_OF_SCOPE_HINT = "à apprendre ? l'intention qui y répond ; vraiment hors sujet : out_of_scope ; sinon {ignore}"
PLACE_HINT = (
    "mal écrit ou surnom d'un vrai lieu : l'ajouter en synonyme dans data/nlu/synonyms.yml ; "
    "pour un exemple : l'intention (search_campus, inform...), le lieu restant annoté"
)
LOCATION_ENTITY = "location"


def guess_comment(message: UnsureMessage) -> str:
    guesses = " · ".join(f"{intent} ({french_number(confidence)})" for intent, confidence in message.guesses)
    return f"compris : {guesses or '?'}"


def one_line(text: str) -> str:
    """A message on one line: a line break would end the YAML block it is written in."""
    return " ".join(text.split())


def block(comments: List[str], example: str) -> str:
    lines = [f"# {comment}" for comment in comments]
    lines += [f"- intent: {TO_REVIEW}", "  examples: |", f"    - {one_line(example)}"]
    return "\n".join(lines) + "\n\n"


def entry(message: UnsureMessage, times_seen: int) -> str:
    seen = f" · vu {times_seen} fois" if times_seen > 1 else ""
    status = "repli" if message.fell_back else "confiance basse"
    comments = [f"{french_date(message.when)} · {status}{seen}", guess_comment(message)]
    if message.faq_answer:
        comments.append(f"réponse FAQ choisie : {message.faq_answer} ({french_number(message.faq_confidence)})")
    return block(comments, message.text)


def guesses_text(guesses: List[Tuple[str, float]]) -> str:
    return " · ".join(f"{intent} ({french_number(confidence)})" for intent, confidence in guesses) or "?"


def out_of_scope_entry(group: Missing) -> str:
    return block(
        [
            f"hors sujet · vu {group.count} fois",
            f"dernière fois : {french_date(group.last_seen)} · compris : {guesses_text(group.guesses)}",
            OUT_OF_SCOPE_HINT.format(ignore=IGNORE),
        ],
        group.message,
    )


def annotated(message: str, place: str) -> str:
    """The message with the place marked as a location entity ("à [Pétaouchnok](location)"), ready to
    become an example; as it is when the place cannot be found in it."""
    message = one_line(message)
    if not place or any(char in message for char in "[]()"):
        return message
    found = re.search(re.escape(place), message, re.IGNORECASE)
    if found:
        start, end = found.span()
    else:  # typed with other accents or case: look in the folded text when it keeps the positions
        folded_message, folded_place = folded(message), folded(place)
        start = folded_message.find(folded_place) if len(folded_message) == len(message) else -1
        if start < 0 or not folded_place:
            return message
        end = start + len(folded_place)
    return f"{message[:start]}[{message[start:end]}]({LOCATION_ENTITY}){message[end:]}"


def place_entry(group: Missing) -> str:
    return block(
        [
            f"lieu inconnu : {group.text} · vu {group.count} fois",
            f"dernière fois : {french_date(group.last_seen)} · compris : {guesses_text(group.guesses)}",
            PLACE_HINT,
        ],
        annotated(group.message, group.text),
    )


def missing_to_review(
    out_of_scope: List[Missing], places: List[Missing], known: Mapping[str, object], listed: Set[str]
) -> Tuple[List[str], List[str]]:
    """Entries for the questions out of scope and the places not found (the most frequent first),
    leaving out a message already in the training data or already listed above."""
    listed = set(listed)

    def new(message: str) -> bool:
        key = normalised(message)
        if not key or key in known or key in listed:
            return False
        listed.add(key)
        return True

    questions = [out_of_scope_entry(group) for group in out_of_scope if new(group.message)]
    unknown = [place_entry(group) for group in places if new(group.message)]
    return questions, unknown


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


def write_review_file(
    path: Path, entries: List[tuple], since: datetime, until: datetime, more: Optional[List[str]] = None
) -> None:
    """`entries`: the messages to review with their counts; `more`: entries already written out."""
    more = more or []
    header = HEADER.format(
        count=len(entries) + len(more),
        since=french_date(since.date()),
        until=french_date(until.date()),
        to_review=TO_REVIEW,
        ignore=IGNORE,
        path=path,
    )
    body = "".join(entry(message, seen) for message, seen in entries) + "".join(more)
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
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS_PATH)
    parser.add_argument("--data", type=Path, default=TRAINING_DATA_DIR)
    parser.add_argument("--threshold", type=float, default=LOW_CONFIDENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    quiet_library_warnings()

    from orientation.settings import load_settings

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
    known = examples_index(training_files(args.data))
    entries = messages_to_review(stats.unsure, known)
    listed = {normalised(message.text) for message, _ in entries}
    questions, places = missing_to_review(stats.out_of_scope, stats.unknown_places, known, listed)
    write_review_file(args.out, entries, since, now, questions + places)
    print(
        f"{len(entries) + len(questions) + len(places)} message(s) à relire écrits dans {args.out} "
        f"(dont {len(questions)} hors sujet et {len(places)} lieu(x) inconnu(s) ; "
        f"sur {stats.messages} messages depuis le {french_date(since)})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
