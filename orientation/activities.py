"""Everyday activities ("réparer des motos", "isoler des bâtiments") -> the CMQ sector they belong to.

Data in orientation/data/activities.yml, reviewed by hand. Pure Python: read by the NLU pipeline
(bot/nlu_components.py), which adds a `sector` entity when the trained model found none.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import yaml

from orientation.paths import DATA_DIR
from orientation.text import fold_word

ACTIVITIES_PATH = DATA_DIR / "activities.yml"
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ActivityMatch:
    sector: str
    start: int  # character span in the text as typed
    end: int
    text: str


def phrase_key(phrase: str) -> Tuple[str, ...]:
    return tuple(fold_word(word) for word in WORD.findall(phrase))


@functools.lru_cache(maxsize=1)
def activity_index() -> Dict[Tuple[str, ...], str]:
    """Phrase (as word keys) -> sector; the longest phrases are tried first when matching."""
    raw = yaml.safe_load(ACTIVITIES_PATH.read_text(encoding="utf-8")) or {}
    return {phrase_key(str(phrase)): sector for sector, phrases in raw.items() for phrase in phrases or ()}


@functools.lru_cache(maxsize=1)
def longest_phrase() -> int:
    return max(len(key) for key in activity_index())


def find_activities(text: str) -> List[ActivityMatch]:
    """The activities named in a sentence, in reading order, the longest phrase winning."""
    words = [(m.start(), m.end(), fold_word(m.group())) for m in WORD.finditer(text)]
    index, matches, position = activity_index(), [], 0
    while position < len(words):
        for length in range(min(longest_phrase(), len(words) - position), 0, -1):
            key = tuple(w[2] for w in words[position : position + length])
            if key in index:
                start, end = words[position][0], words[position + length - 1][1]
                matches.append(ActivityMatch(index[key], start, end, text[start:end]))
                position += length
                break
        else:
            position += 1
    return matches


def resolve_activity(name: str) -> Optional[str]:
    """The sector of an activity named alone ("les jeux vidéo"), None when none is known."""
    matches = find_activities(name)
    return matches[0].sector if matches else None
