"""The trained model's NLU with our components (bot/nlu_components.py): FAQ answers are selected
for the topic the user asked about and only for it; entities and intents still come through with
spaCy's entity recogniser switched off.
"""
import asyncio

import pytest
from rasa.core.agent import Agent

from bot.processes import MODEL_PATH

FAQ_TOPICS = ["faq_apprenticeship", "faq_vae", "faq_continuing_education", "faq_mobility",
              "faq_cmq", "faq_studies"]


@pytest.fixture(scope="module")
def parse():
    if not MODEL_PATH.exists():
        pytest.fail("No trained model: run `make train` first.")
    agent = Agent.load(str(MODEL_PATH))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


def selections(parsed):
    selector = parsed.get("response_selector", {})
    return {topic: selector[topic]["response"]["intent_response_key"]
            for topic in FAQ_TOPICS if topic in selector}


@pytest.mark.parametrize("question, topic, answer_prefix", [
    ("C'est quoi la VAE ?", "faq_vae", "faq_vae/"),
    ("Comment partir en Erasmus+ pendant mon bac pro ?", "faq_mobility", "faq_mobility/"),
    ("À partir de quel âge peut-on être apprenti ?", "faq_apprenticeship", "faq_apprenticeship/"),
])
def test_a_faq_question_gets_an_answer_of_its_own_topic_only(parse, question, topic, answer_prefix):
    parsed = parse(question)
    assert parsed["intent"]["name"] == topic
    chosen = selections(parsed)
    assert list(chosen) == [topic]
    assert chosen[topic].startswith(answer_prefix)


@pytest.mark.parametrize("message", ["Bonjour", "Je cherche un campus dans le numérique près de Rennes",
                                     "et en Occitanie ?", "merci beaucoup"])
def test_other_messages_get_no_faq_selection(parse, message):
    parsed = parse(message)
    assert not parsed["intent"]["name"].startswith("faq_")
    assert selections(parsed) == {}


def test_places_and_sectors_are_still_found_without_spacy_entities(parse):
    parsed = parse("Je cherche un campus dans le numérique près de Rennes")
    assert parsed["intent"]["name"] == "search_campus"
    found = {(entity["entity"], entity["value"]) for entity in parsed["entities"]}
    assert ("sector", "digital_telecommunications") in found
    assert any(entity == "location" and value == "Rennes" for entity, value in found)
