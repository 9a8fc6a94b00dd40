"""FAQ answers as users read them: every question the assistant learns has an answer, every
answer ends with an official link, and the NLU test sets stay unseen. Sources, dates and length
are checked by the content check (tests/ops/test_content_check.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set

import pytest
import yaml

from orientation.domain_facts import faq_topics
from orientation.paths import DOMAIN_PATH, TESTS_DIR, TRAINING_DATA_DIR

DOMAIN = yaml.safe_load((DOMAIN_PATH).read_text(encoding="utf-8"))
TOPICS = sorted(intent[len("faq_") :] for intent in faq_topics())
ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")
OFFICIAL_LINK = re.compile(r"^En savoir plus : https://\S+$")


def nlu_examples(path: Path) -> Dict[str, List[str]]:
    """Sub-intent -> plain example texts (entity annotations removed)."""
    if not path.exists():
        return {}
    examples: Dict[str, List[str]] = {}
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "/" not in block.get("intent", ""):
            continue
        sub_intent = block["intent"].split("/", 1)[1]
        for line in block["examples"].splitlines():
            text = line.strip()[2:] if line.strip().startswith("- ") else ""
            if text:
                plain = ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)
                examples.setdefault(sub_intent, []).append(plain)
    return examples


def normalise(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split()).strip(" ?!.")


def responses(topic: str) -> Dict[str, dict]:
    prefix = f"utter_faq_{topic}/"
    return {
        name[len(prefix) :]: variants[0] for name, variants in DOMAIN["responses"].items() if name.startswith(prefix)
    }


def training_stem(topic: str) -> Path:
    return TRAINING_DATA_DIR / "nlu" / f"{topic}.yml"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_learnt_question_has_an_answer_and_every_answer_is_reachable(topic: str) -> None:
    learnt: Set[str] = set(nlu_examples(training_stem(topic)))
    answered: Set[str] = set(responses(topic))
    assert learnt, f"no training data for faq_{topic}"
    assert learnt == answered, f"without answer: {learnt - answered}; never asked: {answered - learnt}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_answer_ends_with_an_official_link(topic: str) -> None:
    for sub_intent, response in responses(topic).items():
        last_line = response["text"].strip().splitlines()[-1]
        assert OFFICIAL_LINK.match(last_line), f"faq_{topic}/{sub_intent}: {last_line!r}"


@pytest.mark.parametrize("topic", TOPICS)
def test_nlu_test_set_covers_every_sub_intent_with_unseen_phrasings(topic: str) -> None:
    test_set = nlu_examples(TESTS_DIR / "nlu" / f"faq_{topic}.yml")
    training = {normalise(t) for texts in nlu_examples(training_stem(topic)).values() for t in texts}
    assert set(test_set) == set(responses(topic)), "every sub-intent needs test phrasings"
    seen = [t for texts in test_set.values() for t in texts if normalise(t) in training]
    assert not seen, f"test phrasings also used for training: {seen}"
