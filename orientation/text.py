"""Text folding shared by every index and comparison of the project (places, campuses, jobs,
activities, NLU lookup tables): one definition, so that what is stored and what is looked up agree.

`normalise` folds a whole name or phrase; `fold_word` folds one word of a job or activity, also
dropping the plural, so that "Vidéos" finds "vidéo"."""

from __future__ import annotations

import functools
import re
import unicodedata

LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_TOKEN_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "mt": "mont"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def strip_accents(text: str, ligatures: bool = True) -> str:
    """Without diacritics; ligatures spelled out in lower case ("œ" -> "oe") unless ligatures=False."""
    if ligatures:
        text = text.translate(LIGATURES)
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, "st" -> "saint": the form every index uses."""
    lowered = strip_accents(text.lower()).replace("s/", " sur ")
    tokens = _NON_ALNUM.sub(" ", lowered).split()
    return " ".join(_TOKEN_ABBREVIATIONS.get(token, token) for token in tokens)


@functools.lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """One word as the job and activity indexes store it: lower case, no accents, no final plural s/x."""
    folded = strip_accents(word.lower())
    return folded[:-1] if len(folded) > 3 and folded[-1] in "sx" and folded[-2] != "s" else folded


def has_a_word(text: str) -> bool:
    """Whether the text holds a letter or a digit: "🙂🙂", "???" name nothing and answer nothing."""
    return any(character.isalnum() for character in text)
