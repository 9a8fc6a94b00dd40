"""A campus pointed at by the trade it trains for, when its name holds none of the user's words."""

from orientation.campus_themes import pointed_by_theme, theme_groups

NAMES = ["Nautisme", "Auto-mobilités", "Industries de la mer", "Agroéquipements", "Forêt-bois d'Aquitaine"]


def test_everyday_words_point_at_the_campus_of_their_trade():
    assert pointed_by_theme("celui sur les bateaux", NAMES) == [0]
    assert pointed_by_theme("et celui des voitures ?", NAMES) == [1]
    assert pointed_by_theme("celui avec les Tracteurs", NAMES) == [3]
    assert pointed_by_theme("celui du bois", NAMES) == [4]


def test_a_word_of_no_trade_points_at_none():
    assert pointed_by_theme("le premier", NAMES) == []
    assert pointed_by_theme("celui-là il est où ?", NAMES) == []


def test_a_phrase_of_several_words_is_read_whole():
    assert pointed_by_theme("celui des machines agricoles", NAMES) == [3]


def test_no_word_belongs_to_two_trades():
    seen = {}
    for index, group in enumerate(theme_groups()):
        for phrase in group:
            assert seen.setdefault(phrase, index) == index, f"{phrase} is in two groups"
