"""The formation search judged on questions written by someone who saw neither the data nor the
training examples (tests/formations_questions/questions.yml).

    python -m cli evaluate-formations [--min-found 0.9] [--max-invented 0]

Each question carries what it means (level, specialty or abbreviation, job, training mode, place)
and what should happen (found, unknown specialty, no such diploma, unknown place, no data for
apprenticeship). The expected establishments are computed from the data with that meaning; the
assistant's answer is computed from the text alone, as the assistant reads it (the trained NLU for
the level, mode and place, then the specialty the request names).

Reported: the found rate (a question whose diploma exists gets at least one of the expected
establishments among its first five) and invented establishments (a question with no right
answer in the data that still gets a list).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from orientation import formations
from orientation.jobs import resolve_job
from orientation.paths import MODEL_PATH, PROJECT_ROOT
from orientation.places import Place, likeliest_place_text, resolve_place
from orientation.training import training_mode_asked

DEFAULT_SET = PROJECT_ROOT / "tests" / "formations_questions" / "questions.yml"
SHOWN = 5
NO_ANSWER = ("unknown_specialty", "no_such_diploma", "unknown_place", "no_data_apprenticeship")


def place_of(text: Optional[str]) -> Optional[Place]:
    if not text:
        return None
    resolution = resolve_place(text)
    if resolution.status == "found":
        return resolution.place
    if resolution.status == "ambiguous" and resolution.candidates:
        return resolution.candidates[0]
    return None


# What a label adds to its specialty that the offer does not list apart: an option, a course.
QUALIFIERS = re.compile(r"\s*(?:[,(]| option | parcours | mention ).*$")


def labelled_specialties(question: Dict[str, Any]) -> List[str]:
    """The specialty as labelled, most precise first: the abbreviation, the label, the label
    without its option or course ("SIO, option SLAM" -> "SIO"), since the offer lists no options."""
    named = [question.get("abbreviation"), question.get("specialty")]
    named += [QUALIFIERS.sub("", text) for text in named if text]
    return list(dict.fromkeys(text for text in named if text))


def expected_result(question: Dict[str, Any]) -> Optional[formations.SearchResult]:
    """The search the question's meaning asks for, from its labels."""
    place = place_of(question.get("place"))
    level, mode = question.get("level"), question.get("mode")
    result = None
    for specialty in labelled_specialties(question):
        result = formations.search(specialty, level, place, None, mode, limit=SHOWN)
        if not result.unknown_specialty:
            return result
    if result is not None:
        return result
    job = resolve_job(question["job"]) if question.get("job") else None
    sector = job.sectors[0] if job is not None and job.sectors else None
    return formations.search(None, level, place, sector, mode, limit=SHOWN)


def uais(result: Optional[formations.SearchResult]) -> List[str]:
    return [hit.establishment.uai for hit in (result.hits if result else ())]


async def parse_all(texts: List[str], model: Path) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    from bot import patches
    from cli.commands import silence_rasa_logging

    silence_rasa_logging()
    patches.install()
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def entity(parse: Dict[str, Any], name: str) -> Optional[str]:
    return next((str(e["value"]) for e in parse.get("entities", []) if e["entity"] == name), None)


def written_place(text: str, parse: Dict[str, Any]) -> Optional[str]:
    """The place words after "à", "vers"..., as the search form reads them when NLU found none."""
    from rasa_sdk import Tracker

    from actions.forms import written_place as form_written_place

    return form_written_place(Tracker("evaluation", {}, {**parse, "text": text}, [], False, None, {}, ""))


def widened_place(text: str, parse: Dict[str, Any], value: Optional[str]) -> Optional[str]:
    """ "fort de france" when NLU kept "france", as the search form widens it."""
    from rasa_sdk import Tracker

    from actions.forms import widened_place as form_widened_place

    return form_widened_place(value, Tracker("evaluation", {}, {**parse, "text": text}, [], False, None, {}, ""))


def entities(parse: Dict[str, Any], name: str) -> List[str]:
    return [str(e["value"]) for e in parse.get("entities", []) if e["entity"] == name]


def typed_texts(text: str, parse: Dict[str, Any], name: str) -> List[str]:
    """The values of an entity and the words typed for it, as the actions exclude them."""
    found = []
    for e in parse.get("entities", []):
        if e["entity"] == name:
            found += [str(e["value"]), text[e["start"] : e["end"]]]
    return found


def actual_result(text: str, parse: Dict[str, Any]) -> Tuple[Optional[formations.SearchResult], str]:
    """The search the assistant runs for the text, and why it runs none, with the rules of the
    search form and of the new search's reset (place among several, training mode, job)."""
    locations = entities(parse, "location")
    location = likeliest_place_text(locations) if len(locations) > 1 else entity(parse, "location")
    location = widened_place(text, parse, location) or entity(parse, "region")
    location = location or written_place(text, parse)
    if not location:
        return None, "asks_place"  # the search form asks where before any list
    place = place_of(location)
    if place is None:
        return None, "unknown_place"
    level = entity(parse, "level")
    mode = training_mode_asked(text, entities(parse, "training_mode"))
    mode = mode if mode in formations.MODES else None
    jobs = typed_texts(text, parse, "job") if level is None else []
    match = formations.find_specialty(text, level, exclude=[location] + jobs)
    sector = entity(parse, "sector")
    if match.status not in ("found", "unknown"):
        if not (sector and (match.level or jobs)):
            return None, "no_specialty"
        return formations.search(None, match.level, place, sector, mode, SHOWN), ""
    return formations.search(" ".join(match.words), match.level, place, None, mode, SHOWN), ""


def judge(question: Dict[str, Any], actual: Optional[formations.SearchResult], why: str) -> Tuple[bool, bool]:
    """(right, invented): invented is a list of schools where the data hold no right answer."""
    expect = question["expect"]
    listed = bool(actual and actual.hits)
    if expect in NO_ANSWER:
        if expect == "no_data_apprenticeship":
            return bool(actual and actual.no_data), listed and not (actual and actual.no_data)
        if expect == "unknown_place":
            return why == "unknown_place" or not listed, listed
        return not listed, listed
    expected = uais(expected_result(question))
    if not expected:  # the data hold none: the right answer lists none either
        return not listed, False
    return bool(set(expected) & set(uais(actual))), False


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli evaluate-formations", description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--min-found", type=float, default=0.0)
    parser.add_argument("--max-invented", type=int, default=10**6)
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args(argv)

    questions = yaml.safe_load(args.set.read_text(encoding="utf-8"))["questions"]
    parses = asyncio.run(parse_all([q["text"] for q in questions], args.model))
    found = right_found = invented = 0
    failures = []
    for question, parse in zip(questions, parses):
        actual, why = actual_result(question["text"], parse)
        right, made_up = judge(question, actual, why)
        invented += made_up
        if question["expect"] == "found":
            found += 1
            right_found += right
        if not right:
            failures.append((question["id"], question["text"], question["expect"], actual.status if actual else why))
    rate = right_found / max(1, found)
    print(f"Formation questions: {len(questions)}, diploma that exists: {found}")
    print(f"Found rate: {rate:.3f}  (min {args.min_found})")
    print(f"Invented establishments: {invented}  (max {args.max_invented})")
    if args.show_failures:
        for failure in failures:
            print("  ", " | ".join(str(part) for part in failure))
    return 1 if rate < args.min_found or invented > args.max_invented else 0


if __name__ == "__main__":
    sys.exit(main())
