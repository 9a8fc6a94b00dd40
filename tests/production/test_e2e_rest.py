"""Both servers started for real; a short conversation over the REST channel."""

from __future__ import annotations

import uuid

import pytest

from devtools.processes import running_assistant


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, trained_model):
    with running_assistant(tmp_path_factory.mktemp("e2e"), model=trained_model) as running:
        yield running


def joined(replies) -> str:
    return "\n".join((r.get("text") or "") for r in replies)


def test_a_short_conversation_over_rest(assistant):
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    greeting = assistant.say(user, "Bonjour")
    assert "Bonjour" in joined(greeting)
    assert any(r.get("buttons") for r in greeting)

    asked = assistant.say(user, "je cherche un campus dans le numérique")
    assert "Où cherchez-vous" in joined(asked)

    results = assistant.say(user, "en Bretagne")
    assert "campus" in joined(results).lower()
    assert "photonique" in joined(results).lower()

    refined = assistant.say(user, "et en Occitanie ?")
    assert "Occitanie" in joined(refined)

    faq = assistant.say(user, "c'est quoi la VAE ?")
    assert "http" in joined(faq)

    bye = assistant.say(user, "merci, au revoir")
    assert bye


def test_an_faq_button_that_starts_a_search_keeps_its_payload(assistant):
    """Rasa fills {placeholders} in responses: the JSON of this payload must reach the user intact."""
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = assistant.say(user, "Comment partir avec Erasmus+ ?")
    payloads = [button["payload"] for reply in replies for button in reply.get("buttons") or []]
    assert '/search_campus{"feature": "mobility"}' in payloads

    # The search starts with mobility as a criterion and asks for what is missing.
    asked = assistant.say(user, '/search_campus{"feature": "mobility"}')
    assert "Quel secteur" in joined(asked)


# --- students' own words, over the REST channel ----------------------------------------------


def new_user() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def payloads(replies) -> list:
    return [button["payload"] for reply in replies for button in reply.get("buttons") or []]


def test_a_job_leads_to_its_sector_then_to_campuses(assistant):
    user = new_user()
    asked = assistant.say(user, "plus tard je voudrais être plâtrier")
    assert "« Plâtrier » → secteur « Infrastructures, bâtiment, éco-construction »" in joined(asked)
    assert "Où cherchez-vous" in joined(asked)
    results = assistant.say(user, "en Occitanie")
    assert "J'ai trouvé" in joined(results) and "Infrastructures, bâtiment" in joined(results)


def test_a_job_taught_outside_the_campuses_gets_an_honest_answer(assistant):
    user = new_user()
    replies = joined(assistant.say(user, "ma fille veut devenir infirmière"))
    assert "en dehors des campus des métiers" in replies and "Parcoursup" in replies
    assert "onisep.fr" in replies
    assert "CPF" not in replies  # never a continuing-education answer


def test_a_place_alone_lists_its_campuses_and_offers_sectors_as_filters(assistant):
    user = new_user()
    replies = assistant.say(user, "des campus vers Rennes ?")
    assert "Quel secteur" not in joined(replies)
    assert "près de Rennes" in joined(replies)
    filters = [p for p in payloads(replies) if p.startswith('/inform{"sector"')]
    assert filters, payloads(replies)
    narrowed = assistant.say(user, filters[0])
    assert "J'ai trouvé" in joined(narrowed) or "Aucun campus" in joined(narrowed)


def test_a_parents_long_question_gets_the_mode_the_diploma_and_campuses(assistant):
    user = new_user()
    replies = joined(
        assistant.say(
            user,
            "Bonjour, notre garçon est en troisième et aimerait préparer un CAP de coiffure par "
            "apprentissage du côté de Nantes, est-ce que c'est faisable ?",
        )
    )
    assert "En apprentissage" in replies and "Le CAP" in replies
    assert "campus" in replies.lower()


def test_a_message_in_english_gets_an_english_reply(assistant):
    replies = joined(assistant.say(new_user(), "Hello, can somebody help me in English? I'm an exchange student"))
    assert "answers in French" in replies and "Campus France" in replies
