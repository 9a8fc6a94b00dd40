"""Facts of the domain (domain.yml) that code needs, read from it rather than copied: the FAQ topics.

Standard YAML reading only: the action server, the tests and the tools all use it without Rasa.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Tuple

import yaml

from bot.paths import DOMAIN_PATH


@functools.lru_cache(maxsize=4)
def faq_topics(domain_path: Path = DOMAIN_PATH) -> Tuple[str, ...]:
    """The retrieval intents ("faq_vae"...), in the domain's order: those whose answers are the
    responses `utter_<intent>/<answer>`, each chosen by the response selector of its topic."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    intents = [intent if isinstance(intent, str) else next(iter(intent)) for intent in domain.get("intents") or []]
    answered = {
        name[len("utter_") :].split("/")[0]
        for name in domain.get("responses") or {}
        if name.startswith("utter_") and "/" in name
    }
    return tuple(intent for intent in intents if intent in answered)
