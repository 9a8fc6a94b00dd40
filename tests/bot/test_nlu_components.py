"""The trained model's NLU with our components (bot/nlu_components.py): FAQ answers are selected
for the topic the user asked about and only for it; entities and intents still come through with
spaCy's entity recogniser switched off.
"""

import asyncio

import pytest
from rasa.core.agent import Agent

from orientation.domain_facts import faq_topics

FAQ_TOPICS = faq_topics()


@pytest.fixture(scope="module")
def parse(trained_model):
    agent = Agent.load(str(trained_model))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


def selections(parsed):
    selector = parsed.get("response_selector", {})
    return {topic: selector[topic]["response"]["intent_response_key"] for topic in FAQ_TOPICS if topic in selector}


@pytest.mark.parametrize(
    "question, topic, answer_prefix",
    [
        ("C'est quoi la VAE ?", "faq_vae", "faq_vae/"),
        ("Comment partir en Erasmus+ pendant mon bac pro ?", "faq_mobility", "faq_mobility/"),
        ("À partir de quel âge peut-on être apprenti ?", "faq_apprenticeship", "faq_apprenticeship/"),
    ],
)
def test_a_faq_question_gets_an_answer_of_its_own_topic_only(parse, question, topic, answer_prefix):
    parsed = parse(question)
    assert parsed["intent"]["name"] == topic
    chosen = selections(parsed)
    assert list(chosen) == [topic]
    assert chosen[topic].startswith(answer_prefix)


@pytest.mark.parametrize(
    "message",
    ["Bonjour", "Je cherche un campus dans le numérique près de Rennes", "et en Occitanie ?", "merci beaucoup"],
)
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


# --- students' own words ----------------------------------------------------------------------


def entity_values(parsed, kind):
    return [e.get("value") for e in parsed.get("entities", []) if e["entity"] == kind]


@pytest.mark.parametrize(
    "typed, plain",
    [
        ("je veux faire un C.A.P cuisine", "je veux faire un CAP cuisine"),
        ("un B.T.S. en alternance", "un BTS en alternance"),
        ("le C.P.F et la V.A.E", "le CPF et la VAE"),
        ("c a p coiffure", "CAP coiffure"),
        ("un bac + 2 ou un bac +3", "un bac+2 ou un bac+3"),
        ("faut payer 100 balles en plus ?", "faut payer 100 euros en plus ?"),
        ("il fait des balles de tennis", "il fait des balles de tennis"),
        ("M. Dupont a un CAP", "M. Dupont a un CAP"),
    ],
)
def test_abbreviations_with_dots_or_spaces_are_written_plainly(typed, plain):
    from bot.nlu_components import respell

    assert respell(typed, frozenset({"CAP", "BTS"}))[0] == plain


def test_respelling_keeps_annotated_entities_on_their_words():
    from bot.nlu_components import moved, respell

    text = "un C.A.P en alternance"
    respelt, spans = respell(text, frozenset())
    start, end = moved(3, spans), moved(8, spans)
    assert respelt[start:end] == "CAP"
    assert respelt[moved(12, spans) : moved(22, spans)] == "alternance"


@pytest.mark.parametrize(
    "dotted, plain",
    [
        ("je cherche un C.A.P boulangerie", "je cherche un CAP boulangerie"),
        ("c'est quoi le C.P.F ?", "c'est quoi le CPF ?"),
        ("un B.T.S en alternance", "un BTS en alternance"),
    ],
)
def test_dotted_abbreviations_are_understood_like_the_plain_forms(parse, dotted, plain):
    got, expected = parse(dotted), parse(plain)
    assert got["intent"]["name"] == expected["intent"]["name"]
    assert sorted(e["entity"] for e in got["entities"]) == sorted(e["entity"] for e in expected["entities"])


@pytest.mark.parametrize(
    "message, sector",
    [
        ("je veux devenir fleuriste", None),
        ("plâtrier ça me plairait", "infrastructure_building_eco_construction"),
        ("devenir infographiste", "creation_design_audiovisual"),
        ("je voudrais etre boulangere", "food_agrifood"),
        ("réparer des motos", "mobility_aeronautics_transport"),
        ("fabriquer des médicaments", "chemistry_biotechnology"),
        ("isoler des bâtiments", "infrastructure_building_eco_construction"),
        ("les jeux video", "creation_design_audiovisual"),
    ],
)
def test_jobs_and_activities_give_their_sector(parse, message, sector):
    from orientation.jobs import resolve_job

    parsed = parse(message)
    expected = sector or resolve_job("fleuriste").sectors[0]
    assert expected in entity_values(parsed, "sector")


@pytest.mark.parametrize(
    "message, sector",
    [
        ("je veux devenir technicien de maintenance éolienne", "energy_transition_eco_industry"),
        ("technicienne de maintenance avion, où se former ?", "mobility_aeronautics_transport"),
    ],
)
def test_a_job_of_several_sectors_takes_the_one_the_message_names(parse, message, sector):
    assert entity_values(parse(message), "sector") == [sector]


