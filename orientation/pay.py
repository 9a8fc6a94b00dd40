"""An apprentice's minimum pay: a share of the SMIC by age and year of contract (Code du travail,
article D6222-26; https://www.service-public.fr/particuliers/vosdroits/F2918). The shares do not
change on 1 January; the SMIC they apply to does."""

from __future__ import annotations

import re
from typing import Optional, Tuple

# (lowest age of the band, shares of the SMIC in the 1st, 2nd and 3rd year of contract, in %)
APPRENTICE_PAY_BANDS: Tuple[Tuple[int, Tuple[int, int, int]], ...] = (
    (26, (100, 100, 100)),
    (21, (53, 61, 78)),
    (18, (43, 51, 67)),
    (0, (27, 39, 55)),
)
YOUNGEST_APPRENTICE = 15  # who has finished the 3e
AGE_SAID = re.compile(r"\b(\d{1,2})\s*ans\b")


def apprentice_pay_at(age: int) -> Optional[Tuple[int, int, int]]:
    """The shares of the SMIC an apprentice of `age` gets in each year of contract; None for an
    age no apprentice has."""
    if age < YOUNGEST_APPRENTICE or age > 99:
        return None
    return next(shares for lowest, shares in APPRENTICE_PAY_BANDS if age >= lowest)


def age_in(text: str) -> Optional[int]:
    """ "et à 21 ans ?" -> 21."""
    found = AGE_SAID.search(text or "")
    return int(found.group(1)) if found else None
