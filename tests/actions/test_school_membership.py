"""Whether a school the user names belongs to a campus, and which members of a campus are near
the user, as the user reads the answers."""

from actions.campus_actions import ActionCampusDetails, ActionSchoolMembership
from tests.actions.test_actions import make_tracker, run, texts


def ask(text, entities=None):
    messages, _ = run(
        ActionSchoolMembership(), make_tracker({}, text=text, intent="school_membership", entities=entities)
    )
    return messages


def test_a_member_school_names_its_campus_with_its_details_button():
    messages = ask("le lycée Félix Le Dantec de Lannion fait partie d'un campus ?")
    assert texts(messages).startswith(
        "Oui : Lycée Félix le Dantec (Lannion) est membre du campus Numérique et photonique"
    )
    assert messages[0]["buttons"][0]["payload"] == '/campus_details{"campus":"bretagne-numerique-photonique"}'


def test_a_member_joined_on_its_kind_and_town_is_found():
    assert "membre du campus Numérique et photonique" in texts(ask("l'IUT de Lannion est dans un CMQ ?"))


def test_a_school_in_no_campus_known_says_so_and_how_partial_the_lists_are():
    messages = ask("le lycée Vauban de Brest est membre d'un campus ?")
    reply = texts(messages)
    assert reply.startswith("Lycée polyvalent Vauban (Brest) n'est membre d'aucun campus que je connais")
    assert "campus sur" in reply
    assert messages[0]["buttons"] == [
        {"title": "Les campus près de Brest", "payload": '/search_campus{"location":"Brest"}'}
    ]


def test_several_schools_of_that_name_are_offered_as_buttons_that_answer():
    messages = ask("le lycée Vauban fait partie d'un campus ?")
    assert "Plusieurs établissements" in texts(messages)
    buttons = messages[0]["buttons"]
    assert len(buttons) >= 2 and any("(Brest)" in b["title"] for b in buttons)
    brest = next(b for b in buttons if "(Brest)" in b["title"])
    value = brest["payload"].split('"establishment":"')[1].rstrip('"}')
    chosen = ask(brest["payload"], [{"entity": "establishment", "value": value}])
    assert texts(chosen).startswith("Lycée polyvalent Vauban (Brest)")


def test_an_unknown_school_asks_for_its_name_and_town():
    assert "Donnez son nom et sa ville" in texts(ask("le lycée Poudlard est dans un campus ?"))
    assert "Donnez son nom et sa ville" in texts(ask("le lycée de Brest est dans un campus ?"))


def test_the_members_of_a_campus_nearest_a_place_named_come_first():
    entities = [
        {"entity": "campus", "value": "Numérique et photonique"},
        {"entity": "location", "value": "Brest"},
    ]
    text = "quels lycées du campus Numérique et photonique près de Brest ?"
    messages, _ = run(ActionCampusDetails(), make_tracker({}, text=text, intent="campus_details", entities=entities))
    first = messages[0]["text"]
    assert first.startswith(
        "Établissements membres du campus Numérique et photonique, du plus proche de Brest au plus loin"
    )
    assert "Lycée Félix Le Dantec (Lannion, " in first and " km)" in first


def test_a_campus_whose_members_are_unknown_says_so_when_asked_them():
    entities = [{"entity": "campus", "value": "Design et habitat"}]
    text = "quels établissements font partie du campus Design et habitat ?"
    messages, _ = run(ActionCampusDetails(), make_tracker({}, text=text, intent="campus_details", entities=entities))
    assert messages[0]["text"].startswith(
        "Mes sources ne nomment pas encore les établissements membres du campus Design et habitat"
    )
