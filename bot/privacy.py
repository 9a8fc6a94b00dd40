"""Masks the personal contact details users type, before NLU sees them and before they are stored.

Pure functions (no Rasa types): the chat channels call `mask_personal_data` on every message.
Postcodes, département numbers and years stay as they are: the assistant needs them to search.
"""

from __future__ import annotations

import re
from typing import List, Tuple

import phonenumbers

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[téléphone masqué]"

# Pragmatic e-mail shape (local@domain.tld); also catches "prenom.nom @ free.fr" typed with spaces.
EMAIL_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+\s?@\s?[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}", re.UNICODE)

# French numbers by default; "+44 ..." style numbers of any country are recognised too.
# POSSIBLE (length and shape) rather than VALID: masking a made-up number is better than keeping
# a real one that the metadata does not know yet.
DEFAULT_PHONE_REGION = "FR"


def _phone_spans(text: str) -> List[Tuple[int, int]]:
    matcher = phonenumbers.PhoneNumberMatcher(text, DEFAULT_PHONE_REGION, leniency=phonenumbers.Leniency.POSSIBLE)
    return [(match.start, match.end) for match in matcher]


def mask_emails(text: str) -> str:
    return EMAIL_PATTERN.sub(EMAIL_MASK, text)


def mask_phone_numbers(text: str) -> str:
    # Replace from the end so earlier offsets stay valid.
    for start, end in reversed(_phone_spans(text)):
        text = text[:start] + PHONE_MASK + text[end:]
    return text


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by a neutral marker."""
    if not text:
        return text
    # E-mails first: an address may contain digits that look like a phone number.
    return mask_phone_numbers(mask_emails(text))