def test_the_job_sought_gives_the_sector_not_the_job_held(parse):
    parsed = parse("je suis secrétaire et je voudrais devenir plombière")
    assert entity_values(parsed, "sector")[0] == "infrastructure_building_eco_construction"
    assert entity_values(parsed, "job") == ["Plombier"]


def test_a_level_inside_a_job_title_does_not_hide_the_job(parse):
    parsed = parse("ingénieur du son, ça consiste en quoi ?")
    assert "creation_design_audiovisual" in entity_values(parsed, "sector")


def test_a_job_is_named_as_the_job_repository_writes_it(parse):
    parsed = parse("je veux devenir infirmière")
    assert entity_values(parsed, "job") and "nfirmi" in entity_values(parsed, "job")[0]
    assert not parsed["intent"]["name"].startswith("faq_continuing")


def test_a_message_in_english_is_recognised(parse):
    assert parse("Hi, is there anyone who can answer me in English?")["intent"]["name"] == "english"


# --- lighter components -------------------------------------------------------------------------


def test_the_faq_answer_comes_with_rasas_selection_fields(parse):
    selection = parse("Combien de temps dure une VAE ?")["response_selector"]["faq_vae"]
    answer = selection["response"]
    assert answer["intent_response_key"].startswith("faq_vae/")
    assert answer["utter_action"] == f"utter_{answer['intent_response_key']}"
    confidences = [entry["confidence"] for entry in selection["ranking"]]
    assert confidences == sorted(confidences, reverse=True) and 0 < answer["confidence"] == confidences[0] <= 1
    assert selection["ranking"][0]["intent_response_key"] == answer["intent_response_key"]


def test_a_follow_up_gets_each_topics_likeliest_answer(parse):
    """ "et c'est payant ?" names no topic: every topic gives its answer, for the dialogue to take
    the one of the topic being talked about (each with the answer a question of that topic gets)."""
    parsed = parse("et c'est payant ?")
    chosen = selections(parsed)
    assert set(chosen) == set(FAQ_TOPICS)
    assert all(answer.startswith(f"{topic}/") for topic, answer in chosen.items())
    asked = parse("La VAE c'est payant ?")
    assert asked["intent"]["name"] == "faq_vae"
    assert selections(asked)["faq_vae"] == chosen["faq_vae"] == "faq_vae/funding"


def test_weights_stored_column_major_give_the_same_probabilities():
    import numpy
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    from bot.nlu_components import with_fast_scores

    rng = numpy.random.default_rng(3)
    features = scipy.sparse.random(60, 500, density=0.05, format="csr", random_state=4)
    labels = rng.integers(0, 4, 60)
    classifier = LogisticRegression(max_iter=500).fit(features, labels)
    before = classifier.predict_proba(features)
    fast = with_fast_scores(classifier)
    assert fast.coef_.T.flags["C_CONTIGUOUS"]
    assert numpy.array_equal(fast.predict_proba(features), before)
    assert with_fast_scores(LogisticRegression()) is not None  # an untrained one is left as it is


def test_spacy_is_loaded_once_with_only_the_pipes_asked_for():
    from bot.nlu_components import FrenchSpacyNLP

    first = FrenchSpacyNLP.load_pipes("fr_core_news_md", ())
    assert FrenchSpacyNLP.load_pipes("fr_core_news_md", ()) is first
    assert first.model.pipe_names == []
    assert first.model("informatique").vector.any()  # the word vectors the features read


def test_sentence_features_are_each_featurizers_block_of_unit_length_side_by_side():
    import numpy
    import scipy.sparse
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.preprocessing import normalize

    from bot.nlu_components import sentence_features

    def message(seed):
        rng = numpy.random.default_rng(seed)
        features = [
            Features(scipy.sparse.coo_matrix(rng.random((3, 5))), FEATURE_TYPE_SEQUENCE, TEXT, "words"),
            Features(scipy.sparse.coo_matrix(rng.integers(0, 3, (1, 7))), FEATURE_TYPE_SENTENCE, TEXT, "words"),
            Features(scipy.sparse.coo_matrix(rng.integers(0, 2, (1, 4))), FEATURE_TYPE_SENTENCE, TEXT, "patterns"),
            Features(rng.random((1, 6)).astype(numpy.float32), FEATURE_TYPE_SENTENCE, TEXT, "spacy"),
        ]
        return Message(data={TEXT: f"message {seed}"}, features=features)

    def each_block_scaled(one):  # each featurizer's sentence block scaled apart, sparse ones first
        _, sparse = one.get_sparse_features(TEXT)
        _, dense = one.get_dense_features(TEXT)
        words, patterns = sparse.features.tocsr()[:, :7], sparse.features.tocsr()[:, 7:]
        return scipy.sparse.hstack(
            [normalize(words), normalize(patterns), normalize(scipy.sparse.csr_matrix(dense.features))], format="csr"
        )

    messages = [message(seed) for seed in range(4)]
    combined = sentence_features(messages)
    assert combined.shape == (4, 7 + 4 + 6)
    for row, one in enumerate(messages):
        assert numpy.allclose(combined[row].toarray(), each_block_scaled(one).toarray(), atol=1e-6)


