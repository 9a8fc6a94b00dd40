"""The one reader of the Rasa domain (domain.yml, or a folder of domain files as Rasa allows):
standard YAML only, so that the action server, the tools and the tests read it without Rasa.

Read once per content: the cache is keyed by the files' sizes and modification times, so that a
tool that rewrites a domain file reads it again."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from orientation.paths import DOMAIN_PATH


def domain_files(domain: Path) -> List[Path]:
    return sorted(domain.rglob("*.yml")) if domain.is_dir() else [domain]


def load_domain(domain: Path = DOMAIN_PATH) -> Dict[str, Any]:
    """The domain's keys, its files merged: lists (intents...) joined, mappings (responses...) united.
    Shared between callers: read it, do not change it."""
    files = domain_files(domain)
    return _load(tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files))


@functools.lru_cache(maxsize=8)
def _load(files: Tuple[Tuple[str, int, int], ...]) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for path, _mtime, _size in files:
        content = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for key, value in content.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return merged


def responses(domain: Path = DOMAIN_PATH) -> Dict[str, List[Dict[str, Any]]]:
    """Response name -> its variants."""
    return load_domain(domain).get("responses") or {}
