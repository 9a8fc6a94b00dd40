"""The Rasa patches (bot.patches): installed only on the Rasa version they were written for, by
one explicit step that can be switched off. Each patch's equivalence with Rasa's own code is
tested beside it (test_model_calls.py, test_policy_calls.py, production/test_action_calls.py)."""

import logging

import pytest
import rasa
import rasa.core.processor
from rasa.core.actions.action import RemoteAction
from rasa.graph_components.providers.nlu_training_data_provider import NLUTrainingDataProvider
from rasa.utils.tensorflow.models import RasaModel

from bot import patches


@pytest.fixture
def not_yet_installed(monkeypatch):
    """install() as in a fresh process; whatever it replaces is put back afterwards."""
    monkeypatch.setattr(patches, "_installed", [])
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(NLUTrainingDataProvider, "provide", NLUTrainingDataProvider.provide)
    monkeypatch.setattr(RasaModel, "_rasa_predict", RasaModel._rasa_predict)
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", rasa.core.processor.DaskGraphRunner)
    monkeypatch.delenv(patches.SWITCH_VARIABLE, raising=False)


def test_the_installed_rasa_is_the_one_the_patches_were_written_for():
    assert rasa.__version__ == patches.RASA_VERSION, (
        "Rasa was upgraded: check each patch of bot/patches/ against it, then update RASA_VERSION"
    )
    patches.check_rasa()


def test_every_patch_is_installed_and_logged(not_yet_installed, caplog):
    with caplog.at_level(logging.INFO, logger=patches.__name__):
        installed = patches.install()
    assert installed == [patch.module for patch in patches.PATCHES]
    assert len([record for record in caplog.records if "Rasa patch installed" in record.message]) == len(installed)
    from bot.patches import action_calls, answer_wording, model_calls, policy_calls

    assert NLUTrainingDataProvider.provide is answer_wording.provide_without_answer_wording
    assert RemoteAction._validate_action_result is action_calls.validate_action_result
    assert RasaModel._rasa_predict is model_calls.predict_with_built_graph
    assert rasa.core.processor.DaskGraphRunner is policy_calls.RulesFirstGraphRunner


def test_another_rasa_version_stops_the_installation(not_yet_installed, monkeypatch):
    before = RemoteAction._validate_action_result
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(patches.IncompatibleRasa, match="3.7.0"):
        patches.install()
    assert RemoteAction._validate_action_result is before


def test_a_private_name_gone_stops_the_installation(not_yet_installed, monkeypatch):
    monkeypatch.delattr(RasaModel, "_empty_lists_to_none_in_dict")
    with pytest.raises(patches.IncompatibleRasa, match="_empty_lists_to_none_in_dict"):
        patches.install()


def test_switched_off_nothing_is_patched(not_yet_installed, monkeypatch):
    before = (
        RemoteAction._validate_action_result,
        RasaModel._rasa_predict,
        rasa.core.processor.DaskGraphRunner,
        NLUTrainingDataProvider.provide,
    )
    monkeypatch.setenv(patches.SWITCH_VARIABLE, "off")
    assert patches.install() == []
    assert (
        RemoteAction._validate_action_result,
        RasaModel._rasa_predict,
        rasa.core.processor.DaskGraphRunner,
        NLUTrainingDataProvider.provide,
    ) == before


def test_loading_the_channels_patches_nothing(not_yet_installed):
    before = RemoteAction._validate_action_result
    import bot.channels  # noqa: F401 - Rasa imports it at start (credentials.yml)

    assert RemoteAction._validate_action_result is before
