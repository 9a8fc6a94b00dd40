"""Training modes and diploma levels: their names and one-line summaries, from one table
(orientation/data/training.yml) that the catalogue, the search and the replies all read."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import yaml

from orientation.paths import DATA_DIR
from orientation.text import normalise

TRAINING_PATH = DATA_DIR / "training.yml"
KINDS = ("training_modes", "levels")
MAX_TEXT_CHARS = 1000  # a message is read this far for a training mode


@dataclass(frozen=True)
class Offer:
    key: str  # "apprenticeship", "bts"
    name: str  # "apprentissage", "BTS"
    with_article: str  # "l'apprentissage", "le BTS"
    summary: Optional[str] = None  # the domain's response explaining it, if any


@functools.lru_cache(maxsize=1)
def training_offers() -> Dict[str, Dict[str, Offer]]:
    """{"training_modes": {key: Offer}, "levels": {key: Offer}}, in the table's order."""
    raw = yaml.safe_load(TRAINING_PATH.read_text(encoding="utf-8")) or {}
    return {
        kind: {
            key: Offer(key, entry["name"], entry["with_article"], entry.get("summary"))
            for key, entry in (raw.get(kind) or {}).items()
        }
        for kind in KINDS
    }


def training_modes() -> Dict[str, Offer]:
    return training_offers()["training_modes"]


def levels() -> Dict[str, Offer]:
    return training_offers()["levels"]


def offer(key: str, table: Dict[str, Offer]) -> Offer:
    """The entry of `key`, or one that names the value as given when the table does not know it."""
    return table.get(key) or Offer(key, key, key)


def summaries() -> Tuple[str, ...]:
    """Every summary response the table names."""
    return tuple(entry.summary for table in training_offers().values() for entry in table.values() if entry.summary)


# "pas en alternance", "sans apprentissage": the school route is asked, whatever NLU tagged.
_NEGATED_APPRENTICESHIP = re.compile(
    r"\b(?:pas|plus|sans|non|ni)\s+(?:en\s+|d\s+|de\s+l\s+|par\s+)?(?:l\s+)?(?:alternance|apprentissage|contrat)\b"
)
APPRENTICESHIP = "apprenticeship"
INITIAL_TRAINING = "initial_training"


def training_mode_asked(text: str, tagged: Sequence[str]) -> Optional[str]:
    """The training mode a message asks for, from the modes NLU tagged in it: the school route
    when it turns apprenticeship down; apprenticeship when tagged with another mode ("reconversion
    ... en alternance": an adult in apprenticeship); else the first tagged."""
    if _NEGATED_APPRENTICESHIP.search(normalise(text[:MAX_TEXT_CHARS])):
        return INITIAL_TRAINING
    modes = [mode for mode in tagged if mode]
    if APPRENTICESHIP in modes:
        return APPRENTICESHIP
    return modes[0] if modes else None
