"""The domain's responses, with a warning on an FAQ answer whose rule may have changed.

An FAQ answer may rest on a rule known to hold only until a date (`valid_until` in the content
register, content/answers.yml): an aid for contracts signed before 1 January, a yearly amount.
Past that date, until a counsellor reviews it, the assistant still gives the answer but adds one
line saying when the rule may have changed and where to check it, instead of serving it silently.

Rasa's own generator (TemplatedNaturalLanguageGenerator) does the rest. Configured in the
endpoints files: `nlg: type: bot.nlg.DatedAnswersGenerator` (an optional `register:` path).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Text

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from orientation.paths import CONTENT_REGISTER

logger = logging.getLogger(__name__)

REGISTER_PATH = CONTENT_REGISTER
ANSWER_PREFIX = "utter_faq_"
READ_MORE = "En savoir plus : "
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
STALE_LINE = "Cette règle a pu changer le {day} : vérifiez sur {url}"


@dataclass(frozen=True)
class Validity:
    valid_until: dt.date
    official_page: str


def french_date(day: dt.date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def read_validity(register: Path) -> Dict[str, Validity]:
    """Answer key (`faq_vae/steps`) -> its `valid_until` and first source, for dated answers only.
    An unreadable register gives no warnings (the content check reports it) rather than no answers."""
    try:
        content = yaml.safe_load(register.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        logger.error("Content register unreadable (%s): no answer is marked as possibly out of date.", error)
        return {}
    dated: Dict[str, Validity] = {}
    for key, entry in (content.get("answers") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("valid_until"), dt.date):
            continue
        sources = entry.get("sources") or []
        first = sources[0] if sources else {}
        url = first.get("url") if isinstance(first, dict) else first
        dated[str(key)] = Validity(entry["valid_until"], str(url or ""))
    return dated


def stale_line(text: str, validity: Validity) -> str:
    """The warning for an answer past its date; the official page is the one the answer shows."""
    shown = [line[len(READ_MORE) :].strip() for line in text.splitlines() if line.startswith(READ_MORE)]
    url = shown[0] if shown else validity.official_page
    return STALE_LINE.format(day=french_date(validity.valid_until + dt.timedelta(days=1)), url=url)


class DatedAnswersGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's generator from the domain's responses, plus the warning on out-of-date FAQ answers."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None, **_: Any) -> None:
        super().__init__(domain.responses if domain is not None else {})
        kwargs = getattr(endpoint_config, "kwargs", None) or {}
        self.register = Path(kwargs.get("register") or REGISTER_PATH)
        self._validity: Dict[str, Validity] = {}
        self._read_at: Optional[float] = None

    def validity(self) -> Dict[str, Validity]:
        """Read again when a counsellor changed the register, without a restart."""
        try:
            changed = self.register.stat().st_mtime
        except OSError:
            changed = None
        if changed != self._read_at:
            self._validity, self._read_at = read_validity(self.register), changed
        return self._validity

    async def generate(
        self, utter_action: Text, tracker: Any, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if not response or not utter_action.startswith(ANSWER_PREFIX) or not response.get("text"):
            return response
        validity = self.validity().get(utter_action[len("utter_") :])
        if validity and validity.valid_until < dt.date.today():
            response = {**response, "text": f"{response['text']}\n{stale_line(response['text'], validity)}"}
        return response
