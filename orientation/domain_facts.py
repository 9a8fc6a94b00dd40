"""Facts of the domain (domain.yml) that code needs, read from it rather than copied: the FAQ topics.

Read through orientation.domain: the action server, the tests and the tools all use it without Rasa.
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

from orientation.domain import load_domain
from orientation.paths import DOMAIN_PATH


def faq_topics(domain_path: Path = DOMAIN_PATH) -> Tuple[str, ...]:
    """The retrieval intents ("faq_vae"...), in the domain's order: those whose answers are the
    responses `utter_<intent>/<answer>`, each chosen by the response selector of its topic."""
    domain = load_domain(domain_path)
    intents = [intent if isinstance(intent, str) else next(iter(intent)) for intent in domain.get("intents") or []]
    answered = {
        name[len("utter_") :].split("/")[0]
        for name in domain.get("responses") or {}
        if name.startswith("utter_") and "/" in name
    }
    return tuple(intent for intent in intents if intent in answered)
