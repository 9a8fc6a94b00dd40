"""Rewording an FAQ answer in domain.yml leaves the NLU training data as Rasa's cache sees it
unchanged (bot/patches/answer_wording.py), so `make train` trains no NLU component again; a change of
the examples still does."""

import pytest
import yaml
from rasa.graph_components.providers.nlu_training_data_provider import NLUTrainingDataProvider
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, RESPONSE

from bot.patches import answer_wording
from orientation.paths import CONFIG_PATH, DOMAIN_PATH, TRAINING_DATA_DIR

REWORDED = "utter_faq_vae/eligibility"
# The topic of the reworded answer: the fingerprints behave as on all of data/, which Rasa would
# take seconds to read and validate for each case.
TOPIC_DATA = (str(TRAINING_DATA_DIR / "nlu" / "vae.yml"),)


def training_data(domain_path, data_paths=TOPIC_DATA, rasa_way=False):
    importer = TrainingDataImporter.load_from_config(
        str(CONFIG_PATH), str(domain_path), training_data_paths=list(data_paths)
    )
    provider = NLUTrainingDataProvider({"language": "fr", "persist": False}, None, None)
    provide = answer_wording._rasa_provide if rasa_way else answer_wording.provide_without_answer_wording
    return provide(provider, importer)


@pytest.fixture(scope="module")
def reworded_domain(tmp_path_factory):
    domain = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
    answer = domain["responses"][REWORDED][0]
    answer["text"] = answer["text"].replace("ouverte à tout le monde", "accessible à toutes et à tous")
    path = tmp_path_factory.mktemp("domain") / "domain.yml"
    path.write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def project_data():
    return training_data(DOMAIN_PATH)


@pytest.fixture(scope="module")
def rasa_project_data():
    return training_data(DOMAIN_PATH, rasa_way=True)


def test_a_reworded_answer_leaves_the_training_data_unchanged(project_data, reworded_domain):
    assert training_data(reworded_domain).fingerprint() == project_data.fingerprint()


def test_rasa_alone_would_train_again_after_the_same_rewording(rasa_project_data, reworded_domain):
    # What the patch is for: without it, the fingerprint (the cache key) follows the wording.
    assert training_data(reworded_domain, rasa_way=True).fingerprint() != rasa_project_data.fingerprint()


def test_a_new_example_still_changes_the_training_data(project_data, tmp_path):
    extra = tmp_path / "extra.yml"
    extra.write_text(
        'version: "3.1"\nnlu:\n- intent: faq_vae/eligibility\n  examples: |\n    - la vae pour tout le monde vraiment ?\n',
        encoding="utf-8",
    )
    changed = training_data(DOMAIN_PATH, (*TOPIC_DATA, str(extra)))
    assert changed.fingerprint() != project_data.fingerprint()


def test_the_examples_and_answer_keys_are_rasas_without_the_wording(project_data, rasa_project_data):
    rasa_data = rasa_project_data
    assert [e.get("text") for e in project_data.training_examples] == [
        e.get("text") for e in rasa_data.training_examples
    ]
    keys = [e.get(INTENT_RESPONSE_KEY) for e in project_data.training_examples]
    assert keys == [e.get(INTENT_RESPONSE_KEY) for e in rasa_data.training_examples]
    assert "faq_vae/eligibility" in keys
    assert not project_data.responses
    assert not any(e.get(RESPONSE) for e in project_data.training_examples)


def test_no_component_of_the_pipeline_reads_the_wording():
    # Rasa's ResponseSelector learns from the answers' text: it would train on none.
    pipeline = yaml.safe_load((CONFIG_PATH).read_text(encoding="utf-8"))["pipeline"]
    assert "ResponseSelector" not in [component["name"] for component in pipeline]
