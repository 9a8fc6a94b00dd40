"""The test sets measure phrasings the assistant was not trained on: none of them is in data/nlu,
neither the messages of the NLU sets nor the user turns of the multi-turn set (tests/multiturn/) and
the formation questions (tests/formations_questions/).

Phrasings of one or two words ("oui", "bac pro") are left out of the comparison: there are too few
ways to say them for a test set and the training data to keep apart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from orientation.paths import TESTS_DIR, TRAINING_DATA_DIR

ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")
MIN_WORDS = 3
TEST_SETS = [
    path for folder in ("nlu", "nlu_students", "nlu_faq") for path in sorted((TESTS_DIR / folder).glob("*.yml"))
]


MESSAGE_SETS = {
    TESTS_DIR / "multiturn" / "conversations.yml": lambda data: (
        turn["user"] for conversation in data["conversations"] for turn in conversation["turns"]
    ),
    TESTS_DIR / "formations_questions" / "questions.yml": lambda data: (item["text"] for item in data["questions"]),
}


def plain(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split()).strip(" ?!.")


def phrasings(path: Path) -> Iterator[str]:
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "intent" not in block:  # synonyms and lookup tables are values, not phrasings
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield plain(ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:]))


@pytest.fixture(scope="module")
def training() -> set:
    return {text for path in (TRAINING_DATA_DIR / "nlu").glob("*.yml") for text in phrasings(path)}


@pytest.mark.parametrize("test_set", TEST_SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_test_phrasing_is_used_for_training(test_set: Path, training: set) -> None:
    tested = list(phrasings(test_set))
    assert tested, f"{test_set} holds no phrasing"
    seen = [text for text in tested if len(text.split()) >= MIN_WORDS and text in training]
    assert not seen, f"also in the training data: {seen}"


@pytest.mark.parametrize("test_set", sorted(MESSAGE_SETS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_message_of_the_conversation_and_formation_sets_is_used_for_training(test_set: Path, training: set) -> None:
    messages = [plain(text) for text in MESSAGE_SETS[test_set](yaml.safe_load(test_set.read_text(encoding="utf-8")))]
    assert len(messages) >= 150, f"{test_set} holds {len(messages)} messages"
    seen = [text for text in messages if len(text.split()) >= MIN_WORDS and text in training]
    assert not seen, f"also in the training data: {seen}"


def test_the_independent_set_covers_students_own_words() -> None:
    """At least 300 phrasings, English among them, kept apart from the style-matched set."""
    tested = list(phrasings(TESTS_DIR / "nlu_students" / "students.yml"))
    intents = {
        block["intent"]
        for block in yaml.safe_load((TESTS_DIR / "nlu_students" / "students.yml").read_text(encoding="utf-8"))["nlu"]
    }
    assert len(tested) >= 300
    assert {"english", "search_campus", "ask_sector"} <= intents
