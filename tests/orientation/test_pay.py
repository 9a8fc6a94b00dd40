"""An apprentice's minimum pay by age: the row a student asks for, the same as the FAQ answer."""

import pytest

from orientation.pay import APPRENTICE_PAY_BANDS, age_in, apprentice_pay_at
from orientation.wording import responses


@pytest.mark.parametrize(
    "age, shares",
    [
        (15, (27, 39, 55)),
        (17, (27, 39, 55)),
        (18, (43, 51, 67)),
        (21, (53, 61, 78)),
        (25, (53, 61, 78)),
        (26, (100,) * 3),
    ],
)
def test_each_age_gets_the_shares_of_its_band(age, shares):
    assert apprentice_pay_at(age) == shares


def test_an_age_no_apprentice_has_gets_nothing():
    assert apprentice_pay_at(12) is None and apprentice_pay_at(140) is None


def test_the_age_is_read_from_how_people_say_it():
    assert age_in("et à 21 ans ?") == 21 and age_in("et moi jai 17ans") == 17 and age_in("et en 2e année ?") is None


def test_the_faq_pay_answer_gives_the_same_shares():
    answer = responses()["utter_faq_apprenticeship/pay"][0]["text"]
    for lowest, shares in APPRENTICE_PAY_BANDS:
        if shares[0] < 100:
            assert ", ".join(str(s) for s in shares) + " %" in answer, (lowest, shares)
