"""Everyday words that point at a campus by what it trains for ("celui sur les bateaux" ->
Nautisme), when its name holds none of the user's words.

Data in orientation/data/campus_themes.yml: groups of words that mean the same trade, the words
a user says beside those of campus names.
"""

from __future__ import annotations

import functools
from typing import Dict, FrozenSet, Iterable, List, Sequence, Tuple

import yaml

from orientation.activities import phrase_key as _words
from orientation.paths import DATA_DIR

THEMES_PATH = DATA_DIR / "campus_themes.yml"


@functools.lru_cache(maxsize=1)
def theme_groups() -> Tuple[FrozenSet[Tuple[str, ...]], ...]:
    """Each group as a set of phrases, each phrase as its folded words."""
    raw = yaml.safe_load(THEMES_PATH.read_text(encoding="utf-8")) or []
    return tuple(frozenset(_words(str(phrase)) for phrase in group) for group in raw)


@functools.lru_cache(maxsize=1)
def _group_of_phrase() -> Dict[Tuple[str, ...], int]:
    return {phrase: index for index, group in enumerate(theme_groups()) for phrase in group}


def _phrases_in(words: Sequence[str]) -> Iterable[Tuple[str, ...]]:
    for start in range(len(words)):
        for length in (1, 2, 3):
            if start + length <= len(words):
                yield tuple(words[start : start + length])


def themes_of(text: str) -> FrozenSet[int]:
    """The theme groups a text names (by index)."""
    groups = _group_of_phrase()
    return frozenset(groups[p] for p in _phrases_in(_words(text)) if p in groups)


def pointed_by_theme(text: str, names: Sequence[str]) -> List[int]:
    """The positions in `names` of the campus names sharing a theme with `text`."""
    asked = themes_of(text)
    if not asked:
        return []
    return [i for i, name in enumerate(names) if asked & themes_of(name)]