# --- students' words, as the trained model hands them over ---------------------------------------


@pytest.fixture(scope="module")
def job_and_activity_extractor():
    from bot.nlu_components import JobAndActivityExtractor

    return JobAndActivityExtractor()


def entities_after(extractor, text, model_entities):
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message

    found = extractor.entities_of(Message({TEXT: text, ENTITIES: model_entities}))
    return {(entity["entity"], entity["value"]) for entity in found}


def test_a_sector_word_the_model_took_for_a_town_is_a_sector(job_and_activity_extractor):
    # "macon" is a synonym of the building sector and the spelling of a town without its accent.
    building = "infrastructure_building_eco_construction"
    taken_for_a_town = [{"entity": "location", "value": building, "start": 0, "end": 5}]
    assert ("sector", building) in entities_after(job_and_activity_extractor, "macon en alternance", taken_for_a_town)
    near_the_town = [{"entity": "location", "value": building, "start": 12, "end": 17, "confidence_entity": 0.99}]
    assert entities_after(job_and_activity_extractor, "campus vers macon", near_the_town) == {("location", "macon")}


def test_a_word_of_a_job_title_the_model_could_not_name_does_not_hide_the_job(job_and_activity_extractor):
    unnamed = [{"entity": "sector", "value": "industriel", "start": 12, "end": 22}]
    found = entities_after(job_and_activity_extractor, "dessinateur industriel bts", unnamed)
    assert ("job", "Dessinateur industriel") in found
    assert ("sector", "innovative_systems_mechatronics") in found
    assert ("sector", "industriel") not in found


def test_the_marker_of_masked_data_is_never_a_search_term(job_and_activity_extractor):
    from bot.privacy import mask_personal_data

    text = mask_personal_data("je cherche un bts, mon mail est lea.moreau@gmail.com")
    start = text.index("masqué]")
    misread = [{"entity": "sector", "value": "masqué]", "start": start, "end": start + len("masqué]")}]
    assert entities_after(job_and_activity_extractor, text, misread) == set()


def faq_buttons():
    """(answer, button title, question asked) for every FAQ answer's button that asks a question."""
    import yaml

    from orientation.paths import PROJECT_ROOT

    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return [
        (name[len("utter_") :], button["title"], button["payload"])
        for name, variants in responses.items()
        if name.startswith("utter_faq_")
        for variant in variants
        for button in variant.get("buttons") or []
        if not button["payload"].startswith("/")
    ]


def test_every_faq_button_leads_to_another_answer(parse):
    """A button under an answer asks a question the assistant understands, and its answer is not
    the one the user has just read."""
    stuck = []
    for answer, title, question in faq_buttons():
        parsed = parse(question)
        given = selections(parsed).get(parsed["intent"]["name"], parsed["intent"]["name"])
        if given in (answer, "nlu_fallback"):
            stuck.append((answer, title, given))
    assert not stuck


@pytest.mark.parametrize(
    "answer, other",
    [
        ("faq_apprenticeship/contract", "faq_apprenticeship/break_contract"),
        ("faq_apprenticeship/break_contract", "faq_apprenticeship/contract"),
        ("faq_vae/eligibility", "faq_vae/steps"),
        ("faq_vae/steps", "faq_vae/eligibility"),
    ],
)
def test_two_close_answers_each_offer_the_other(parse, answer, other):
    offered = [selections(parse(question)).get(answer.split("/")[0]) for a, _, question in faq_buttons() if a == answer]
    assert other in offered


def test_a_message_split_between_a_search_and_a_value_given_is_no_fallback(parse):
    """ "numérique en Bretagne" reads as a search request or as a value given: both search, so the
    assistant searches instead of asking what was meant."""
    parsed = parse("numerique en bretagne")
    assert parsed["intent"]["name"] in ("search_campus", "inform")
    names = [item["name"] for item in parsed["intent_ranking"]]
    assert not {"search_campus", "inform"} <= set(names[:2])


@pytest.mark.parametrize("message", ["jsais pas 😅", "🙂🙂", "à Lyon 😅"])
def test_an_emoji_is_never_an_entity(parse, message):
    spans = [message[e["start"] : e["end"]] for e in parse(message)["entities"]]
    assert all(any(character.isalnum() for character in span) for span in spans), spans
