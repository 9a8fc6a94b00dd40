"""The FAQ topics read from domain.yml are the retrieval intents Rasa finds in that domain."""

from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER

from orientation.domain_facts import faq_topics
from orientation.paths import DOMAIN_PATH


def test_the_faq_topics_are_the_domains_retrieval_intents():
    domain = Domain.load(str(DOMAIN_PATH))
    retrieval = {
        intent
        for intent in domain.intents
        if any(name.startswith(f"{UTTER_PREFIX}{intent}{RESPONSE_IDENTIFIER_DELIMITER}") for name in domain.responses)
    }
    assert set(faq_topics()) == retrieval
    assert all(topic.startswith("faq_") for topic in faq_topics())
