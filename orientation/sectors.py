"""The 12 sectors of the campuses: labels, short descriptions, example jobs and diplomas.

Data in orientation/data/sectors.yml, read once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import yaml

from orientation.paths import DATA_DIR

SECTORS_PATH = DATA_DIR / "sectors.yml"
GENERAL_CMQ_URL = "https://www.education.gouv.fr/les-campus-des-metiers-et-des-qualifications-5075"


@dataclass(frozen=True)
class Sector:
    key: str
    label: str
    summary: str
    jobs: Tuple[str, ...]
    diplomas: Tuple[str, ...]
    url: str


@functools.lru_cache(maxsize=1)
def load_sectors() -> Dict[str, Sector]:
    raw = yaml.safe_load(SECTORS_PATH.read_text(encoding="utf-8")) or {}
    entries = raw.get("sectors", raw)
    return {
        key: Sector(
            key=key,
            label=entry["label"],
            summary=str(entry.get("summary", "")).strip(),
            jobs=tuple(entry.get("jobs") or ()),
            diplomas=tuple(entry.get("diplomas") or ()),
            url=entry.get("url") or GENERAL_CMQ_URL,
        )
        for key, entry in entries.items()
    }


def get_sector(key: Optional[str]) -> Optional[Sector]:
    if not key:
        return None
    return load_sectors().get(key)


def sector_label(key: Optional[str]) -> str:
    sector = get_sector(key)
    return sector.label if sector else (key or "")
