"""Training modes and diploma levels: their names and one-line summaries, from one table
(orientation/data/training.yml) that the catalogue, the search and the replies all read."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import yaml

from orientation.paths import DATA_DIR

TRAINING_PATH = DATA_DIR / "training.yml"
KINDS = ("training_modes", "levels")


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
