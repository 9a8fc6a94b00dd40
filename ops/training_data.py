"""The NLU training and test examples as files on disk (data/nlu/, tests/nlu*/), and the intents
the domain knows: what `review-export` and `review-merge` check new examples against."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Set

import yaml

from orientation.domain import load_domain

# `[Brest](location)` or `[VAE]{"entity": ...}`: the annotated words are part of the phrasing.
# No part of an annotation reads past a "[": an unclosed bracket then costs one short scan, where
# "[[[[..." (a user's message in a review export) made every "[" read to the end of the text.
ANNOTATION = re.compile(r"\[([^\[\]]*)\](?:\([^)\[]*\)|\{[^}\[]*\})")
TEST_SET_FOLDERS = ("nlu", "nlu_students", "nlu_faq")
RETRIEVAL_RESPONSE_PREFIX = "utter_"


def normalised(text: str) -> str:
    """The phrasing as compared for duplicates: annotations removed, case, spacing, the final
    punctuation and the typographic apostrophe ignored (as tests/data/test_nlu_data.py compares them)."""
    return " ".join(ANNOTATION.sub(r"\1", text).casefold().replace("’", "'").split()).strip(" ?!.")


@dataclass(frozen=True)
class Example:
    intent: str
    text: str
    file: Path


def example_lines(block: str) -> Iterator[str]:
    for line in (block or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            yield line[2:].strip()


def examples_in(text: str, path: Path) -> Iterator[Example]:
    content = yaml.safe_load(text) or {}
    for item in content.get("nlu") or []:
        if isinstance(item, dict) and "intent" in item:
            for example in example_lines(item.get("examples") or ""):
                yield Example(str(item["intent"]), example, path)


def read_examples(path: Path) -> Iterator[Example]:
    return examples_in(path.read_text(encoding="utf-8"), path)


def yaml_files(folder: Path) -> List[Path]:
    return sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))


def training_files(data: Path) -> List[Path]:
    """The topic files of data/nlu/ (lookup tables hold no examples)."""
    return yaml_files(data / "nlu")


def test_set_files(tests: Path) -> List[Path]:
    return [path for folder in TEST_SET_FOLDERS for path in yaml_files(tests / folder)]


def examples_index(files: List[Path]) -> Dict[str, Example]:
    """Every example of `files` by its normalised phrasing."""
    return {normalised(example.text): example for path in files for example in read_examples(path)}


def domain_intents(domain: Path) -> Set[str]:
    """Intents a training example may carry: the domain's intents, and for retrieval intents
    (faq_vae) each of their answers (faq_vae/steps, from the utter_faq_vae/steps responses)."""
    intents: Set[str] = set()
    responses: Set[str] = set()
    content = load_domain(domain)
    for intent in content.get("intents") or []:
        intents.add(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    responses.update(content.get("responses") or {})
    answers = {
        name[len(RETRIEVAL_RESPONSE_PREFIX) :]
        for name in responses
        if name.startswith(RETRIEVAL_RESPONSE_PREFIX) and "/" in name
    }
    retrieval = {answer.split("/")[0] for answer in answers}
    return (intents - retrieval) | {answer for answer in answers if answer.split("/")[0] in intents}


def retrieval_answers(intents: Set[str], retrieval_intent: str) -> List[str]:
    return sorted(intent for intent in intents if intent.startswith(retrieval_intent + "/"))
