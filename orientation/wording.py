"""The assistant's words, all kept in domain.yml so that a counsellor proofreads them in one place.

A sentence is said with `dispatcher.utter_message(response="text_...", variable=value)`: Rasa
fills it in. Computed content (campus cards and details, sector pages, the counsellor's contact,
button titles next to computed payloads) is put together here from the same file's lines.
"""

from __future__ import annotations

from typing import Any

from orientation.domain import responses

__all__ = ["fill", "responses"]


def fill(response: str, /, **values: Any) -> str:
    """The text of a response, its {variables} replaced by `values` (which may hold `name`)."""
    return responses()[response][0]["text"].format(**values)


# Read when the action server or the channels load, so that a missing domain.yml shows at once.
responses()
